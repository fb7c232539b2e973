using System.Text.Json.Nodes;
using Serverless.Platform.Events;
using Serverless.Platform.Invocations;
using Serverless.Platform.Packages;
using Serverless.Tests.Infrastructure;
using Serverless.Tests.Packages.Fixtures;
using Serverless.Tests.Sandbox;

namespace Serverless.Tests.Invocations;

/// <summary>
/// Every grantable capability gates something: a host API method (here, real plugin code in Docker makes the
/// call with every capability but that one, and is refused), or message content at fan-out
/// (<c>messages:read_content</c>: EndToEndEventTests.MessageCreate_Injected_ReachesSubscribersWithContentOnlyWhenGrantedAndNotOthers).
/// </summary>
[Collection("Docker")]
public sealed class CapabilityTests(Azurite azurite, DockerFixture docker)
{
    /// <summary>Each capability the host API checks, with the method it guards and the SDK call that reaches it.</summary>
    public static TheoryData<string, string> Gated => new()
    {
        { "interaction:respond", "interaction.respond" },
        { "messages:send", "discord.send_message" },
        { "reactions:add", "discord.add_reaction" },
        { "reactions:remove", "discord.remove_reaction" },
        { "roles:add", "discord.add_role" },
        { "roles:remove", "discord.remove_role" },
        { "events:emit", "events.emit" },
    };

    private const string Code = """
        calls = {
            "interaction.respond": lambda ctx: ctx.interaction.respond(content="hi"),
            "discord.send_message": lambda ctx: ctx.discord.send_message("42", content="hi"),
            "discord.add_reaction": lambda ctx: ctx.discord.add_reaction("42", "43", "👍"),
            "discord.remove_reaction": lambda ctx: ctx.discord.remove_reaction("42", "43", "👍"),
            "discord.add_role": lambda ctx: ctx.discord.add_role("44", "45"),
            "discord.remove_role": lambda ctx: ctx.discord.remove_role("44", "45"),
            "events.emit": lambda ctx: ctx.emit(ctx.plugin_id + ".done", {}),
        }

        @plugin.on_slash_command("try")
        def attempt(ctx, event):
            try:
                calls[event["method"]](ctx)
                ctx.log("allowed")
            except CapabilityError as error:
                ctx.log(f"refused {error.capability}: {error.message}")
        """;

    [Fact]
    public void Known_EveryGrantableCapability_GatesAHostMethodOrMessageContent()
    {
        var gated = Gated.Select(row => row.Data).ToList();

        Assert.All(gated, row => Assert.Equal(row.Item1, HostApi.CapabilityFor(row.Item2)));
        Assert.Equal(Capabilities.Known.Order(StringComparer.Ordinal), gated.Select(row => row.Item1).Append(EventContent.ReadContent).Order(StringComparer.Ordinal));
        Assert.Null(HostApi.CapabilityFor("kv.set"));
        Assert.DoesNotContain(Capabilities.Kv, Capabilities.Known);
    }

    [Theory]
    [MemberData(nameof(Gated))]
    public async Task Invoke_CallWithoutItsCapability_RefusedAndNothingDoneButAllowedWithIt(string capability, string method)
    {
        await using var rig = await InvocationRig.StartAsync(azurite, docker);
        var id = "cap_" + Guid.NewGuid().ToString("N")[..10];
        var manifest = PluginZip.GreetManifest(id);
        manifest["capabilities_required"] = new JsonArray(Capabilities.Known.Select(c => (JsonNode)c).ToArray());
        manifest["slash_commands"]![0]!["name"] = "try";
        manifest["slash_commands"]![0]!["options"] = new JsonArray();
        var report = await rig.PublishAsync("acme", id, PluginZip.Build(new Dictionary<string, object> { ["manifest.json"] = manifest, ["plugin.py"] = Code }));
        Assert.True(report["status"]!.GetValue<string>() == "published", report.ToJsonString());
        var without = InvocationRig.Install(id, "1.0.0", [.. Capabilities.Known.Where(c => c != capability)]);
        var with = InvocationRig.Install(id, "1.0.0", [.. Capabilities.Known]);
        var refusedRouter = new RecordingRouter();
        var allowedRouter = new RecordingRouter();
        var @event = new JsonObject { ["method"] = method };

        var refused = await rig.Invoker.InvokeAsync(new PluginInvocation("inv-without", PluginInvocation.SlashCommand, "try", @event, without), refusedRouter, CancellationToken.None);
        var allowed = await rig.Invoker.InvokeAsync(new PluginInvocation("inv-with", PluginInvocation.SlashCommand, "try", @event, with), allowedRouter, CancellationToken.None);

        Assert.Equal(InvocationStatus.Handled, refused.Status);
        Assert.DoesNotContain(refusedRouter.Calls, c => c.Method == method);
        var log = await rig.LogsAsync(without);
        Assert.Contains(log, l => l.Message == $"refused {capability}: capability '{capability}' not granted");
        Assert.Contains(log, l => l.Level == "warning" && l.Message == $"{method} refused: capability '{capability}' not granted to this install");
        Assert.Equal(InvocationStatus.Handled, allowed.Status);
        Assert.Contains(allowedRouter.Calls, c => c.Method == method);
        Assert.Contains(await rig.LogsAsync(with), l => l.Message == "allowed");
    }
}
