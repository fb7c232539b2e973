using System.Text.Json.Nodes;
using System.Text.RegularExpressions;

namespace Serverless.Tests.Infra;

/// <summary>
/// One template as <c>bicep build</c> wrote it (ARM JSON): its parameters, variables, resources and
/// outputs. ARM expressions stay text (<c>"[parameters('name')]"</c>); <see cref="Resolve"/> follows the
/// one kind the tests need, a reference to a variable.
/// </summary>
internal sealed partial class ArmTemplate(string name, JsonObject json)
{
    public string Name { get; } = name;

    public JsonObject Json { get; } = json;

    public string Schema => Json["$schema"]!.GetValue<string>();

    public JsonObject Parameters => Json["parameters"]?.AsObject() ?? [];

    public JsonObject Variables => Json["variables"]?.AsObject() ?? [];

    public JsonObject Outputs => Json["outputs"]?.AsObject() ?? [];

    /// <summary>Every resource, whether the template lists them (an array) or names them (symbolic names).</summary>
    public IReadOnlyList<JsonObject> Resources => Json["resources"] switch
    {
        JsonArray array => array.Select(r => r!.AsObject()).ToArray(),
        JsonObject named => named.Select(r => r.Value!.AsObject()).ToArray(),
        _ => [],
    };

    public IReadOnlyList<JsonObject> ResourcesOfType(string type) =>
        Resources.Where(r => string.Equals(r["type"]?.GetValue<string>(), type, StringComparison.OrdinalIgnoreCase)).ToArray();

    public JsonObject SingleResource(string type) => Assert.Single(ResourcesOfType(type));

    /// <summary>The parameters handed to module <paramref name="deploymentName"/> (the module's <c>name:</c>), resolved.</summary>
    public IReadOnlyDictionary<string, JsonNode?> ModuleParameters(string deploymentName)
    {
        var module = Assert.Single(ResourcesOfType("Microsoft.Resources/deployments"), d => d["name"]?.GetValue<string>() == deploymentName);
        return module["properties"]!["parameters"]!.AsObject().ToDictionary(p => p.Key, p => Resolve(p.Value!["value"]));
    }

    public bool IsSecure(string parameter) =>
        Parameters[parameter]?["type"]?.GetValue<string>() is { } type && type.StartsWith("secure", StringComparison.OrdinalIgnoreCase);

    /// <summary><c>"[variables('x')]"</c> and <c>"[variables('x').y]"</c> become that variable's value; anything else stays as it is.</summary>
    public JsonNode? Resolve(JsonNode? value)
    {
        if (value is JsonValue text && text.TryGetValue<string>(out var expression) && VariableReference().Match(expression) is { Success: true } match)
        {
            var resolved = Variables[match.Groups["name"].Value] ?? throw new KeyNotFoundException($"{Name}: no variable {match.Groups["name"].Value}");
            foreach (Capture property in match.Groups["property"].Captures)
            {
                resolved = resolved[property.Value] ?? throw new KeyNotFoundException($"{Name}: {expression} names nothing");
            }
            return Resolve(resolved.DeepClone());
        }
        return value?.DeepClone();
    }

    /// <summary>Every string anywhere in the template, with its JSON path.</summary>
    public IEnumerable<(string Path, string Value)> Strings() => StringsIn(Json);

    /// <summary>Every string anywhere under <paramref name="node"/>, with its JSON path.</summary>
    public static IEnumerable<(string Path, string Value)> StringsIn(JsonNode? node) => node switch
    {
        JsonObject obj => obj.SelectMany(p => StringsIn(p.Value)),
        JsonArray array => array.SelectMany(StringsIn),
        JsonValue value when value.TryGetValue<string>(out var text) => [(value.GetPath(), text)],
        _ => [],
    };

    [GeneratedRegex(@"^\[variables\('(?<name>[^']+)'\)(?:\.(?<property>\w+))*\]$")]
    private static partial Regex VariableReference();
}
