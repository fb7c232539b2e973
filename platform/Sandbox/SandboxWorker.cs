using System.Security.Cryptography;
using System.Text;
using System.Threading.Channels;

namespace Serverless.Platform.Sandbox;

/// <summary>The worker is gone; <see cref="Exit"/> says how it ended when known.</summary>
public sealed class SandboxWorkerExitedException(string message, SandboxExit? exit = null, Exception? innerException = null)
    : Exception(message, innerException)
{
    public SandboxExit? Exit { get; } = exit;
}

/// <summary>
/// A running plugin process seen as a line-oriented duplex channel: lines in on
/// stdin, lines out of stdout, stderr kept as the plugin's log. The host-side
/// limits live here so every driver gets them: output caps per invocation, line
/// length caps, a bounded log and the wall-clock kill. A driver supplies the
/// transport (write stdin, kill) and feeds output and the exit in.
/// </summary>
public abstract class SandboxWorker : IAsyncDisposable
{
    private const int LineQueueCapacity = 256;

    private readonly Channel<string> lines = Channel.CreateBounded<string>(
        new BoundedChannelOptions(LineQueueCapacity) { SingleReader = true, SingleWriter = true, FullMode = BoundedChannelFullMode.Wait });
    private readonly TaskCompletionSource<SandboxExit> exit = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private readonly SemaphoreSlim writeGate = new(1, 1);
    private readonly Lock gate = new();
    private readonly LineSplitter stdout;
    private readonly LineSplitter stderr;
    private readonly Queue<string> log = new();
    private readonly List<string> splitLines = [];
    private int logChars;
    private int droppedLogLines;
    private long stdoutBytes;
    private long stderrBytes;
    private bool stderrCapped;
    private SandboxExit? killedFor;
    private volatile bool draining;
    private SandboxInvocation? current;
    private int invocations;

    protected SandboxWorker(string id, SandboxWorkerSpec spec, SandboxLimits limits, ILogger logger)
    {
        Id = id;
        Spec = spec;
        Limits = limits;
        Logger = logger;
        stdout = new LineSplitter(limits.MaxLineBytes);
        stderr = new LineSplitter(Math.Min(limits.MaxLineBytes, limits.LogBufferBytes));
    }

    public string Id { get; }

    public SandboxWorkerSpec Spec { get; }

    public SandboxLimits Limits { get; }

    public DateTimeOffset StartedAt { get; } = DateTimeOffset.UtcNow;

    public int InvocationCount => Volatile.Read(ref invocations);

    public bool HasExited => exit.Task.IsCompleted;

    /// <summary>Exited, or killed and on its way out: either way it must not take another invocation.</summary>
    public bool IsStopping
    {
        get
        {
            lock (gate)
            {
                return exit.Task.IsCompleted || killedFor is not null;
            }
        }
    }

    /// <summary>Stdout lines cut at <see cref="SandboxLimits.MaxLineBytes"/> so far.</summary>
    public int TruncatedLines => stdout.Truncated;

    protected ILogger Logger { get; }

    /// <summary>Writes one line to the plugin's stdin; writes are serialized.</summary>
    public async Task WriteLineAsync(string line, CancellationToken cancellationToken = default)
    {
        if (line.Contains('\n', StringComparison.Ordinal))
        {
            throw new ArgumentException("a line must not contain a newline", nameof(line));
        }
        if (exit.Task.IsCompleted || draining)
        {
            throw Exited();
        }
        var bytes = new byte[Encoding.UTF8.GetByteCount(line) + 1];
        Encoding.UTF8.GetBytes(line, bytes);
        bytes[^1] = (byte)'\n';
        await writeGate.WaitAsync(cancellationToken);
        try
        {
            await WriteStdinAsync(bytes, cancellationToken);
        }
        catch (Exception e) when (e is IOException or ObjectDisposedException or InvalidOperationException)
        {
            throw Exited(e);
        }
        finally
        {
            writeGate.Release();
        }
    }

    /// <summary>
    /// The plugin's stdout, one line at a time, until it exits. Single reader. Reading
    /// is what drains the pipe: a worker nobody reads from stalls once 256 lines queue up.
    /// </summary>
    public IAsyncEnumerable<string> ReadLinesAsync(CancellationToken cancellationToken = default) =>
        lines.Reader.ReadAllAsync(cancellationToken);

    /// <summary>Takes the stderr lines (the plugin's log) gathered since the last call.</summary>
    public IReadOnlyList<string> DrainLog()
    {
        lock (gate)
        {
            var result = new List<string>(log.Count + 1);
            if (droppedLogLines > 0)
            {
                result.Add($"[{droppedLogLines} earlier log lines dropped: more than {Limits.LogBufferBytes} bytes of log were waiting]");
            }
            result.AddRange(log);
            log.Clear();
            logChars = 0;
            droppedLogLines = 0;
            return result;
        }
    }

    public Task<SandboxExit> WaitAsync(CancellationToken cancellationToken = default) => exit.Task.WaitAsync(cancellationToken);

    /// <summary>
    /// Starts counting one invocation: resets the output caps and arms the wall clock,
    /// which kills the worker if the invocation is not disposed in time. One at a time.
    /// </summary>
    public SandboxInvocation BeginInvocation(TimeSpan? wallTime = null)
    {
        var limit = wallTime ?? Limits.WallTime;
        lock (gate)
        {
            if (exit.Task.IsCompleted || draining)
            {
                throw Exited();
            }
            if (current is not null)
            {
                throw new InvalidOperationException($"worker {Id} is already running an invocation");
            }
            stdoutBytes = 0;
            stderrBytes = 0;
            stderrCapped = false;
            invocations++;
            current = new SandboxInvocation(this, limit);
            return current;
        }
    }

    internal void EndInvocation(SandboxInvocation invocation)
    {
        lock (gate)
        {
            if (ReferenceEquals(current, invocation))
            {
                current = null;
            }
        }
    }

    /// <summary>Kills the worker; the first reason given is the one its exit reports.</summary>
    public async Task KillAsync(SandboxExitReason reason, string message)
    {
        lock (gate)
        {
            if (exit.Task.IsCompleted)
            {
                return;
            }
            killedFor ??= new SandboxExit(reason, null, message);
            draining = true;
        }
        if (reason != SandboxExitReason.Stopped)
        {
            Logger.LogInformation("Sandbox worker {WorkerId} of {PluginId} killed: {Reason}", Id, Spec.PluginId, message);
        }
        try
        {
            await KillCoreAsync();
        }
        catch (Exception e)
        {
            Logger.LogWarning(e, "Could not kill sandbox worker {WorkerId}", Id);
        }
    }

    /// <summary>
    /// Stops the worker only if no invocation is running, atomically with respect to
    /// <see cref="BeginInvocation"/>: for drivers whose workers have a fixed lifetime
    /// (a Container Apps replica timeout), so a new invocation never starts on one about to die.
    /// </summary>
    protected async Task<bool> TryRetireIdleAsync(string message)
    {
        lock (gate)
        {
            if (exit.Task.IsCompleted || killedFor is not null || current is not null)
            {
                return false;
            }
            killedFor = new SandboxExit(SandboxExitReason.Stopped, null, message);
            draining = true;
        }
        try
        {
            await KillCoreAsync();
        }
        catch (Exception e)
        {
            Logger.LogWarning(e, "Could not stop sandbox worker {WorkerId}", Id);
        }
        return true;
    }

    public abstract ValueTask DisposeAsync();

    protected abstract Task WriteStdinAsync(ReadOnlyMemory<byte> data, CancellationToken cancellationToken);

    protected abstract Task KillCoreAsync();

    /// <summary>Feeds stdout; waits while the line queue is full (backpressure), except once killed.</summary>
    protected async ValueTask OnStdoutAsync(ReadOnlyMemory<byte> data, CancellationToken cancellationToken)
    {
        if (draining)
        {
            return;
        }
        if (Interlocked.Add(ref stdoutBytes, data.Length) > Limits.OutputBytesPerStream)
        {
            _ = KillAsync(SandboxExitReason.OutputLimitExceeded,
                $"killed: stdout exceeded the output limit of {Limits.OutputBytesPerStream} bytes in one invocation");
            return;
        }
        splitLines.Clear();
        stdout.Push(data.Span, splitLines);
        foreach (var line in splitLines)
        {
            if (draining)
            {
                lines.Writer.TryWrite(line);
            }
            else
            {
                await lines.Writer.WriteAsync(line, cancellationToken);
            }
        }
    }

    protected void OnStderr(ReadOnlySpan<byte> data)
    {
        if (draining)
        {
            return;
        }
        var total = Interlocked.Add(ref stderrBytes, data.Length);
        if (total > Limits.OutputBytesPerStream)
        {
            if (!stderrCapped)
            {
                stderrCapped = true;
                _ = KillAsync(SandboxExitReason.OutputLimitExceeded,
                    $"killed: stderr exceeded the output limit of {Limits.OutputBytesPerStream} bytes in one invocation");
            }
            return;
        }
        var split = new List<string>();
        stderr.Push(data, split);
        AppendLog(split);
    }

    /// <summary>Reports the end of the process; called once by the driver when output has ended.</summary>
    protected void OnExited(int? exitCode, bool oomKilled, string? error = null)
    {
        var tail = new List<string>();
        if (stdout.Flush() is { } lastLine)
        {
            lines.Writer.TryWrite(lastLine);
        }
        if (stderr.Flush() is { } lastLog)
        {
            tail.Add(lastLog);
        }
        AppendLog(tail);
        SandboxExit result;
        lock (gate)
        {
            result = killedFor is { } killed ? killed with { ExitCode = exitCode }
                : oomKilled ? new SandboxExit(SandboxExitReason.OutOfMemory, exitCode,
                    $"killed: out of memory (limit {Limits.MemoryBytes / SandboxLimits.MiB} MiB)")
                : exitCode is null ? new SandboxExit(SandboxExitReason.Lost, null, error ?? "the sandbox was lost")
                : exitCode == 0 ? new SandboxExit(SandboxExitReason.Exited, 0, "exited normally")
                : new SandboxExit(SandboxExitReason.Crashed, exitCode, $"exited with code {exitCode}{SignalName(exitCode.Value)}");
            current = null;
        }
        lines.Writer.TryComplete();
        exit.TrySetResult(result);
    }

    protected SandboxWorkerExitedException Exited(Exception? inner = null)
    {
        var known = exit.Task.IsCompletedSuccessfully ? exit.Task.Result : killedFor;
        return new SandboxWorkerExitedException(
            known is null ? $"sandbox worker {Id} has exited" : $"sandbox worker {Id} has exited: {known.Message}", known, inner);
    }

    private void AppendLog(List<string> newLines)
    {
        if (newLines.Count == 0)
        {
            return;
        }
        lock (gate)
        {
            foreach (var line in newLines)
            {
                log.Enqueue(line);
                logChars += line.Length;
                while (logChars > Limits.LogBufferBytes && log.Count > 1)
                {
                    logChars -= log.Dequeue().Length;
                    droppedLogLines++;
                }
            }
        }
    }

    private static string SignalName(int exitCode) => exitCode switch
    {
        137 => " (SIGKILL)",
        139 => " (SIGSEGV)",
        143 => " (SIGTERM)",
        _ => "",
    };

    /// <summary>Splits a byte stream into UTF-8 lines, cutting each at a maximum length.</summary>
    private sealed class LineSplitter(int maxLineBytes)
    {
        private byte[] buffer = new byte[Math.Min(4096, maxLineBytes)];
        private int length;
        private bool overflowed;

        public int Truncated { get; private set; }

        public void Push(ReadOnlySpan<byte> data, List<string> output)
        {
            while (!data.IsEmpty)
            {
                var newline = data.IndexOf((byte)'\n');
                var piece = newline < 0 ? data : data[..newline];
                Append(piece);
                if (newline < 0)
                {
                    return;
                }
                output.Add(Take());
                data = data[(newline + 1)..];
            }
        }

        public string? Flush() => length > 0 || overflowed ? Take() : null;

        private void Append(ReadOnlySpan<byte> piece)
        {
            var room = maxLineBytes - length;
            if (piece.Length > room)
            {
                overflowed = true;
                piece = piece[..room];
            }
            if (length + piece.Length > buffer.Length)
            {
                Array.Resize(ref buffer, Math.Min(maxLineBytes, Math.Max(buffer.Length * 2, length + piece.Length)));
            }
            piece.CopyTo(buffer.AsSpan(length));
            length += piece.Length;
        }

        private string Take()
        {
            var span = buffer.AsSpan(0, length);
            if (span.Length > 0 && span[^1] == (byte)'\r')
            {
                span = span[..^1];
            }
            var line = Encoding.UTF8.GetString(span);
            if (overflowed)
            {
                Truncated++;
            }
            length = 0;
            overflowed = false;
            return line;
        }
    }
}

/// <summary>
/// One invocation on a worker. Its token fires at the wall time, when the worker is
/// killed; dispose it when the invocation is done to disarm the clock.
/// </summary>
public sealed class SandboxInvocation : IDisposable
{
    private readonly SandboxWorker worker;
    private readonly CancellationTokenSource wallClock;
    private readonly CancellationTokenRegistration kill;
    private readonly long startedAt = System.Diagnostics.Stopwatch.GetTimestamp();

    internal SandboxInvocation(SandboxWorker worker, TimeSpan wallTime)
    {
        this.worker = worker;
        WallTime = wallTime;
        wallClock = new CancellationTokenSource(wallTime);
        kill = wallClock.Token.Register(() => _ = worker.KillAsync(SandboxExitReason.WallTimeExceeded,
            $"killed: the invocation ran past its wall time of {wallTime.TotalSeconds:0.###} s"));
    }

    /// <summary>
    /// The <c>invocation_id</c> the host sends the plugin: 128 random bits, so code left running from an
    /// earlier invocation cannot guess the id of the next one (docs/protocol.md §4).
    /// </summary>
    public string Id { get; } = Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(16));

    public TimeSpan WallTime { get; }

    public TimeSpan Elapsed => System.Diagnostics.Stopwatch.GetElapsedTime(startedAt);

    /// <summary>Cancelled when the wall time is reached.</summary>
    public CancellationToken WallClockToken => wallClock.Token;

    public void Dispose()
    {
        kill.Dispose();
        wallClock.Dispose();
        worker.EndInvocation(this);
    }
}
