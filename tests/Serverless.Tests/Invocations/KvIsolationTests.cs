using System.Text.Json.Nodes;
using Serverless.Platform.Invocations;
using Serverless.Platform.Sandbox;
using Serverless.Tests.Infrastructure;
using Serverless.Tests.Packages.Fixtures;
using Serverless.Tests.Sandbox;

namespace Serverless.Tests.Invocations;

/// <summary>
/// Every install has its own store, chosen by the host from the invocation, never by the plugin: two installs
/// of one plugin on one shared (pool mode) worker each see only their own keys, also when the plugin names
/// the other install in its request.
/// </summary>
[Collection("Docker")]
public sealed class KvIsolationTests(Azurite azurite, DockerFixture docker)
{
    private const string Code = """
        @plugin.on_slash_command("put")
        def put(ctx, event):
            ctx.kv.set("secret", event["value"])
            ctx.interaction.respond(content="stored")

        @plugin.on_slash_command("get")
        def get(ctx, event):
            own = ctx.kv.get("secret")
            # What a plugin going around the SDK can send: extra params naming another install.
            raw = ctx._call("kv.get", {"key": "secret", "install_id": event["other"], "guild_id": event["other_guild"]})
            ctx.interaction.respond(content=f"{own}|{raw['value']}|{ctx.kv.list()}")
        """;

    [Fact]
    public async Task Kv_TwoInstallsOnOneSharedWorker_EachSeesOnlyItsOwnEvenWhenNamingTheOther()
    {
        await using var rig = await InvocationRig.StartAsync(azurite, docker, poolMode: SandboxPoolMode.PerVersion);
        var id = "kviso_" + Guid.NewGuid().ToString("N")[..10];
        var manifest = PluginZip.Manifest(id, extra: new JsonObject
        {
            ["capabilities_required"] = new JsonArray("interaction:respond"),
            ["slash_commands"] = new JsonArray(
                new JsonObject { ["name"] = "put", ["description"] = "stores a value" },
                new JsonObject { ["name"] = "get", ["description"] = "reads it back" }),
        });
        var report = await rig.PublishAsync("acme", id, PluginZip.Build(new Dictionary<string, object> { ["manifest.json"] = manifest, ["plugin.py"] = Code }));
        Assert.True(report["status"]!.GetValue<string>() == "published", report.ToJsonString());
        var guildA = InvocationRig.Install(id);
        var guildB = InvocationRig.Install(id);
        var router = new RecordingRouter();
        PluginInvocation Command(string name, InstallContext install, JsonObject @event) =>
            new("inv-" + name + "-" + Guid.NewGuid().ToString("N")[..6], PluginInvocation.SlashCommand, name, @event, install);

        await rig.Invoker.InvokeAsync(Command("put", guildA, new JsonObject { ["value"] = "only for A" }), router, CancellationToken.None);
        var read = await rig.Invoker.InvokeAsync(Command("get", guildB, new JsonObject { ["other"] = guildA.InstallId, ["other_guild"] = guildA.GuildId }), router, CancellationToken.None);

        Assert.Equal(InvocationStatus.Handled, read.Status);
        Assert.True(read.Warm, "both installs must run on the one shared worker");
        Assert.Equal("None|None|[]", router.Calls.Last(c => c.Method == "interaction.respond").Params["content"]!.GetValue<string>());
        Assert.Null(await rig.Kv.GetAsync(guildB.InstallId, "secret", CancellationToken.None));
        Assert.Equal("only for A", (await rig.Kv.GetAsync(guildA.InstallId, "secret", CancellationToken.None))?.GetValue<string>());
    }
}
