using System.Text.Json.Nodes;
using Serverless.Tests.Infrastructure;

namespace Serverless.Tests.Infra;

/// <summary>
/// Every setting the code reads is set on the function app by infra/ (unless it is listed below as not
/// set in Azure), and every app setting infra/ sets is read by the code, the Functions host or
/// Azure.Identity (or listed below as set ahead of the code). Names compare as configuration keys:
/// case-insensitive, "A__b" equals "A:b". The app settings are read from the compiled template.
/// </summary>
[Collection(InfraTemplates.Collection)]
public sealed class SettingsConsistencyTests(InfraTemplates infra)
{
    /// <summary>The function app's code: the platform library and the functions, its entry points.</summary>
    internal static readonly string[] AppFolders = ["platform", "functions"];

    internal static CodeSettingsScan ScanCode() => CodeSettingsScanner.Scan(CodeSettingsScanner.SourceFiles(RepoPaths.Root, AppFolders));

    /// <summary>
    /// Reads the scanner cannot resolve (a name computed at run time), listed by hand as
    /// "path:line expression" → the names it can produce. Empty while every read is resolvable;
    /// a new dynamic read fails <see cref="CodeScan_EveryReadIsResolvedOrListed"/> until listed here.
    /// </summary>
    internal static readonly Dictionary<string, string[]> DynamicReads = new(StringComparer.Ordinal);

    internal static readonly SettingsPolicy Policy = new(
        // Read by the Functions host, the platform or Azure.Identity, not by our code.
        ReadByPlatform: new HashSet<string>(StringComparer.OrdinalIgnoreCase)
        {
            // Classic worker settings; on Flex Consumption they live in functionAppConfig instead, but
            // they stay known names here so a plan change cannot look like an orphan.
            "FUNCTIONS_EXTENSION_VERSION",
            "FUNCTIONS_WORKER_RUNTIME",
            "APPLICATIONINSIGHTS_CONNECTION_STRING",
            "APPLICATIONINSIGHTS_AUTHENTICATION_STRING",
            // Identity-based connection properties the host reads (the code reads some of them too).
            "AzureWebJobsStorage__accountName",
            "AzureWebJobsStorage__blobServiceUri",
            "AzureWebJobsStorage__queueServiceUri",
            "AzureWebJobsStorage__tableServiceUri",
            "AzureWebJobsStorage__credential",
            "AzureWebJobsStorage__clientId",
            // ManagedIdentityCredential inside DefaultAzureCredential picks the user-assigned identity.
            "AZURE_CLIENT_ID",
        },
        // Read by the code, deliberately not set on the function app in Azure.
        NotSetInAzure: new HashSet<string>(StringComparer.OrdinalIgnoreCase)
        {
            // A connection string carries the account key; Azure uses the identity-based AzureWebJobsStorage__*.
            "AzureWebJobsStorage",
            // Local only: where local.settings.json is (the local host's triggers and URLs are read in local/, not here).
            "LOCAL_SETTINGS_PATH",
            // The Docker sandbox driver and its warm pool: local only (Azure runs the Container Apps job).
            "DOCKER_HOST",
            // Where this host unpacks published versions; the temp folder is right everywhere.
            "PLUGIN_CACHE_DIR",
            "SANDBOX_IMAGE",
            "SANDBOX_PLATFORM_NAME",
            "SANDBOX_ENV_ALLOW",
            "SANDBOX_POOL_MODE",
            "SANDBOX_POOL_IDLE_SECONDS",
            "SANDBOX_POOL_MAX_INVOCATIONS",
            "SANDBOX_POOL_MAX_WORKERS",
            // The Container Apps driver's callback base: derived from WEBSITE_HOSTNAME, which App Service
            // sets on every app; SANDBOX_CALLBACK_URL only overrides it (a custom domain, the tests).
            "SANDBOX_CALLBACK_URL",
            "WEBSITE_HOSTNAME",
            // ARM's endpoint: management.azure.com unless another cloud (or the tests' fake ARM).
            "SANDBOX_ARM_ENDPOINT",
            // Sandbox limits: defaults are SandboxLimits.Default; in Azure they go to the runner job
            // (infra/main.bicep sandboxLimits, checked against SandboxLimits.Default by InfraLayoutTests).
            "SANDBOX_WALL_TIME_SECONDS",
            "SANDBOX_MEMORY_MB",
            "SANDBOX_CPUS",
            "SANDBOX_PIDS",
            "SANDBOX_NOFILE",
            "SANDBOX_FSIZE_MB",
            "SANDBOX_NPROC",
            "SANDBOX_OUTPUT_BYTES",
            "SANDBOX_TMPFS_MB",
            // Upload limits, optional overrides of PackageLimits.Default.
            "Packages:MaxCompressedBytes",
            "Packages:MaxUncompressedBytes",
            "Packages:MaxEntries",
            "Packages:MaxFileBytes",
            "Packages:MaxCompressionRatio",
            "Packages:RatioCheckMinBytes",
            "Packages:MaxManifestBytes",
        },
        // Set by infra/ for code that is being written now (the settings contract in README.md's
        // "Configuration"). When the code reads one, remove it here: PendingSettings_AreNotYetReadByCode says which.
        SetBeforeCodeReadsIt: new HashSet<string>(StringComparer.OrdinalIgnoreCase)
        {
        });

    internal static IReadOnlySet<string> CodeReads()
    {
        var scan = ScanCode();
        var names = scan.Names.ToHashSet(SettingNames.Comparer);
        foreach (var listed in DynamicReads.Values.SelectMany(v => v)) names.Add(SettingNames.Normalize(listed));
        return names;
    }

    [Fact]
    public void CodeScan_EveryReadIsResolvedOrListed()
    {
        var scan = ScanCode();
        var unlisted = scan.Unresolved.Where(u => !DynamicReads.ContainsKey($"{u.Source} {u.Expression}")).ToArray();

        Assert.True(unlisted.Length == 0, "configuration reads with a name the scanner cannot work out; list them in DynamicReads: "
            + string.Join("; ", unlisted.Select(u => $"{u.Source} {u.Expression}")));
    }

    [Fact]
    public void CodeScan_FindsTheKnownReadsOfEachKind()
    {
        var names = ScanCode().Names;

        // A literal, a const, an interpolation over a const and a call-site argument, a local-function
        // argument, a section + nameof, an environment variable. (A helper called from another file:
        // CheckerMutationTests.Scan_NewReadInCode_IsFoundThroughLiteralsHelpersAndInterpolation.)
        Assert.Contains("DISCORD_PUBLIC_KEY", names);
        Assert.Contains("AzureWebJobsStorage", names);
        Assert.Contains("AzureWebJobsStorage:accountName", names);
        Assert.Contains("SANDBOX_WALL_TIME_SECONDS", names);
        Assert.Contains("SANDBOX_POOL_MAX_WORKERS", names);
        Assert.Contains("Packages:MaxEntries", names);
        Assert.Contains("LOCAL_SETTINGS_PATH", names);
    }

    [Fact]
    public void FunctionAppSettings_AgreeWithTheCode()
    {
        var report = SettingsChecker.Compare(CodeReads(), SettingsChecker.ReadAppSettings(infra.Module("function-app")), Policy);

        Assert.True(report.Agrees, report.ToString());
    }

    [Fact]
    public void NotSetInAzure_ListsOnlySettingsTheCodeReads()
    {
        var code = CodeReads();
        var stale = Policy.NotSetInAzure.Where(name => !code.Contains(SettingNames.Normalize(name))).ToArray();

        Assert.True(stale.Length == 0, "NotSetInAzure names settings no code reads any more; remove: " + string.Join(", ", stale));
    }

    [Fact]
    public void PendingSettings_AreNotYetReadByCode()
    {
        var code = CodeReads();
        var read = Policy.SetBeforeCodeReadsIt.Where(name => code.Contains(SettingNames.Normalize(name))).ToArray();

        Assert.True(read.Length == 0, "the code reads these now; remove them from SetBeforeCodeReadsIt: " + string.Join(", ", read));
    }

    [Fact]
    public void AppSettings_SecretsAreKeyVaultReferences()
    {
        var functionApp = infra.Module("function-app");
        var settings = SettingsChecker.AppSettings(functionApp);
        var secretNames = infra.Main.Variables["secretNames"]!.AsObject().Select(p => p.Key).ToArray();

        Assert.Equal(["DISCORD_PUBLIC_KEY", "DISCORD_BOT_TOKEN", "EVENTS_SHARED_SECRET", "ADMIN_API_KEY"], secretNames);
        // The function app is handed those names, and makes each setting a reference to its secret.
        Assert.True(JsonNode.DeepEquals(infra.Main.Variables["secretNames"], infra.Main.ModuleParameters("function-app")["secretNames"]));
        foreach (var secret in secretNames)
        {
            Assert.Equal($"[variables('keyVaultReferences').{secret}]", settings[secret]!.GetValue<string>());
        }
        Assert.Contains("@Microsoft.KeyVault(SecretUri=", functionApp.Variables["keyVaultReferences"]!.GetValue<string>());
        // No other setting carries a secret's value.
        Assert.DoesNotContain(settings, s => !secretNames.Contains(s.Key) && s.Value!.ToJsonString().Contains("keyVaultReferences", StringComparison.Ordinal));
    }
}
