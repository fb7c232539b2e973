using System.Text.Json.Nodes;
using Serverless.Platform.Invocations;
using Serverless.Tests.Infrastructure;
using Serverless.Tests.Packages.Fixtures;
using Serverless.Tests.Sandbox;

namespace Serverless.Tests.Invocations;

/// <summary>What a plugin's log shows when its handler raises: real plugin code in the Docker sandbox.</summary>
[Collection("Docker")]
public sealed class HandlerFailureLogTests(Azurite azurite, DockerFixture docker)
{
    [Fact]
    public async Task Invoke_HandlerRaises_OneErrorEntryWithItsTraceback()
    {
        await using var rig = await InvocationRig.StartAsync(azurite, docker);
        var id = "fail_" + Guid.NewGuid().ToString("N")[..10];
        const string code = """
            from mmo_maid_sdk import Plugin

            plugin = Plugin()

            def check(value):
                raise ValueError(f"bad input {value}")

            @plugin.on_slash_command("greet")
            def greet(ctx, event):
                ctx.log("before")
                check(42)
            """;
        Assert.Equal("published", (await rig.PublishAsync("acme", id, PluginZip.Build(new Dictionary<string, object> { ["manifest.json"] = PluginZip.GreetManifest(id), ["plugin.py"] = code })))["status"]!.GetValue<string>());
        var install = InvocationRig.Install(id);

        var outcome = await rig.Invoker.InvokeAsync(new PluginInvocation("inv-1", PluginInvocation.SlashCommand, "greet", new JsonObject(), install), null, CancellationToken.None);

        Assert.Equal(InvocationStatus.Failed, outcome.Status);
        var logs = await rig.LogsAsync(install);
        Assert.True(logs.Count == 2, string.Join("\n---\n", logs.Select(l => $"{l.Level} {l.Message}")));
        Assert.Equal(("info", "before"), (logs[0].Level, logs[0].Message));
        var entry = logs[1];
        Assert.Equal("error", entry.Level);
        Assert.Equal("inv-1", entry.Invocation);
        var lines = entry.Message.Split('\n');
        Assert.Equal("slash_command 'greet' failed: ValueError: bad input 42", lines[0]);
        Assert.Equal("Traceback (most recent call last):", lines[1]);
        Assert.Contains(lines, l => l.Contains("check(42)", StringComparison.Ordinal));
        Assert.Contains(lines, l => l.Contains("raise ValueError(f\"bad input {value}\")", StringComparison.Ordinal));
        Assert.Equal("ValueError: bad input 42", lines[^1]);
    }
}
