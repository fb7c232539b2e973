using System.Collections.Concurrent;
using System.Net;
using System.Net.Http.Headers;
using System.Text.Json.Nodes;
using Microsoft.Extensions.Logging.Abstractions;
using Serverless.Platform.Sandbox;

namespace Serverless.Tests.Sandbox;

/// <summary>
/// The Container Apps driver against a fake ARM, with each job execution played by a real local
/// process running sandbox/job_runner.py that calls back into the app over loopback.
/// </summary>
public sealed class ContainerAppsDriverTests
{
    private const string Plugin = """
        import os
        import sys
        import threading
        import time
        from mmo_maid_sdk import Plugin, Context

        plugin = Plugin()
        print("env:" + ",".join(sorted(os.environ)), file=sys.stderr, flush=True)

        @plugin.on_slash_command("greet")
        def greet(ctx: Context, event: dict):
            ctx.log.info("greeting from the job")
            ctx.interaction.respond(content="hello " + event["options"][0]["value"])

        @plugin.on_slash_command("spin")
        def spin(ctx: Context, event: dict):
            while True:
                pass

        @plugin.on_slash_command("leave")
        def leave(ctx: Context, event: dict):
            # Hostile: past the SDK, straight onto the protocol pipe, after the invocation has ended.
            channel, stale = ctx._host, ctx.invocation_id
            def later():
                time.sleep(1.0)
                channel.send({"jsonrpc": "2.0", "id": "stray-1", "method": "kv.set", "params": {"invocation_id": stale, "key": "stolen", "value": 1}})
            threading.Thread(target=later, daemon=True).start()
            ctx.interaction.respond(content="left a thread")

        @plugin.on_slash_command("wait")
        def wait(ctx: Context, event: dict):
            time.sleep(2.5)
            ctx.interaction.respond(content="waited")
        """;

    private static JsonObject Invoke(string invocationId, string name, string value = "x") => new()
    {
        ["invocation_id"] = invocationId,
        ["kind"] = "slash_command",
        ["name"] = name,
        ["event"] = new JsonObject { ["interaction_id"] = "1", ["options"] = new JsonArray(new JsonObject { ["name"] = "who", ["type"] = 3, ["value"] = value }) },
        ["context"] = new JsonObject { ["guild_id"] = "100", ["plugin_id"] = "ca_plugin", ["install_id"] = "inst-1", ["pool"] = false },
    };

    private static SandboxWorkerSpec Spec(string directory) =>
        new("ca_plugin", "1.0.0", "inst-1")
        {
            PluginDirectory = directory,
            Environment = new Dictionary<string, string> { ["PLUGIN_ID"] = "ca_plugin" },
        };

    [Fact]
    public async Task Invoke_ThroughCallbackChannel_RoundTripsJsonRpcAndReusesTheExecution()
    {
        await using var rig = await ContainerAppsRig.StartAsync();
        await using var pool = new SandboxPool(rig.Driver, new SandboxPoolOptions(), NullLogger<SandboxPool>.Instance);
        var calls = new ConcurrentQueue<JsonRpcRequest>();
        var handler = new InvocationCalls((request, _) =>
        {
            calls.Enqueue(request);
            return Task.FromResult<JsonNode?>(null);
        });
        var spec = Spec(ContainerAppsRig.PluginDirectory(Plugin));

        JsonObject? first, second;
        IReadOnlyList<string> log;
        await using (var lease = await pool.AcquireAsync(spec, handler, TestContext.Current.CancellationToken))
        {
            first = await lease.Rpc.SendRequestAsync("invoke", Invoke(lease.Invocation.Id, "greet", "ada"), TestContext.Current.CancellationToken) as JsonObject;
            await lease.Rpc.DrainAsync(TestContext.Current.CancellationToken);
            Assert.False(lease.IsWarm);
            log = lease.Worker.DrainLog();
        }
        await using (var lease = await pool.AcquireAsync(spec, handler, TestContext.Current.CancellationToken))
        {
            second = await lease.Rpc.SendRequestAsync("invoke", Invoke(lease.Invocation.Id, "greet", "grace"), TestContext.Current.CancellationToken) as JsonObject;
            await lease.Rpc.DrainAsync(TestContext.Current.CancellationToken);
            Assert.True(lease.IsWarm);
        }

        Assert.True(first?["handled"]?.GetValue<bool>(), rig.JobLog);
        Assert.True(second?["handled"]?.GetValue<bool>(), rig.JobLog);
        var responses = calls.Where(c => c.Method == "interaction.respond").Select(c => c.Params!["content"]!.GetValue<string>()).ToArray();
        Assert.Equal(["hello ada", "hello grace"], responses);
        Assert.Contains(calls, c => c.Method == "log" && c.Params!["message"]!.GetValue<string>() == "greeting from the job");
        var execution = Assert.Single(rig.Arm.Executions);
        Assert.Equal(["python3", "/opt/sandbox/job_runner.py"], execution.Template["containers"]![0]!["command"]!.AsArray().Select(n => n!.GetValue<string>()));

        // The plugin process sees only what the host allows: no token, nothing of the job's own environment.
        var environment = Assert.Single(log, line => line.StartsWith("env:", StringComparison.Ordinal))["env:".Length..].Split(',');
        Assert.Contains("PLUGIN_ID", environment);
        Assert.DoesNotContain(ContainerAppsSandboxDriver.WorkerTokenVariable, environment);
        Assert.DoesNotContain(ContainerAppsSandboxDriver.CallbackUrlVariable, environment);
        Assert.DoesNotContain("AZURE_CLIENT_ID", environment);

        await pool.DisposeAsync();
        Assert.True(await rig.JobsEndedAsync(TimeSpan.FromSeconds(15)), "the job runner kept running after the pool stopped its worker:\n" + rig.JobLog);
        Assert.Equal(0, rig.Driver.Count);
    }

    [Fact]
    public async Task Invoke_LeftoverThreadCallsWithFinishedInvocationId_RefusedNotServedByTheNext()
    {
        await using var rig = await ContainerAppsRig.StartAsync();
        await using var pool = new SandboxPool(rig.Driver, new SandboxPoolOptions(), NullLogger<SandboxPool>.Instance);
        var spec = Spec(ContainerAppsRig.PluginDirectory(Plugin));
        var served = new ConcurrentQueue<(string Invocation, string Method)>();
        var refused = new ConcurrentQueue<string>();
        InvocationCalls CallsFor(string name) => new(
            (request, _) =>
            {
                served.Enqueue((name, request.Method));
                return Task.FromResult<JsonNode?>(null);
            },
            (request, reason, _) =>
            {
                refused.Enqueue($"{name}: {reason}");
                return Task.CompletedTask;
            });

        await using (var lease = await pool.AcquireAsync(spec, CallsFor("first"), TestContext.Current.CancellationToken))
        {
            await lease.Rpc.SendRequestAsync("invoke", Invoke(lease.Invocation.Id, "leave"), TestContext.Current.CancellationToken);
            await lease.Rpc.DrainAsync(TestContext.Current.CancellationToken);
        }
        await using (var lease = await pool.AcquireAsync(spec, CallsFor("second"), TestContext.Current.CancellationToken))
        {
            Assert.True(lease.IsWarm);
            await lease.Rpc.SendRequestAsync("invoke", Invoke(lease.Invocation.Id, "wait"), TestContext.Current.CancellationToken);
            await lease.Rpc.DrainAsync(TestContext.Current.CancellationToken);
        }

        Assert.Equal([("first", "interaction.respond"), ("second", "interaction.respond")], served);
        var refusal = Assert.Single(refused);
        Assert.StartsWith("first: kv.set refused: invocation ", refusal);
        Assert.Contains("has finished", refusal);
    }

    [Fact]
    public async Task Start_SendsDocumentedRequestWithOnlyCallbackVariables()
    {
        await using var rig = await ContainerAppsRig.StartAsync();
        await using var worker = await rig.Driver.StartWorkerAsync(Spec(ContainerAppsRig.PluginDirectory(Plugin)), TestContext.Current.CancellationToken);

        var start = Assert.Single(rig.Arm.Calls, c => c.Method == "POST");
        Assert.Equal(FakeArm.JobResourceId + "/start", start.Path);
        Assert.Equal("2024-03-01", start.ApiVersion);
        Assert.Equal("Bearer " + FakeArm.Token, start.Authorization);
        var container = Assert.Single(start.Body!["containers"]!.AsArray())!.AsObject();
        Assert.Equal(["command", "env", "image", "name", "resources"], container.Select(p => p.Key).Order());
        Assert.Equal("crtest.azurecr.io/plugin-runner:azd-deploy-1", container["image"]!.GetValue<string>());
        var env = rig.Arm.Executions[0].RunnerEnvironment;
        Assert.Equal(
            ["AZURE_CLIENT_ID", "SANDBOX_CALLBACK_URL", "SANDBOX_WALL_TIME_SECONDS", "SANDBOX_WORKER_ID", "SANDBOX_WORKER_TOKEN"],
            env.Keys.Order());
        Assert.Equal(rig.CallbackUrl.ToString().TrimEnd('/'), env["SANDBOX_CALLBACK_URL"]);
        Assert.Equal(worker.Id, env["SANDBOX_WORKER_ID"]);
        Assert.Equal("caj-runner-test-0001", ((ContainerAppsSandboxWorker)worker).ExecutionName);
    }

    [Fact]
    public async Task Invoke_HandlerLoopsForever_KilledAtWallTimeAndRunnerEnds()
    {
        await using var rig = await ContainerAppsRig.StartAsync(limits: SandboxLimits.Default with { WallTime = TimeSpan.FromSeconds(2) });
        await using var worker = await rig.Driver.StartWorkerAsync(Spec(ContainerAppsRig.PluginDirectory(Plugin)), TestContext.Current.CancellationToken);
        await using var rpc = JsonRpcPeer.Over(worker, NullLogger.Instance);
        using var invocation = worker.BeginInvocation();

        var call = rpc.SendRequestAsync("invoke", Invoke(invocation.Id, "spin"), invocation.WallClockToken);
        await Assert.ThrowsAnyAsync<Exception>(() => call);
        var exit = await worker.WaitAsync().WaitAsync(TimeSpan.FromSeconds(15), TestContext.Current.CancellationToken);

        Assert.Equal(SandboxExitReason.WallTimeExceeded, exit.Reason);
        Assert.True(await rig.JobsEndedAsync(TimeSpan.FromSeconds(15)), "the job runner did not end after the kill:\n" + rig.JobLog);
    }

    [Fact]
    public async Task Channel_BadExpiredOrOtherWorkersToken_Refused()
    {
        await using var rig = await ContainerAppsRig.StartAsync(runJobs: false);
        var directory = ContainerAppsRig.PluginDirectory(Plugin);
        var starting = rig.Driver.StartWorkerAsync(Spec(directory), TestContext.Current.CancellationToken);
        var other = rig.Driver.StartWorkerAsync(Spec(directory), TestContext.Current.CancellationToken);
        await WaitForAsync(() => rig.Arm.Executions.Count == 2);
        var mine = rig.Arm.Executions[0].RunnerEnvironment;
        var theirs = rig.Arm.Executions[1].RunnerEnvironment;
        var id = mine["SANDBOX_WORKER_ID"];
        var token = mine["SANDBOX_WORKER_TOKEN"];

        // The test plays the runner: its first call completes the start.
        Assert.Equal(HttpStatusCode.OK, await StatusAsync(rig, "GET", id, "", token));
        Assert.Equal(HttpStatusCode.OK, await StatusAsync(rig, "GET", theirs["SANDBOX_WORKER_ID"], "", theirs["SANDBOX_WORKER_TOKEN"]));
        await using var worker = await starting;
        await using var otherWorker = await other;

        Assert.Equal(HttpStatusCode.Unauthorized, await StatusAsync(rig, "GET", id, "/channel", null));
        Assert.Equal(HttpStatusCode.Unauthorized, await StatusAsync(rig, "GET", id, "/channel", "v1.99999999999.AAAA"));
        Assert.Equal(HttpStatusCode.Unauthorized, await StatusAsync(rig, "GET", id, "/channel", token + "x"));
        Assert.Equal(HttpStatusCode.Unauthorized, await StatusAsync(rig, "GET", id, "/channel", theirs["SANDBOX_WORKER_TOKEN"]));
        Assert.Equal(HttpStatusCode.Unauthorized, await StatusAsync(rig, "POST", id, "/channel", theirs["SANDBOX_WORKER_TOKEN"], """{"seq":1,"stdout":["{}"]}"""));
        Assert.Equal(HttpStatusCode.Unauthorized, await StatusAsync(rig, "GET", id, "/package", theirs["SANDBOX_WORKER_TOKEN"]));
        Assert.Equal(HttpStatusCode.OK, await StatusAsync(rig, "GET", id, "/package", token));

        rig.Clock.Offset = TimeSpan.FromHours(1);
        Assert.Equal(HttpStatusCode.Unauthorized, await StatusAsync(rig, "GET", id, "/channel", token));
        rig.Clock.Offset = TimeSpan.Zero;

        // Both starts ran concurrently: dispose the worker the first execution belongs to.
        await (worker.Id == id ? worker : otherWorker).DisposeAsync();
        Assert.Equal(HttpStatusCode.Gone, await StatusAsync(rig, "GET", id, "/channel", token));
    }

    [Fact]
    public async Task Channel_PostRetriedOrOutOfOrder_FedOnce()
    {
        await using var rig = await ContainerAppsRig.StartAsync(runJobs: false);
        var starting = rig.Driver.StartWorkerAsync(Spec(ContainerAppsRig.PluginDirectory(Plugin)), TestContext.Current.CancellationToken);
        await WaitForAsync(() => rig.Arm.Executions.Count == 1);
        var env = rig.Arm.Executions[0].RunnerEnvironment;
        var (id, token) = (env["SANDBOX_WORKER_ID"], env["SANDBOX_WORKER_TOKEN"]);
        Assert.Equal(HttpStatusCode.OK, await StatusAsync(rig, "GET", id, "", token));
        await using var worker = await starting;

        Assert.Equal(HttpStatusCode.OK, await StatusAsync(rig, "POST", id, "/channel", token, """{"seq":1,"stdout":["one"],"stderr":"log line\n"}"""));
        Assert.Equal(HttpStatusCode.OK, await StatusAsync(rig, "POST", id, "/channel", token, """{"seq":1,"stdout":["one"],"stderr":"log line\n"}"""));
        Assert.Equal(HttpStatusCode.Conflict, await StatusAsync(rig, "POST", id, "/channel", token, """{"seq":3,"stdout":["three"]}"""));
        Assert.Equal(HttpStatusCode.BadRequest, await StatusAsync(rig, "POST", id, "/channel", token, """{"stdout":"nope"}"""));
        Assert.Equal(HttpStatusCode.OK, await StatusAsync(rig, "POST", id, "/channel", token, """{"seq":2,"stdout":["two"],"exit":{"code":0}}"""));

        var lines = new List<string>();
        await foreach (var line in worker.ReadLinesAsync(TestContext.Current.CancellationToken))
        {
            lines.Add(line);
        }
        Assert.Equal(["one", "two"], lines);
        Assert.Equal(["log line"], worker.DrainLog());
        Assert.Equal(SandboxExitReason.Exited, (await worker.WaitAsync(TestContext.Current.CancellationToken)).Reason);
    }

    [Theory]
    [InlineData("get-job", 403, "AuthorizationFailed", "does not have authorization to perform action 'Microsoft.App/jobs/read'")]
    [InlineData("start", 403, "AuthorizationFailed", "does not have authorization to perform action 'Microsoft.App/jobs/start/action'")]
    [InlineData("start", 404, "ResourceNotFound", "The Resource 'Microsoft.App/jobs/caj-runner-test' was not found")]
    [InlineData("start", 409, "ContainerAppJobExecutionsLimitExceeded", "too many running executions")]
    [InlineData("start", 503, "ServiceUnavailable", "The service is temporarily unavailable")]
    public async Task Start_ArmAnswersError_ThrowsContainerAppsExceptionWithStatusAndCode(string operation, int status, string code, string message)
    {
        await using var rig = await ContainerAppsRig.StartAsync();
        rig.Arm.Fail(operation, status, code, message);

        var error = await Assert.ThrowsAsync<ContainerAppsException>(() => rig.Driver.StartWorkerAsync(Spec(ContainerAppsRig.PluginDirectory(Plugin)), TestContext.Current.CancellationToken));

        Assert.Equal(status, error.Status);
        Assert.Equal(code, error.Code);
        Assert.Contains($"answered {status} {code}: {message}", error.Message);
        Assert.Contains("caj-runner-test", error.Message);
        Assert.Equal(0, rig.Driver.Count);
        Assert.Empty(rig.Jobs);
    }

    [Fact]
    public async Task Start_ExecutionFailsBeforeCallingBack_ThrowsNamingTheExecution()
    {
        await using var rig = await ContainerAppsRig.StartAsync(runJobs: false);
        rig.Arm.OnStart = execution =>
        {
            rig.Arm.SetStatus(execution.Name, "Failed");
            return Task.CompletedTask;
        };

        var started = System.Diagnostics.Stopwatch.StartNew();
        var error = await Assert.ThrowsAsync<ContainerAppsException>(() => rig.Driver.StartWorkerAsync(Spec(ContainerAppsRig.PluginDirectory(Plugin)), TestContext.Current.CancellationToken));

        Assert.Contains("caj-runner-test-0001", error.Message);
        Assert.Contains("ended with status Failed", error.Message);
        Assert.True(started.Elapsed < TimeSpan.FromSeconds(10), $"took {started.Elapsed}");
        Assert.Equal(0, rig.Driver.Count);
    }

    [Fact]
    public async Task Start_RunnerNeverCallsBack_TimesOut()
    {
        await using var rig = await ContainerAppsRig.StartAsync(runJobs: false, configure: o => o with { StartTimeout = TimeSpan.FromSeconds(1) });

        var error = await Assert.ThrowsAsync<ContainerAppsException>(() => rig.Driver.StartWorkerAsync(Spec(ContainerAppsRig.PluginDirectory(Plugin)), TestContext.Current.CancellationToken));

        // The driver's own deadline and the worker's start monitor race for the same second; either says so.
        Assert.Contains("did not call back within 1 s", error.Message);
    }

    [Fact]
    public void StartTemplate_KeepsJobContainerReplacesCommandAndOverridesOurVariables()
    {
        var job = new JobDefinition(JsonNode.Parse("""
            [{"name":"runner","image":"img:1","args":["x"],"probes":[{"type":"Liveness"}],"volumeMounts":[],"resources":{"cpu":0.5,"memory":"1Gi"},
              "env":[{"name":"AZURE_CLIENT_ID","value":"c"},{"name":"SANDBOX_WORKER_ID","value":"stale"},{"name":"S","secretRef":"s"}]},
             {"name":"sidecar","image":"side:1"}]
            """)!.AsArray(), TimeSpan.FromSeconds(60));

        var template = ContainerAppsSandboxDriver.StartTemplate(job, "runner", ["python3", "/opt/sandbox/job_runner.py"], new Dictionary<string, string> { ["SANDBOX_WORKER_ID"] = "w1" });

        Assert.Equal(
            """{"containers":[{"name":"runner","image":"img:1","env":[{"name":"AZURE_CLIENT_ID","value":"c"},{"name":"S","secretRef":"s"},{"name":"SANDBOX_WORKER_ID","value":"w1"}],"resources":{"cpu":0.5,"memory":"1Gi"},"command":["python3","/opt/sandbox/job_runner.py"]},{"name":"sidecar","image":"side:1"}]}""",
            template.ToJsonString());
        Assert.Throws<ContainerAppsException>(() => ContainerAppsSandboxDriver.StartTemplate(job, "absent", ["x"], new Dictionary<string, string>()));
    }

    [Theory]
    [InlineData("/subscriptions/s/resourceGroups/rg/providers/Microsoft.App/jobs/j", true)]
    [InlineData("/subscriptions/s/resourceGroups/rg/providers/microsoft.app/Jobs/j", true)]
    [InlineData("/subscriptions/s/resourceGroups/rg/providers/Microsoft.App/containerApps/j", false)]
    [InlineData("/subscriptions/s/resourceGroups/rg/providers/Microsoft.App/jobs", false)]
    [InlineData("caj-runner", false)]
    [InlineData("", false)]
    public void IsJobResourceId_Shapes(string id, bool expected) => Assert.Equal(expected, ContainerAppsJobsClient.IsJobResourceId(id));

    private static async Task<HttpStatusCode> StatusAsync(ContainerAppsRig rig, string method, string id, string path, string? token, string? body = null)
    {
        using var request = new HttpRequestMessage(new HttpMethod(method), $"{rig.CallbackUrl}/workers/{id}{path}");
        if (token is not null)
        {
            request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", token);
        }
        if (body is not null)
        {
            request.Content = new StringContent(body, System.Text.Encoding.UTF8, "application/json");
        }
        using var response = await rig.Http.SendAsync(request);
        return response.StatusCode;
    }

    private static async Task WaitForAsync(Func<bool> condition)
    {
        for (var i = 0; i < 200 && !condition(); i++)
        {
            await Task.Delay(50);
        }
        Assert.True(condition(), "condition not met within 10 s");
    }
}
