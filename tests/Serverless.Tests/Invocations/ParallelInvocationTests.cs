using System.Diagnostics;
using System.Text.Json.Nodes;
using Serverless.Platform.Invocations;
using Serverless.Platform.Sandbox;
using Serverless.Tests.Infrastructure;
using Serverless.Tests.Packages.Fixtures;
using Serverless.Tests.Sandbox;

namespace Serverless.Tests.Invocations;

/// <summary>The hostile suite's "many parallel runs", through the whole invocation path and the warm pool.</summary>
[Collection("Docker")]
public sealed class ParallelInvocationTests(Azurite azurite, DockerFixture docker)
{
    [Fact]
    public async Task Invoke_FiftyInParallelAcrossTenInstalls_AllHandledInBoundedTimeNothingLeftRunning()
    {
        var rig = await InvocationRig.StartAsync(azurite, docker);
        var id = "parallel_" + Guid.NewGuid().ToString("N")[..8];
        var report = await rig.PublishAsync("acme", id, PluginZip.Build(new Dictionary<string, object>
        {
            ["manifest.json"] = PluginZip.GreetManifest(id),
            ["plugin.py"] = PluginZip.GreetPlugin,
        }));
        Assert.Equal("published", report["status"]!.GetValue<string>());
        var installs = Enumerable.Range(0, 10).Select(_ => InvocationRig.Install(id)).ToArray();
        var router = new RecordingRouter();
        var clock = Stopwatch.StartNew();

        var outcomes = await Task.WhenAll(Enumerable.Range(0, 50).Select(i =>
        {
            var @event = JsonNode.Parse($$"""{"interaction_id":"{{i}}","options":[{"name":"user","type":6,"value":"{{i}}"}]}""")!.AsObject();
            return rig.Invoker.InvokeAsync(new PluginInvocation($"inv-{i}", PluginInvocation.SlashCommand, "greet", @event, installs[i % installs.Length]), router, CancellationToken.None);
        })).WaitAsync(TimeSpan.FromMinutes(3), TestContext.Current.CancellationToken);
        var elapsed = clock.Elapsed;
        var workers = rig.Pool.Count;
        await rig.DisposeAsync();

        Assert.All(outcomes, outcome => Assert.Equal(InvocationStatus.Handled, outcome.Status));
        Assert.Equal(Enumerable.Range(0, 50).Select(i => $"<@{i}> Hey there!").Order(),
            router.Calls.Where(c => c.Method == "interaction.respond").Select(c => c.Params["content"]!.GetValue<string>()).Order());
        Assert.Equal(10, workers);
        Assert.True(elapsed < TimeSpan.FromSeconds(90), $"50 invocations took {elapsed}");
        var left = await docker.ContainersAsync($"{ContainerSpec.PlatformLabel}={docker.PlatformName}", $"{ContainerSpec.PluginLabel}={id}");
        Assert.Empty(left);
    }
}
