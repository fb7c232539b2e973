using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Net.Sockets;
using Azure.Data.Tables;
using Azure.Storage.Blobs;
using Azure.Storage.Queues;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.Logging.Abstractions;
using Serverless.Platform.Invocations;
using Serverless.Platform.Packages;
using Serverless.Platform.Schedules;
using Serverless.Platform.WorkQueue;

// One scheduler tick over many registered schedules of which a few are due, against Azurite (docs/benchmarks.md).
//   dotnet run -c Release --project bench/schedules -- [--schedules 100000] [--due 1000] [--rounds 5]
// Uses AZURITE_CONNECTION_STRING when set, else starts local/node_modules/.bin/azurite in memory.

var schedules = Option("--schedules", 100_000);
var due = Option("--due", 1_000);
var rounds = Option("--rounds", 5);

using var azurite = AzuriteProcess.StartOrUse();
var tables = new TableServiceClient(azurite.ConnectionString);
var blobs = new BlobServiceClient(azurite.ConnectionString);
var queues = new QueueServiceClient(azurite.ConnectionString);
var now = new DateTimeOffset(2026, 11, 20, 12, 0, 30, TimeSpan.Zero);
var clock = new FixedClock(now);
var tableName = "benchschedules" + Guid.NewGuid().ToString("N")[..8];
var store = new ScheduleStore(tables, tableName);
await store.Table.CreateIfNotExistsAsync();
await blobs.GetBlobContainerClient(WorkItemBodies.ContainerName).CreateIfNotExistsAsync();
var queue = new StorageWorkQueue(queues, new WorkItemBodies(blobs), "benchticks" + Guid.NewGuid().ToString("N")[..8]);
await queue.Queue.CreateIfNotExistsAsync();
var catalog = new PluginCatalog(tables, blobs);
var files = new PluginFiles(catalog, new PackageValidator(), new ConfigurationBuilder().Build());
var scheduler = new Scheduler(store, catalog, files, queue, clock, new SchedulerOptions(), NullLogger<Scheduler>.Instance);

// Installs of five tasks each, like the SDK's reference example plugin: intervals and crons, due over the next week.
var random = new Random(42);
var seeding = Stopwatch.StartNew();
var notDue = Enumerable.Range(0, schedules - due).Select(i => Entry(i, now.AddSeconds(1 + random.Next(7 * 24 * 3600))));
await store.PutDueAsync(notDue, CancellationToken.None, parallelism: 16);
Console.WriteLine($"seeded {schedules - due:N0} schedules due later in {seeding.Elapsed.TotalSeconds:0.0} s");

// Warm-up (JIT, connections) on a few due entries, not measured.
await store.PutDueAsync(Enumerable.Range(0, 50).Select(i => Entry(schedules + i, now.AddSeconds(-5))), CancellationToken.None);
await scheduler.TickAsync(CancellationToken.None);
await queue.Queue.ClearMessagesAsync();

var results = new List<(double Ms, long Allocated, long PeakWorkingSet, TickResult Tick)>();
for (var round = 0; round < rounds; round++)
{
    // Each round: a fresh set of due entries (the previous round's moved on to their next times).
    await store.PutDueAsync(Enumerable.Range(0, due).Select(i => Entry(schedules * (round + 2) + i, now.AddSeconds(-random.Next(1, 25)))), CancellationToken.None);
    GC.Collect();
    GC.WaitForPendingFinalizers();
    GC.Collect();
    PeakMemory.Reset();
    var allocatedBefore = GC.GetTotalAllocatedBytes(precise: true);
    var watch = Stopwatch.StartNew();
    var tick = await scheduler.TickAsync(CancellationToken.None);
    watch.Stop();
    var allocated = GC.GetTotalAllocatedBytes(precise: true) - allocatedBefore;
    results.Add((watch.Elapsed.TotalMilliseconds, allocated, PeakMemory.Read(), tick));
    Console.WriteLine($"round {round + 1}: {watch.Elapsed.TotalMilliseconds:0} ms, due {tick.Due}, fired {tick.Fired}, allocated {allocated / 1024.0 / 1024.0:0.0} MiB, peak working set {PeakMemory.Read() / 1024.0 / 1024.0:0} MiB");
    if (tick.Fired != due)
    {
        throw new InvalidOperationException($"expected {due} fired, got {tick.Fired}");
    }
    if ((await queue.Queue.GetPropertiesAsync()).Value.ApproximateMessagesCount != due)
    {
        throw new InvalidOperationException("the queue does not hold one work item per due tick");
    }
    await queue.Queue.ClearMessagesAsync();
}

var ms = results.Select(r => r.Ms).Order().ToList();
Console.WriteLine();
Console.WriteLine($"schedules {schedules:N0}, due {due:N0}, rounds {rounds}, nproc {Environment.ProcessorCount}, memory {GC.GetGCMemoryInfo().TotalAvailableMemoryBytes / 1024.0 / 1024 / 1024:0.0} GiB, server GC {System.Runtime.GCSettings.IsServerGC}");
Console.WriteLine($"tick: median {ms[ms.Count / 2]:0} ms (min {ms[0]:0}, max {ms[^1]:0}); allocated median {results.Select(r => r.Allocated).Order().ElementAt(results.Count / 2) / 1024.0 / 1024.0:0.0} MiB; peak working set max {results.Max(r => r.PeakWorkingSet) / 1024.0 / 1024.0:0} MiB");

await store.Table.DeleteAsync();
await queue.Queue.DeleteIfExistsAsync();
return 0;

static DueEntry Entry(int i, DateTimeOffset at)
{
    var task = (i % 5) switch
    {
        0 => ScheduledTask.Interval("heartbeat", TimeSpan.FromSeconds(300)),
        1 => ScheduledTask.Interval("sync", TimeSpan.FromSeconds(60)),
        2 => ScheduledTask.CodeCron("weekly_report", "0 9 * * 1"),
        3 => ScheduledTask.CodeCron("heartbeat#2", "*/15 * * * *"),
        _ => ScheduledTask.CodeCron("monthly_rollup", "30 0 1 * *"),
    };
    return new DueEntry((100_000_000_000L + i / 5).ToString(CultureInfo.InvariantCulture), "bench_plugin", "g1", task, at);
}

int Option(string name, int fallback)
{
    var index = Array.IndexOf(args, name);
    return index >= 0 && index + 1 < args.Length ? int.Parse(args[index + 1], CultureInfo.InvariantCulture) : fallback;
}

sealed class FixedClock(DateTimeOffset now) : TimeProvider
{
    public override DateTimeOffset GetUtcNow() => now;
}

/// <summary>Peak resident set of this process over a span: Linux resets VmHWM on writing 5 to clear_refs.</summary>
static class PeakMemory
{
    public static void Reset()
    {
        try
        {
            File.WriteAllText("/proc/self/clear_refs", "5");
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
        }
    }

    public static long Read()
    {
        try
        {
            var line = File.ReadLines("/proc/self/status").First(l => l.StartsWith("VmHWM:", StringComparison.Ordinal));
            return long.Parse(line.Split(' ', StringSplitOptions.RemoveEmptyEntries)[1], CultureInfo.InvariantCulture) * 1024;
        }
        catch (Exception ex) when (ex is IOException or InvalidOperationException)
        {
            return Process.GetCurrentProcess().PeakWorkingSet64;
        }
    }
}

sealed class AzuriteProcess : IDisposable
{
    private const string Key = "Eby8vdM02xNOcqFlqUwJPLlmEtlCDXJ1OUzFT50uSRZ6IFsuFq2UVErCz4I6tq/K1SZFPTOtr/KBHBeksoGMGw==";
    private readonly Process? _process;
    private readonly string? _directory;

    private AzuriteProcess(string connectionString, Process? process, string? directory)
    {
        ConnectionString = connectionString;
        _process = process;
        _directory = directory;
    }

    public string ConnectionString { get; }

    public static AzuriteProcess StartOrUse()
    {
        if (Environment.GetEnvironmentVariable("AZURITE_CONNECTION_STRING") is { Length: > 0 } given)
        {
            return new AzuriteProcess(given, null, null);
        }
        var root = new DirectoryInfo(AppContext.BaseDirectory);
        while (root is not null && !File.Exists(Path.Combine(root.FullName, "Serverless.sln")))
        {
            root = root.Parent;
        }
        var azurite = root is null ? null : Path.Combine(root.FullName, "local", "node_modules", ".bin", "azurite");
        if (azurite is null || !File.Exists(azurite))
        {
            throw new InvalidOperationException("Azurite not found: run `npm ci` in local/ or set AZURITE_CONNECTION_STRING.");
        }
        var ports = new[] { FreePort(), FreePort(), FreePort() };
        var directory = Directory.CreateTempSubdirectory("bench-azurite-").FullName;
        var start = new ProcessStartInfo(azurite,
        [
            "--blobHost", "127.0.0.1", "--blobPort", ports[0].ToString(CultureInfo.InvariantCulture),
            "--queueHost", "127.0.0.1", "--queuePort", ports[1].ToString(CultureInfo.InvariantCulture),
            "--tableHost", "127.0.0.1", "--tablePort", ports[2].ToString(CultureInfo.InvariantCulture),
            "--inMemoryPersistence", "--skipApiVersionCheck", "--loose", "--disableTelemetry", "--silent",
        ])
        {
            WorkingDirectory = directory,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
        };
        var process = Process.Start(start)!;
        var deadline = DateTime.UtcNow.AddSeconds(30);
        while (!ports.All(Listening))
        {
            if (DateTime.UtcNow > deadline || process.HasExited)
            {
                throw new InvalidOperationException("Azurite did not start");
            }
            Thread.Sleep(100);
        }
        var connection = $"DefaultEndpointsProtocol=http;AccountName=devstoreaccount1;AccountKey={Key};" +
            $"BlobEndpoint=http://127.0.0.1:{ports[0]}/devstoreaccount1;QueueEndpoint=http://127.0.0.1:{ports[1]}/devstoreaccount1;TableEndpoint=http://127.0.0.1:{ports[2]}/devstoreaccount1;";
        return new AzuriteProcess(connection, process, directory);
    }

    private static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }

    private static bool Listening(int port)
    {
        try
        {
            using var client = new TcpClient();
            client.Connect(IPAddress.Loopback, port);
            return true;
        }
        catch (SocketException)
        {
            return false;
        }
    }

    public void Dispose()
    {
        if (_process is { HasExited: false })
        {
            _process.Kill(entireProcessTree: true);
            _process.WaitForExit();
        }
        _process?.Dispose();
        if (_directory is not null)
        {
            Directory.Delete(_directory, recursive: true);
        }
    }
}
