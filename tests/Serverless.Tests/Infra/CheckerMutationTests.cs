using System.Text.Json.Nodes;
using Serverless.Tests.Infrastructure;

namespace Serverless.Tests.Infra;

/// <summary>
/// The consistency checks can fail: each test feeds them the real inputs with one deliberate change
/// and asserts they report exactly that change and nothing else.
/// </summary>
public sealed class CheckerMutationTests
{
    private static readonly string Bicep = SettingsConsistencyTests.FunctionAppBicep;

    private static string Mutate(string text, string from, string to)
    {
        Assert.Equal(1, CountOf(text, from));
        return text.Replace(from, to, StringComparison.Ordinal);
    }

    private static int CountOf(string text, string part) => (text.Length - text.Replace(part, "", StringComparison.Ordinal).Length) / part.Length;

    [Fact]
    public void Compare_RealInputs_Agree()
    {
        // The baseline every mutation below starts from.
        Assert.True(SettingsChecker.Compare(SettingsConsistencyTests.CodeReads(), SettingsChecker.ReadAppSettings(Bicep), SettingsConsistencyTests.Policy).Agrees);
    }

    [Fact]
    public void Compare_SettingRemovedFromBicep_ReportsExactlyThatSetting()
    {
        var mutated = Mutate(Bicep, "  DISCORD_PUBLIC_KEY: keyVaultReferences.DISCORD_PUBLIC_KEY\n", "");

        var report = SettingsChecker.Compare(SettingsConsistencyTests.CodeReads(), SettingsChecker.ReadAppSettings(mutated), SettingsConsistencyTests.Policy);

        Assert.Equal(["DISCORD_PUBLIC_KEY"], report.MissingInInfra);
        Assert.Empty(report.NotReadByAnyone);
    }

    [Fact]
    public void Compare_SettingRenamedInBicep_ReportsTheMissingAndTheOrphan()
    {
        var mutated = Mutate(Bicep, "  ServiceBusConnection__clientId: identityClientId", "  ServiceBusConnection__clientIdentity: identityClientId");

        var report = SettingsChecker.Compare(SettingsConsistencyTests.CodeReads(), SettingsChecker.ReadAppSettings(mutated), SettingsConsistencyTests.Policy);

        Assert.Equal(["ServiceBusConnection:clientId"], report.MissingInInfra);
        Assert.Equal(["ServiceBusConnection:clientIdentity"], report.NotReadByAnyone);
    }

    [Fact]
    public void Compare_QuotedKeyAndTrailingCommentInBicep_AreStillRead()
    {
        var mutated = Mutate(Bicep, "  DISCORD_API_BASE_URL: discordApiBaseUrl", "  'DISCORD_API_BASE_URL': discordApiBaseUrl // quoted, commented");

        var report = SettingsChecker.Compare(SettingsConsistencyTests.CodeReads(), SettingsChecker.ReadAppSettings(mutated), SettingsConsistencyTests.Policy);

        Assert.True(report.Agrees, report.ToString());
    }

    [Fact]
    public void Compare_CodeReadsOneMoreSetting_ReportsExactlyThatSetting()
    {
        var code = SettingsConsistencyTests.CodeReads().Append("PLUGIN_STORE_URL");

        var report = SettingsChecker.Compare(code, SettingsChecker.ReadAppSettings(Bicep), SettingsConsistencyTests.Policy);

        Assert.Equal(["PLUGIN_STORE_URL"], report.MissingInInfra);
        Assert.Empty(report.NotReadByAnyone);
    }

    [Fact]
    public void Scan_NewReadInCode_IsFoundThroughLiteralsHelpersAndInterpolation()
    {
        var files = Directory.EnumerateFiles(Path.Combine(RepoPaths.Root, "functions"), "*.cs", SearchOption.AllDirectories)
            .Where(p => !p.Contains($"{Path.DirectorySeparatorChar}obj{Path.DirectorySeparatorChar}", StringComparison.Ordinal))
            .Select(p => (p, File.ReadAllText(p)))
            .Append(("Extra/ExtraSettings.cs", """
                public static class ExtraSettings
                {
                    private const string Prefix = "EXTRA";

                    public static string? Read(IConfiguration configuration)
                    {
                        // configuration["COMMENTED_OUT"] is not a read
                        var url = "https://example.invalid/[x]"; // "strings" with // and [ ] are not code
                        return configuration["EXTRA_LITERAL"] ?? Option(configuration, "ONE") ?? configuration[Computed()];
                    }

                    private static string? Option(IConfiguration configuration, string name) => configuration[$"{Prefix}_{name}"];

                    private static string Computed() => "X";
                }
                """));

        var scan = CodeSettingsScanner.Scan(files);
        var baseline = SettingsConsistencyTests.ScanCode().Names;
        var added = scan.Names.Where(n => !baseline.Contains(n)).Order(StringComparer.Ordinal).ToArray();

        Assert.Equal(["EXTRA_LITERAL", "EXTRA_ONE"], added);
        Assert.Equal("Computed()", Assert.Single(scan.Unresolved).Expression);
        var report = SettingsChecker.Compare(scan.Names, SettingsChecker.ReadAppSettings(Bicep), SettingsConsistencyTests.Policy);
        Assert.Equal(["EXTRA_LITERAL", "EXTRA_ONE"], report.MissingInInfra);
    }

    [Fact]
    public void MissingConnections_BindingConnectionRenamed_ReportsThatBinding()
    {
        var bindings = InfraLayoutTests.Bindings()
            .Select(b => (b.Function, (JsonObject)b.Binding.DeepClone()))
            .ToArray();
        var dispatch = bindings.Single(b => b.Function == "dispatch").Item2;
        dispatch["connection"] = "OtherStorage";

        var problems = SettingsChecker.MissingConnections(bindings, SettingsChecker.ReadAppSettings(Bicep));

        Assert.Equal(["dispatch: queueTrigger connection 'OtherStorage'"], problems);
    }

    [Fact]
    public void MissingConnections_IdentitySettingRemovedFromBicep_ReportsTheBindingsThatNeedIt()
    {
        var mutated = Bicep;
        foreach (var setting in new[] { "accountName: storageAccountName", "blobServiceUri: blobEndpoint", "queueServiceUri: queueEndpoint", "tableServiceUri: tableEndpoint" })
        {
            mutated = Mutate(mutated, $"  AzureWebJobsStorage__{setting}\n", "");
        }

        var problems = SettingsChecker.MissingConnections(InfraLayoutTests.Bindings(), SettingsChecker.ReadAppSettings(mutated));

        Assert.Equal(
            ["dispatch: queueTrigger connection 'AzureWebJobsStorage'", "packages: blobTrigger connection 'AzureWebJobsStorage'", "schedules: timerTrigger needs AzureWebJobsStorage"],
            problems.Order(StringComparer.Ordinal));
    }
}
