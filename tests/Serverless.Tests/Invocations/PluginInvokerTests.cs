using System.Text.Json.Nodes;
using Serverless.Platform.Invocations;
using Serverless.Platform.Packages;
using Serverless.Tests.Infrastructure;
using Serverless.Tests.Packages.Fixtures;
using Serverless.Tests.Sandbox;

namespace Serverless.Tests.Invocations;

/// <summary>
/// The SDK's reference examples (sandbox/sdk/tests/seed_examples), byte for byte, published from a zip and run through the
/// Docker sandbox: their effects (interaction calls, kv writes, logs) are asserted on the host side.
/// </summary>
[Collection("Docker")]
public sealed class PluginInvokerTests(Azurite azurite, DockerFixture docker)
{
    /// <summary>The reference examples' manifest (01) and their code snippets concatenated (02–08), byte for byte.</summary>
    public static byte[] SeedPluginZip(string id)
    {
        var examples = Path.Combine(RepoPaths.Root, "sandbox", "sdk", "tests", "seed_examples");
        var manifest = JsonNode.Parse(File.ReadAllText(Path.Combine(examples, "01_manifest.json")))!.AsObject();
        manifest["id"] = id;
        return PluginZip.Build(new Dictionary<string, object>
        {
            ["manifest.json"] = manifest,
            ["plugin.py"] = File.ReadAllText(Path.Combine(examples, "seed_plugin", "plugin.py")),
        });
    }

    private static string NewId() => "seed_" + Guid.NewGuid().ToString("N")[..10];

    private async Task<(InvocationRig Rig, string Id)> PublishSeedAsync(TimeSpan? wallTime = null)
    {
        var rig = await InvocationRig.StartAsync(azurite, docker, wallTime);
        var id = NewId();
        var report = await rig.PublishAsync("acme", id, SeedPluginZip(id));
        Assert.Equal("published", report["status"]!.GetValue<string>());
        return (rig, id);
    }

    [Fact]
    public async Task Invoke_SeedGreetWithOptions_RespondsWithMention()
    {
        var (rig, id) = await PublishSeedAsync();
        await using var _ = rig;
        var router = new RecordingRouter();
        var install = InvocationRig.Install(id);
        var @event = JsonNode.Parse("""{"interaction_id":"111","command_name":"greet","options":[{"name":"user","type":6,"value":"123"},{"name":"message","type":3,"value":"hi"}]}""")!.AsObject();

        var outcome = await rig.Invoker.InvokeAsync(new PluginInvocation("inv-1", PluginInvocation.SlashCommand, "greet", @event, install), router, CancellationToken.None);
        var defaulted = await rig.Invoker.InvokeAsync(new PluginInvocation("inv-2", PluginInvocation.SlashCommand, "greet", JsonNode.Parse("""{"interaction_id":"112","options":[{"name":"user","type":6,"value":"9"}]}""")!.AsObject(), install), router, CancellationToken.None);

        Assert.Equal(InvocationStatus.Handled, outcome.Status);
        Assert.False(outcome.Warm);
        Assert.True(defaulted.Warm);
        var responses = router.Calls.Where(c => c.Method == "interaction.respond").Select(c => c.Params["content"]!.GetValue<string>()).ToArray();
        Assert.Equal(["<@123> hi", "<@9> Hey there!"], responses);
    }

    [Fact]
    public async Task Invoke_SeedFeedbackModalThenSubmit_SendsModalAndWritesKv()
    {
        var (rig, id) = await PublishSeedAsync();
        await using var _ = rig;
        var router = new RecordingRouter();
        var install = InvocationRig.Install(id);

        await rig.Invoker.InvokeAsync(new PluginInvocation("inv-1", PluginInvocation.SlashCommand, "feedback", new JsonObject { ["interaction_id"] = "201" }, install), router, CancellationToken.None);
        var submit = JsonNode.Parse("""{"interaction_id":"202","custom_id":"feedback_form","modal_values":{"subject":"Great","details":"More cats"}}""")!.AsObject();
        var outcome = await rig.Invoker.InvokeAsync(new PluginInvocation("inv-2", PluginInvocation.ModalSubmit, "feedback_form", submit, install), router, CancellationToken.None);

        Assert.Equal(InvocationStatus.Handled, outcome.Status);
        var modal = Assert.Single(router.Calls, c => c.Method == "interaction.send_modal").Params;
        Assert.Equal("feedback_form", modal["custom_id"]!.GetValue<string>());
        Assert.Equal(2, modal["components"]!.AsArray().Count);
        var stored = await rig.Kv.GetAsync(install.InstallId, "feedback:202", CancellationToken.None);
        Assert.Equal("Great", stored!["subject"]!.GetValue<string>());
        var reply = Assert.Single(router.Calls, c => c.Method == "interaction.respond").Params;
        Assert.True(reply["ephemeral"]!.GetValue<bool>());
        Assert.Equal("Thanks for the feedback!", reply["content"]!.GetValue<string>());
    }

    [Fact]
    public async Task Invoke_SeedButtonsAndSchedule_ComponentsRespondAndHeartbeatCountsInWarmWorker()
    {
        var (rig, id) = await PublishSeedAsync();
        await using var _ = rig;
        var router = new RecordingRouter();
        var install = InvocationRig.Install(id);

        await rig.Invoker.InvokeAsync(new PluginInvocation("inv-1", PluginInvocation.SlashCommand, "menu", new JsonObject { ["interaction_id"] = "301" }, install), router, CancellationToken.None);
        await rig.Invoker.InvokeAsync(new PluginInvocation("inv-2", PluginInvocation.Component, "yes", new JsonObject { ["interaction_id"] = "302", ["custom_id"] = "yes" }, install), router, CancellationToken.None);
        await rig.Invoker.InvokeAsync(new PluginInvocation("inv-3", PluginInvocation.Schedule, "heartbeat", null, install), router, CancellationToken.None);
        await rig.Invoker.InvokeAsync(new PluginInvocation("inv-4", PluginInvocation.Schedule, "heartbeat", null, install), router, CancellationToken.None);
        var weekly = await rig.Invoker.InvokeAsync(new PluginInvocation("inv-5", PluginInvocation.Cron, "weekly_report", null, install), router, CancellationToken.None);
        var monthly = await rig.Invoker.InvokeAsync(new PluginInvocation("inv-6", PluginInvocation.Cron, "monthly_rollup", null, install), router, CancellationToken.None);
        // The examples' second `heartbeat` (the cron) shares the ephemeral counter with the schedule.
        await rig.Invoker.InvokeAsync(new PluginInvocation("inv-7", PluginInvocation.Cron, "heartbeat#2", null, install), router, CancellationToken.None);
        await rig.Invoker.InvokeAsync(new PluginInvocation("inv-8", PluginInvocation.Schedule, "heartbeat", null, install), router, CancellationToken.None);

        var menu = router.Calls.First(c => c.Method == "interaction.respond").Params;
        var buttons = menu["components"]![0]!["components"]!.AsArray();
        Assert.Equal(["yes", "no"], buttons.Select(b => b!["custom_id"]!.GetValue<string>()));
        Assert.Contains(router.Calls, c => c.Method == "interaction.respond" && c.Params["content"]!.GetValue<string>() == "✅" && c.Params["ephemeral"]!.GetValue<bool>());
        var messages = (await rig.LogsAsync(install)).Select(l => l.Message).ToArray();
        Assert.Contains("heartbeat #1", messages);
        Assert.Contains("heartbeat #2", messages);
        Assert.Equal(InvocationStatus.Handled, weekly.Status);
        Assert.Equal(InvocationStatus.Handled, monthly.Status);
        Assert.Contains("Sending weekly report", messages);
        Assert.Contains("heartbeat #4", messages);
    }

    [Fact]
    public async Task Invoke_CallWithoutCapability_PluginSeesCapabilityErrorAndKeepsRunning()
    {
        var rig = await InvocationRig.StartAsync(azurite, docker);
        await using var _ = rig;
        var id = NewId();
        const string code = """
            from mmo_maid_sdk import CapabilityError

            @plugin.on_slash_command("post")
            def post(ctx, event):
                try:
                    ctx.discord.send_message("42", content="hi")
                except CapabilityError as e:
                    ctx.log(f"refused: {e}")
                ctx.interaction.respond(content="still here")
            """;
        var manifest = PluginZip.GreetManifest(id);
        manifest["slash_commands"]![0]!["name"] = "post";
        await rig.PublishAsync("acme", id, PluginZip.Build(new Dictionary<string, object> { ["manifest.json"] = manifest, ["plugin.py"] = code }));
        var router = new RecordingRouter();
        var install = InvocationRig.Install(id);

        var outcome = await rig.Invoker.InvokeAsync(new PluginInvocation("inv-1", PluginInvocation.SlashCommand, "post", new JsonObject(), install), router, CancellationToken.None);

        Assert.Equal(InvocationStatus.Handled, outcome.Status);
        Assert.DoesNotContain(router.Calls, c => c.Method == "discord.send_message");
        Assert.Contains(router.Calls, c => c.Method == "interaction.respond");
        Assert.Contains(await rig.LogsAsync(install), l => l.Message.Contains("refused: capability 'messages:send' not granted"));
    }

    [Fact]
    public async Task Invoke_PluginFloodsItsLog_CapLinesThenOneNoticeAndTheNextInvocationIsWhole()
    {
        var rig = await InvocationRig.StartAsync(azurite, docker);
        await using var _ = rig;
        var id = NewId();
        const string code = """
            import sys

            @plugin.on_slash_command("flood")
            def flood(ctx, event):
                if event.get("stderr"):
                    for i in range(5000):
                        print(f"err {i}", file=sys.stderr)
                else:
                    for i in range(5000):
                        ctx.log(f"line {i}")
                ctx.interaction.respond(content="flooded")

            @plugin.on_slash_command("after")
            def after(ctx, event):
                for i in range(3):
                    ctx.log(f"after {i}")
                ctx.interaction.respond(content="after")
            """;
        var manifest = PluginZip.GreetManifest(id);
        manifest["slash_commands"] = JsonNode.Parse("""[{"name":"flood","description":"flood"},{"name":"after","description":"after"}]""");
        await rig.PublishAsync("acme", id, PluginZip.Build(new Dictionary<string, object> { ["manifest.json"] = manifest, ["plugin.py"] = code }));
        var router = new RecordingRouter();
        var install = InvocationRig.Install(id);

        var flood = await rig.Invoker.InvokeAsync(new PluginInvocation("inv-flood", PluginInvocation.SlashCommand, "flood", new JsonObject(), install), router, CancellationToken.None);
        var after = await rig.Invoker.InvokeAsync(new PluginInvocation("inv-after", PluginInvocation.SlashCommand, "after", new JsonObject(), install), router, CancellationToken.None);
        var stderr = await rig.Invoker.InvokeAsync(new PluginInvocation("inv-stderr", PluginInvocation.SlashCommand, "flood", new JsonObject { ["stderr"] = true }, install), router, CancellationToken.None);

        Assert.Equal([InvocationStatus.Handled, InvocationStatus.Handled, InvocationStatus.Handled], [flood.Status, after.Status, stderr.Status]);
        Assert.True(after.Warm);
        var log = await rig.Logs.ReadAsync(install.PluginId, install.GuildId, 20_000, CancellationToken.None);
        var flooded = log.Where(l => l.Invocation == "inv-flood").ToList();
        Assert.Equal(PluginLogs.MaxLinesPerInvocation + 1, flooded.Count);
        Assert.Equal(Enumerable.Range(0, PluginLogs.MaxLinesPerInvocation).Select(i => $"line {i}"), flooded.SkipLast(1).Select(l => l.Message));
        Assert.StartsWith($"… {5000 - PluginLogs.MaxLinesPerInvocation} more lines of this invocation dropped", flooded[^1].Message);
        Assert.Equal(["after 0", "after 1", "after 2"], log.Where(l => l.Invocation == "inv-after").Select(l => l.Message));
        var printed = log.Where(l => l.Invocation == "inv-stderr").ToList();
        Assert.Equal(PluginLogs.MaxLinesPerInvocation + 1, printed.Count);
        Assert.Contains("more lines of this invocation dropped", printed[^1].Message);
    }

    [Fact]
    public async Task Invoke_HandlerLoopsForever_TimedOutThenNextInvocationRunsOnFreshWorker()
    {
        var rig = await InvocationRig.StartAsync(azurite, docker, wallTime: TimeSpan.FromSeconds(2));
        await using var _ = rig;
        var id = NewId();
        const string code = """
            @plugin.on_slash_command("spin")
            def spin(ctx, event):
                if event.get("forever"):
                    while True:
                        pass
                raise RuntimeError("boom")
            """;
        var manifest = PluginZip.GreetManifest(id);
        manifest["slash_commands"]![0]!["name"] = "spin";
        await rig.PublishAsync("acme", id, PluginZip.Build(new Dictionary<string, object> { ["manifest.json"] = manifest, ["plugin.py"] = code }));
        var install = InvocationRig.Install(id);

        var looping = await rig.Invoker.InvokeAsync(new PluginInvocation("inv-1", PluginInvocation.SlashCommand, "spin", new JsonObject { ["forever"] = true }, install), null, CancellationToken.None);
        var failing = await rig.Invoker.InvokeAsync(new PluginInvocation("inv-2", PluginInvocation.SlashCommand, "spin", new JsonObject(), install), null, CancellationToken.None);

        Assert.Equal(InvocationStatus.TimedOut, looping.Status);
        Assert.InRange(looping.Duration, TimeSpan.FromSeconds(1.5), TimeSpan.FromSeconds(8));
        Assert.Equal(InvocationStatus.Failed, failing.Status);
        Assert.Contains("boom", failing.Error);
        var logs = await rig.LogsAsync(install);
        Assert.Contains(logs, l => l.Level == "error" && l.Message.Contains("timed out"));
        Assert.Contains(logs, l => l.Level == "error" && l.Message.Contains("boom"));
        // The failure is one entry: the summary, then the traceback the runner's error reply carried.
        Assert.Contains(logs, l => l.Level == "error" && l.Message.StartsWith("slash_command 'spin' failed: RuntimeError: boom", StringComparison.Ordinal));
        Assert.DoesNotContain(logs, l => l.Message.Contains("refused"));
    }
}

/// <summary>The boot check at publish: registration errors reach the report instead of the first invocation.</summary>
[Collection("Docker")]
public sealed class BootCheckTests(Azurite azurite, DockerFixture docker)
{
    private async Task<JsonObject> PublishAsync(string code, Action<JsonObject>? manifestEdit = null)
    {
        await using var rig = await InvocationRig.StartAsync(azurite, docker);
        var id = "boot_" + Guid.NewGuid().ToString("N")[..10];
        var manifest = PluginZip.GreetManifest(id);
        manifestEdit?.Invoke(manifest);
        return await rig.PublishAsync("acme", id, PluginZip.Build(new Dictionary<string, object> { ["manifest.json"] = manifest, ["plugin.py"] = code }));
    }

    private static string[] Codes(JsonObject report, string list = "errors") => report[list]!.AsArray().Select(e => e!["code"]!.GetValue<string>()).ToArray();

    [Fact]
    public async Task Publish_InvalidCronSpec_RejectedWithTheRegistrationError()
    {
        var report = await PublishAsync("""
            @plugin.on_slash_command("greet")
            def greet(ctx, event):
                ctx.interaction.respond(content="hi")

            @plugin.cron("61 * * * *")
            def broken(ctx):
                pass
            """);

        Assert.Equal("rejected", report["status"]!.GetValue<string>());
        var error = Assert.Single(report["errors"]!.AsArray())!;
        Assert.StartsWith("boot_", error["code"]!.GetValue<string>());
        Assert.Contains("61", error["message"]!.GetValue<string>());
        Assert.Contains("plugin.py", error["path"]!.GetValue<string>());
    }

    [Fact]
    public async Task Publish_CronSpecWithTab_RejectedNamingTheTab()
    {
        var report = await PublishAsync("""
            @plugin.on_slash_command("greet")
            def greet(ctx, event):
                ctx.interaction.respond(content="hi")

            @plugin.cron("0\t9 * * 1")
            def weekly(ctx):
                pass
            """);

        Assert.Equal("rejected", report["status"]!.GetValue<string>());
        var error = Assert.Single(report["errors"]!.AsArray())!;
        Assert.Equal("boot_registration_error", error["code"]!.GetValue<string>());
        Assert.Contains("cron spec: U+0009 is not allowed", error["message"]!.GetValue<string>());
    }

    [Fact]
    public async Task Publish_CodeBypassingTheSdkCheck_NeverFiringCronRejectedNamingTheField()
    {
        // The plugin swaps a registered spec for one the SDK refuses: the host judges what describe reports.
        var report = await PublishAsync("""
            import dataclasses

            @plugin.on_slash_command("greet")
            def greet(ctx, event):
                ctx.interaction.respond(content="hi")

            @plugin.cron("0 9 * * 1")
            def weekly(ctx):
                pass

            task = plugin.tasks["weekly"]
            plugin.tasks["weekly"] = dataclasses.replace(task, cron=dataclasses.replace(task.cron, spec="0 0 30 2 *"))
            """);

        Assert.Equal("rejected", report["status"]!.GetValue<string>());
        var error = Assert.Single(report["errors"]!.AsArray())!;
        Assert.Equal(IssueCodes.InvalidCron, error["code"]!.GetValue<string>());
        Assert.EndsWith("cron day-of-month: never fires: no selected month has a day 30", error["message"]!.GetValue<string>());
    }

    [Fact]
    public async Task Publish_SyntaxError_RejectedWithLine()
    {
        var report = await PublishAsync("def greet(ctx, event:\n    pass\n");

        Assert.Equal("rejected", report["status"]!.GetValue<string>());
        Assert.Contains("boot_syntax_error", Codes(report));
    }

    [Fact]
    public async Task Publish_HandlerForUndeclaredCommand_PublishedWithWarnings()
    {
        var report = await PublishAsync("""
            @plugin.on_slash_command("other")
            def other(ctx, event):
                pass
            """);

        Assert.Equal("published", report["status"]!.GetValue<string>());
        Assert.Equal(["command_without_handler", "handler_without_command"], Codes(report, "warnings").Order());
    }

    private async Task<JsonObject> PublishCodeOnlyAsync(string code, params string[] capabilities)
    {
        await using var rig = await InvocationRig.StartAsync(azurite, docker);
        var id = "boot_" + Guid.NewGuid().ToString("N")[..10];
        var manifest = PluginZip.Manifest(id, extra: new JsonObject { ["name"] = "N", ["capabilities_required"] = new JsonArray(capabilities.Select(c => (JsonNode)c).ToArray()) });
        return await rig.PublishAsync("acme", id, PluginZip.Build(new Dictionary<string, object> { ["manifest.json"] = manifest, ["plugin.py"] = code }));
    }

    [Fact]
    public async Task Publish_CodeRegistersNothing_PublishedWithNothingRunsWarning()
    {
        var report = await PublishCodeOnlyAsync("""
            def helper(ctx, event):
                ctx.log("never called")
            """);

        Assert.Equal("published", report["status"]!.GetValue<string>());
        var warning = Assert.Single(report["warnings"]!.AsArray())!;
        Assert.Equal((IssueCodes.NothingRuns, "plugin.py"), (warning["code"]!.GetValue<string>(), warning["path"]!.GetValue<string>()));
        Assert.Contains("@plugin.schedule(seconds)", warning["message"]!.GetValue<string>());
    }

    [Theory]
    [InlineData("message_create", false)]
    [InlineData("message_edit", false)]
    [InlineData("message_create", true)]
    public async Task Publish_CodeMessageHandler_ContentWarningOnlyWithoutReadContent(string eventName, bool requested)
    {
        var report = await PublishCodeOnlyAsync($$"""
            @plugin.on_event("{{eventName}}")
            def on_message(ctx, event):
                ctx.log(event["content"])
            """, requested ? ["messages:read_content"] : []);

        Assert.Equal("published", report["status"]!.GetValue<string>());
        Assert.Equal(requested ? [] : [IssueCodes.ContentWithoutCapability], Codes(report, "warnings"));
    }
}
