using System.Text.RegularExpressions;

namespace Serverless.Tests.Infra;

/// <summary>
/// House rules the linter does not have, checked on the compiled template: a description on every
/// parameter, no key-listing functions and no key-bearing connection strings, no secrets in outputs.
/// </summary>
internal static partial class TemplateChecks
{
    public static IReadOnlyList<string> Problems(ArmTemplate template)
    {
        var problems = new List<string>();
        foreach (var (name, parameter) in template.Parameters)
        {
            if (parameter?["metadata"]?["description"] is null) problems.Add($"{template.Name}: param {name} has no @description");
        }

        // list*() hands out keys; with shared key access off and identities everywhere nothing needs one.
        foreach (var (path, value) in template.Strings())
        {
            if (value.StartsWith('[') && ListFunction().Match(value) is { Success: true } list)
            {
                problems.Add($"{template.Name}: {path}: {list.Groups["function"].Value}() returns keys");
            }
            if (KeyMaterial().Match(value) is { Success: true } key)
            {
                problems.Add($"{template.Name}: {path}: key material '{key.Value}'");
            }
        }

        foreach (var (name, output) in template.Outputs)
        {
            var type = output!["type"]?.GetValue<string>() ?? "";
            var expression = string.Join('\n', ArmTemplate.StringsIn(output["value"]).Select(s => s.Value));
            if (type.StartsWith("secure", StringComparison.OrdinalIgnoreCase)) problems.Add($"{template.Name}: secure output {name}");
            if (SecretName().IsMatch(name)) problems.Add($"{template.Name}: output {name} is named like a secret");
            foreach (var (parameter, _) in template.Parameters.Where(p => template.IsSecure(p.Key)))
            {
                if (expression.Contains($"parameters('{parameter}')", StringComparison.Ordinal)) problems.Add($"{template.Name}: output {name} exposes secure parameter {parameter}");
            }
        }
        return problems;
    }

    [GeneratedRegex(@"\b(?<function>list(?:Keys|Secrets|ConnectionStrings|AccountSas|ServiceSas|Credentials?|AdminKeys|QueryKeys|AuthKeys)?)\s*\(")]
    private static partial Regex ListFunction();

    [GeneratedRegex(@"(?i)AccountKey=|SharedAccessKey(Name)?=|primary(Shared)?Key\b|secondary(Shared)?Key\b")]
    private static partial Regex KeyMaterial();

    [GeneratedRegex(@"(?i)secret|password|token|connectionstring|apikey|accesskey|sharedkey")]
    private static partial Regex SecretName();
}
