// Event fan-out throughput: how many gateway events per second POST /api/events accepts into the work
// queue for one guild with N listening installs. The real endpoint code (platform/Events) on Kestrel, real
// Azurite (table lookups, the dedup claim, one queue message per install), signed requests over loopback.
//
//   dotnet run -c Release --project bench/EventsBench -- [--installs 1,10,100] [--events 400] [--concurrency 16]
//
// Storage: AZURITE_CONNECTION_STRING, else local/node_modules/.bin/azurite started in memory on free ports.
using System.Diagnostics;
using System.Globalization;
using System.IO.Compression;
using System.Net;
using System.Net.Sockets;
using System.Text;
using System.Text.Json.Nodes;
using Azure.Data.Tables;
using Azure.Storage.Blobs;
using Azure.Storage.Queues;
using Serverless.Functions.Events;
using Serverless.Platform.Events;
using Serverless.Platform.Installs;
using Serverless.Platform.Invocations;
using Serverless.Platform.Packages;
using Serverless.Platform.Hosting;
using Serverless.Platform.WorkQueue;
using Serverless.LocalHost;

var installCounts = Arg("--installs", "1,10,100").Split(',').Select(int.Parse).ToArray();
var eventCount = int.Parse(Arg("--events", "400"), CultureInfo.InvariantCulture);
var concurrency = int.Parse(Arg("--concurrency", "16"), CultureInfo.InvariantCulture);
const string Secret = "bench-events-secret-0123456789";

Process? azurite = null;
var connection = Environment.GetEnvironmentVariable("AZURITE_CONNECTION_STRING");
if (string.IsNullOrEmpty(connection))
{
    (azurite, connection) = await StartAzuriteAsync();
}
try
{
    var blobs = new BlobServiceClient(connection);
    var tables = new TableServiceClient(connection);
    var queues = new QueueServiceClient(connection);
    var queueName = "benchevents" + Guid.NewGuid().ToString("N")[..12];
    await queues.GetQueueClient(queueName).CreateIfNotExistsAsync();
    foreach (var table in new[] { PluginCatalog.TableName, InstallStore.TableName, EventDedup.TableName })
    {
        await tables.GetTableClient(table).CreateIfNotExistsAsync();
    }
    await blobs.GetBlobContainerClient(PluginCatalog.PackagesContainer).CreateIfNotExistsAsync();
    await blobs.GetBlobContainerClient(WorkItemBodies.ContainerName).CreateIfNotExistsAsync();

    var port = FreePort();
    var builder = WebApplication.CreateSlimBuilder();
    builder.Logging.ClearProviders();
    builder.Configuration.AddInMemoryCollection(new Dictionary<string, string?>
    {
        ["AzureWebJobsStorage"] = connection,
        [EventsOptions.SecretSetting] = Secret,
        ["PLUGIN_CACHE_DIR"] = Path.Combine(Path.GetTempPath(), "events-bench-" + Guid.NewGuid().ToString("N")[..8]),
    });
    builder.WebHost.UseKestrel(o => o.Listen(IPAddress.Loopback, port));
    builder.Services.AddSingleton(TimeProvider.System);
    builder.Services.AddStorage(builder.Configuration);
    builder.Services.AddSingleton<WorkItemBodies>();
    builder.Services.AddSingleton<IWorkQueue>(sp => new StorageWorkQueue(queues, sp.GetRequiredService<WorkItemBodies>(), queueName));
    builder.Services.AddSingleton<PluginCatalog>();
    builder.Services.AddSingleton<PackageValidator>();
    builder.Services.AddSingleton<PluginFiles>();
    builder.Services.AddSingleton<InstallStore>();
    builder.Services.AddEvents(builder.Configuration);
    await using var app = builder.Build();
    app.MapHttpFunctions([typeof(EventsFunction)]);
    await app.StartAsync();

    Console.WriteLine($"machine: {Environment.ProcessorCount} cores, {CpuModel()}, .NET {Environment.Version}, {System.Runtime.InteropServices.RuntimeInformation.OSDescription}");
    Console.WriteLine($"events per run: {eventCount}, concurrency: {concurrency}, storage: {(azurite is null ? "AZURITE_CONNECTION_STRING" : "Azurite in memory")}");
    Console.WriteLine();
    Console.WriteLine("| installs listening | events/s accepted | work items/s enqueued | p50 ms | p99 ms |");
    Console.WriteLine("| ---: | ---: | ---: | ---: | ---: |");

    var catalog = new PluginCatalog(tables, blobs);
    var installs = new InstallStore(tables, TimeProvider.System);
    using var http = new HttpClient { BaseAddress = new Uri($"http://127.0.0.1:{port}") };
    foreach (var n in installCounts)
    {
        var guild = Random.Shared.NextInt64(100_000_000_000, 900_000_000_000).ToString(CultureInfo.InvariantCulture);
        await Parallel.ForEachAsync(Enumerable.Range(0, n), new ParallelOptions { MaxDegreeOfParallelism = 16 }, async (i, token) =>
        {
            var id = $"bench_{guild}_{i}";
            var version = PluginVersion.Parse("1.0.0");
            await catalog.PackageBlob(id, version).UploadAsync(BinaryData.FromBytes(Zip(id)), overwrite: true, cancellationToken: token);
            await catalog.TryRecordAsync(new PublishedPlugin(id, version, "bench", "x", new Dictionary<string, VersionRequirement>(), DateTimeOffset.UtcNow)
            {
                Registrations = new JsonObject { ["events"] = new JsonArray("message_create"), ["event_priorities"] = new JsonObject { ["message_create"] = 1000 } },
            }, token);
            var now = DateTimeOffset.UtcNow;
            await installs.SaveAsync(new PluginInstall(guild, id, "i" + Guid.NewGuid().ToString("N"), "*", version, i % 2 == 0 ? ["messages:read_content"] : [], now, now), token);
        });

        // Warm-up: the first event per version reads the catalog and unpacks the manifest once per host.
        await PostAsync(http, guild, n);
        var latencies = new double[eventCount];
        var next = -1;
        var clock = Stopwatch.StartNew();
        await Task.WhenAll(Enumerable.Range(0, concurrency).Select(async _ =>
        {
            int index;
            while ((index = Interlocked.Increment(ref next)) < eventCount)
            {
                var started = Stopwatch.GetTimestamp();
                await PostAsync(http, guild, n);
                latencies[index] = Stopwatch.GetElapsedTime(started).TotalMilliseconds;
            }
        }));
        clock.Stop();
        Array.Sort(latencies);
        var perSecond = eventCount / clock.Elapsed.TotalSeconds;
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"| {n} | {perSecond:0.0} | {perSecond * n:0} | {latencies[eventCount / 2]:0.0} | {latencies[(int)(eventCount * 0.99)]:0.0} |"));
    }
    // The figures count only what really reached the queue.
    var queued = (await queues.GetQueueClient(queueName).GetPropertiesAsync()).Value.ApproximateMessagesCount;
    var expected = installCounts.Sum(n => (eventCount + 1) * n);
    Console.WriteLine();
    Console.WriteLine($"queue holds {queued} work items (expected {expected})");
    await queues.GetQueueClient(queueName).DeleteIfExistsAsync();
    await app.StopAsync();
}
finally
{
    if (azurite is not null)
    {
        azurite.Kill(entireProcessTree: true);
        await azurite.WaitForExitAsync();
    }
}

static async Task PostAsync(HttpClient http, string guild, int expected)
{
    var body = Encoding.UTF8.GetBytes(new JsonObject
    {
        ["id"] = $"{Guid.NewGuid():N}:1",
        ["guild_id"] = guild,
        ["event"] = "message_create",
        ["payload"] = new JsonObject
        {
            ["message_id"] = "1", ["channel_id"] = "2", ["author_id"] = "3", ["author_bot"] = false,
            ["content"] = "hello", ["timestamp"] = "2026-11-21T10:30:00.123000+00:00",
        },
        ["occurred_at"] = DateTimeOffset.UtcNow.ToString("yyyy-MM-dd'T'HH:mm:ss.fff'Z'", CultureInfo.InvariantCulture),
    }.ToJsonString());
    var timestamp = DateTimeOffset.UtcNow.ToUnixTimeSeconds();
    using var request = new HttpRequestMessage(HttpMethod.Post, "/api/events") { Content = new ByteArrayContent(body) };
    request.Headers.Add(EventSignature.TimestampHeader, timestamp.ToString(CultureInfo.InvariantCulture));
    request.Headers.Add(EventSignature.SignatureHeader, EventSignature.Sign(Secret, timestamp, body));
    using var response = await http.SendAsync(request);
    var answer = JsonNode.Parse(await response.Content.ReadAsStringAsync());
    if (response.StatusCode != HttpStatusCode.Accepted || answer?["fanned_out"]?.GetValue<int>() != expected)
    {
        throw new InvalidOperationException($"unexpected answer {(int)response.StatusCode}: {answer?.ToJsonString()}");
    }
}

static byte[] Zip(string id)
{
    using var buffer = new MemoryStream();
    using (var archive = new ZipArchive(buffer, ZipArchiveMode.Create, leaveOpen: true))
    {
        foreach (var (name, text) in new[] { ("manifest.json", $$"""{"id":"{{id}}","version":"1.0.0","entrypoint":"plugin.py","capabilities_required":["messages:read_content"]}"""), ("plugin.py", "pass\n") })
        {
            using var stream = archive.CreateEntry(name).Open();
            stream.Write(Encoding.UTF8.GetBytes(text));
        }
    }
    return buffer.ToArray();
}

string Arg(string name, string fallback)
{
    var at = Array.IndexOf(args, name);
    return at >= 0 && at + 1 < args.Length ? args[at + 1] : fallback;
}

static int FreePort()
{
    using var listener = new TcpListener(IPAddress.Loopback, 0);
    listener.Start();
    return ((IPEndPoint)listener.LocalEndpoint).Port;
}

static string CpuModel() =>
    File.Exists("/proc/cpuinfo") ? File.ReadLines("/proc/cpuinfo").FirstOrDefault(l => l.StartsWith("model name", StringComparison.Ordinal))?.Split(':', 2)[1].Trim() ?? "?" : "?";

static async Task<(Process, string)> StartAzuriteAsync()
{
    var root = AppContext.BaseDirectory;
    string? executable = null;
    for (var dir = new DirectoryInfo(root); dir is not null && executable is null; dir = dir.Parent)
    {
        var candidate = Path.Combine(dir.FullName, "local", "node_modules", ".bin", "azurite");
        executable = File.Exists(candidate) ? candidate : null;
    }
    if (executable is null)
    {
        throw new InvalidOperationException("no Azurite: run `npm ci` in local/ or set AZURITE_CONNECTION_STRING");
    }
    var ports = new[] { FreePort(), FreePort(), FreePort() };
    var start = new ProcessStartInfo(executable) { UseShellExecute = false, RedirectStandardOutput = true, RedirectStandardError = true, WorkingDirectory = Directory.CreateTempSubdirectory("bench-azurite-").FullName };
    foreach (var argument in new[] { "--blobHost", "127.0.0.1", "--blobPort", $"{ports[0]}", "--queueHost", "127.0.0.1", "--queuePort", $"{ports[1]}", "--tableHost", "127.0.0.1", "--tablePort", $"{ports[2]}", "--inMemoryPersistence", "--skipApiVersionCheck", "--loose", "--disableTelemetry", "--silent" })
    {
        start.ArgumentList.Add(argument);
    }
    var process = Process.Start(start)!;
    var deadline = DateTime.UtcNow.AddSeconds(30);
    while (DateTime.UtcNow < deadline)
    {
        try
        {
            using var client = new TcpClient();
            await client.ConnectAsync(IPAddress.Loopback, ports[2]);
            break;
        }
        catch (SocketException)
        {
            await Task.Delay(200);
        }
    }
    // The well-known Azurite account (public by design).
    const string name = "devstoreaccount1";
    const string key = "Eby8vdM02xNOcqFlqUwJPLlmEtlCDXJ1OUzFT50uSRZ6IFsuFq2UVErCz4I6tq/K1SZFPTOtr/KBHBeksoGMGw==";
    return (process, $"DefaultEndpointsProtocol=http;AccountName={name};AccountKey={key};BlobEndpoint=http://127.0.0.1:{ports[0]}/{name};QueueEndpoint=http://127.0.0.1:{ports[1]}/{name};TableEndpoint=http://127.0.0.1:{ports[2]}/{name};");
}
