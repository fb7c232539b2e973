using System.Diagnostics;
using System.Text.Json.Nodes;
using Serverless.Functions.Dispatch;
using Serverless.Functions.Packages;
using Serverless.Functions.Schedules;
using Serverless.Functions.WorkQueue;
using Serverless.Tests.Infrastructure;

namespace Serverless.Tests.Hosting;

/// <summary>
/// The publish output must be what the custom-handler host loads: host.json and the executable at the
/// root, one folder per function with its function.json, binding names that match the code.
/// </summary>
[Collection(PublishCollection.Name)]
public sealed class PublishLayoutTests : IClassFixture<PublishLayoutTests.Published>
{
    private readonly Published _published;

    public PublishLayoutTests(Published published) => _published = published;

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

        public JsonObject ReadJson(params string[] path) => JsonNode.Parse(File.ReadAllText(Path.Combine([Dir, .. path])))!.AsObject();
    }

    [Fact]
    public void HostJson_NamesTheExecutableAndForwardsHttp()
    {
        var host = _published.ReadJson("host.json");
        var handler = host["customHandler"]!.AsObject();
        var executable = handler["description"]!["defaultExecutablePath"]!.GetValue<string>();

        Assert.Equal("2.0", host["version"]!.GetValue<string>());
        Assert.True(handler["enableForwardingHttpRequest"]!.GetValue<bool>());
        var path = Path.Combine(_published.Dir, executable);
        Assert.True(File.Exists(path), $"{executable} is not in the publish output");
        Assert.True(OperatingSystem.IsWindows() || File.GetUnixFileMode(path).HasFlag(UnixFileMode.UserExecute), $"{executable} is not executable");
        Assert.Equal("api", host["extensions"]!["http"]!["routePrefix"]!.GetValue<string>());
    }

    [Fact]
    public void HostJson_QueueTriggerDeadLettersAfterAsManyTriesAsTheLocalPump()
    {
        var queues = _published.ReadJson("host.json")["extensions"]!["queues"]!;

        Assert.Equal(DispatchFunction.MaxDeliveries, queues["maxDequeueCount"]!.GetValue<int>());
        Assert.Equal(LocalQueuePump.MaxDequeueCount, queues["maxDequeueCount"]!.GetValue<int>());
    }

    [Fact]
    public void Output_Libsodium_ShippedForLinuxX64()
    {
        // Discord's Ed25519 signatures are verified by libsodium (through NSec), a native library per runtime.
        var library = Path.Combine(_published.Dir, "runtimes", "linux-x64", "native", "libsodium.so");

        Assert.True(File.Exists(library), "runtimes/linux-x64/native/libsodium.so is not in the publish output");
    }

    [Fact]
    public void FunctionFolders_AreExactlyTheDesignedFunctions()
    {
        var folders = Directory.GetDirectories(_published.Dir)
            .Where(d => File.Exists(Path.Combine(d, "function.json")))
            .Select(d => Path.GetFileName(d)!)
            .Order()
            .ToArray();

        Assert.Equal(["admin", "dispatch", "events", "health", "interactions", "packages", "portal", "publishers", "sandbox", "schedules"], folders);
        Assert.False(Directory.Exists(Path.Combine(_published.Dir, "FunctionBindings")), "binding sources leaked into the output");
    }

    [Theory]
    [InlineData("interactions", "interactions", "anonymous")]
    [InlineData("events", "events", "anonymous")]
    [InlineData("health", "health", "anonymous")]
    [InlineData("admin", "admin/{*path}", "function")]
    // The Container Apps runner's callback channel: each request carries its worker's token instead.
    [InlineData("sandbox", "sandbox/{*path}", "anonymous")]
    [InlineData("portal", "portal/{*path}", "anonymous")]
    // A publisher's upload grant: each request carries its publisher key instead.
    [InlineData("publishers", "publishers/{*path}", "anonymous")]
    public void HttpFunction_RouteAndAuthLevel(string function, string route, string authLevel)
    {
        var bindings = _published.ReadJson(function, "function.json")["bindings"]!.AsArray();
        var trigger = bindings.Single(b => b!["type"]!.GetValue<string>() == "httpTrigger")!;

        Assert.Equal(route, trigger["route"]!.GetValue<string>());
        Assert.Equal(authLevel, trigger["authLevel"]!.GetValue<string>());
        // Forwarding the raw request needs exactly an HTTP trigger and an HTTP output, nothing else.
        Assert.Equal(2, bindings.Count);
        Assert.Contains(bindings, b => b!["type"]!.GetValue<string>() == "http" && b["direction"]!.GetValue<string>() == "out");
    }

    [Theory]
    [InlineData(DispatchFunction.FunctionName, "queueTrigger", DispatchFunction.MessageBinding)]
    [InlineData(SchedulesFunction.FunctionName, "timerTrigger", SchedulesFunction.TimerBinding)]
    [InlineData(PackagesFunction.FunctionName, "blobTrigger", PackagesFunction.UploadBinding)]
    public void TriggeredFunction_BindingNameMatchesCode(string function, string type, string bindingName)
    {
        var trigger = _published.ReadJson(function, "function.json")["bindings"]!.AsArray().Single()!;

        Assert.Equal(type, trigger["type"]!.GetValue<string>());
        Assert.Equal(bindingName, trigger["name"]!.GetValue<string>());
    }

    [Fact]
    public void TriggerSources_MatchTheDesign()
    {
        var dispatch = _published.ReadJson("dispatch", "function.json")["bindings"]![0]!;
        var packages = _published.ReadJson("packages", "function.json")["bindings"]![0]!;

        Assert.Equal("invocations", dispatch["queueName"]!.GetValue<string>());
        Assert.Equal($"{UploadRef.Container}/{{publisher}}/{{name}}.zip", packages["path"]!.GetValue<string>());
    }
}
