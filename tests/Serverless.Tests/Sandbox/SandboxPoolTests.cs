using System.Diagnostics;
using System.Net;
using System.Text.Json.Nodes;
using Docker.DotNet;
using Microsoft.Extensions.Logging.Abstractions;
using Serverless.Platform.Sandbox;

namespace Serverless.Tests.Sandbox;

/// <summary>A tiny JSON-RPC plugin in Python, speaking the protocol over stdio like the SDK runner.</summary>
internal static class EchoPlugin
{
    public const string Script = """
        import sys, json, os, time
        def send(message):
            sys.stdout.write(json.dumps(message) + "\n")
            sys.stdout.flush()
        asked = 0
        while True:
            line = sys.stdin.readline()
            if not line:
                break
            m = json.loads(line)
            method, i, params = m.get("method"), m.get("id"), m.get("params")
            if method == "echo":
                send({"jsonrpc": "2.0", "id": i, "result": params})
            elif method == "ask":
                asked += 1
                send({"jsonrpc": "2.0", "method": "log", "params": {"invocation_id": params.get("invocation_id"), "message": "asking the host"}})
                send({"jsonrpc": "2.0", "id": "p%d" % asked, "method": "host.lookup", "params": params})
                answer = json.loads(sys.stdin.readline())
                send({"jsonrpc": "2.0", "id": i, "result": answer.get("result", answer.get("error"))})
            elif method == "garbage":
                print("this is not json", flush=True)
                send({"jsonrpc": "2.0", "id": 987654, "result": "for nobody"})
                send({"jsonrpc": "2.0", "id": i, "result": "still here"})
            elif method == "touch":
                open("/tmp/" + params, "w").write("x")
                send({"jsonrpc": "2.0", "id": i, "result": sorted(os.listdir("/tmp"))})
            elif method == "crash":
                os._exit(3)
            elif method == "sleep":
                time.sleep(3600)
            elif i is not None:
                send({"jsonrpc": "2.0", "id": i, "error": {"code": -32601, "message": "no method " + str(method)}})
        """;

    public static SandboxWorkerSpec Spec(string install = "install-1", string plugin = "tests.echo", SandboxLimits? limits = null) =>
        new(plugin, "1.0.0", install) { Command = ["python3", "-c", Script], Limits = limits };
}

[Collection("Docker")]
public sealed class SandboxPoolTests(DockerFixture docker)
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    private SandboxPool NewPool(SandboxPoolOptions? options = null) =>
        new(docker.Driver, options ?? new SandboxPoolOptions(), NullLogger<SandboxPool>.Instance);

    [Fact]
    public async Task AcquireAsync_SameKeyTwice_ReusesTheWarmContainer()
    {
        docker.Require();
        await using var pool = NewPool();
        string firstId;
        await using (var lease = await pool.AcquireAsync(EchoPlugin.Spec(), null, Ct))
        {
            Assert.False(lease.IsWarm);
            Assert.Equal("one", (string?)await lease.Rpc.SendRequestAsync("echo", "one", Ct));
            Assert.Equal(["a"], ToStrings(await lease.Rpc.SendRequestAsync("touch", "a", Ct)));
            firstId = lease.Worker.Id;
        }
        await using (var lease = await pool.AcquireAsync(EchoPlugin.Spec(), null, Ct))
        {
            Assert.True(lease.IsWarm);
            Assert.Equal(firstId, lease.Worker.Id);
            // Same worker of the same install: its /tmp is its own to keep.
            Assert.Equal(["a", "b"], ToStrings(await lease.Rpc.SendRequestAsync("touch", "b", Ct)));
        }
        await using (var other = await pool.AcquireAsync(EchoPlugin.Spec(install: "install-2"), null, Ct))
        {
            Assert.NotEqual(firstId, other.Worker.Id);
            Assert.Equal(["c"], ToStrings(await other.Rpc.SendRequestAsync("touch", "c", Ct)));
        }
        Assert.Equal(2, pool.Count);
    }

    [Fact]
    public async Task AcquireAsync_PerVersionMode_SharesOneWorkerAcrossInstalls()
    {
        docker.Require();
        await using var pool = NewPool(new SandboxPoolOptions { Mode = SandboxPoolMode.PerVersion });
        string first;
        await using (var lease = await pool.AcquireAsync(EchoPlugin.Spec(install: "a"), null, Ct))
        {
            first = lease.Worker.Id;
        }
        await using (var lease = await pool.AcquireAsync(EchoPlugin.Spec(install: "b"), null, Ct))
        {
            Assert.Equal(first, lease.Worker.Id);
            var labels = (await docker.Client.Containers.InspectContainerAsync(first, TestContext.Current.CancellationToken)).Config.Labels;
            Assert.False(labels.ContainsKey(ContainerSpec.InstallLabel));
        }
    }

    [Fact]
    public async Task ReleaseAsync_AfterMaxInvocations_ReplacesAndRemovesTheWorker()
    {
        docker.Require();
        await using var pool = NewPool(new SandboxPoolOptions { MaxInvocationsPerWorker = 2 });
        var ids = new List<string>();
        for (var i = 0; i < 3; i++)
        {
            await using var lease = await pool.AcquireAsync(EchoPlugin.Spec(), null, Ct);
            Assert.Equal(i, (int?)await lease.Rpc.SendRequestAsync("echo", i, Ct));
            ids.Add(lease.Worker.Id);
        }
        Assert.Equal(ids[0], ids[1]);
        Assert.NotEqual(ids[1], ids[2]);
        await AssertRemovedAsync(ids[0]);
    }

    [Fact]
    public async Task Sweep_IdleWorker_IsEvictedAndRemoved()
    {
        docker.Require();
        await using var pool = NewPool(new SandboxPoolOptions { IdleTimeout = TimeSpan.FromSeconds(1) });
        string id;
        await using (var lease = await pool.AcquireAsync(EchoPlugin.Spec(), null, Ct))
        {
            id = lease.Worker.Id;
        }
        var deadline = Stopwatch.StartNew();
        while ((pool.Count > 0 || await docker.ExistsAsync(id)) && deadline.Elapsed < TimeSpan.FromSeconds(15))
        {
            await Task.Delay(200, Ct);
        }
        Assert.Equal(0, pool.Count);
        await AssertRemovedAsync(id);
    }

    [Fact]
    public async Task AcquireAsync_AfterCrash_StartsAFreshWorker()
    {
        docker.Require();
        await using var pool = NewPool();
        string crashed;
        await using (var lease = await pool.AcquireAsync(EchoPlugin.Spec(), null, Ct))
        {
            crashed = lease.Worker.Id;
            var error = await Assert.ThrowsAsync<JsonRpcException>(() => lease.Rpc.SendRequestAsync("crash", cancellationToken: Ct));
            Assert.Equal(JsonRpcException.ConnectionClosed, error.Code);
            var exit = await lease.Worker.WaitAsync(Ct);
            Assert.Equal(SandboxExitReason.Crashed, exit.Reason);
            Assert.Equal(3, exit.ExitCode);
        }
        await using (var lease = await pool.AcquireAsync(EchoPlugin.Spec(), null, Ct))
        {
            Assert.NotEqual(crashed, lease.Worker.Id);
            Assert.False(lease.IsWarm);
            Assert.Equal("alive", (string?)await lease.Rpc.SendRequestAsync("echo", "alive", Ct));
        }
        await AssertRemovedAsync(crashed);
    }

    [Fact]
    public async Task AcquireAsync_InvocationPastWallTime_KillsWorkerWithClearStatus()
    {
        docker.Require();
        await using var pool = NewPool();
        var limits = SandboxLimits.Default with { WallTime = TimeSpan.FromSeconds(1) };
        await using var lease = await pool.AcquireAsync(EchoPlugin.Spec(limits: limits), null, Ct);
        var started = Stopwatch.GetTimestamp();
        await Assert.ThrowsAsync<JsonRpcException>(() => lease.Rpc.SendRequestAsync("sleep", cancellationToken: Ct));
        var exit = await lease.Worker.WaitAsync(Ct);
        Assert.Equal(SandboxExitReason.WallTimeExceeded, exit.Reason);
        Assert.True(Stopwatch.GetElapsedTime(started) < TimeSpan.FromSeconds(8));
    }

    [Fact]
    public async Task AcquireAsync_ConcurrentColdRequests_StartOneWorker()
    {
        docker.Require();
        await using var pool = NewPool();
        var ids = await Task.WhenAll(Enumerable.Range(0, 5).Select(async i =>
        {
            await using var lease = await pool.AcquireAsync(EchoPlugin.Spec(plugin: "tests.concurrent"), null, Ct);
            Assert.Equal(i, (int?)await lease.Rpc.SendRequestAsync("echo", i, Ct));
            return lease.Worker.Id;
        }));
        Assert.Single(ids.Distinct());
        var containers = await docker.ContainersAsync($"{ContainerSpec.PlatformLabel}={docker.PlatformName}", $"{ContainerSpec.PluginLabel}=tests.concurrent");
        Assert.Single(containers);
    }

    [Fact]
    public async Task AcquireAsync_AtMaxWorkers_EvictsTheLeastRecentlyUsedIdleWorker()
    {
        docker.Require();
        await using var pool = NewPool(new SandboxPoolOptions { MaxWorkers = 2 });
        var ids = new List<string>();
        foreach (var install in new[] { "a", "b", "c" })
        {
            await using var lease = await pool.AcquireAsync(EchoPlugin.Spec(install: install), null, Ct);
            ids.Add(lease.Worker.Id);
        }
        Assert.Equal(2, pool.Count);
        await AssertRemovedAsync(ids[0]);
    }

    [Fact]
    public async Task RecoverAsync_LeftoverContainers_AreRemovedAndDisposeStopsAll()
    {
        docker.Require();
        // A worker nobody disposes, owned by a host process that has ended: what a crashed host leaves running.
        var orphan = await docker.DriverOwnedBy(await DockerFixture.EndedHostAsync()).StartWorkerAsync(EchoPlugin.Spec(install: "orphan"), Ct);
        var pool = NewPool();
        Assert.True(await pool.RecoverAsync(Ct) >= 1);
        await AssertRemovedAsync(orphan.Id);
        // Its output ends with the container; the engine no longer knows it.
        await orphan.WaitAsync(Ct).WaitAsync(TimeSpan.FromSeconds(30), Ct);
        await orphan.DisposeAsync();

        string id;
        await using (var lease = await pool.AcquireAsync(EchoPlugin.Spec(), null, Ct))
        {
            id = lease.Worker.Id;
        }
        await pool.DisposeAsync();
        await AssertRemovedAsync(id);
        await Assert.ThrowsAsync<ObjectDisposedException>(() => pool.AcquireAsync(EchoPlugin.Spec(), null, Ct));
    }

    [Fact]
    public async Task Rpc_PluginCallsHost_HandlerAnswersAndGarbageIsCounted()
    {
        docker.Require();
        await using var pool = NewPool();
        var seen = new List<string>();
        var calls = new InvocationCalls((request, _) =>
        {
            lock (seen)
            {
                seen.Add(request.Method);
            }
            return Task.FromResult<JsonNode?>(request.Method == "host.lookup" ? new JsonObject { ["found"] = request.Params?["key"]?.GetValue<string>() } : null);
        });
        await using var lease = await pool.AcquireAsync(EchoPlugin.Spec(), calls, Ct);

        var answer = await lease.Rpc.SendRequestAsync("ask", new JsonObject { ["invocation_id"] = lease.Invocation.Id, ["key"] = "colour" }, Ct);
        Assert.Equal("colour", (string?)answer?["found"]);
        Assert.Equal(["log", "host.lookup"], seen);

        // Without this invocation's id the same call is refused and never reaches the handler.
        var stray = await lease.Rpc.SendRequestAsync("ask", new JsonObject { ["invocation_id"] = "0123456789abcdef0123456789abcdef", ["key"] = "colour" }, Ct);
        Assert.Equal(JsonRpcException.InvocationNotRunning, (int?)stray?["code"]);
        Assert.Equal(["log", "host.lookup"], seen);

        Assert.Equal("still here", (string?)await lease.Rpc.SendRequestAsync("garbage", cancellationToken: Ct));
        Assert.Equal(1, lease.Rpc.MalformedLines);

        var error = await Assert.ThrowsAsync<JsonRpcException>(() => lease.Rpc.SendRequestAsync("nope", cancellationToken: Ct));
        Assert.Equal(JsonRpcException.MethodNotFound, error.Code);
        Assert.False(lease.Worker.HasExited);
    }

    [Fact]
    public async Task Measure_ColdStartAndWarmRoundTrip_AgainstBareDockerRun()
    {
        docker.Require();
        var output = TestContext.Current.TestOutputHelper!;
        // Baseline: the CLI's create+attach+start+wait+remove of the same image.
        var baseline = new List<double>();
        for (var i = 0; i < 3; i++)
        {
            var started = Stopwatch.GetTimestamp();
            using var process = Process.Start(new ProcessStartInfo("docker", ["run", "--rm", "--network", "none", DockerSandboxOptions.DefaultImage, "python3", "-c", "pass"]))!;
            await process.WaitForExitAsync(TestContext.Current.CancellationToken);
            baseline.Add(Stopwatch.GetElapsedTime(started).TotalMilliseconds);
        }
        var cold = new List<double>();
        var warm = new List<double>();
        for (var i = 0; i < 3; i++)
        {
            await using var pool = NewPool();
            var started = Stopwatch.GetTimestamp();
            await using var lease = await pool.AcquireAsync(EchoPlugin.Spec(install: $"bench-{i}"), null, Ct);
            await lease.Rpc.SendRequestAsync("echo", "first", Ct);
            cold.Add(Stopwatch.GetElapsedTime(started).TotalMilliseconds);
            for (var j = 0; j < 200; j++)
            {
                var t = Stopwatch.GetTimestamp();
                await lease.Rpc.SendRequestAsync("echo", j, Ct);
                warm.Add(Stopwatch.GetElapsedTime(t).TotalMilliseconds);
            }
        }
        warm.Sort();
        output.WriteLine($"bare docker run: {string.Join(", ", baseline.Select(v => v.ToString("0")))} ms");
        output.WriteLine($"cold worker start + first round trip: {string.Join(", ", cold.Select(v => v.ToString("0")))} ms");
        output.WriteLine($"warm round trip: median {warm[warm.Count / 2]:0.00} ms, p99 {warm[warm.Count * 99 / 100]:0.00} ms");
        Assert.True(warm[warm.Count / 2] < 50, "warm round trips should take milliseconds");
    }

    private async Task AssertRemovedAsync(string id)
    {
        var error = await Assert.ThrowsAsync<DockerContainerNotFoundException>(() => docker.Client.Containers.InspectContainerAsync(id, TestContext.Current.CancellationToken));
        Assert.Equal(HttpStatusCode.NotFound, error.StatusCode);
    }

    private static List<string?> ToStrings(JsonNode? node) => node!.AsArray().Select(n => (string?)n).ToList();
}
