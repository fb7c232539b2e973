using System.Globalization;
using System.Text.Json.Nodes;
using Azure.Data.Tables;
using Microsoft.Extensions.Logging.Abstractions;
using Serverless.Platform.Discord;
using Serverless.Platform.Interactions;
using Serverless.Platform.Invocations;
using Serverless.Platform.Packages;
using Serverless.Platform.Sandbox;
using Serverless.Platform.Schedules;
using Serverless.Tests.Infrastructure;

namespace Serverless.Tests.Schedules;

/// <summary>The timer's side of schedules, on real Azurite with a fake clock: what fires when, once.</summary>
public sealed class SchedulerTests(Azurite azurite)
{
    private static DateTimeOffset At(string utc) => DateTimeOffset.Parse(utc, CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal | DateTimeStyles.AdjustToUniversal);

    private async Task<(ScheduleRig Rig, string Guild, string Plugin)> InstalledAsync(JsonObject registrations, JsonObject? manifestExtra = null, DateTimeOffset? start = null)
    {
        var rig = await ScheduleRig.StartAsync(azurite, start);
        var plugin = ScheduleRig.NewPluginId();
        var guild = ScheduleRig.NewGuild();
        await rig.PublishAsync(plugin, "1.0.0", registrations, manifestExtra);
        await rig.InstallAsync(guild, plugin);
        return (rig, guild, plugin);
    }

    [Fact]
    public async Task Tick_IntervalSchedule_FiresOneIntervalAfterInstallThenEveryInterval()
    {
        var (rig, guild, plugin) = await InstalledAsync(ScheduleRig.Registrations(schedules: [("heartbeat", 300)]));
        await using var _ = rig;
        var t0 = ScheduleRig.Start;

        var seen = new List<(TimeSpan At, TimeSpan ScheduledFor)>();
        foreach (var seconds in new[] { 10, 290, 299, 300, 305, 590, 600, 907, 1190, 1200 })
        {
            foreach (var fired in await rig.TickAsync(t0.AddSeconds(seconds)))
            {
                Assert.Equal((guild, plugin, "schedule", "heartbeat"), (fired.GuildId, fired.PluginId, fired.Kind, fired.Name));
                seen.Add((fired.FiredAt - t0, fired.ScheduledFor - t0));
            }
        }

        // A late tick (907 s) fires the 900 s run and keeps the cadence: the next is at 1200 s, not 1207 s.
        Assert.Equal(
            [(TimeSpan.FromSeconds(300), TimeSpan.FromSeconds(300)), (TimeSpan.FromSeconds(600), TimeSpan.FromSeconds(600)),
             (TimeSpan.FromSeconds(907), TimeSpan.FromSeconds(900)), (TimeSpan.FromSeconds(1200), TimeSpan.FromSeconds(1200))],
            seen);
    }

    public static TheoryData<string, string, string, double, string[]> SeedCrons => new()
    {
        // The reference examples' crons (sandbox/sdk/tests/seed_examples/08_cron.py): "0 9 * * 1" every Monday at 09:00 UTC (2026-11-20 is a Friday).
        { "0 9 * * 1", "2026-11-20T12:00:00Z", "2026-12-08T00:00:00Z", 6, ["2026-11-23T09:00:00Z", "2026-11-30T09:00:00Z", "2026-12-07T09:00:00Z"] },
        // "*/15 * * * *" every 15 minutes.
        { "*/15 * * * *", "2026-11-20T10:07:00Z", "2026-11-20T11:20:00Z", 5.0 / 60, ["2026-11-20T10:15:00Z", "2026-11-20T10:30:00Z", "2026-11-20T10:45:00Z", "2026-11-20T11:00:00Z", "2026-11-20T11:15:00Z"] },
        // "30 0 1 * *" 00:30 UTC on the 1st of each month.
        { "30 0 1 * *", "2026-11-20T12:00:00Z", "2027-02-02T00:00:00Z", 12, ["2026-12-01T00:30:00Z", "2027-01-01T00:30:00Z", "2027-02-01T00:30:00Z"] },
    };

    [Theory]
    [MemberData(nameof(SeedCrons))]
    public Task Tick_SeedCronExample_FiresAtItsUtcTimesAndNotBetween(string spec, string start, string end, double stepHours, string[] expected) =>
        AssertCronFiresAsync(spec, start, end, stepHours, expected);

    public static TheoryData<string, string, string, double, string[]> DayRuleCrons => new()
    {
        // Both day fields restricted: every Friday and every 13th (2026-11-13 is a Friday, 2026-12-13 a Sunday).
        { "0 0 13 * 5", "2026-11-01T00:00:00Z", "2026-12-14T00:00:00Z", 24,
          ["2026-11-06T00:00:00Z", "2026-11-13T00:00:00Z", "2026-11-20T00:00:00Z", "2026-11-27T00:00:00Z", "2026-12-04T00:00:00Z", "2026-12-11T00:00:00Z", "2026-12-13T00:00:00Z"] },
        // 29 February: in leap years only.
        { "0 0 29 2 *", "2025-03-01T00:00:00Z", "2028-03-02T00:00:00Z", 24 * 30, ["2028-02-29T00:00:00Z"] },
    };

    [Theory]
    [MemberData(nameof(DayRuleCrons))]
    public Task Tick_CronDayRule_FiresAtItsUtcTimesAndNotBetween(string spec, string start, string end, double stepHours, string[] expected) =>
        AssertCronFiresAsync(spec, start, end, stepHours, expected);

    private async Task AssertCronFiresAsync(string spec, string start, string end, double stepHours, string[] expected)
    {
        var (rig, _, _) = await InstalledAsync(ScheduleRig.Registrations(crons: [("task", spec)]), start: At(start));
        await using var _ = rig;
        var expectedTimes = expected.Select(At).ToList();
        // A regular grid catches a fire between the stated times (a due entry fires at the next tick whenever it is);
        // ticks a minute before and exactly at each stated time pin it down.
        var ticks = new SortedSet<DateTimeOffset>(expectedTimes.SelectMany(e => new[] { e.AddMinutes(-1), e }));
        for (var t = At(start).AddHours(stepHours); t <= At(end); t = t.AddHours(stepHours))
        {
            ticks.Add(t);
        }

        var fires = new List<(DateTimeOffset FiredAt, DateTimeOffset ScheduledFor)>();
        foreach (var tick in ticks)
        {
            fires.AddRange((await rig.TickAsync(tick)).Select(f => (f.FiredAt, f.ScheduledFor)));
        }

        Assert.Equal(expectedTimes.Select(e => (e, e)), fires);
    }

    [Fact]
    public async Task Tick_AfterLongGap_FiresOnceThenKeepsTheCadence()
    {
        var (rig, _, _) = await InstalledAsync(ScheduleRig.Registrations(schedules: [("every_minute", 60)], crons: [("quarterly", "*/15 * * * *")]));
        await using var _ = rig;
        var t0 = ScheduleRig.Start; // 12:00

        var first = await rig.TickAsync(t0.AddSeconds(60));
        var afterGap = await rig.TickAsync(t0.AddHours(3).AddSeconds(7)); // down from 12:01 to 15:00:07
        var justAfter = await rig.TickAsync(t0.AddHours(3).AddSeconds(50));
        var resumed = await rig.TickAsync(t0.AddHours(3).AddSeconds(60));
        var quarter = await rig.TickAsync(t0.AddHours(3).AddMinutes(15));

        Assert.Equal([("every_minute", t0.AddSeconds(60))], first.Select(f => (f.Name, f.ScheduledFor)));
        // One fire per task for the whole gap, each the first missed one, not 179 and 11 replays.
        Assert.Equal([("every_minute", t0.AddSeconds(120)), ("quarterly", t0.AddMinutes(15))], afterGap.Select(f => (f.Name, f.ScheduledFor)));
        Assert.Empty(justAfter);
        Assert.Equal([("every_minute", t0.AddHours(3).AddSeconds(60))], resumed.Select(f => (f.Name, f.ScheduledFor)));
        Assert.Contains(("quarterly", t0.AddHours(3).AddMinutes(15)), quarter.Select(f => (f.Name, f.ScheduledFor)));
    }

    [Fact]
    public async Task Tick_StoredEntryWithASpecTheGrammarNowRefuses_OthersFireAndItStops()
    {
        var (rig, guild, plugin) = await InstalledAsync(ScheduleRig.Registrations(crons: [("quarterly", "*/15 * * * *")]));
        await using var _ = rig;
        var t0 = ScheduleRig.Start; // Friday 12:00
        // Due under the former grammar, which took day names; the current one refuses them.
        await rig.Store.PutDueAsync([new DueEntry(guild, plugin, "former", ScheduledTask.CodeCron("legacy", "0 9 * * MON"), t0.AddMinutes(5))], CancellationToken.None);

        var first = await rig.TickAsync(t0.AddMinutes(15));
        var monday = await rig.TickAsync(new DateTimeOffset(2026, 11, 23, 9, 0, 0, TimeSpan.Zero));

        // The due legacy tick is still handed on (the handler drops it: its generation is not the install's), once.
        Assert.Equal([("legacy", t0.AddMinutes(5)), ("quarterly", t0.AddMinutes(15))], first.Select(f => (f.Name, f.ScheduledFor)).OrderBy(f => f.Name));
        Assert.Equal(["quarterly"], monday.Select(f => f.Name));
    }

    [Fact]
    public async Task Tick_ThreeInstancesAtOnce_FireEachDueTickExactlyOnce()
    {
        var rig = await ScheduleRig.StartAsync(azurite);
        await using var _ = rig;
        var plugin = ScheduleRig.NewPluginId();
        await rig.PublishAsync(plugin, "1.0.0", ScheduleRig.Registrations(schedules: [("a", 60), ("b", 60)]));
        var guilds = Enumerable.Range(0, 150).Select(_ => ScheduleRig.NewGuild()).Distinct().ToList();
        await Parallel.ForEachAsync(guilds, new ParallelOptions { MaxDegreeOfParallelism = 8 }, async (guild, _) => await rig.InstallAsync(guild, plugin));
        var instances = Enumerable.Range(0, 3).Select(_ => rig.NewScheduler()).ToList();

        foreach (var minute in new[] { 1, 2 })
        {
            rig.Clock.Set(ScheduleRig.Start.AddMinutes(minute));
            var results = await Task.WhenAll(instances.Select(s => Task.Run(() => s.TickAsync(CancellationToken.None))));
            var fired = await rig.DrainAsync();

            Assert.Equal(guilds.Count * 2, results.Sum(r => r.Fired));
            Assert.Equal(guilds.Count * 2, fired.Count);
            Assert.Equal(guilds.Count * 2, fired.Select(f => (f.GuildId, f.Name)).Distinct().Count());
            Assert.All(fired, f => Assert.Equal(ScheduleRig.Start.AddMinutes(minute), f.ScheduledFor));
        }
        // Each entry moved on exactly once: one next entry per task, none left behind or doubled.
        var entries = await rig.DueEntriesAsync();
        Assert.Equal(guilds.Count * 2, entries.Count);
        Assert.All(entries, e => Assert.Equal(ScheduleRig.Start.AddMinutes(3), e.Due));
    }

    [Fact]
    public async Task Tick_ClaimOfATickThatDied_MovesOnWithoutFiringAndLiveClaimIsLeftAlone()
    {
        var (rig, guild, plugin) = await InstalledAsync(ScheduleRig.Registrations(schedules: [("dead", 60), ("busy", 60)]));
        await using var _ = rig;
        var due = ScheduleRig.Start.AddSeconds(60);
        var now = ScheduleRig.Start.AddMinutes(5);
        foreach (var row in await RowsAsync(rig))
        {
            // "dead" was claimed 4 minutes ago by a tick that never finished; "busy" 10 s ago by one still working.
            var claimedAt = row.Task.Contains("\"dead\"") ? now.AddMinutes(-4) : now.AddSeconds(-10);
            await rig.Store.Table.UpdateEntityAsync(new DueClaim { PartitionKey = row.PartitionKey, RowKey = row.RowKey, ClaimedTicks = claimedAt.UtcTicks, NextDueTicks = due.AddSeconds(60).UtcTicks }, row.ETag);
        }

        rig.Clock.Set(now);
        var result = await rig.Scheduler.TickAsync(CancellationToken.None);

        Assert.Empty(await rig.DrainAsync());
        Assert.Equal((1, 0, 1, 1), (result.Due, result.Fired, result.Contended, result.Recovered));
        var entries = await rig.DueEntriesAsync();
        Assert.Equal([("busy", due), ("dead", due.AddSeconds(60))], entries.Select(e => (e.Task.Name, e.Due)).OrderBy(e => e.Name));
    }

    private static async Task<List<DueRow>> RowsAsync(ScheduleRig rig)
    {
        var rows = new List<DueRow>();
        await foreach (var row in rig.Store.Table.QueryAsync<DueRow>(TableClient.CreateQueryFilter($"PartitionKey ge {"due-"} and PartitionKey lt {"due."}")))
        {
            rows.Add(row);
        }
        return rows;
    }

    [Fact]
    public async Task ScheduleInstall_PoolPlugin_SchedulesManifestCronsAndNotCodeTasks()
    {
        var registrations = ScheduleRig.Registrations(schedules: [("heartbeat", 300)], crons: [("weekly_report", "0 9 * * 1")]);
        var manifest = new JsonObject { ["pool"] = true, ["crons"] = new JsonArray(new JsonObject { ["id"] = "nightly", ["spec"] = "0 0 * * *", ["handler"] = "weekly_report" }) };
        var (rig, guild, plugin) = await InstalledAsync(registrations, manifest);
        await using var _ = rig;

        var registration = await rig.Store.GetRegistrationAsync(guild, plugin, CancellationToken.None);
        var beforeMidnight = await rig.TickAsync(ScheduleRig.Start.AddHours(11)); // 23:00: the code schedule would have fired
        var midnight = await rig.TickAsync(At("2026-11-21T00:00:00Z"));

        Assert.Equal(["m:nightly"], registration!.Tasks.Select(t => t.Key));
        Assert.Empty(beforeMidnight);
        var fired = Assert.Single(midnight);
        Assert.Equal(("cron", "weekly_report", "nightly"), (fired.Kind, fired.Name, fired.Item.Body!["task"]!["manifest_cron"]!.GetValue<string>()));
    }

    [Fact]
    public async Task ScheduleInstall_NonPoolPlugin_SchedulesCodeTasksAndManifestCrons()
    {
        var registrations = ScheduleRig.Registrations(schedules: [("heartbeat", 300)], crons: [("weekly_report", "0 9 * * 1"), ("heartbeat#2", "*/15 * * * *")]);
        var manifest = new JsonObject { ["crons"] = new JsonArray(new JsonObject { ["id"] = "nightly", ["spec"] = "0 0 * * *", ["handler"] = "weekly_report" }) };
        var (rig, guild, plugin) = await InstalledAsync(registrations, manifest);
        await using var _ = rig;

        var registration = await rig.Store.GetRegistrationAsync(guild, plugin, CancellationToken.None);
        var entries = await rig.DueEntriesAsync();

        Assert.Equal(["c:heartbeat#2", "c:weekly_report", "m:nightly", "s:heartbeat"], registration!.Tasks.Select(t => t.Key).Order(StringComparer.Ordinal));
        Assert.Equal(
            [("heartbeat", At("2026-11-20T12:05:00Z")), ("heartbeat#2", At("2026-11-20T12:15:00Z")), ("weekly_report", At("2026-11-21T00:00:00Z")), ("weekly_report", At("2026-11-23T09:00:00Z"))],
            entries.Select(e => (e.Task.Name, e.Due)).OrderBy(e => e.Due));
    }

    [Fact]
    public async Task Handler_TickOfAnUninstalledPlugin_IsDroppedWithItsNextEntry()
    {
        var (rig, guild, plugin) = await InstalledAsync(ScheduleRig.Registrations(schedules: [("heartbeat", 60)]));
        await using var _ = rig;
        var logs = new PluginLogs(rig.Tables, rig.Clock);
        // An engine that is not there: if the handler tried to run the plugin, the invoker would log the failure.
        var driver = new DockerSandboxDriver(DockerEngine.CreateClient("unix:///nonexistent/docker.sock"), new DockerSandboxOptions { PlatformName = "none" }, NullLogger<DockerSandboxDriver>.Instance);
        var invoker = new PluginInvoker(new SandboxPool(driver, new SandboxPoolOptions(), NullLogger<SandboxPool>.Instance), driver, rig.Files, new HostApi(new KvStore(rig.Tables, new KvQuotas()), logs), logs, NullLogger<PluginInvoker>.Instance);
        var rest = new DiscordRestClient(new HttpClient(), new DiscordOptions());
        var handler = rig.Handler(invoker, new DiscordActions(rest, new ChannelGuilds(rest, rig.Clock), logs, await Interactions.CustomIdsTests.OnAzuriteAsync(azurite)), logs);

        await rig.UninstallAsync(guild, plugin);
        var orphan = Assert.Single(await rig.TickAsync(ScheduleRig.Start.AddSeconds(60)));
        await handler.HandleAsync(orphan.Item, ScheduleRig.FirstDelivery, CancellationToken.None);
        var later = await rig.TickAsync(ScheduleRig.Start.AddSeconds(120));

        Assert.Empty(later);
        Assert.Empty(await rig.DueEntriesAsync());
        Assert.Empty(await logs.ReadAsync(plugin, guild, 10, CancellationToken.None));
        Assert.Null(await rig.Store.GetRegistrationAsync(guild, plugin, CancellationToken.None));
    }

    [Fact]
    public void NextDue_Interval_IsStrictlyAfterNowOnTheCadence()
    {
        var task = ScheduledTask.Interval("t", TimeSpan.FromSeconds(30));
        var due = ScheduleRig.Start;

        Assert.Equal(due.AddSeconds(30), task.NextDue(due, due));
        Assert.Equal(due.AddSeconds(60), task.NextDue(due, due.AddSeconds(30)));
        Assert.Equal(due.AddSeconds(90), task.NextDue(due, due.AddSeconds(61)));
        Assert.Equal(due.AddSeconds(30), task.FirstDue(due));
    }

    [Fact]
    public void For_InvalidOrMissingRegistrations_AreLeftOut()
    {
        var manifest = new PluginManifest { Id = "p", Version = PluginVersion.Parse("1.0.0") };
        var registrations = JsonNode.Parse("""{"schedules":[{"id":"ok","seconds":30.5},{"id":"","seconds":60},{"id":"zero","seconds":0}],"crons":[{"id":"bad","spec":"61 * * * *"},{"id":"six","spec":"0 0 0 * * *"},{"id":"never","spec":"0 0 30 2 *"},{"id":"named","spec":"0 9 * * MON"}]}""")!.AsObject();

        var tasks = ScheduledTask.For(manifest, registrations);

        var task = Assert.Single(tasks);
        Assert.Equal(("s:ok", TimeSpan.FromSeconds(30.5)), (task.Key, task.Every!.Value));
        Assert.Empty(ScheduledTask.For(manifest, null));
    }
}
