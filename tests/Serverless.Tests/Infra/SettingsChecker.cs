using System.Text.Json.Nodes;

namespace Serverless.Tests.Infra;

/// <summary>What the settings comparison found; both lists empty means code and infra agree.</summary>
internal sealed record SettingsReport(IReadOnlyList<string> MissingInInfra, IReadOnlyList<string> NotReadByAnyone)
{
    public bool Agrees => MissingInInfra.Count == 0 && NotReadByAnyone.Count == 0;

    public override string ToString() =>
        $"read by the code but not set by infra: [{string.Join(", ", MissingInInfra)}]; " +
        $"set by infra but read by nobody: [{string.Join(", ", NotReadByAnyone)}]";
}

/// <summary>The explicit exceptions to "code and infra name the same settings", each with its reason.</summary>
internal sealed record SettingsPolicy(
    IReadOnlySet<string> ReadByPlatform,
    IReadOnlySet<string> NotSetInAzure,
    IReadOnlySet<string> SetBeforeCodeReadsIt);

internal static class SettingsChecker
{
    /// <summary>The function app's settings as deployed: the properties of its compiled <c>sites/config</c> resource <c>appsettings</c>.</summary>
    public static IReadOnlyDictionary<string, JsonNode?> AppSettings(ArmTemplate functionApp) =>
        Assert.Single(functionApp.ResourcesOfType("Microsoft.Web/sites/config"), r => r["name"]!.GetValue<string>().Contains("'appsettings'", StringComparison.Ordinal))
            ["properties"]!.AsObject().ToDictionary(p => p.Key, p => p.Value?.DeepClone());

    public static IReadOnlyList<string> ReadAppSettings(ArmTemplate functionApp) => [.. AppSettings(functionApp).Keys];

    public static SettingsReport Compare(IEnumerable<string> codeReads, IEnumerable<string> appSettings, SettingsPolicy policy)
    {
        var code = codeReads.Select(SettingNames.Normalize).ToHashSet(SettingNames.Comparer);
        var infra = appSettings.Select(SettingNames.Normalize).ToHashSet(SettingNames.Comparer);
        var notSet = policy.NotSetInAzure.Select(SettingNames.Normalize).ToHashSet(SettingNames.Comparer);
        var readElsewhere = policy.ReadByPlatform.Concat(policy.SetBeforeCodeReadsIt).Select(SettingNames.Normalize).ToHashSet(SettingNames.Comparer);

        var missing = code.Where(name => !infra.Contains(name) && !notSet.Contains(name)).Order(StringComparer.Ordinal).ToArray();
        var orphans = infra.Where(name => !code.Contains(name) && !readElsewhere.Contains(name)).Order(StringComparer.Ordinal).ToArray();
        return new SettingsReport(missing, orphans);
    }

    /// <summary>
    /// Bindings whose connection the app settings do not provide. The host resolves a connection
    /// named X from the setting X (a connection string) or from identity-based X__… settings:
    /// X__accountName, or the service's own URI (X__queueServiceUri for a queue, X__blobServiceUri for
    /// a blob, X__tableServiceUri for a table). Timer triggers need AzureWebJobsStorage's blobs for
    /// their schedule monitor and singleton lock.
    /// </summary>
    public static IReadOnlyList<string> MissingConnections(IEnumerable<(string Function, JsonObject Binding)> bindings, IEnumerable<string> appSettings)
    {
        var infra = appSettings.Select(SettingNames.Normalize).ToHashSet(SettingNames.Comparer);
        bool Provides(string connection, params string[] identityProperties) =>
            infra.Contains(connection) || identityProperties.Any(p => infra.Contains($"{connection}:{p}"));

        var problems = new List<string>();
        foreach (var (function, binding) in bindings)
        {
            var type = binding["type"]?.GetValue<string>() ?? "";
            var connection = binding["connection"]?.GetValue<string>();
            switch (type)
            {
                case "queueTrigger" or "queue":
                    connection ??= "AzureWebJobsStorage";
                    if (!Provides(connection, "accountName", "queueServiceUri")) problems.Add($"{function}: {type} connection '{connection}'");
                    break;
                case "blobTrigger" or "blob":
                    connection ??= "AzureWebJobsStorage";
                    if (!Provides(connection, "accountName", "blobServiceUri")) problems.Add($"{function}: {type} connection '{connection}'");
                    break;
                case "table":
                    connection ??= "AzureWebJobsStorage";
                    if (!Provides(connection, "accountName", "tableServiceUri")) problems.Add($"{function}: {type} connection '{connection}'");
                    break;
                case "timerTrigger":
                    if (!Provides("AzureWebJobsStorage", "accountName", "blobServiceUri")) problems.Add($"{function}: timerTrigger needs AzureWebJobsStorage");
                    break;
                default:
                    if (connection is not null && !Provides(connection, "fullyQualifiedNamespace", "accountName", "serviceUri")) problems.Add($"{function}: {type} connection '{connection}'");
                    break;
            }
        }
        return problems;
    }
}
