using System.Text;
using Microsoft.Extensions.Logging.Abstractions;
using Serverless.Platform.Sandbox;

namespace Serverless.Tests.Sandbox;

/// <summary>The host-side limits of every worker, fed by hand instead of by a container.</summary>
public sealed class SandboxWorkerTests
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task OnStdout_PartialCrlfAndOverlongLines_SplitIntoCappedLines()
    {
        await using var worker = new FedWorker(SandboxLimits.Default with { MaxLineBytes = 1024 });
        await worker.StdoutAsync("first\r\nsec");
        await worker.StdoutAsync("ond\n" + new string('x', 5000) + "\nthird");
        worker.Exit(0);

        var lines = new List<string>();
        await foreach (var line in worker.ReadLinesAsync(Ct))
        {
            lines.Add(line);
        }
        Assert.Equal(["first", "second", new string('x', 1024), "third"], lines);
        Assert.Equal(1, worker.TruncatedLines);
        Assert.Equal(SandboxExitReason.Exited, (await worker.WaitAsync(Ct)).Reason);
    }

    [Fact]
    public async Task OnStdout_PastOutputCap_KillsWithOutputStatusAndInvocationResetsIt()
    {
        await using var worker = new FedWorker(SandboxLimits.Default with { OutputBytesPerStream = 2048 });
        var reader = Task.Run(async () => { await foreach (var _ in worker.ReadLinesAsync(Ct)) { } }, Ct);
        using (worker.BeginInvocation())
        {
            await worker.StdoutAsync(new string('a', 1500) + "\n");
        }
        using (worker.BeginInvocation())
        {
            await worker.StdoutAsync(new string('b', 1500) + "\n"); // a fresh invocation: within the cap again
            Assert.False(worker.Killed);
            await worker.StdoutAsync(new string('c', 1500) + "\n");
        }
        Assert.True(worker.Killed);
        worker.Exit(137);
        var exit = await worker.WaitAsync(Ct);
        Assert.Equal(SandboxExitReason.OutputLimitExceeded, exit.Reason);
        Assert.Equal(137, exit.ExitCode);
        await reader;
    }

    [Fact]
    public async Task BeginInvocation_WallTimePasses_KillsWithWallTimeStatus()
    {
        await using var worker = new FedWorker(SandboxLimits.Default);
        using var invocation = worker.BeginInvocation(TimeSpan.FromMilliseconds(100));
        await Task.Delay(TimeSpan.FromSeconds(1), Ct);
        Assert.True(worker.Killed);
        Assert.True(invocation.WallClockToken.IsCancellationRequested);
        worker.Exit(137, oom: true);
        Assert.Equal(SandboxExitReason.WallTimeExceeded, (await worker.WaitAsync(Ct)).Reason);
        await Assert.ThrowsAsync<SandboxWorkerExitedException>(() => worker.WriteLineAsync("late", Ct));
    }

    [Fact]
    public async Task DrainLog_MoreThanBuffer_KeepsNewestAndNotesDropped()
    {
        await using var worker = new FedWorker(SandboxLimits.Default with { LogBufferBytes = 1024 });
        for (var i = 0; i < 100; i++)
        {
            worker.Stderr($"log line {i:000} {new string('.', 40)}\n");
        }
        var log = worker.DrainLog();
        Assert.StartsWith("[", log[0]);
        Assert.EndsWith("log line 099 " + new string('.', 40), log[^1]);
        Assert.True(log.Skip(1).Sum(l => l.Length) <= 1024);
        Assert.Empty(worker.DrainLog());
    }

    [Fact]
    public async Task OnExited_OomWithoutHostKill_ReportsOutOfMemory()
    {
        await using var worker = new FedWorker(SandboxLimits.Default);
        worker.Exit(137, oom: true);
        var exit = await worker.WaitAsync(Ct);
        Assert.Equal(SandboxExitReason.OutOfMemory, exit.Reason);
        Assert.True(exit.IsLimitBreach);
    }

    private sealed class FedWorker(SandboxLimits limits)
        : SandboxWorker("fed", new SandboxWorkerSpec("tests.fed", "1.0.0", null), limits, NullLogger.Instance)
    {
        public bool Killed { get; private set; }

        public ValueTask StdoutAsync(string text) => OnStdoutAsync(Encoding.UTF8.GetBytes(text), CancellationToken.None);

        public void Stderr(string text) => OnStderr(Encoding.UTF8.GetBytes(text));

        public void Exit(int code, bool oom = false) => OnExited(code, oom);

        public override ValueTask DisposeAsync() => ValueTask.CompletedTask;

        protected override Task WriteStdinAsync(ReadOnlyMemory<byte> data, CancellationToken cancellationToken) => Task.CompletedTask;

        protected override Task KillCoreAsync()
        {
            Killed = true;
            return Task.CompletedTask;
        }
    }
}
