using System.Text.Json.Nodes;
using Serverless.Tests.Infrastructure;

namespace Serverless.Tests.Infra;

/// <summary>
/// The consistency checks can fail: each test feeds them the real inputs with one deliberate change
/// and asserts they report exactly that change and nothing else. A changed template is a changed copy
/// of function-app.bicep, compiled by the real compiler like the original.
/// </summary>
[Collection(InfraTemplates.Collection)]
public sealed class CheckerMutationTests(InfraTemplates infra, CheckerMutationTests.Variants variants) : IClassFixture<CheckerMutationTests.Variants>
{
    /// <summary>function-app.bicep with one change per variant, all compiled in one run of the compiler.</summary>
    public sealed class Variants : IAsyncLifetime
    {
        private static readonly Dictionary<string, (string From, string To)[]> Changes = new(StringComparer.Ordinal)
        {
            ["public-key-removed"] = [("  DISCORD_PUBLIC_KEY: keyVaultReferences.DISCORD_PUBLIC_KEY\n", "")],
            ["budget-renamed"] = [("  INTERACTION_BUDGET_MS: '2000'", "  INTERACTION_BUDGET_MSEC: '2000'")],
            ["quoted-and-commented"] = [("  DISCORD_API_BASE_URL: discordApiBaseUrl", "  'DISCORD_API_BASE_URL': discordApiBaseUrl // quoted, commented")],
            ["queue-connection-removed"] =
            [
                ("  AzureWebJobsStorage__accountName: storageAccountName\n", ""),
                ("  AzureWebJobsStorage__queueServiceUri: queueEndpoint\n", ""),
            ],
        };

        private string _directory = null!;
        private CompiledTemplates _compiled = null!;

        internal ArmTemplate this[string variant] => _compiled[$"{variant}.bicep"];

        public async ValueTask InitializeAsync()
        {
            var original = await File.ReadAllTextAsync(Path.Combine(RepoPaths.Root, "infra", "modules", "function-app.bicep"));
            _directory = Directory.CreateTempSubdirectory("bicep-variants-").FullName;
            foreach (var (variant, changes) in Changes)
            {
                var text = original;
                foreach (var (from, to) in changes)
                {
                    var at = text.IndexOf(from, StringComparison.Ordinal);
                    if (at < 0 || text.IndexOf(from, at + 1, StringComparison.Ordinal) >= 0)
                    {
                        throw new InvalidOperationException($"{variant}: '{from.Trim()}' is not exactly once in function-app.bicep");
                    }
                    text = text.Replace(from, to, StringComparison.Ordinal);
                }
                await File.WriteAllTextAsync(Path.Combine(_directory, $"{variant}.bicep"), text);
            }
            _compiled = await CompiledTemplates.CompileAsync(_directory);
        }

        public ValueTask DisposeAsync()
        {
            Directory.Delete(_directory, recursive: true);
            return ValueTask.CompletedTask;
        }
    }

    private ArmTemplate FunctionApp => infra.Module("function-app");

    [Fact]
    public void Compare_RealInputs_Agree()
    {
        // The baseline every mutation below starts from.
        Assert.True(SettingsChecker.Compare(SettingsConsistencyTests.CodeReads(), SettingsChecker.ReadAppSettings(FunctionApp), SettingsConsistencyTests.Policy).Agrees);
    }

    [Fact]
    public void Compare_SettingRemovedFromBicep_ReportsExactlyThatSetting()
    {
        var report = SettingsChecker.Compare(SettingsConsistencyTests.CodeReads(), SettingsChecker.ReadAppSettings(variants["public-key-removed"]), SettingsConsistencyTests.Policy);

        Assert.Equal(["DISCORD_PUBLIC_KEY"], report.MissingInInfra);
        Assert.Empty(report.NotReadByAnyone);
    }

    [Fact]
    public void Compare_SettingRenamedInBicep_ReportsTheMissingAndTheOrphan()
    {
        var report = SettingsChecker.Compare(SettingsConsistencyTests.CodeReads(), SettingsChecker.ReadAppSettings(variants["budget-renamed"]), SettingsConsistencyTests.Policy);

        Assert.Equal(["INTERACTION_BUDGET_MS"], report.MissingInInfra);
        Assert.Equal(["INTERACTION_BUDGET_MSEC"], report.NotReadByAnyone);
    }

    [Fact]
    public void Compare_QuotedKeyAndTrailingCommentInBicep_AreStillRead()
    {
        var report = SettingsChecker.Compare(SettingsConsistencyTests.CodeReads(), SettingsChecker.ReadAppSettings(variants["quoted-and-commented"]), SettingsConsistencyTests.Policy);

        Assert.True(report.Agrees, report.ToString());
    }

    [Fact]
    public void Compare_CodeReadsOneMoreSetting_ReportsExactlyThatSetting()
    {
        var code = SettingsConsistencyTests.CodeReads().Append("PLUGIN_STORE_URL");

        var report = SettingsChecker.Compare(code, SettingsChecker.ReadAppSettings(FunctionApp), SettingsConsistencyTests.Policy);

        Assert.Equal(["PLUGIN_STORE_URL"], report.MissingInInfra);
        Assert.Empty(report.NotReadByAnyone);
    }

    [Fact]
    public void Scan_NewReadInCode_IsFoundThroughLiteralsHelpersAndInterpolation()
    {
        var files = CodeSettingsScanner.SourceFiles(RepoPaths.Root, SettingsConsistencyTests.AppFolders)
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

                    public static string? Shared(IConfiguration configuration, string name) => configuration[$"{Prefix}_SHARED_{name}"];

                    private static string Computed() => "X";
                }
                """))
            .Append(("Other/OtherFeature.cs", """
                public static class OtherFeature
                {
                    public static string? Read(IConfiguration configuration) => ExtraSettings.Shared(configuration, "TWO");
                }
                """));

        var scan = CodeSettingsScanner.Scan(files);
        var baseline = SettingsConsistencyTests.ScanCode().Names;
        var added = scan.Names.Where(n => !baseline.Contains(n)).Order(StringComparer.Ordinal).ToArray();

        Assert.Equal(["EXTRA_LITERAL", "EXTRA_ONE", "EXTRA_SHARED_TWO"], added);
        Assert.Equal("Computed()", Assert.Single(scan.Unresolved).Expression);
        var report = SettingsChecker.Compare(scan.Names, SettingsChecker.ReadAppSettings(FunctionApp), SettingsConsistencyTests.Policy);
        Assert.Equal(["EXTRA_LITERAL", "EXTRA_ONE", "EXTRA_SHARED_TWO"], report.MissingInInfra);
    }

    [Fact]
    public void MissingConnections_BindingConnectionRenamed_ReportsThatBinding()
    {
        var bindings = InfraLayoutTests.Bindings()
            .Select(b => (b.Function, (JsonObject)b.Binding.DeepClone()))
            .ToArray();
        var dispatch = bindings.Single(b => b.Function == "dispatch").Item2;
        dispatch["connection"] = "OtherStorage";

        var problems = SettingsChecker.MissingConnections(bindings, SettingsChecker.ReadAppSettings(FunctionApp));

        Assert.Equal(["dispatch: queueTrigger connection 'OtherStorage'"], problems);
    }

    [Fact]
    public void MissingConnections_QueueIdentitySettingsRemovedFromBicep_ReportsTheQueueTrigger()
    {
        var problems = SettingsChecker.MissingConnections(InfraLayoutTests.Bindings(), SettingsChecker.ReadAppSettings(variants["queue-connection-removed"]));

        // The blob trigger and the timer still have AzureWebJobsStorage__blobServiceUri.
        Assert.Equal(["dispatch: queueTrigger connection 'AzureWebJobsStorage'"], problems);
    }
}
