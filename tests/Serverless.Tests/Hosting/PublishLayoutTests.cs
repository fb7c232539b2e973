using System.Diagnostics;
using System.Reflection;
using System.Text.Json.Nodes;
using Serverless.Functions.Dispatch;
using Serverless.Functions.Health;
using Serverless.Functions.Packages;
using Serverless.Functions.Schedules;
using Serverless.Platform.Dispatch;
using Serverless.Platform.Hosting;
using Serverless.Platform.WorkQueue;
using Serverless.LocalHost;
using Serverless.Tests.Infrastructure;
using Jobs = Microsoft.Azure.WebJobs;

namespace Serverless.Tests.Hosting;

/// <summary>
/// <c>dotnet publish functions</c> must be an isolated-worker app the Functions host loads: worker.config.json,
/// host.json and functions.metadata listing every function with its trigger, route, queue, path or schedule. The
/// local host must serve exactly those functions the same way.
/// </summary>
[Collection(PublishCollection.Name)]
public sealed class PublishLayoutTests(PublishLayoutTests.Published published) : IClassFixture<PublishLayoutTests.Published>
{
    /// <summary>One publish per test run, shared by every test here.</summary>
    public sealed class Published : IAsyncLifetime
    {
        public string Dir { get; } = Path.Combine(Path.GetTempPath(), "publish-" + Guid.NewGuid().ToString("N"));

        public async ValueTask InitializeAsync()
        {
            var start = new ProcessStartInfo("dotnet", ["publish", Path.Combine(RepoPaths.Root, "functions", "Serverless.Functions.csproj"), "-c", "Release", "-o", Dir, "--nologo", "-v", "quiet"])
            {
                RedirectStandardOutput = true,
                RedirectStandardError = true,
            };
            using var process = Process.Start(start)!;
            var output = process.StandardOutput.ReadToEndAsync();
            var error = process.StandardError.ReadToEndAsync();
            await process.WaitForExitAsync();
            if (process.ExitCode != 0)
            {
                throw new InvalidOperationException($"dotnet publish failed: {await output}{await error}");
            }
        }

        public ValueTask DisposeAsync()
        {
            Directory.Delete(Dir, recursive: true);
            return ValueTask.CompletedTask;
        }

        public JsonObject ReadJson(string file) => JsonNode.Parse(File.ReadAllText(Path.Combine(Dir, file)))!.AsObject();

        /// <summary>functions.metadata: function name → its trigger binding.</summary>
        public Dictionary<string, JsonObject> Triggers() => JsonNode.Parse(File.ReadAllText(Path.Combine(Dir, "functions.metadata")))!.AsArray()
            .ToDictionary(f => f!["name"]!.GetValue<string>(), f => f!["bindings"]!.AsArray().Single(b => b!["type"]!.GetValue<string>().EndsWith("Trigger", StringComparison.Ordinal))!.AsObject());
    }

    private static readonly string[] HttpFunctions =
    [
        "admin-commands", "admin-commands-sync", "admin-discord-recorded", "admin-guilds", "admin-install", "admin-installs",
        "admin-invocations", "admin-logs", "admin-plugins", "admin-publisher-key-mint", "admin-publisher-key-revoke",
        "admin-publisher-keys", "admin-report", "admin-reports", "admin-upload", "admin-uninstall", "admin-versions",
        "events", "health", "interactions", "portal", "publishers-upload",
        "sandbox-channel-poll", "sandbox-channel-post", "sandbox-package", "sandbox-worker",
    ];

    [Fact]
    public void WorkerConfig_IsTheDotnetIsolatedWorker()
    {
        var description = published.ReadJson("worker.config.json")["description"]!;
        var worker = description["defaultWorkerPath"]!.GetValue<string>();

        Assert.Equal("dotnet-isolated", description["language"]!.GetValue<string>());
        Assert.Equal("Serverless.Functions.dll", worker);
        Assert.True(File.Exists(Path.Combine(published.Dir, worker)), $"{worker} is not in the publish output");
    }

    [Fact]
    public void HostJson_IsolatedWorkerWithTheLocalHostsQueueSettings()
    {
        var host = published.ReadJson("host.json");
        var queues = host["extensions"]!["queues"]!;

        Assert.Equal("2.0", host["version"]!.GetValue<string>());
        Assert.Null(host["customHandler"]);
        // The worker brings its own extensions (extensions.json); a bundle is for other languages.
        Assert.Null(host["extensionBundle"]);
        Assert.Equal(HostJson.Default.RoutePrefix, host["extensions"]!["http"]!["routePrefix"]!.GetValue<string>());
        Assert.Equal(Delivery.MaxDeliveries, queues["maxDequeueCount"]!.GetValue<int>());
        Assert.Equal(Delivery.MaxDeliveries, int.Parse(HostJson.Default.Queues["maxDequeueCount"]!, System.Globalization.CultureInfo.InvariantCulture));
    }

    [Fact]
    public void Output_Libsodium_ShippedForLinuxX64()
    {
        // Discord's Ed25519 signatures are verified by libsodium (through NSec), a native library per runtime.
        var library = Path.Combine(published.Dir, "runtimes", "linux-x64", "native", "libsodium.so");

        Assert.True(File.Exists(library), "runtimes/linux-x64/native/libsodium.so is not in the publish output");
    }

    [Fact]
    public void ExtensionsJson_HasTheStorageTriggers()
    {
        var names = published.ReadJson("extensions.json")["extensions"]!.AsArray().Select(e => e!["name"]!.GetValue<string>()).ToList();

        Assert.Contains("AzureStorageQueues", names);
        Assert.Contains("AzureStorageBlobs", names);
    }

    [Fact]
    public void FunctionsMetadata_ListsExactlyTheDesignedFunctions()
    {
        string[] designed = [.. HttpFunctions, DispatchFunction.FunctionName, PackagesFunction.FunctionName, SchedulesFunction.FunctionName];

        Assert.Equal(designed.Order(StringComparer.Ordinal), published.Triggers().Keys.Order(StringComparer.Ordinal));
    }

    [Theory]
    [InlineData("interactions", "post", "interactions", "Anonymous")]
    [InlineData("events", "post", "events", "Anonymous")]
    [InlineData("health", "get", "health", "Anonymous")]
    [InlineData("portal", "get", "portal/{*path}", "Anonymous")]
    [InlineData("admin-install", "put", "admin/guilds/{guildId}/plugins/{pluginId}", "Function")]
    [InlineData("admin-uninstall", "delete", "admin/guilds/{guildId}/plugins/{pluginId}", "Function")]
    [InlineData("admin-installs", "get", "admin/guilds/{guildId}/plugins", "Function")]
    [InlineData("admin-commands-sync", "post", "admin/guilds/{guildId}/commands/sync", "Function")]
    [InlineData("admin-commands", "get", "admin/guilds/{guildId}/commands", "Function")]
    [InlineData("admin-guilds", "get", "admin/guilds", "Function")]
    [InlineData("admin-logs", "get", "admin/plugins/{pluginId}/logs", "Function")]
    [InlineData("admin-plugins", "get", "admin/plugins", "Function")]
    [InlineData("admin-versions", "get", "admin/plugins/{pluginId}/versions", "Function")]
    [InlineData("admin-reports", "get", "admin/reports", "Function")]
    [InlineData("admin-report", "get", "admin/reports/{publisher}/{name}", "Function")]
    [InlineData("admin-upload", "post", "admin/uploads/{publisher}/{name}", "Function")]
    [InlineData("admin-invocations", "get", "admin/invocations", "Function")]
    [InlineData("admin-discord-recorded", "get", "admin/discord/recorded", "Function")]
    [InlineData("admin-publisher-key-mint", "post", "admin/publishers/{publisher}/keys", "Function")]
    [InlineData("admin-publisher-keys", "get", "admin/publishers/{publisher}/keys", "Function")]
    [InlineData("admin-publisher-key-revoke", "delete", "admin/publishers/{publisher}/keys/{keyId}", "Function")]
    // A publisher's upload grant: each request carries its publisher key instead.
    [InlineData("publishers-upload", "post", "publishers/{publisher}/uploads/{name}", "Anonymous")]
    // The Container Apps runner's callback channel: each request carries its worker's token instead.
    [InlineData("sandbox-worker", "get", "sandbox/workers/{id}", "Anonymous")]
    [InlineData("sandbox-package", "get", "sandbox/workers/{id}/package", "Anonymous")]
    [InlineData("sandbox-channel-poll", "get", "sandbox/workers/{id}/channel", "Anonymous")]
    [InlineData("sandbox-channel-post", "post", "sandbox/workers/{id}/channel", "Anonymous")]
    public void HttpFunction_RouteMethodAndAuthLevel_AsDesignedAndAsTheLocalHostServesIt(string function, string method, string route, string authLevel)
    {
        var trigger = published.Triggers()[function];
        var local = Assert.Single(HttpFunction.In(typeof(HealthFunction).Assembly.GetExportedTypes()), f => f.Name == function);

        Assert.Equal("httpTrigger", trigger["type"]!.GetValue<string>());
        Assert.Equal(route, trigger["route"]!.GetValue<string>());
        Assert.Equal([method], trigger["methods"]!.AsArray().Select(m => m!.GetValue<string>()));
        Assert.Equal(authLevel, trigger["authLevel"]!.GetValue<string>());
        Assert.Equal(route, local.Route);
        Assert.Equal([method], local.Methods!);
        Assert.Equal(authLevel, local.Level.ToString());
    }

    [Fact]
    public void HttpFunctions_AdminRoutesAndOnlyThoseNeedTheKey()
    {
        foreach (var function in HttpFunction.In(typeof(HealthFunction).Assembly.GetExportedTypes()))
        {
            Assert.True(function.Route.StartsWith("admin/", StringComparison.Ordinal) == (function.Level != Microsoft.Azure.Functions.Worker.AuthorizationLevel.Anonymous),
                $"{function.Name} ({function.Route}) is {function.Level}");
        }
    }

    [Fact]
    public void Dispatch_QueueTriggerOnInvocations_TheLocalHostWatchesTheSameQueue()
    {
        var trigger = published.Triggers()[DispatchFunction.FunctionName];
        var local = LocalTrigger<Jobs.QueueTriggerAttribute>(nameof(LocalTriggers.DispatchAsync));

        Assert.Equal("queueTrigger", trigger["type"]!.GetValue<string>());
        Assert.Equal("invocations", trigger["queueName"]!.GetValue<string>());
        Assert.Equal(StorageLayout.Connection, trigger["connection"]!.GetValue<string>());
        Assert.Equal(WorkQueueRegistration.QueueName, local.QueueName);
        Assert.Equal(StorageLayout.Connection, local.Connection);
    }

    [Fact]
    public void Packages_BlobTriggerOnUploadsThroughEventGrid_TheLocalHostPollsTheSamePath()
    {
        var trigger = published.Triggers()[PackagesFunction.FunctionName];
        var local = LocalTrigger<Jobs.BlobTriggerAttribute>(nameof(LocalTriggers.PackagesAsync));

        Assert.Equal("blobTrigger", trigger["type"]!.GetValue<string>());
        Assert.Equal("plugin-uploads/{publisher}/{name}.zip", trigger["path"]!.GetValue<string>());
        // Flex Consumption has only the Event Grid source; locally the SDK scans the container (Azurite sends no events).
        Assert.Equal("EventGrid", trigger["source"]!.GetValue<string>());
        Assert.Equal(StorageLayout.Connection, trigger["connection"]!.GetValue<string>());
        Assert.Equal(PackagesFunction.UploadPath, local.BlobPath);
        Assert.Equal(StorageLayout.Connection, local.Connection);
    }

    [Fact]
    public void Schedules_TimerEveryTenSeconds_TheLocalHostFiresOnTheSameSchedule()
    {
        var trigger = published.Triggers()[SchedulesFunction.FunctionName];
        var local = LocalTrigger<Jobs.TimerTriggerAttribute>(nameof(LocalTriggers.SchedulesAsync));

        Assert.Equal("timerTrigger", trigger["type"]!.GetValue<string>());
        Assert.Equal("*/10 * * * * *", trigger["schedule"]!.GetValue<string>());
        Assert.Equal(SchedulesFunction.Schedule, local.ScheduleExpression);
    }

    private static T LocalTrigger<T>(string method) where T : Attribute =>
        typeof(LocalTriggers).GetMethod(method)!.GetParameters().Select(p => p.GetCustomAttribute<T>()).Single(a => a is not null)!;
}
