using System.Diagnostics;

namespace Serverless.Platform.Sandbox;

public enum SandboxPoolMode
{
    /// <summary>One worker per plugin version and install: nothing is shared between installs.</summary>
    PerInstall,

    /// <summary>One worker per plugin version, shared by its installs (less isolation, fewer containers).</summary>
    PerVersion,
}

public sealed record SandboxPoolOptions
{
    public SandboxPoolMode Mode { get; init; } = SandboxPoolMode.PerInstall;

    public TimeSpan IdleTimeout { get; init; } = TimeSpan.FromMinutes(5);

    /// <summary>A worker is replaced after this many invocations, bounding what a plugin can accumulate.</summary>
    public int MaxInvocationsPerWorker { get; init; } = 500;

    public int MaxWorkers { get; init; } = 32;

    public static SandboxPoolOptions FromConfiguration(IConfiguration configuration)
    {
        var errors = new List<string>();
        var options = new SandboxPoolOptions();
        int? Integer(string key, int min)
        {
            var text = configuration[key];
            if (string.IsNullOrWhiteSpace(text)) return null;
            if (int.TryParse(text, out var value) && value >= min) return value;
            errors.Add($"{key} must be an integer >= {min}, got '{text}'");
            return null;
        }
        var mode = configuration["SANDBOX_POOL_MODE"];
        if (!string.IsNullOrWhiteSpace(mode) && !Enum.TryParse<SandboxPoolMode>(mode.Replace("-", "", StringComparison.Ordinal), ignoreCase: true, out _))
        {
            errors.Add($"SANDBOX_POOL_MODE must be per-install or per-version, got '{mode}'");
        }
        options = options with
        {
            Mode = !string.IsNullOrWhiteSpace(mode) && Enum.TryParse<SandboxPoolMode>(mode.Replace("-", "", StringComparison.Ordinal), true, out var parsed) ? parsed : options.Mode,
            IdleTimeout = Integer("SANDBOX_POOL_IDLE_SECONDS", 1) is { } idle ? TimeSpan.FromSeconds(idle) : options.IdleTimeout,
            MaxInvocationsPerWorker = Integer("SANDBOX_POOL_MAX_INVOCATIONS", 1) ?? options.MaxInvocationsPerWorker,
            MaxWorkers = Integer("SANDBOX_POOL_MAX_WORKERS", 1) ?? options.MaxWorkers,
        };
        if (errors.Count > 0)
        {
            throw new InvalidOperationException("invalid sandbox pool settings: " + string.Join("; ", errors));
        }
        return options;
    }
}

/// <summary>Which worker an invocation may use.</summary>
public sealed record SandboxPoolKey(string PluginId, string PluginVersion, string? InstallId);

/// <summary>
/// Warm workers: one long-lived worker per key, reused across invocations, one
/// invocation at a time. Cold start when none is warm (concurrent callers share one
/// start), replaced when it crashed or served its quota, evicted when idle, capped in
/// number (the least recently used idle worker makes room), all stopped on dispose.
/// </summary>
public sealed class SandboxPool : IAsyncDisposable
{
    private readonly ISandboxDriver driver;
    private readonly SandboxPoolOptions options;
    private readonly ILogger logger;
    private readonly Lock gate = new();
    private readonly Dictionary<SandboxPoolKey, Entry> entries = [];
    private readonly SemaphoreSlim slots;
    private readonly CancellationTokenSource shutdown = new();
    private readonly Task sweeper;
    private bool disposed;

    public SandboxPool(ISandboxDriver driver, SandboxPoolOptions options, ILogger<SandboxPool> logger)
    {
        this.driver = driver;
        this.options = options;
        this.logger = logger;
        slots = new SemaphoreSlim(options.MaxWorkers, options.MaxWorkers);
        sweeper = Task.Run(SweepAsync);
    }

    public string DriverName => driver.Name;

    /// <summary>Live and starting workers.</summary>
    public int Count
    {
        get
        {
            lock (gate)
            {
                return entries.Count;
            }
        }
    }

    public SandboxPoolKey KeyFor(SandboxWorkerSpec spec) =>
        new(spec.PluginId, spec.PluginVersion, options.Mode == SandboxPoolMode.PerInstall ? spec.InstallId : null);

    /// <summary>Crash recovery: removes workers an earlier host left behind. Call once at start.</summary>
    public Task<int> RecoverAsync(CancellationToken cancellationToken) => driver.RemoveLeftoversAsync(cancellationToken);

    /// <summary>
    /// A worker for <paramref name="spec"/>, warm if one is, with an invocation begun
    /// (its wall clock armed). <paramref name="calls"/> answers the plugin's calls that
    /// carry this invocation's id (<see cref="SandboxInvocation.Id"/>, the one to send in
    /// <c>invoke</c>) until the lease is disposed, when the invocation is done; every
    /// other call is refused (<see cref="JsonRpcPeer.Serve"/>).
    /// </summary>
    public async Task<SandboxLease> AcquireAsync(SandboxWorkerSpec spec, InvocationCalls? calls, CancellationToken cancellationToken)
    {
        var key = KeyFor(spec);
        if (options.Mode == SandboxPoolMode.PerVersion)
        {
            spec = spec with { InstallId = null };
        }
        while (true)
        {
            Entry entry;
            lock (gate)
            {
                ObjectDisposedException.ThrowIf(disposed, this);
                if (!entries.TryGetValue(key, out var found))
                {
                    found = new Entry(key, StartEntryAsync(spec));
                    entries[key] = found;
                }
                entry = found;
            }

            Warm warm;
            try
            {
                warm = await entry.Started.WaitAsync(cancellationToken);
            }
            catch (Exception) when (!cancellationToken.IsCancellationRequested)
            {
                Forget(entry);
                throw;
            }

            await entry.Turn.WaitAsync(cancellationToken);
            if (entry.Retired || warm.Worker.IsStopping)
            {
                // Crashed or evicted while we queued: make way for a fresh worker.
                entry.Turn.Release();
                await RetireAsync(entry);
                continue;
            }
            try
            {
                var invocation = warm.Worker.BeginInvocation();
                entry.Invocations++;
                var serving = calls is null ? null : warm.Rpc.Serve(invocation.Id, calls);
                return new SandboxLease(this, entry, warm, invocation, serving, isWarm: entry.Invocations > 1);
            }
            catch (SandboxWorkerExitedException)
            {
                entry.Turn.Release();
                await RetireAsync(entry);
            }
        }
    }

    public async ValueTask DisposeAsync()
    {
        List<Entry> all;
        lock (gate)
        {
            if (disposed)
            {
                return;
            }
            disposed = true;
            all = [.. entries.Values];
        }
        await shutdown.CancelAsync();
        await sweeper;
        await Task.WhenAll(all.Select(RetireAsync));
        shutdown.Dispose();
    }

    internal async ValueTask ReleaseAsync(SandboxLease lease)
    {
        var entry = lease.Entry;
        lease.Serving?.Dispose();
        lease.Invocation.Dispose();
        entry.LastUsed = Stopwatch.GetTimestamp();
        var retire = lease.Warm.Worker.IsStopping || entry.Invocations >= options.MaxInvocationsPerWorker;
        if (retire)
        {
            entry.Retired = true;
            Forget(entry);
        }
        entry.Turn.Release();
        if (retire)
        {
            await RetireAsync(entry);
        }
    }

    private async Task<Warm> StartEntryAsync(SandboxWorkerSpec spec)
    {
        await Task.Yield();
        await TakeSlotAsync(shutdown.Token);
        try
        {
            var started = Stopwatch.GetTimestamp();
            var worker = await driver.StartWorkerAsync(spec, shutdown.Token);
            logger.LogInformation("Cold start of sandbox worker {WorkerId} for {PluginId} {Version} took {Milliseconds:0} ms",
                worker.Id, spec.PluginId, spec.PluginVersion, Stopwatch.GetElapsedTime(started).TotalMilliseconds);
            var rpc = JsonRpcPeer.Over(worker, logger);
            return new Warm(worker, rpc);
        }
        catch
        {
            slots.Release();
            throw;
        }
    }

    /// <summary>Waits for room under MaxWorkers, evicting the least recently used idle worker if need be.</summary>
    private async Task TakeSlotAsync(CancellationToken cancellationToken)
    {
        while (!await slots.WaitAsync(0, cancellationToken))
        {
            Entry? victim;
            lock (gate)
            {
                victim = entries.Values
                    .Where(e => e.Started.IsCompletedSuccessfully && !e.Retired && e.Turn.CurrentCount == 1)
                    .OrderBy(e => e.LastUsed)
                    .FirstOrDefault();
            }
            if (victim is not null && await victim.Turn.WaitAsync(0, cancellationToken))
            {
                victim.Retired = true;
                Forget(victim);
                victim.Turn.Release();
                await RetireAsync(victim);
                continue;
            }
            // Every worker is busy: wait for one to finish, looking for idle ones now and then.
            if (await slots.WaitAsync(TimeSpan.FromMilliseconds(200), cancellationToken))
            {
                return;
            }
        }
    }

    private void Forget(Entry entry)
    {
        lock (gate)
        {
            if (entries.TryGetValue(entry.Key, out var current) && ReferenceEquals(current, entry))
            {
                entries.Remove(entry.Key);
            }
        }
    }

    /// <summary>Stops an entry's worker once, giving back its slot.</summary>
    private async Task RetireAsync(Entry entry)
    {
        entry.Retired = true;
        Forget(entry);
        if (Interlocked.Exchange(ref entry.Stopped, 1) == 1)
        {
            return;
        }
        Warm warm;
        try
        {
            warm = await entry.Started;
        }
        catch
        {
            // It never started, so it holds no slot.
            return;
        }
        try
        {
            await warm.Worker.DisposeAsync();
            await warm.Rpc.DisposeAsync();
        }
        catch (Exception e)
        {
            logger.LogWarning(e, "Stopping sandbox worker {WorkerId} failed", warm.Worker.Id);
        }
        finally
        {
            slots.Release();
        }
    }

    private async Task SweepAsync()
    {
        var period = TimeSpan.FromMilliseconds(Math.Clamp(options.IdleTimeout.TotalMilliseconds / 4, 100, 5000));
        using var timer = new PeriodicTimer(period);
        try
        {
            while (await timer.WaitForNextTickAsync(shutdown.Token))
            {
                List<Entry> candidates;
                lock (gate)
                {
                    candidates = entries.Values.Where(e => e.Started.IsCompletedSuccessfully).ToList();
                }
                foreach (var entry in candidates)
                {
                    var worker = entry.Started.Result.Worker;
                    var idle = Stopwatch.GetElapsedTime(entry.LastUsed) > options.IdleTimeout;
                    if ((worker.HasExited || idle) && entry.Turn.Wait(0))
                    {
                        entry.Retired = true;
                        Forget(entry);
                        entry.Turn.Release();
                        logger.LogDebug("Sandbox worker {WorkerId} retired: {Why}", worker.Id, worker.HasExited ? "exited" : "idle");
                        await RetireAsync(entry);
                    }
                }
            }
        }
        catch (OperationCanceledException)
        {
            // Shutting down.
        }
    }

    internal sealed class Entry(SandboxPoolKey key, Task<Warm> started)
    {
        public SandboxPoolKey Key { get; } = key;

        public Task<Warm> Started { get; } = started;

        /// <summary>One invocation at a time per worker.</summary>
        public SemaphoreSlim Turn { get; } = new(1, 1);

        public int Invocations { get; set; }

        public long LastUsed { get; set; } = Stopwatch.GetTimestamp();

        public volatile bool Retired;

        public int Stopped;
    }

    internal sealed record Warm(SandboxWorker Worker, JsonRpcPeer Rpc);
}

/// <summary>
/// One invocation's use of a pooled worker. <see cref="Rpc"/> talks to the plugin;
/// dispose to hand the worker back (or retire it, when it crashed or is used up).
/// </summary>
public sealed class SandboxLease : IAsyncDisposable
{
    private readonly SandboxPool pool;
    private int released;

    internal SandboxLease(SandboxPool pool, SandboxPool.Entry entry, SandboxPool.Warm warm, SandboxInvocation invocation, IDisposable? serving, bool isWarm)
    {
        this.pool = pool;
        Entry = entry;
        Warm = warm;
        Invocation = invocation;
        Serving = serving;
        IsWarm = isWarm;
    }

    public SandboxWorker Worker => Warm.Worker;

    public JsonRpcPeer Rpc => Warm.Rpc;

    public SandboxInvocation Invocation { get; }

    /// <summary>False on the worker's first invocation (a cold start).</summary>
    public bool IsWarm { get; }

    internal SandboxPool.Entry Entry { get; }

    internal SandboxPool.Warm Warm { get; }

    /// <summary>The plugin's calls for this invocation being answered; disposed with the lease.</summary>
    internal IDisposable? Serving { get; }

    public async ValueTask DisposeAsync()
    {
        if (Interlocked.Exchange(ref released, 1) == 0)
        {
            await pool.ReleaseAsync(this);
        }
    }
}
