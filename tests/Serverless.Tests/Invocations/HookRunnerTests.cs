using System.Text;
using System.Text.Json.Nodes;
using Microsoft.Extensions.Logging.Abstractions;
using Serverless.Platform.Hosting;
using Serverless.Platform.Invocations;
using Serverless.Platform.Packages;
using Serverless.Platform.Sandbox;
using Serverless.Tests.Infrastructure;
using Serverless.Tests.Packages.Fixtures;
using Serverless.Tests.Sandbox;

namespace Serverless.Tests.Invocations;

/// <summary>Counts the workers a driver was asked for: a constant hook must ask for none.</summary>
internal sealed class CountingDriver(ISandboxDriver inner) : ISandboxDriver
{
    private int started;

    public int Started => Volatile.Read(ref started);

    public string Name => inner.Name;

    public Task<SandboxWorker> StartWorkerAsync(SandboxWorkerSpec spec, CancellationToken cancellationToken)
    {
        Interlocked.Increment(ref started);
        return inner.StartWorkerAsync(spec, cancellationToken);
    }

    public Task<int> RemoveLeftoversAsync(CancellationToken cancellationToken) => inner.RemoveLeftoversAsync(cancellationToken);
}

/// <summary>A manifest's hooks (docs/protocol.md §9) through the real Docker sandbox.</summary>
[Collection("Docker")]
public sealed class HookRunnerTests(Azurite azurite, DockerFixture docker)
{
    private static readonly JsonObject Argument = new() { ["command_name"] = "roll", ["options"] = new JsonArray(new JsonObject { ["name"] = "sides", ["value"] = 6 }), ["note"] = "quotes \" and spaces" };

    private const string EchoScript = """
        #!/bin/sh
        # argv: the manifest's args, then the hook id, then the argument
        printf '%s|%s|%s|%s\n' "$#" "$1" "$2" "$3"
        echo "to the log" >&2
        """;

    private const string PythonHook = """
        import base64, json, sys
        hook_id, argument = sys.argv[1], json.loads(base64.b64decode(sys.argv[2]))
        print(json.dumps({"content": f"{hook_id}: d{argument['options'][0]['value']}", "ephemeral": True}))
        """;

    private async Task<(HookRunner Runner, CountingDriver Driver, PluginLogs Logs)> RigAsync(TimeSpan? wallTime = null)
    {
        docker.Require();
        await new StorageLayout(azurite.Blobs, azurite.Queues, azurite.Tables, NullLogger<StorageLayout>.Instance).EnsureAsync(CancellationToken.None);
        var options = docker.Options with { Limits = SandboxLimits.Default with { WallTime = wallTime ?? TimeSpan.FromSeconds(10) } };
        var driver = new CountingDriver(new DockerSandboxDriver(docker.Client, options, NullLogger<DockerSandboxDriver>.Instance));
        var logs = new PluginLogs(azurite.Tables, TimeProvider.System);
        return (new HookRunner(driver, logs, NullLogger.Instance), driver, logs);
    }

    private static PluginPackage Package(JsonObject hooks, bool rawTransfer = false, IReadOnlyDictionary<string, string>? files = null)
    {
        var manifest = PluginZip.Manifest("hooks_" + Guid.NewGuid().ToString("N")[..8], extra: new JsonObject { ["hooks"] = hooks, ["raw_transfer"] = rawTransfer });
        var parsed = ManifestParser.Parse(Encoding.UTF8.GetBytes(manifest.ToJsonString()));
        Assert.True(parsed.IsValid, string.Join("; ", parsed.Errors.Select(e => e.Message)));
        var directory = Directory.CreateTempSubdirectory("hook-plugin-").FullName;
        File.WriteAllText(Path.Combine(directory, "manifest.json"), manifest.ToJsonString());
        foreach (var (name, content) in files ?? new Dictionary<string, string>())
        {
            var path = Path.Combine(directory, name);
            Directory.CreateDirectory(Path.GetDirectoryName(path)!);
            File.WriteAllText(path, content.Replace("\r\n", "\n"));
            if (!OperatingSystem.IsWindows())
            {
                File.SetUnixFileMode(path, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
            }
        }
        PluginFiles.MakeReadableBySandbox(directory);
        return new PluginPackage(parsed.Manifest!, directory);
    }

    private async Task<int> OurContainersAsync() =>
        (await docker.ContainersAsync($"{ContainerSpec.PlatformLabel}={docker.PlatformName}")).Count;

    [Fact]
    public async Task Run_ConstantHook_AnswersWithoutAnySandbox()
    {
        var (runner, driver, _) = await RigAsync();
        var package = Package(new JsonObject { ["roll"] = new JsonObject { ["constant"] = new JsonObject { ["content"] = "always 4", ["ephemeral"] = true } } });

        var outcome = await runner.RunAsync(package, null, "roll", Argument, "inv-1", TestContext.Current.CancellationToken);

        Assert.Equal(HookStatus.Constant, outcome.Status);
        Assert.False(outcome.StartedSandbox);
        Assert.Equal(0, driver.Started);
        Assert.Equal(0, await OurContainersAsync());
        Assert.Equal("""{"content":"always 4","ephemeral":true}""", HookRunner.ToMessage(outcome.Value)!.ToJsonString());
    }

    [Fact]
    public async Task Run_ShellHook_ReceivesArgsHookIdAndBase64Argument()
    {
        var (runner, driver, logs) = await RigAsync();
        var package = Package(
            new JsonObject { ["roll"] = new JsonObject { ["executable"] = "${PLUGIN_DIR}/bin/echo.sh", ["args"] = new JsonArray("--dir=${PLUGIN_DIR}") } },
            files: new Dictionary<string, string> { ["bin/echo.sh"] = EchoScript });

        var outcome = await runner.RunAsync(package, null, "roll", Argument, "inv-2", TestContext.Current.CancellationToken);

        Assert.Equal(HookStatus.Succeeded, outcome.Status);
        Assert.Equal(1, driver.Started);
        var expected = Convert.ToBase64String(Encoding.UTF8.GetBytes(Argument.ToJsonString()));
        Assert.Equal($"3|--dir=/plugin|roll|{expected}", outcome.Output);
        Assert.Equal(0, await OurContainersAsync());
        var log = await logs.ReadAsync(package.Manifest.Id, null, 10, CancellationToken.None);
        Assert.Contains(log, entry => entry.Message == "to the log" && entry.Invocation == "inv-2");
    }

    [Fact]
    public async Task Run_RawTransfer_PassesTheJsonUnencoded()
    {
        var (runner, _, _) = await RigAsync();
        var package = Package(
            new JsonObject { ["roll"] = new JsonObject { ["executable"] = "${PLUGIN_DIR}/echo.sh" } },
            rawTransfer: true,
            files: new Dictionary<string, string> { ["echo.sh"] = EchoScript });

        var outcome = await runner.RunAsync(package, null, "roll", Argument, null, TestContext.Current.CancellationToken);

        Assert.Equal($"2|roll|{Argument.ToJsonString()}|", outcome.Output);
    }

    [Fact]
    public async Task Run_PythonHook_StdoutJsonBecomesTheAnswer()
    {
        var (runner, _, _) = await RigAsync();
        var package = Package(
            new JsonObject { ["roll"] = new JsonObject { ["executable"] = "python3", ["args"] = new JsonArray("${PLUGIN_DIR}/hook.py") } },
            files: new Dictionary<string, string> { ["hook.py"] = PythonHook });

        var outcome = await runner.RunAsync(package, null, "roll", Argument, null, TestContext.Current.CancellationToken);

        Assert.Equal(HookStatus.Succeeded, outcome.Status);
        Assert.Equal("""{"content":"roll: d6","ephemeral":true}""", HookRunner.ToMessage(outcome.Value)!.ToJsonString());
    }

    [Fact]
    public async Task Run_HookLoopsForever_KilledAtWallTime()
    {
        var (runner, _, logs) = await RigAsync(wallTime: TimeSpan.FromSeconds(2));
        var package = Package(new JsonObject { ["roll"] = new JsonObject { ["executable"] = "python3", ["args"] = new JsonArray("-c", "while True: pass") } });

        var outcome = await runner.RunAsync(package, null, "roll", Argument, "inv-loop", TestContext.Current.CancellationToken);

        Assert.Equal(HookStatus.TimedOut, outcome.Status);
        Assert.InRange(outcome.Duration, TimeSpan.FromSeconds(2), TimeSpan.FromSeconds(8));
        Assert.Equal(0, await OurContainersAsync());
        var log = await logs.ReadAsync(package.Manifest.Id, null, 10, CancellationToken.None);
        Assert.Contains(log, entry => entry.Level == "error" && entry.Message.Contains("wall", StringComparison.OrdinalIgnoreCase));
    }

    [Fact]
    public async Task Run_HookExitsNonZero_FailedWithExitCode()
    {
        var (runner, _, _) = await RigAsync();
        var package = Package(new JsonObject { ["roll"] = new JsonObject { ["executable"] = "python3", ["args"] = new JsonArray("-c", "import sys; sys.exit(3)") } });

        var outcome = await runner.RunAsync(package, null, "roll", Argument, null, TestContext.Current.CancellationToken);

        Assert.Equal(HookStatus.Failed, outcome.Status);
        Assert.Contains("code 3", outcome.Error);
    }

    [Fact]
    public async Task Invoke_SlashCommandNamedLikeAHook_HookAnswersThroughTheRouter()
    {
        await using var rig = await InvocationRig.StartAsync(azurite, docker);
        var id = "hooked_" + Guid.NewGuid().ToString("N")[..8];
        var manifest = PluginZip.Manifest(id, extra: new JsonObject
        {
            ["capabilities_required"] = new JsonArray("interaction:respond"),
            ["slash_commands"] = new JsonArray(new JsonObject { ["name"] = "roll", ["description"] = "Roll a die" }),
            ["hooks"] = new JsonObject { ["roll"] = new JsonObject { ["executable"] = "${PLUGIN_DIR}/roll.sh" } },
        });
        var report = await rig.PublishAsync("acme", id, PluginZip.Build(new Dictionary<string, object>
        {
            ["manifest.json"] = manifest,
            ["roll.sh"] = "#!/bin/sh\necho \"rolled by $1\"\n",
        }));
        Assert.Equal("published", report["status"]!.GetValue<string>());
        var router = new RecordingRouter();

        var outcome = await rig.Invoker.InvokeAsync(new PluginInvocation("inv-h", PluginInvocation.SlashCommand, "roll", new JsonObject { ["interaction_id"] = "9" }, InvocationRig.Install(id)), router, CancellationToken.None);

        Assert.Equal(InvocationStatus.Handled, outcome.Status);
        var respond = Assert.Single(router.Calls, c => c.Method == "interaction.respond").Params;
        Assert.Equal("rolled by roll", respond["content"]!.GetValue<string>());
    }
}
