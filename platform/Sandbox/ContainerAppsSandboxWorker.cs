using System.Diagnostics;
using System.Text;

namespace Serverless.Platform.Sandbox;

/// <summary>What the runner learns on its first call: what to run, with which environment.</summary>
public sealed record WorkerHello(string WorkerId, IReadOnlyList<string> Command, IReadOnlyDictionary<string, string> Environment, string PluginMount, TimeSpan PollTimeout);

/// <summary>Host → plugin lines after the runner's <c>after</c>; <see cref="Stop"/> tells it to kill its child and end.</summary>
public sealed record ChannelPoll(IReadOnlyList<string> Lines, long Last, bool Stop);

/// <summary>One batch from the runner, numbered from 1 so a retried POST is recognised.</summary>
public sealed record ChannelPost(long Seq, IReadOnlyList<string> Stdout, string? Stderr, ChannelExit? Exit);

public sealed record ChannelExit(int Code, bool OutOfMemory);

public enum ChannelPostResult
{
    Accepted,
    Duplicate,

    /// <summary>A batch is missing in between: the runner must resend from the one after the last accepted.</summary>
    OutOfOrder,
}

/// <summary>
/// A worker running in a Container Apps job execution. The plugin's stdio is carried over the HTTPS
/// callback channel (docs/sandbox.md): lines the host writes wait in an outbox until the runner
/// long-polls them (and acknowledges them with its next poll); the runner POSTs stdout lines, stderr
/// and finally the exit code. The host-side limits of <see cref="SandboxWorker"/> apply unchanged.
/// Kill sets a stop flag the runner sees on its next poll or post; the job's replicaTimeout ends an
/// execution whose runner never comes back.
/// </summary>
public sealed class ContainerAppsSandboxWorker : SandboxWorker
{
    private const int MaxOutboxLines = 4096;
    private static readonly IReadOnlyList<string> DefaultCommand = ["python3", "-m", "serverless_sdk.runner", "--plugin-dir", ContainerSpec.PluginMountPath];

    private readonly ContainerAppsJobsClient jobs;
    private readonly ContainerAppsSandboxOptions options;
    private readonly Action<ContainerAppsSandboxWorker> forget;
    private readonly Lock outboxGate = new();
    private readonly Queue<(long Seq, string Line)> outbox = new();
    private readonly SemaphoreSlim feed = new(1, 1);
    private readonly TaskCompletionSource connected = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private readonly CancellationTokenSource monitorStop = new();
    private readonly long started = Stopwatch.GetTimestamp();
    private TaskCompletionSource changed = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private Task monitor = Task.CompletedTask;
    private long nextSeq;
    private long lastPostSeq;
    private long lastContact = Stopwatch.GetTimestamp();
    private volatile bool stopRequested;
    private int exitReported;
    private int disposed;

    internal ContainerAppsSandboxWorker(string id, SandboxWorkerSpec spec, SandboxLimits limits, ContainerAppsJobsClient jobs, ContainerAppsSandboxOptions options, Action<ContainerAppsSandboxWorker> forget, ILogger logger)
        : base(id, spec, limits, logger)
    {
        this.jobs = jobs;
        this.options = options;
        this.forget = forget;
    }

    /// <summary>The job execution running this worker, once ARM has named it.</summary>
    public string? ExecutionName { get; private set; }

    /// <summary>Completes on the runner's first call back.</summary>
    public Task Connected => connected.Task;

    /// <summary>Starts watching the execution: its ARM status, the runner's contact, the replica's lifetime.</summary>
    internal void Watch(string executionName, TimeSpan replicaTimeout)
    {
        ExecutionName = executionName;
        // Retire early enough that a full wall time still fits before the job's replicaTimeout kills the replica.
        var retireAfter = replicaTimeout - Limits.WallTime - TimeSpan.FromSeconds(5);
        monitor = Task.Run(() => MonitorAsync(executionName, retireAfter < TimeSpan.FromSeconds(5) ? TimeSpan.FromSeconds(5) : retireAfter));
    }

    internal WorkerHello Hello()
    {
        Touch();
        connected.TrySetResult();
        return new WorkerHello(Id, Spec.Command ?? DefaultCommand, Spec.Environment, ContainerSpec.PluginMountPath, options.PollTimeout);
    }

    /// <summary>Long-poll: lines after <paramref name="after"/> (which acknowledges everything up to it), or none after the poll timeout.</summary>
    internal async Task<ChannelPoll> PollAsync(long after, CancellationToken cancellationToken)
    {
        Touch();
        connected.TrySetResult();
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        timeout.CancelAfter(options.PollTimeout);
        while (true)
        {
            Task signal;
            lock (outboxGate)
            {
                while (outbox.Count > 0 && outbox.Peek().Seq <= after)
                {
                    outbox.Dequeue();
                }
                if (stopRequested || HasExited)
                {
                    return new ChannelPoll([], after, Stop: true);
                }
                if (outbox.Count > 0)
                {
                    return new ChannelPoll(outbox.Select(item => item.Line).ToList(), outbox.Last().Seq, Stop: false);
                }
                signal = changed.Task;
            }
            try
            {
                await signal.WaitAsync(timeout.Token);
            }
            catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
            {
                Touch();
                return new ChannelPoll([], after, Stop: false);
            }
        }
    }

    /// <summary>Takes one batch from the runner; the answer says whether the runner must stop.</summary>
    internal async Task<(ChannelPostResult Result, bool Stop)> AcceptAsync(ChannelPost post, CancellationToken cancellationToken)
    {
        Touch();
        connected.TrySetResult();
        await feed.WaitAsync(cancellationToken);
        try
        {
            if (Volatile.Read(ref exitReported) == 1)
            {
                return (ChannelPostResult.Duplicate, true);
            }
            if (post.Seq <= lastPostSeq)
            {
                return (ChannelPostResult.Duplicate, stopRequested);
            }
            if (post.Seq != lastPostSeq + 1)
            {
                return (ChannelPostResult.OutOfOrder, stopRequested);
            }
            lastPostSeq = post.Seq;
            foreach (var line in post.Stdout)
            {
                await OnStdoutAsync(Encoding.UTF8.GetBytes(line + "\n"), cancellationToken);
            }
            if (!string.IsNullOrEmpty(post.Stderr))
            {
                OnStderr(Encoding.UTF8.GetBytes(post.Stderr));
            }
            if (post.Exit is { } exit)
            {
                ReportExitLocked(exit.Code, exit.OutOfMemory, null);
            }
            return (ChannelPostResult.Accepted, stopRequested || post.Exit is not null);
        }
        finally
        {
            feed.Release();
        }
    }

    public override async ValueTask DisposeAsync()
    {
        if (Interlocked.Exchange(ref disposed, 1) == 1)
        {
            return;
        }
        await KillAsync(SandboxExitReason.Stopped, "stopped by the host");
        if (!connected.Task.IsCompleted)
        {
            // No runner to confirm anything: its execution (if any) ends at the replica timeout.
            await ReportExitAsync(null, "stopped before its runner called back");
        }
        try
        {
            await WaitAsync().WaitAsync(options.KillGrace + TimeSpan.FromSeconds(1));
        }
        catch (TimeoutException)
        {
            await ReportExitAsync(null, "the runner did not confirm its stop");
        }
        await monitorStop.CancelAsync();
        try
        {
            await monitor;
        }
        catch (OperationCanceledException)
        {
        }
        // Gone from the registry: a late poll gets 410 and the runner ends.
        forget(this);
        monitorStop.Dispose();
    }

    protected override Task WriteStdinAsync(ReadOnlyMemory<byte> data, CancellationToken cancellationToken)
    {
        var text = Encoding.UTF8.GetString(data.Span).TrimEnd('\n');
        lock (outboxGate)
        {
            if (stopRequested || HasExited)
            {
                throw new IOException("the worker is stopping");
            }
            if (outbox.Count >= MaxOutboxLines)
            {
                throw new IOException($"the runner has not fetched {MaxOutboxLines} lines; taking it for stuck");
            }
            foreach (var line in text.Split('\n'))
            {
                outbox.Enqueue((++nextSeq, line));
            }
            Signal();
        }
        return Task.CompletedTask;
    }

    protected override Task KillCoreAsync()
    {
        lock (outboxGate)
        {
            stopRequested = true;
            Signal();
        }
        // The runner confirms with its exit; one that cannot be reached any more is not waited for.
        _ = Task.Delay(options.KillGrace).ContinueWith(_ => ReportExitAsync(null, "the runner did not confirm the kill"), TaskScheduler.Default);
        return Task.CompletedTask;
    }

    private async Task MonitorAsync(string executionName, TimeSpan retireAfter)
    {
        var token = monitorStop.Token;
        var endedSeen = 0;
        try
        {
            while (!HasExited)
            {
                await Task.Delay(options.StatusInterval, token);
                if (!connected.Task.IsCompleted && Stopwatch.GetElapsedTime(started) > options.StartTimeout)
                {
                    await FailAsync($"the runner of job execution {executionName} did not call back within {options.StartTimeout.TotalSeconds:0} s");
                    return;
                }
                if (connected.Task.IsCompleted && Stopwatch.GetElapsedTime(Interlocked.Read(ref lastContact)) > options.ContactTimeout)
                {
                    await FailAsync($"lost contact with the runner of job execution {executionName} (silent for {options.ContactTimeout.TotalSeconds:0} s)");
                    return;
                }
                if (Stopwatch.GetElapsedTime(started) > retireAfter)
                {
                    await TryRetireIdleAsync($"retired: job execution {executionName} is near its replica timeout");
                }
                JobExecution execution;
                try
                {
                    execution = await jobs.GetExecutionAsync(executionName, token);
                }
                catch (ContainerAppsException e)
                {
                    Logger.LogWarning("Could not read job execution {Execution}: {Message}", executionName, e.Message);
                    continue;
                }
                // The runner posts its exit before the execution ends; give that post one more round to land.
                if (execution.HasEnded && ++endedSeen >= 2)
                {
                    await FailAsync($"job execution {executionName} ended with status {execution.Status}");
                    return;
                }
            }
        }
        catch (OperationCanceledException) when (token.IsCancellationRequested)
        {
        }
    }

    private async Task FailAsync(string message)
    {
        lock (outboxGate)
        {
            stopRequested = true;
            Signal();
        }
        await ReportExitAsync(null, message);
    }

    private async Task ReportExitAsync(int? exitCode, string message)
    {
        await feed.WaitAsync();
        try
        {
            ReportExitLocked(exitCode, false, message);
        }
        finally
        {
            feed.Release();
        }
    }

    /// <summary>Once, with <see cref="feed"/> held so no stdout batch is being fed at the same time.</summary>
    private void ReportExitLocked(int? exitCode, bool outOfMemory, string? error)
    {
        if (Interlocked.Exchange(ref exitReported, 1) == 0)
        {
            OnExited(exitCode, outOfMemory, error);
            lock (outboxGate)
            {
                Signal();
            }
        }
    }

    private void Touch() => Interlocked.Exchange(ref lastContact, Stopwatch.GetTimestamp());

    /// <summary>Wakes waiting polls; call with <see cref="outboxGate"/> held.</summary>
    private void Signal()
    {
        var waking = changed;
        changed = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        waking.TrySetResult();
    }
}
