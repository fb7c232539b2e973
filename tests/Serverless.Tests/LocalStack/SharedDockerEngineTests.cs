using System.Diagnostics;
using Serverless.Tests.Infrastructure;

namespace Serverless.Tests.LocalStack;

/// <summary>
/// local/up and local/test share one Docker engine across stacks (local/lib.sh <c>ensure_docker</c> and
/// <c>release_docker</c>): a stack that leaves never stops the engine under another stack still running, and
/// an engine none of them started is never stopped. The engine here is a stand-in: a <c>dockerd</c> script on
/// PATH, with a <c>docker</c> script that answers <c>info</c> while it runs (tests must not start or stop a real
/// one). Each "stack" is a bash process running the library's steps the way local/up does.
/// </summary>
[System.Runtime.Versioning.UnsupportedOSPlatform("windows")]
public sealed class SharedDockerEngineTests : IDisposable
{
    private readonly string _root = Directory.CreateTempSubdirectory("shared-dockerd-").FullName;

    private string EngineUp => Path.Combine(_root, "engine-up");

    public SharedDockerEngineTests()
    {
        var bin = Directory.CreateDirectory(Path.Combine(_root, "bin")).FullName;
        Script(Path.Combine(bin, "dockerd"), $$"""
            #!/usr/bin/env bash
            trap 'rm -f "{{EngineUp}}"; exit 0' TERM
            echo $$ >"{{EngineUp}}"
            while :; do sleep 0.1; done
            """);
        Script(Path.Combine(bin, "docker"), $$"""
            #!/usr/bin/env bash
            case "$1" in info) [ -s "{{EngineUp}}" ] && kill -0 "$(cat "{{EngineUp}}")" 2>/dev/null ;; *) exit 0 ;; esac
            """);
    }

    [Fact(Timeout = 120_000)]
    public async Task ReleaseDocker_StarterLeavesFirst_EngineKeepsRunningUntilTheLastStackLeaves()
    {
        RequireRoot();
        await using var first = await Stack.StartAsync(this);
        var engine = EnginePid();
        await using var second = await Stack.StartAsync(this);
        Assert.Equal(engine, EnginePid());

        await first.ReleaseAsync();
        Assert.True(IsRunning(engine), "the first stack stopped the engine the second one still uses:\n" + first.Output);

        await second.ReleaseAsync();
        Assert.True(await StopsAsync(engine), "the last stack out left the engine a stack started running:\n" + second.Output);
    }

    [Fact(Timeout = 120_000)]
    public async Task ReleaseDocker_StackKilledWithoutReleasing_DoesNotKeepTheEngineForever()
    {
        RequireRoot();
        await using var killed = await Stack.StartAsync(this);
        var engine = EnginePid();
        await using var other = await Stack.StartAsync(this);
        killed.Kill();

        await other.ReleaseAsync();

        Assert.True(await StopsAsync(engine), "a killed stack's registration kept the engine running:\n" + other.Output);
    }

    [Fact(Timeout = 120_000)]
    public async Task ReleaseDocker_EngineNoStackStarted_IsNeverStopped()
    {
        RequireRoot();
        // An engine someone else runs (systemd, the developer): up before any stack.
        using var engine = Process.Start(new ProcessStartInfo(Path.Combine(_root, "bin", "dockerd")))!;
        try
        {
            for (var i = 0; i < 50 && !File.Exists(EngineUp); i++)
            {
                await Task.Delay(100, TestContext.Current.CancellationToken);
            }
            await using var stack = await Stack.StartAsync(this);

            await stack.ReleaseAsync();

            Assert.True(IsRunning(engine.Id), "a stack stopped an engine it did not start:\n" + stack.Output);
        }
        finally
        {
            engine.Kill();
        }
    }

    public void Dispose()
    {
        if (File.Exists(EngineUp) && int.TryParse(File.ReadAllText(EngineUp), out var pid) && IsRunning(pid))
        {
            Process.GetProcessById(pid).Kill();
        }
        Directory.Delete(_root, recursive: true);
    }

    private static void RequireRoot()
    {
        if (!Environment.IsPrivilegedProcess)
        {
            Assert.Skip("local/lib.sh starts a Docker engine only as root");
        }
    }

    private int EnginePid() => int.Parse(File.ReadAllText(EngineUp).Trim());

    private static bool IsRunning(int pid) =>
        File.Exists($"/proc/{pid}/stat") && File.ReadAllText($"/proc/{pid}/stat").Split(") ")[^1][0] is not ('Z' or 'X');

    private static async Task<bool> StopsAsync(int pid)
    {
        for (var i = 0; i < 100 && IsRunning(pid); i++)
        {
            await Task.Delay(100);
        }
        return !IsRunning(pid);
    }

    private static void Script(string path, string text)
    {
        File.WriteAllText(path, text.ReplaceLineEndings("\n") + "\n");
        File.SetUnixFileMode(path, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
    }

    /// <summary>One stack's script: <c>ensure_docker</c>, then <c>release_docker</c> when told, as local/up does at start and exit.</summary>
    private sealed class Stack : IAsyncDisposable
    {
        private readonly Process _process;
        private readonly System.Text.StringBuilder _output = new();
        private readonly TaskCompletionSource _registered = new(TaskCreationOptions.RunContinuationsAsynchronously);

        private Stack(Process process)
        {
            _process = process;
            _process.OutputDataReceived += (_, e) => Line(e.Data);
            _process.ErrorDataReceived += (_, e) => Line(e.Data);
            _process.BeginOutputReadLine();
            _process.BeginErrorReadLine();
        }

        public string Output
        {
            get
            {
                lock (_output)
                {
                    return _output.ToString();
                }
            }
        }

        public static async Task<Stack> StartAsync(SharedDockerEngineTests test)
        {
            var start = new ProcessStartInfo("bash", ["-c", """source "$1/local/lib.sh"; ensure_docker; echo registered; read -r _; release_docker""", "stack", RepoPaths.Root])
            {
                RedirectStandardInput = true,
                RedirectStandardOutput = true,
                RedirectStandardError = true,
            };
            start.Environment["PATH"] = Path.Combine(test._root, "bin") + ":" + Environment.GetEnvironmentVariable("PATH");
            start.Environment["LOCAL_DOCKERD_DIR"] = Path.Combine(test._root, "share");
            start.Environment["LOCAL_STATE_DIR"] = Path.Combine(test._root, "state");
            var stack = new Stack(Process.Start(start)!);
            await stack._registered.Task.WaitAsync(TimeSpan.FromSeconds(60), TestContext.Current.CancellationToken);
            return stack;
        }

        public async Task ReleaseAsync()
        {
            await _process.StandardInput.WriteLineAsync();
            await _process.StandardInput.FlushAsync();
            await _process.WaitForExitAsync(TestContext.Current.CancellationToken).WaitAsync(TimeSpan.FromSeconds(60));
        }

        public void Kill() => _process.Kill();

        public ValueTask DisposeAsync()
        {
            if (!_process.HasExited)
            {
                _process.Kill();
            }
            _process.Dispose();
            return ValueTask.CompletedTask;
        }

        private void Line(string? line)
        {
            if (line is null)
            {
                return;
            }
            lock (_output)
            {
                _output.AppendLine(line);
            }
            if (line == "registered")
            {
                _registered.TrySetResult();
            }
        }
    }
}
