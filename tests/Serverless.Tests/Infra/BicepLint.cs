using System.Text.RegularExpressions;

namespace Serverless.Tests.Infra;

/// <summary>
/// Structural checks of a Bicep file that need no compiler: balanced delimiters, a description on
/// every parameter, no key-listing functions or key-bearing connection strings, no secrets in outputs,
/// modules that exist.
/// </summary>
internal static partial class BicepLint
{
    public static IReadOnlyList<string> Problems(string path, string text)
    {
        var problems = new List<string>();
        var masked = BicepText.Mask(text);
        problems.AddRange(BicepText.DelimiterErrors(text).Select(e => $"{path}: {e}"));

        var parameters = BicepText.Params(text);
        foreach (var p in parameters.Where(p => !Regex.IsMatch(p.Decorators, @"@(sys\.)?description\(")))
        {
            problems.Add($"{path}:{p.Line}: param {p.Name} has no @description");
        }

        // list*() hands out keys; with shared key access off and identities everywhere nothing needs one.
        // Strings count (an interpolation can call it), comments do not.
        var code = BicepText.WithoutComments(text);
        foreach (Match m in ListFunction().Matches(code))
        {
            problems.Add($"{path}:{Line(text, m.Index)}: {m.Value.TrimEnd('(')} returns keys");
        }
        foreach (Match m in KeyMaterial().Matches(code))
        {
            problems.Add($"{path}:{Line(text, m.Index)}: key material '{m.Value}'");
        }

        var secure = parameters.Where(p => p.Decorators.Contains("@secure()", StringComparison.Ordinal)).Select(p => p.Name).ToArray();
        foreach (Match m in Output().Matches(masked))
        {
            var name = m.Groups["name"].Value;
            var expression = code.Substring(m.Groups["value"].Index, m.Groups["value"].Length);
            if (SecretName().IsMatch(name)) problems.Add($"{path}:{Line(text, m.Index)}: output {name} is named like a secret");
            foreach (var s in secure.Where(s => Regex.IsMatch(expression, $@"\b{Regex.Escape(s)}\b")))
            {
                problems.Add($"{path}:{Line(text, m.Index)}: output {name} exposes secure parameter {s}");
            }
            if (Regex.IsMatch(expression, @"(?i)connectionstring|secret|password|\.keys\b")) problems.Add($"{path}:{Line(text, m.Index)}: output {name} looks like a secret: {expression.Trim()}");
            var above = text.LastIndexOf('\n', Math.Max(0, m.Index - 1));
            var previousLine = above <= 0 ? "" : text[(text.LastIndexOf('\n', above - 1) + 1)..above];
            if (previousLine.Contains("@secure()", StringComparison.Ordinal)) problems.Add($"{path}:{Line(text, m.Index)}: secure output {name}");
        }

        var directory = Path.GetDirectoryName(path) ?? "";
        foreach (Match m in Module().Matches(text))
        {
            if (!File.Exists(Path.Combine(directory, m.Groups["path"].Value))) problems.Add($"{path}:{Line(text, m.Index)}: module file {m.Groups["path"].Value} does not exist");
        }
        return problems;
    }

    private static int Line(string text, int index) => text.AsSpan(0, index).Count('\n') + 1;

    [GeneratedRegex(@"\blist(Keys|Secrets|ConnectionStrings|AccountSas|ServiceSas|Credentials?|AdminKeys|QueryKeys|AuthKeys)\s*\(|\.list\w*\s*\(")]
    private static partial Regex ListFunction();

    [GeneratedRegex(@"(?i)AccountKey=|SharedAccessKey(Name)?=|primary(Shared)?Key\b|secondary(Shared)?Key\b")]
    private static partial Regex KeyMaterial();

    [GeneratedRegex(@"(?m)^\s*output\s+(?<name>\w+)\s+[\w.]+\s*=\s*(?<value>[^\r\n]*)")]
    private static partial Regex Output();

    [GeneratedRegex(@"(?i)secret|password|token|connectionstring|apikey|accesskey|sharedkey")]
    private static partial Regex SecretName();

    [GeneratedRegex(@"(?m)^\s*module\s+\w+\s+'(?<path>[^']+)'")]
    private static partial Regex Module();
}
