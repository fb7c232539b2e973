using System.Security.Cryptography;
using System.Text.Json.Nodes;
using Azure.Data.Tables;
using Azure.Storage.Blobs;
using Azure.Storage.Queues;
using Azure.Storage.Queues.Models;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.Logging.Abstractions;
using Serverless.Platform.Dispatch;
using Serverless.Platform.Hosting;
using Serverless.Platform.Installs;
using Serverless.Platform.Interactions;
using Serverless.Platform.Invocations;
using Serverless.Platform.Packages;
using Serverless.Platform.Schedules;
using Serverless.Platform.WorkQueue;
using Serverless.Tests.Infrastructure;
using Serverless.Tests.Packages.Fixtures;

namespace Serverless.Tests.Schedules;

/// <summary>A clock the test moves by hand.</summary>
public sealed class FakeTimeProvider(DateTimeOffset start) : TimeProvider
{
    private long _ticks = start.UtcTicks;

    public override DateTimeOffset GetUtcNow() => new(Interlocked.Read(ref _ticks), TimeSpan.Zero);

    public void Set(DateTimeOffset now) => Interlocked.Exchange(ref _ticks, now.UtcTicks);

    public void Advance(TimeSpan by) => Interlocked.Add(ref _ticks, by.Ticks);
}

/// <summary>A tick's work item, as the dispatcher would receive it.</summary>
public sealed record Fired(WorkItem Item, string GuildId, string PluginId, string Kind, string Name, DateTimeOffset ScheduledFor, DateTimeOffset FiredAt);

/// <summary>
/// The scheduler on real Azurite with a fake clock: a table and a work queue of its own (so parallel tests never fire
/// each other's entries), the shared catalog and installs tables, and plugins "published" straight into the catalog
/// with the registrations a boot check would have recorded (no Docker needed).
/// </summary>
public sealed class ScheduleRig : IAsyncDisposable
{
    public static readonly DateTimeOffset Start = new(2026, 11, 20, 12, 0, 0, TimeSpan.Zero);

    private readonly string _cacheDir = Directory.CreateTempSubdirectory("schedule-cache-").FullName;

    private ScheduleRig(Azurite azurite, DateTimeOffset start)
    {
        Tables = azurite.Tables;
        Blobs = azurite.Blobs;
        Queues = azurite.Queues;
        Clock = new FakeTimeProvider(start);
        Catalog = new PluginCatalog(Tables, Blobs);
        Installs = new InstallStore(Tables, Clock);
        Store = new ScheduleStore(Tables, Azurite.UniqueName("schedules"));
        Files = new PluginFiles(Catalog, new PackageValidator(), new ConfigurationBuilder().AddInMemoryCollection(new Dictionary<string, string?> { ["PLUGIN_CACHE_DIR"] = _cacheDir }).Build());
        Queue = new StorageWorkQueue(Queues, new WorkItemBodies(Blobs), Azurite.UniqueName("ticks"));
        Scheduler = NewScheduler();
    }

    public TableServiceClient Tables { get; }
    public BlobServiceClient Blobs { get; }
    public QueueServiceClient Queues { get; }
    public FakeTimeProvider Clock { get; }
    public PluginCatalog Catalog { get; }
    public InstallStore Installs { get; }
    public ScheduleStore Store { get; }
    public PluginFiles Files { get; }
    public StorageWorkQueue Queue { get; }
    public Scheduler Scheduler { get; }

    public static async Task<ScheduleRig> StartAsync(Azurite azurite, DateTimeOffset? start = null)
    {
        var rig = new ScheduleRig(azurite, start ?? Start);
        await new StorageLayout(rig.Blobs, rig.Queues, rig.Tables, NullLogger<StorageLayout>.Instance).EnsureAsync(CancellationToken.None);
        await rig.Store.Table.CreateIfNotExistsAsync();
        await rig.Queue.Queue.CreateIfNotExistsAsync();
        return rig;
    }

    /// <summary>A second scheduler on the same table and queue: another app instance running the timer.</summary>
    public Scheduler NewScheduler(SchedulerOptions? options = null) =>
        new(Store, Catalog, Files, Queue, Clock, options ?? new SchedulerOptions(), NullLogger<Scheduler>.Instance);

    public ScheduleWorkHandler Handler(PluginInvoker invoker, DiscordActions actions, PluginLogs logs, TimeSpan? markerTtl = null) =>
        new(Store, Installs, invoker, actions, new Serverless.Platform.Events.CustomEvents(new Serverless.Platform.Events.EventListeners(Installs, Catalog, Files), Queue, logs), logs, new InvocationHistory(Tables, NullLogger<InvocationHistory>.Instance), Clock, new ScheduleRunOptions(markerTtl ?? TimeSpan.FromSeconds(70)), NullLogger<ScheduleWorkHandler>.Instance);

    public static string NewPluginId() => "sch_" + Guid.NewGuid().ToString("N")[..10];

    public static string NewGuild() => Random.Shared.NextInt64(100_000_000_000, 900_000_000_000).ToString();

    /// <summary>The describe result of a plugin with these tasks.</summary>
    public static JsonObject Registrations(IEnumerable<(string Id, double Seconds)>? schedules = null, IEnumerable<(string Id, string Spec)>? crons = null) => new()
    {
        ["schedules"] = new JsonArray((schedules ?? []).Select(s => (JsonNode)new JsonObject { ["id"] = s.Id, ["seconds"] = s.Seconds }).ToArray()),
        ["crons"] = new JsonArray((crons ?? []).Select(c => (JsonNode)new JsonObject { ["id"] = c.Id, ["spec"] = c.Spec }).ToArray()),
    };

    /// <summary>Puts a zip where publishing would and records the version with its registrations.</summary>
    public async Task PublishAsync(string pluginId, string version, JsonObject registrations, JsonObject? manifestExtra = null, string code = "")
    {
        var manifest = PluginZip.Manifest(pluginId, version, manifestExtra);
        manifest["entrypoint"] = "plugin.py";
        var zip = PluginZip.Build(new Dictionary<string, object> { ["manifest.json"] = manifest, ["plugin.py"] = code });
        var parsed = PluginVersion.Parse(version);
        await Catalog.PackageBlob(pluginId, parsed).UploadAsync(BinaryData.FromBytes(zip), overwrite: true);
        await Catalog.ClaimAsync(pluginId, "acme", CancellationToken.None);
        Assert.True(await Catalog.TryRecordAsync(new PublishedPlugin(pluginId, parsed, "acme", Convert.ToHexStringLower(SHA256.HashData(zip)), new Dictionary<string, VersionRequirement>(), Clock.GetUtcNow())
        {
            Registrations = registrations,
        }, CancellationToken.None));
    }

    /// <summary>Installs (or upgrades) as the installer does: the install row, then its schedules, at the clock's now.</summary>
    public async Task<PluginInstall> InstallAsync(string guildId, string pluginId, string version = "1.0.0", params string[] capabilities)
    {
        var existing = await Installs.GetAsync(guildId, pluginId, CancellationToken.None);
        var now = Clock.GetUtcNow();
        var install = new PluginInstall(guildId, pluginId, existing?.InstallId ?? "i" + Guid.NewGuid().ToString("N"), version, PluginVersion.Parse(version), capabilities, existing?.InstalledAt ?? now, now);
        await Installs.SaveAsync(install, CancellationToken.None);
        await Scheduler.ScheduleInstallAsync(install, CancellationToken.None);
        return install;
    }

    public async Task UninstallAsync(string guildId, string pluginId)
    {
        await Scheduler.UnscheduleInstallAsync(guildId, pluginId, CancellationToken.None);
        await Installs.DeleteAsync(guildId, pluginId, CancellationToken.None);
    }

    /// <summary>Moves the clock to <paramref name="at"/>, ticks, and returns what the tick enqueued.</summary>
    public async Task<IReadOnlyList<Fired>> TickAsync(DateTimeOffset at, Scheduler? scheduler = null)
    {
        Clock.Set(at);
        await (scheduler ?? Scheduler).TickAsync(CancellationToken.None);
        return await DrainAsync();
    }

    /// <summary>Takes every message off the rig's queue.</summary>
    public async Task<IReadOnlyList<Fired>> DrainAsync()
    {
        var fired = new List<Fired>();
        while (true)
        {
            QueueMessage[] messages = await Queue.Queue.ReceiveMessagesAsync(32, TimeSpan.FromMinutes(5));
            if (messages.Length == 0)
            {
                return fired.OrderBy(f => f.ScheduledFor).ThenBy(f => f.Name, StringComparer.Ordinal).ToList();
            }
            foreach (var message in messages)
            {
                var item = WorkItem.Parse(StorageWorkQueue.Decode(message.MessageText));
                var body = item.Body!;
                var task = body["task"]!.AsObject();
                fired.Add(new Fired(item, body["guildId"]!.GetValue<string>(), body["pluginId"]!.GetValue<string>(), task["kind"]!.GetValue<string>(), task["name"]!.GetValue<string>(),
                    DateTimeOffset.Parse(body["scheduledFor"]!.GetValue<string>()), DateTimeOffset.Parse(body["firedAt"]!.GetValue<string>())));
                await Queue.Queue.DeleteMessageAsync(message.MessageId, message.PopReceipt);
            }
        }
    }

    /// <summary>Every due-index row of the rig's table.</summary>
    public async Task<IReadOnlyList<DueEntry>> DueEntriesAsync()
    {
        var entries = new List<DueEntry>();
        await foreach (var row in Store.Table.QueryAsync<DueRow>(TableClient.CreateQueryFilter($"PartitionKey ge {"due-"} and PartitionKey lt {"due."}")))
        {
            entries.Add(ScheduleStore.FromRow(row));
        }
        return entries;
    }

    public static Delivery FirstDelivery => new(1, null);

    public async ValueTask DisposeAsync()
    {
        await Store.Table.DeleteAsync();
        await Queue.Queue.DeleteIfExistsAsync();
        try
        {
            Directory.Delete(_cacheDir, recursive: true);
        }
        catch (IOException)
        {
        }
    }
}
