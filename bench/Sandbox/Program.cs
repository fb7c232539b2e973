using System.Diagnostics;
using System.Globalization;
using System.Text;
using System.Text.Json.Nodes;
using Microsoft.Extensions.Logging.Abstractions;
using Serverless.Platform.Sandbox;

// The sandbox benchmark (docs/benchmarks.md, "Sandbox"): in one run, against the same image,
//   baseline  docker run --rm --network none IMAGE python3 -c pass
//   cold      DockerSandboxDriver: create + attach + start, describe, invoke (respond back in the host)
//   warm      one pooled worker: invoke -> interaction.respond arrives in the host
//   throughput k installs (k warm workers) invoked concurrently
// Usage: dotnet run -c Release --project bench/Sandbox -- [--runs N] [--warm M] [--installs K] [--seconds S]
var runs = Option("--runs", 20);
var warmRuns = Option("--warm", 1000);
var installs = Option("--installs", 4);
var seconds = Option("--seconds", 10);
var image = DockerSandboxOptions.DefaultImage;
var platform = "serverless-bench-" + Environment.ProcessId;
using var client = DockerEngine.CreateClient(Environment.GetEnvironmentVariable("DOCKER_HOST"));
var options = new DockerSandboxOptions { PlatformName = platform, DockerHost = client.Host() };
var driver = new DockerSandboxDriver(client, options, NullLogger<DockerSandboxDriver>.Instance);
var pluginDir = PluginFolder();
var spec = new SandboxWorkerSpec("bench_plugin", "1.0.0", "install-0") { PluginDirectory = pluginDir };

Console.WriteLine($"sandbox benchmark: image {image}, {runs} cold runs, {warmRuns} warm round trips, {installs} installs for {seconds} s");

// Warm the engine and the page cache once so the first measured run of either side is not an outlier.
await DockerRunAsync();
await ColdAsync(spec with { InstallId = "warmup" });

var baseline = new List<double>();
var cold = new List<double>();
var coldTotal = new List<double>();
for (var i = 0; i < runs; i++)
{
    // Interleaved, so drift on a shared machine hits both sides alike.
    baseline.Add(await DockerRunAsync());
    var (toResult, total) = await ColdAsync(spec with { InstallId = "cold-" + i });
    cold.Add(toResult);
    coldTotal.Add(total);
}

await using var pool = new SandboxPool(driver, new SandboxPoolOptions { MaxWorkers = Math.Max(installs, 2) }, NullLogger<SandboxPool>.Instance);
var warm = await WarmAsync(pool, spec with { InstallId = "warm" }, warmRuns);
var (completed, elapsed, latencies) = await ThroughputAsync(pool, installs, TimeSpan.FromSeconds(seconds));
await pool.DisposeAsync();
await driver.RemoveLeftoversAsync(CancellationToken.None);
Directory.Delete(pluginDir, recursive: true);

var report = new StringBuilder();
report.AppendLine("| measurement | n | median | p90 | p99 | min |");
report.AppendLine("| --- | --- | --- | --- | --- | --- |");
Row("baseline `docker run --rm --network none` python3 -c pass", baseline);
Row("cold: start worker + describe + invoke, to the respond in the host", cold);
Row("cold, including stop and removal of the container", coldTotal);
Row("warm round trip: invoke → respond back in the host", warm);
Row($"throughput: latency per invoke, {installs} installs concurrently", latencies);
report.AppendLine();
report.AppendLine(Invariant($"- cold / baseline (medians): **{Median(cold) / Median(baseline):0.00}×** (target ≤ 1.2×); with teardown {Median(coldTotal) / Median(baseline):0.00}×"));
report.AppendLine(Invariant($"- warm round trip median: **{Median(warm):0.000} ms** (target < 5 ms), p99 {Percentile(warm, 0.99):0.000} ms"));
report.AppendLine(Invariant($"- warm throughput, {installs} installs: **{completed / elapsed.TotalSeconds:0} invocations/s** ({completed} in {elapsed.TotalSeconds:0.0} s)"));
Console.WriteLine();
Console.Write(report);
return 0;

void Row(string name, List<double> samples) =>
    report.AppendLine(Invariant($"| {name} | {samples.Count} | {Median(samples):0.00} ms | {Percentile(samples, 0.90):0.00} ms | {Percentile(samples, 0.99):0.00} ms | {samples.Min():0.00} ms |"));

async Task<double> DockerRunAsync()
{
    var started = Stopwatch.GetTimestamp();
    using var process = Process.Start(new ProcessStartInfo("docker", ["run", "--rm", "--network", "none", image, "python3", "-c", "pass"])
    {
        RedirectStandardOutput = true,
        RedirectStandardError = true,
    })!;
    await process.WaitForExitAsync();
    if (process.ExitCode != 0)
    {
        throw new InvalidOperationException("docker run failed: " + await process.StandardError.ReadToEndAsync());
    }
    return Stopwatch.GetElapsedTime(started).TotalMilliseconds;
}

async Task<(double ToResult, double Total)> ColdAsync(SandboxWorkerSpec workerSpec)
{
    var started = Stopwatch.GetTimestamp();
    var responded = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
    double toResult;
    await using (var worker = await driver.StartWorkerAsync(workerSpec, CancellationToken.None))
    {
        await using var rpc = JsonRpcPeer.Over(worker, NullLogger.Instance);
        using var invocation = worker.BeginInvocation();
        using var serving = rpc.Serve(invocation.Id, Responder(responded));
        await rpc.SendRequestAsync("describe", new JsonObject(), invocation.WallClockToken);
        var result = await rpc.SendRequestAsync("invoke", Invoke(invocation.Id), invocation.WallClockToken);
        await responded.Task;
        toResult = Stopwatch.GetElapsedTime(started).TotalMilliseconds;
        if (result?["handled"]?.GetValue<bool>() != true)
        {
            throw new InvalidOperationException("cold invoke not handled: " + result?.ToJsonString());
        }
    }
    return (toResult, Stopwatch.GetElapsedTime(started).TotalMilliseconds);
}

async Task<List<double>> WarmAsync(SandboxPool warmPool, SandboxWorkerSpec workerSpec, int count)
{
    var samples = new List<double>(count);
    for (var i = 0; i < count + 20; i++)
    {
        samples.Add(await OneWarmAsync(warmPool, workerSpec));
    }
    return samples.Skip(20).ToList();
}

async Task<double> OneWarmAsync(SandboxPool warmPool, SandboxWorkerSpec workerSpec)
{
    var responded = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
    await using var lease = await warmPool.AcquireAsync(workerSpec, Responder(responded), CancellationToken.None);
    var started = Stopwatch.GetTimestamp();
    var call = lease.Rpc.SendRequestAsync("invoke", Invoke(lease.Invocation.Id), lease.Invocation.WallClockToken);
    await responded.Task;
    var roundTrip = Stopwatch.GetElapsedTime(started).TotalMilliseconds;
    await call;
    return roundTrip;
}

async Task<(int Completed, TimeSpan Elapsed, List<double> Latencies)> ThroughputAsync(SandboxPool throughputPool, int k, TimeSpan duration)
{
    var specs = Enumerable.Range(0, k).Select(i => spec with { InstallId = "tp-" + i }).ToArray();
    foreach (var installSpec in specs)
    {
        await OneWarmAsync(throughputPool, installSpec);
    }
    var latencies = new List<double>();
    var started = Stopwatch.GetTimestamp();
    var until = started + (long)(duration.TotalSeconds * Stopwatch.Frequency);
    var completed = 0;
    await Task.WhenAll(specs.Select(installSpec => Task.Run(async () =>
    {
        var mine = new List<double>();
        while (Stopwatch.GetTimestamp() < until)
        {
            var one = Stopwatch.GetTimestamp();
            var responded = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
            await using (var lease = await throughputPool.AcquireAsync(installSpec, Responder(responded), CancellationToken.None))
            {
                await lease.Rpc.SendRequestAsync("invoke", Invoke(lease.Invocation.Id), lease.Invocation.WallClockToken);
            }
            mine.Add(Stopwatch.GetElapsedTime(one).TotalMilliseconds);
            Interlocked.Increment(ref completed);
        }
        lock (latencies)
        {
            latencies.AddRange(mine);
        }
    })));
    return (completed, Stopwatch.GetElapsedTime(started), latencies);
}

static InvocationCalls Responder(TaskCompletionSource responded) => new((request, _) =>
{
    if (request.Method == "interaction.respond")
    {
        responded.TrySetResult();
    }
    return Task.FromResult<JsonNode?>(null);
});

static JsonObject Invoke(string invocationId) => new()
{
    ["invocation_id"] = invocationId,
    ["kind"] = "slash_command",
    ["name"] = "ping",
    ["event"] = new JsonObject { ["interaction_id"] = "1", ["options"] = new JsonArray() },
    ["context"] = new JsonObject { ["guild_id"] = "1", ["plugin_id"] = "bench_plugin", ["install_id"] = "i", ["pool"] = false },
};

static string PluginFolder()
{
    var directory = Directory.CreateTempSubdirectory("bench-plugin-").FullName;
    File.WriteAllText(Path.Combine(directory, "plugin.py"), """
        from mmo_maid_sdk import Plugin, Context

        plugin = Plugin()

        @plugin.on_slash_command("ping")
        def ping(ctx: Context, event: dict):
            ctx.interaction.respond(content="pong")
        """);
    if (!OperatingSystem.IsWindows())
    {
        File.SetUnixFileMode(directory, (UnixFileMode)0b111_101_101);
        File.SetUnixFileMode(Path.Combine(directory, "plugin.py"), (UnixFileMode)0b110_100_100);
    }
    return directory;
}

static double Median(List<double> samples) => Percentile(samples, 0.5);

static double Percentile(List<double> samples, double p)
{
    var sorted = samples.Order().ToArray();
    return sorted[Math.Clamp((int)Math.Ceiling(p * sorted.Length) - 1, 0, sorted.Length - 1)];
}

static string Invariant(FormattableString text) => text.ToString(CultureInfo.InvariantCulture);

int Option(string name, int fallback)
{
    var at = Array.IndexOf(args, name);
    return at >= 0 && at + 1 < args.Length && int.TryParse(args[at + 1], out var value) ? value : fallback;
}
