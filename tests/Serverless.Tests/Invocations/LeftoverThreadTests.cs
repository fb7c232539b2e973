using System.Text.Json.Nodes;
using Serverless.Platform.Invocations;
using Serverless.Platform.Sandbox;
using Serverless.Tests.Infrastructure;
using Serverless.Tests.Packages.Fixtures;
using Serverless.Tests.Sandbox;

namespace Serverless.Tests.Invocations;

/// <summary>
/// A thread a handler leaves behind keeps the process's protocol pipe. Hostile code skips the SDK (whose
/// closed ctx would stop it) and writes raw requests naming its finished invocation while the next one runs
/// on the same warm worker: in pool mode another guild's. The host must serve neither.
/// </summary>
[Collection("Docker")]
public sealed class LeftoverThreadTests(Azurite azurite, DockerFixture docker)
{
    private const string Code = """
        import json, threading, time
        from serverless_sdk.rpc import _Pending

        @plugin.on_slash_command("leave")
        def leave(ctx, event):
            channel, stale = ctx._host, ctx.invocation_id
            def later():
                time.sleep(1.5)
                # Raw lines on the runner's protocol writer: what any code in the process can do.
                answer = _Pending()
                channel._pending["stray-1"] = answer
                with channel._write_lock:
                    for message in (
                        {"jsonrpc": "2.0", "method": "log", "params": {"invocation_id": stale, "level": "info", "message": "stray log line"}},
                        {"jsonrpc": "2.0", "id": "stray-1", "method": "kv.set", "params": {"invocation_id": stale, "key": "stolen", "value": "by a leftover thread"}},
                    ):
                        channel._out.write((json.dumps(message) + "\n").encode())
                    channel._out.flush()
                answer.done.wait(10)
                with open("/tmp/stray.json", "w") as f:
                    json.dump(answer.message, f)
            threading.Thread(target=later, daemon=True).start()
            ctx.interaction.respond(content="left a thread")

        @plugin.on_slash_command("wait")
        def wait(ctx, event):
            time.sleep(3)
            ctx.interaction.respond(content="waited")

        @plugin.on_slash_command("report")
        def report(ctx, event):
            with open("/tmp/stray.json") as f:
                ctx.interaction.respond(content=f.read())
        """;

    private static byte[] Zip(string id)
    {
        var manifest = PluginZip.Manifest(id, extra: new JsonObject
        {
            ["capabilities_required"] = new JsonArray("interaction:respond"),
            ["slash_commands"] = new JsonArray(
                new JsonObject { ["name"] = "leave", ["description"] = "leaves a thread behind" },
                new JsonObject { ["name"] = "wait", ["description"] = "runs for three seconds" },
                new JsonObject { ["name"] = "report", ["description"] = "tells what the thread was answered" }),
        });
        return PluginZip.Build(new Dictionary<string, object> { ["manifest.json"] = manifest, ["plugin.py"] = Code });
    }

    private static PluginInvocation Command(string name, InstallContext install) =>
        new("inv-" + name + "-" + Guid.NewGuid().ToString("N")[..6], PluginInvocation.SlashCommand, name, new JsonObject(), install);

    private async Task<(InvocationRig Rig, string Id)> PublishAsync(SandboxPoolMode mode)
    {
        var rig = await InvocationRig.StartAsync(azurite, docker, poolMode: mode);
        var id = "stray_" + Guid.NewGuid().ToString("N")[..10];
        var report = await rig.PublishAsync("acme", id, Zip(id));
        Assert.True(report["status"]!.GetValue<string>() == "published", report.ToJsonString());
        return (rig, id);
    }

    /// <summary>Runs leave (on <paramref name="first"/>), wait (on <paramref name="next"/>, while the stray call comes), report; returns what the thread was answered.</summary>
    private static async Task<JsonObject> RunAsync(InvocationRig rig, InstallContext first, InstallContext next, RecordingRouter router)
    {
        var leave = Command("leave", first);
        Assert.Equal(InvocationStatus.Handled, (await rig.Invoker.InvokeAsync(leave, router, CancellationToken.None)).Status);
        var wait = await rig.Invoker.InvokeAsync(Command("wait", next), router, CancellationToken.None);
        Assert.Equal(InvocationStatus.Handled, wait.Status);
        Assert.True(wait.Warm, "the second invocation must run on the worker the thread was left on");
        await rig.Invoker.InvokeAsync(Command("report", first), router, CancellationToken.None);
        var answer = router.Calls.Last(c => c.Method == "interaction.respond").Params["content"]!.GetValue<string>();
        return JsonNode.Parse(answer)!.AsObject();
    }

    [Fact]
    public async Task Invoke_PoolModeLeftoverThreadCallsAfterItsInvocationEnded_RefusedInEitherGuild()
    {
        var (rig, id) = await PublishAsync(SandboxPoolMode.PerVersion);
        await using var _ = rig;
        var guildA = InvocationRig.Install(id);
        var guildB = InvocationRig.Install(id);
        var router = new RecordingRouter();

        var answer = await RunAsync(rig, guildA, guildB, router);

        Assert.Equal(1, rig.Pool.Count);
        Assert.Null(await rig.Kv.GetAsync(guildB.InstallId, "stolen", CancellationToken.None));
        Assert.Null(await rig.Kv.GetAsync(guildA.InstallId, "stolen", CancellationToken.None));
        Assert.Equal(JsonRpcException.InvocationNotRunning, answer["error"]?["code"]?.GetValue<int>());
        Assert.Contains("has finished", answer["error"]?["message"]?.GetValue<string>());
        var logA = await rig.LogsAsync(guildA);
        Assert.Contains(logA, l => l.Level == "warning" && l.Message.StartsWith("kv.set refused: invocation ", StringComparison.Ordinal) && l.Message.Contains("has finished"));
        Assert.Contains(logA, l => l.Level == "warning" && l.Message.StartsWith("log refused: invocation ", StringComparison.Ordinal));
        var logB = await rig.LogsAsync(guildB);
        Assert.DoesNotContain(logA.Concat(logB), l => l.Message.Contains("stray log line"));
        Assert.DoesNotContain(logB, l => l.Message.Contains("refused"));
    }

    [Fact]
    public async Task Invoke_PerInstallLeftoverThreadCallsDuringTheNextInvocation_Refused()
    {
        var (rig, id) = await PublishAsync(SandboxPoolMode.PerInstall);
        await using var _ = rig;
        var install = InvocationRig.Install(id);
        var router = new RecordingRouter();

        var answer = await RunAsync(rig, install, install, router);

        Assert.Null(await rig.Kv.GetAsync(install.InstallId, "stolen", CancellationToken.None));
        Assert.Equal(JsonRpcException.InvocationNotRunning, answer["error"]?["code"]?.GetValue<int>());
        var log = await rig.LogsAsync(install);
        Assert.Contains(log, l => l.Level == "warning" && l.Message.StartsWith("kv.set refused: invocation ", StringComparison.Ordinal));
        Assert.DoesNotContain(log, l => l.Message.Contains("stray log line"));
    }
}
