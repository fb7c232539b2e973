using System.Diagnostics;
using System.Net;
using System.Text.Json;
using Docker.DotNet;
using Serverless.Platform.Sandbox;

namespace Serverless.Tests.Sandbox;

/// <summary>
/// The regression cases of the sandbox's hardening (docs/sandbox.md, "Hardening"; docs/security.md, "A plugin"),
/// against the real engine and image: each hostile script ends within its limit with a clear status, and the
/// host (and a well-behaved neighbour) carry on.
/// </summary>
[Collection("Docker")]
public sealed class HostileSandboxTests(DockerFixture docker)
{
    private static readonly SandboxLimits ShortWall = SandboxLimits.Default with { WallTime = TimeSpan.FromSeconds(3) };

    // Generous: the machine is shared, so only gross overruns should fail.
    private static readonly TimeSpan Slack = TimeSpan.FromSeconds(8);

    [Fact]
    public async Task ForkBomb_PidsLimit_RefusesForksAndIsKilledAtWallTime()
    {
        docker.Require();
        await using var neighbour = await Neighbour.StartAsync(docker.Driver);
        const string script = """
            import os, time
            told = False
            while True:
                try:
                    os.fork()
                except OSError as e:
                    if os.getpid() == 1 and not told:
                        print("fork refused errno", e.errno, flush=True)
                        told = True
            """;
        var bomb = SandboxScript.RunAsync(docker.Driver, SandboxScript.Spec(script, ShortWall));
        await Task.Delay(1500, TestContext.Current.CancellationToken);
        await neighbour.AssertRespondsAsync();
        var run = await bomb;

        Assert.Contains("fork refused errno 11", run.Lines);
        Assert.Equal(SandboxExitReason.WallTimeExceeded, run.Exit.Reason);
        Assert.True(run.Elapsed < ShortWall.WallTime + Slack, run.ToString());
        await neighbour.AssertRespondsAsync();
        AssertHostCanStartProcesses();
    }

    [Fact]
    public async Task MemoryHog_MemoryLimit_IsOomKilled()
    {
        docker.Require();
        const string script = """
            chunks = []
            while True:
                chunks.append(b"x" * (8 << 20))
                print(len(chunks) * 8, "MiB", flush=True)
            """;
        var run = await SandboxScript.RunAsync(docker.Driver, SandboxScript.Spec(script));

        Assert.Equal(SandboxExitReason.OutOfMemory, run.Exit.Reason);
        Assert.Contains("out of memory", run.Exit.Message);
        Assert.True(run.Lines.Count is > 5 and < 40, run.ToString());
        Assert.True(run.Elapsed < SandboxLimits.Default.WallTime, run.ToString());
    }

    [Fact]
    public async Task InfiniteLoop_WallClock_IsKilledByTheHost()
    {
        docker.Require();
        var limits = SandboxLimits.Default with { WallTime = TimeSpan.FromSeconds(2) };
        var run = await SandboxScript.RunAsync(docker.Driver, SandboxScript.Spec("print('looping', flush=True)\nwhile True: pass", limits));

        Assert.Equal(SandboxExitReason.WallTimeExceeded, run.Exit.Reason);
        Assert.Contains("wall time of 2 s", run.Exit.Message);
        Assert.Equal(["looping"], run.Lines);
        Assert.InRange(run.Elapsed, limits.WallTime, limits.WallTime + Slack);
    }

    [Fact]
    public async Task BusyLoopInThread_WallClock_IsKilledAndNeighbourUnaffected()
    {
        docker.Require();
        await using var neighbour = await Neighbour.StartAsync(docker.Driver);
        const string script = """
            import threading, time
            def spin():
                while True:
                    pass
            for _ in range(4):
                threading.Thread(target=spin, daemon=True).start()
            print("spinning", flush=True)
            time.sleep(3600)
            """;
        var busy = SandboxScript.RunAsync(docker.Driver, SandboxScript.Spec(script, ShortWall));
        await Task.Delay(1500, TestContext.Current.CancellationToken);
        var roundTrip = await neighbour.AssertRespondsAsync();
        var run = await busy;

        Assert.Equal(SandboxExitReason.WallTimeExceeded, run.Exit.Reason);
        Assert.Equal(["spinning"], run.Lines);
        Assert.InRange(run.Elapsed, ShortWall.WallTime, ShortWall.WallTime + Slack);
        // CPU is capped at half a core, so a neighbour's round trip stays quick.
        Assert.True(roundTrip < TimeSpan.FromSeconds(1), $"neighbour round trip {roundTrip.TotalMilliseconds} ms");
    }

    [Fact]
    public async Task DiskFill_TmpAndRoot_HitFileSizeNoSpaceAndReadOnlyErrors()
    {
        docker.Require();
        const string script = """
            import os, shutil, subprocess
            def fill(path):
                written = 0
                try:
                    with open(path, "wb") as f:
                        while True:
                            f.write(b"x" * (1 << 20))
                            f.flush()
                            written += 1
                except OSError as e:
                    return e.errno, written
            print("big", *fill("/tmp/big"), flush=True)
            errors = set()
            for i in range(40):
                errno, _ = fill(f"/tmp/part{i}")
                errors.add(errno)
                if errno == 28:
                    break
            print("parts", *sorted(errors), flush=True)
            for path in ["/fill", "/plugin/fill", "/opt/sdk/fill", "/usr/fill"]:
                try:
                    open(path, "wb").write(b"x")
                    print("wrote", path)
                except OSError as e:
                    print("refused", path, e.errno)
            for name in os.listdir("/tmp"):
                os.remove("/tmp/" + name)
            shutil.copy("/bin/true", "/tmp/true")
            os.chmod("/tmp/true", 0o755)
            try:
                subprocess.run(["/tmp/true"])
                print("exec allowed")
            except PermissionError as e:
                print("exec refused", e.errno)
            """;
        var run = await SandboxScript.RunAsync(docker.Driver, SandboxScript.Spec(script));

        Assert.True(run.Exit.Reason == SandboxExitReason.Exited, run.ToString());
        Assert.Contains("big 27 10", run.Lines); // EFBIG at the 10 MiB fsize limit
        Assert.Contains(run.Lines, line => line.StartsWith("parts", StringComparison.Ordinal) && line.EndsWith(" 28", StringComparison.Ordinal)); // ENOSPC: 16 MiB tmpfs
        Assert.Contains("refused /fill 30", run.Lines); // EROFS
        Assert.Contains("refused /opt/sdk/fill 30", run.Lines);
        Assert.Contains("refused /usr/fill 30", run.Lines);
        Assert.DoesNotContain(run.Lines, line => line.StartsWith("wrote", StringComparison.Ordinal));
        Assert.Contains("exec refused 13", run.Lines); // noexec /tmp
    }

    [Fact]
    public async Task OutputFlood_Stdout_IsCappedAndHostMemoryStaysBounded()
    {
        docker.Require();
        var before = Process.GetCurrentProcess().WorkingSet64;
        var run = await SandboxScript.RunAsync(docker.Driver, SandboxScript.Spec("import sys\nwhile True: sys.stdout.write('x' * 65535 + '\\n')"));

        Assert.Equal(SandboxExitReason.OutputLimitExceeded, run.Exit.Reason);
        Assert.Contains("stdout exceeded the output limit", run.Exit.Message);
        Assert.True(run.Lines.Sum(l => (long)l.Length) <= SandboxLimits.Default.OutputBytesPerStream, run.Lines.Count.ToString());
        Assert.True(run.Elapsed < TimeSpan.FromSeconds(10), run.ToString());
        var grown = Process.GetCurrentProcess().WorkingSet64 - before;
        Assert.True(grown < 200 * SandboxLimits.MiB, $"host working set grew by {grown / SandboxLimits.MiB} MiB");
    }

    [Fact]
    public async Task OutputFlood_OneEndlessLineAndStderr_AreCappedWithClearStatus()
    {
        docker.Require();
        var line = await SandboxScript.RunAsync(docker.Driver, SandboxScript.Spec("import sys\nwhile True: sys.stdout.write('y' * 65536)"));
        Assert.Equal(SandboxExitReason.OutputLimitExceeded, line.Exit.Reason);
        Assert.All(line.Lines, l => Assert.True(l.Length <= SandboxLimits.Default.MaxLineBytes));

        var log = await SandboxScript.RunAsync(docker.Driver, SandboxScript.Spec("import sys\nwhile True: print('z' * 1000, file=sys.stderr)"));
        Assert.Equal(SandboxExitReason.OutputLimitExceeded, log.Exit.Reason);
        Assert.Contains("stderr exceeded", log.Exit.Message);
        Assert.True(log.Log.Sum(l => l.Length) <= SandboxLimits.Default.LogBufferBytes + 200, log.Log.Sum(l => l.Length).ToString());
        Assert.StartsWith("[", log.Log[0]); // the note that older log lines were dropped
    }

    [Fact]
    public async Task NetworkAccess_NoNetwork_ConnectFailsAtOnce()
    {
        docker.Require();
        // With --network none there is no route: connect fails locally, no packet leaves.
        const string script = """
            import socket, time, os
            started = time.monotonic()
            try:
                socket.create_connection(("1.1.1.1", 443), timeout=5)
                print("connected")
            except OSError as e:
                print("connect failed errno", e.errno, "in", round(time.monotonic() - started, 2))
            print("interfaces", *sorted(os.listdir("/sys/class/net")))
            """;
        var run = await SandboxScript.RunAsync(docker.Driver, SandboxScript.Spec(script));

        Assert.Equal(SandboxExitReason.Exited, run.Exit.Reason);
        var failed = Assert.Single(run.Lines, l => l.StartsWith("connect failed errno 101", StringComparison.Ordinal)); // ENETUNREACH
        Assert.True(double.Parse(failed.Split(' ')[^1], System.Globalization.CultureInfo.InvariantCulture) < 0.5, failed);
        Assert.Contains("interfaces lo", run.Lines);
    }

    [Fact]
    public async Task HostFiles_ShadowEnvironmentSocketAndProcesses_AreNotVisible()
    {
        docker.Require();
        Environment.SetEnvironmentVariable("SERVERLESS_FAKE_SECRET", "hunter2-do-not-leak");
        const string script = """
            import os, json
            facts = {"uid": os.getuid(), "gid": os.getgid(), "env": dict(os.environ)}
            try:
                facts["shadow"] = open("/etc/shadow").read()
            except OSError as e:
                facts["shadow_errno"] = e.errno
            facts["docker_sock"] = os.path.exists("/var/run/docker.sock") or os.path.exists("/run/docker.sock")
            facts["pids"] = [p for p in os.listdir("/proc") if p.isdigit()]
            status = dict(l.split(":", 1) for l in open("/proc/self/status").read().splitlines() if ":" in l)
            facts["caps"] = status["CapEff"].strip()
            facts["nnp"] = status["NoNewPrivs"].strip()
            facts["seccomp"] = status["Seccomp"].strip()
            print(json.dumps(facts))
            """;
        var spec = SandboxScript.Spec(script) with { Environment = new Dictionary<string, string> { ["PLUGIN_ID"] = "tests.hostile" } };
        var run = await SandboxScript.RunAsync(docker.Driver, spec);

        Assert.Equal(SandboxExitReason.Exited, run.Exit.Reason);
        using var facts = JsonDocument.Parse(Assert.Single(run.Lines));
        var root = facts.RootElement;
        Assert.Equal(10001, root.GetProperty("uid").GetInt32());
        Assert.Equal(10001, root.GetProperty("gid").GetInt32());
        Assert.False(root.TryGetProperty("shadow", out _));
        Assert.Equal(13, root.GetProperty("shadow_errno").GetInt32()); // EACCES: the image's own shadow, and not ours to read
        Assert.False(root.GetProperty("docker_sock").GetBoolean());
        Assert.True(root.GetProperty("pids").GetArrayLength() <= 2, root.GetProperty("pids").ToString());
        Assert.Equal("0000000000000000", root.GetProperty("caps").GetString());
        Assert.Equal("1", root.GetProperty("nnp").GetString());
        Assert.Equal("2", root.GetProperty("seccomp").GetString()); // filter mode: the default profile
        var environment = root.GetProperty("env").EnumerateObject().Select(p => p.Name).ToHashSet();
        Assert.DoesNotContain("hunter2", run.Lines[0]);
        Assert.Subset(new HashSet<string> { "PATH", "HOSTNAME", "HOME", "PYTHONPATH", "PYTHONDONTWRITEBYTECODE", "PYTHONUNBUFFERED", "LC_CTYPE", "PLUGIN_ID" }, environment);
    }

    [Fact]
    public async Task FilesPersisting_TwoInstalls_SecondSeesNothingOfTheFirst()
    {
        docker.Require();
        if (!OperatingSystem.IsLinux())
        {
            Assert.Skip("Docker sandboxes run on Linux");
            return;
        }
        var pluginDirectory = Directory.CreateTempSubdirectory("sandbox-plugin-");
        try
        {
            // The plugin's files are read by uid 10001 through the read-only mount.
            File.SetUnixFileMode(pluginDirectory.FullName, (UnixFileMode)0b111_101_101);
            File.WriteAllText(Path.Combine(pluginDirectory.FullName, "plugin.txt"), "from the zip");
            const string script = """
                import os
                print("plugin file:", open("/plugin/plugin.txt").read())
                print("tmp before:", sorted(os.listdir("/tmp")))
                open("/tmp/marker", "w").write("left behind")
                try:
                    open("/plugin/marker", "w").write("x")
                    print("plugin dir writable")
                except OSError as e:
                    print("plugin dir refused", e.errno)
                """;
            var first = await SandboxScript.RunAsync(docker.Driver, SandboxScript.Spec(script, install: "install-a", pluginDirectory: pluginDirectory.FullName));
            var second = await SandboxScript.RunAsync(docker.Driver, SandboxScript.Spec(script, install: "install-b", pluginDirectory: pluginDirectory.FullName));

            Assert.Equal(["plugin file: from the zip", "tmp before: []", "plugin dir refused 30"], first.Lines);
            Assert.Equal(first.Lines, second.Lines);
            Assert.Equal(["plugin.txt"], Directory.GetFiles(pluginDirectory.FullName).Select(Path.GetFileName));
            var error = await Assert.ThrowsAsync<DockerContainerNotFoundException>(() => docker.Client.Containers.InspectContainerAsync(first.ContainerId, TestContext.Current.CancellationToken));
            Assert.Equal(HttpStatusCode.NotFound, error.StatusCode);
        }
        finally
        {
            pluginDirectory.Delete(recursive: true);
        }
    }

    [Fact]
    public async Task ManyParallelRuns_Twenty_AllFinishInBoundedTime()
    {
        docker.Require();
        var started = Stopwatch.GetTimestamp();
        var runs = await Task.WhenAll(Enumerable.Range(0, 20).Select(i =>
            SandboxScript.RunAsync(docker.Driver, SandboxScript.Spec("import sys\nprint('echo', sys.stdin.readline().strip())", install: $"parallel-{i}"), stdin: $"run-{i}")));
        var elapsed = Stopwatch.GetElapsedTime(started);

        for (var i = 0; i < runs.Length; i++)
        {
            Assert.Equal(SandboxExitReason.Exited, runs[i].Exit.Reason);
            Assert.Equal([$"echo run-{i}"], runs[i].Lines);
        }
        Assert.True(elapsed < TimeSpan.FromSeconds(60), $"20 parallel runs took {elapsed.TotalSeconds:0.0} s");
        // Only this test's containers: the Docker collection's other tests share the fixture's stack.
        var left = await docker.ContainersAsync($"{ContainerSpec.PlatformLabel}={docker.PlatformName}");
        Assert.DoesNotContain(left, c => c.Labels.TryGetValue(ContainerSpec.InstallLabel, out var install) && install.StartsWith("parallel-", StringComparison.Ordinal));
    }

    private static void AssertHostCanStartProcesses()
    {
        using var process = Process.Start(new ProcessStartInfo("true"))!;
        Assert.True(process.WaitForExit(5000));
        Assert.Equal(0, process.ExitCode);
    }

    /// <summary>A well-behaved worker next to a hostile one: it must keep answering.</summary>
    private sealed class Neighbour : IAsyncDisposable
    {
        private readonly SandboxWorker worker;
        private readonly IAsyncEnumerator<string> lines;

        private Neighbour(SandboxWorker worker)
        {
            this.worker = worker;
            lines = worker.ReadLinesAsync().GetAsyncEnumerator();
        }

        public static async Task<Neighbour> StartAsync(ISandboxDriver driver)
        {
            var spec = SandboxScript.Spec("import sys\nfor line in sys.stdin: print('pong', line.strip(), flush=True)", install: "neighbour");
            return new Neighbour(await driver.StartWorkerAsync(spec, CancellationToken.None));
        }

        public async Task<TimeSpan> AssertRespondsAsync()
        {
            var started = Stopwatch.GetTimestamp();
            await worker.WriteLineAsync("ping");
            Assert.True(await lines.MoveNextAsync().AsTask().WaitAsync(TimeSpan.FromSeconds(10)));
            Assert.Equal("pong ping", lines.Current);
            return Stopwatch.GetElapsedTime(started);
        }

        public async ValueTask DisposeAsync()
        {
            await lines.DisposeAsync();
            await worker.DisposeAsync();
        }
    }
}
