using System.Text.Json.Nodes;
using Serverless.Platform.Discord;
using Serverless.Platform.Interactions;
using Serverless.Platform.Invocations;
using Serverless.Platform.Schedules;
using Serverless.Tests.Discord;
using Serverless.Tests.Infrastructure;
using Serverless.Tests.Invocations;
using Serverless.Tests.Packages.Fixtures;
using Serverless.Tests.Sandbox;

namespace Serverless.Tests.Schedules;

/// <summary>Fired ticks run for real: published through the boot check, invoked in Docker, logged, Discord faked.</summary>
[Collection("Docker")]
public sealed class ScheduleRunTests(Azurite azurite, DockerFixture docker) : IAsyncLifetime
{
    private InvocationRig _invocations = null!;
    private ScheduleRig _rig = null!;
    private FakeDiscord _discord = null!;
    private ScheduleWorkHandler _handler = null!;

    public async ValueTask InitializeAsync()
    {
        docker.Require();
        _invocations = await InvocationRig.StartAsync(azurite, docker);
        _rig = await ScheduleRig.StartAsync(azurite);
        _discord = await FakeDiscord.StartAsync();
        var discord = new DiscordRestClient(new HttpClient(), new DiscordOptions { BaseUrl = new Uri(_discord.BaseUrl), BotToken = FakeDiscord.BotToken, ApplicationId = FakeDiscord.ApplicationId });
        _handler = _rig.Handler(_invocations.Invoker, new DiscordActions(discord, new ChannelGuilds(discord, TimeProvider.System), _invocations.Logs, await Interactions.CustomIdsTests.OnAzuriteAsync(azurite)), _invocations.Logs);
    }

    public async ValueTask DisposeAsync()
    {
        await _rig.DisposeAsync();
        await _invocations.DisposeAsync();
        await _discord.DisposeAsync();
    }

    private async Task<string> PublishAsync(string code, string version = "1.0.0", JsonObject? extra = null, string? id = null)
    {
        id ??= ScheduleRig.NewPluginId();
        var manifest = PluginZip.Manifest(id, version, extra);
        manifest["entrypoint"] = "plugin.py";
        var report = await _invocations.PublishAsync("acme", id, PluginZip.Build(new Dictionary<string, object> { ["manifest.json"] = manifest, ["plugin.py"] = code }));
        Assert.True(report["status"]!.GetValue<string>() == "published", report.ToJsonString());
        return id;
    }

    private async Task RunAsync(IEnumerable<Fired> fired)
    {
        foreach (var item in fired)
        {
            await _handler.HandleAsync(item.Item, ScheduleRig.FirstDelivery, CancellationToken.None);
        }
    }

    private async Task<List<string>> MessagesAsync(string plugin, string guild) =>
        (await _invocations.Logs.ReadAsync(plugin, guild, 200, CancellationToken.None)).Where(l => l.Level != "debug").Select(l => l.Message).ToList();

    [Fact]
    public async Task Handle_TickWhilePreviousRunStillRuns_IsSkippedAndLogged()
    {
        var plugin = await PublishAsync("""
            import time

            @plugin.schedule(30)
            def slow(ctx):
                ctx.log("slow started")
                time.sleep(4)
                ctx.log("slow done")
            """);
        var guild = ScheduleRig.NewGuild();
        await _rig.InstallAsync(guild, plugin);
        var first = Assert.Single(await _rig.TickAsync(ScheduleRig.Start.AddSeconds(30)));
        var second = Assert.Single(await _rig.TickAsync(ScheduleRig.Start.AddSeconds(60)));

        var running = _handler.HandleAsync(first.Item, ScheduleRig.FirstDelivery, CancellationToken.None);
        await WaitForAsync(async () => (await MessagesAsync(plugin, guild)).Contains("slow started"));
        await _handler.HandleAsync(second.Item, ScheduleRig.FirstDelivery, CancellationToken.None);
        await running;
        await RunAsync(await _rig.TickAsync(ScheduleRig.Start.AddSeconds(90)));

        Assert.Equal(
            ["slow started", "schedule 'slow' skipped: the previous run is still running", "slow done", "slow started", "slow done"],
            await MessagesAsync(plugin, guild));
    }

    [Fact]
    public async Task Handle_UpgradeThenUninstall_ReplacesTheTasksThenStopsThem()
    {
        var id = ScheduleRig.NewPluginId();
        await PublishAsync("""
            @plugin.schedule(30)
            def ping(ctx):
                ctx.log("v1 ping")
            """, "1.0.0", id: id);
        await PublishAsync("""
            @plugin.schedule(60)
            def pong(ctx):
                ctx.log("v2 pong")
                ctx.discord.send_message("700", content="pong from a task")
            """, "2.0.0", new JsonObject { ["capabilities_required"] = new JsonArray("messages:send") }, id);
        var guild = ScheduleRig.NewGuild();
        _discord.AddChannel("700", guild);
        var t0 = ScheduleRig.Start;

        await _rig.InstallAsync(guild, id, "1.0.0");
        await RunAsync(await _rig.TickAsync(t0.AddSeconds(30)));
        _rig.Clock.Set(t0.AddSeconds(40));
        await _rig.InstallAsync(guild, id, "2.0.0", "messages:send");
        var oldTick = await _rig.TickAsync(t0.AddSeconds(60)); // v1's next entry, retired by the upgrade
        await RunAsync(oldTick);
        await RunAsync(await _rig.TickAsync(t0.AddSeconds(100)));
        _rig.Clock.Set(t0.AddSeconds(110));
        await _rig.UninstallAsync(guild, id);
        await RunAsync(await _rig.TickAsync(t0.AddSeconds(160)));
        var afterwards = await _rig.TickAsync(t0.AddSeconds(400));

        Assert.Equal(["v1 ping", "v2 pong"], await MessagesAsync(id, guild));
        Assert.Equal("ping", Assert.Single(oldTick).Name);
        Assert.Empty(afterwards);
        var sent = Assert.Single(_discord.CallsTo(FakeDiscord.Routes.MessageCreate));
        Assert.Equal("pong from a task", sent.Body!["content"]!.GetValue<string>());
    }

    [Fact]
    public async Task Handle_PoolPluginManifestCron_RunsItsHandlerInThePoolWorker()
    {
        var plugin = await PublishAsync("""
            @plugin.cron("0 0 * * *")
            def nightly(ctx):
                ctx.log(f"nightly ran, pool={ctx.pool}")

            @plugin.schedule(30)
            def often(ctx):
                ctx.log("code schedule ran")
            """, extra: new JsonObject
        {
            ["pool"] = true,
            ["crons"] = new JsonArray(new JsonObject { ["id"] = "nightly_report", ["spec"] = "0 12 * * *", ["handler"] = "nightly" }),
        });
        var guild = ScheduleRig.NewGuild();
        await _rig.InstallAsync(guild, plugin);

        var beforeNoon = await _rig.TickAsync(ScheduleRig.Start.AddHours(23)); // 11:00 next day: code tasks never fire
        var noon = await _rig.TickAsync(ScheduleRig.Start.AddHours(24));
        await RunAsync(noon);

        Assert.Empty(beforeNoon);
        Assert.Equal(("cron", "nightly"), (Assert.Single(noon).Kind, noon[0].Name));
        Assert.Equal(["nightly ran, pool=True"], await MessagesAsync(plugin, guild));
    }

    [Fact]
    public async Task Handle_TaskRaises_FailureIsInThePluginLog()
    {
        var plugin = await PublishAsync("""
            @plugin.schedule(30)
            def broken(ctx):
                raise RuntimeError("disk on fire")
            """);
        var guild = ScheduleRig.NewGuild();
        await _rig.InstallAsync(guild, plugin);

        var fired = Assert.Single(await _rig.TickAsync(ScheduleRig.Start.AddSeconds(30)));
        await RunAsync([fired]);

        var logs = await _invocations.Logs.ReadAsync(plugin, guild, 200, CancellationToken.None);
        Assert.Contains(logs, l => l.Level == "error" && l.Invocation == fired.Item.Id && l.Message.StartsWith("schedule 'broken' failed: RuntimeError: disk on fire\nTraceback (most recent call last):", StringComparison.Ordinal));
    }

    [Fact]
    public async Task Handle_ScheduleRunsAndCronRaises_BothInTheInvocationHistoryWithStatusAndError()
    {
        var plugin = await PublishAsync("""
            @plugin.schedule(30)
            def beat(ctx):
                ctx.log("beat")

            @plugin.cron("* * * * *")
            def minutely(ctx):
                raise RuntimeError("the report service is down")
            """);
        var guild = ScheduleRig.NewGuild();
        await _rig.InstallAsync(guild, plugin);

        var fired = await _rig.TickAsync(ScheduleRig.Start.AddSeconds(60));
        await RunAsync(fired);

        var runs = await new InvocationHistory(_rig.Tables, Microsoft.Extensions.Logging.Abstractions.NullLogger<InvocationHistory>.Instance).ListAsync(plugin, guild, null, 50, CancellationToken.None);
        var cronTick = Assert.Single(fired, f => f.Kind == "cron");
        var cron = Assert.Single(runs, r => r.Kind == "cron");
        Assert.Equal(("minutely", InvocationHistory.Failed, cronTick.Item.Id, 1), (cron.Name, cron.Status, cron.InvocationId, cron.Attempts));
        Assert.Contains("RuntimeError: the report service is down", cron.Error);
        Assert.Null(cron.InteractionId);
        var schedules = runs.Where(r => r.Kind == "schedule").ToList();
        Assert.Equal(fired.Count(f => f.Kind == "schedule"), schedules.Count);
        Assert.All(schedules, r => Assert.Equal(("beat", InvocationHistory.Completed, (string?)null), (r.Name, r.Status, r.Error)));
        Assert.All(runs, r => Assert.True(r.DurationMs > 0 && r.ReceivedAt is not null, r.ToJson().ToJsonString()));
    }

    private static async Task WaitForAsync(Func<Task<bool>> condition)
    {
        var deadline = DateTime.UtcNow.AddSeconds(30);
        while (!await condition())
        {
            Assert.True(DateTime.UtcNow < deadline, "timed out waiting");
            await Task.Delay(50);
        }
    }
}
