using System.Diagnostics;
using Microsoft.AspNetCore.Mvc.Testing;
using Microsoft.Extensions.DependencyInjection;
using Serverless.Platform.Invocations;
using Serverless.Platform.Sandbox;
using Serverless.Tests.Infrastructure;

namespace Serverless.Tests.Sandbox;

/// <summary>
/// Crash recovery at host start removes only what this host can show is its own: containers of its stack
/// whose owning host process has ended. Other stacks on the same engine, and live hosts of its own stack
/// (another process), keep their running sandboxes. Whole platform hosts on the real engine, real plugin
/// processes in the containers.
/// </summary>
[Collection("Docker")]
public sealed class CrashRecoveryTests(Azurite azurite, DockerFixture docker)
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task HostStart_OtherStackAndLiveHostsOfItsOwn_TheirContainersKeepRunning()
    {
        docker.Require();
        string first = Stack("first"), second = Stack("second");
        await using var firstHost = Host(first);
        await using var running = await firstHost.Services.GetRequiredService<ISandboxDriver>().StartWorkerAsync(EchoPlugin.Spec(install: "first-stack"), Ct);
        await using var firstStackOrphan = await docker.DriverOwnedBy(await DockerFixture.EndedHostAsync(), first).StartWorkerAsync(EchoPlugin.Spec(install: "first-orphan"), Ct);
        // Another host process of the second stack, still running (a second local/up on the same state, say).
        using var otherHost = Process.Start(new ProcessStartInfo("sleep", "120"))!;
        try
        {
            var live = new HostInstance(Environment.MachineName, otherHost.Id, HostInstance.StartTicksOf(otherHost.Id) ?? 0);
            await using var otherHostsWorker = await docker.DriverOwnedBy(live, second).StartWorkerAsync(EchoPlugin.Spec(install: "second-live"), Ct);

            await using var secondHost = Host(second);
            _ = secondHost.Services; // starts it: recovery runs before the host serves

            Assert.True(await IsRunningAsync(running.Id), "the first stack's running sandbox was removed");
            Assert.True(await docker.ExistsAsync(firstStackOrphan.Id), "the second stack judged the first stack's containers");
            Assert.True(await IsRunningAsync(otherHostsWorker.Id), "a live host's sandbox of the same stack was removed");
        }
        finally
        {
            otherHost.Kill();
        }
    }

    [Fact]
    public async Task HostStart_ThisStacksEndedHost_LeftoversRemoved()
    {
        docker.Require();
        var stack = Stack("recover");
        await using var orphan = await docker.DriverOwnedBy(await DockerFixture.EndedHostAsync(), stack).StartWorkerAsync(EchoPlugin.Spec(install: "orphan"), Ct);
        Assert.True(await IsRunningAsync(orphan.Id));

        await using var host = Host(stack);
        _ = host.Services;

        Assert.False(await docker.ExistsAsync(orphan.Id), "a dead host's container of this stack was left behind");
    }

    [Fact]
    public void PluginCache_TwoStacksWithoutPluginCacheDir_UseDifferentFolders()
    {
        string first = Stack("cache-a"), second = Stack("cache-b");
        using var firstHost = Host(first);
        using var secondHost = Host(second);

        var firstRoot = firstHost.Services.GetRequiredService<PluginFiles>().Root;
        var secondRoot = secondHost.Services.GetRequiredService<PluginFiles>().Root;

        Assert.NotEqual(firstRoot, secondRoot);
        Assert.EndsWith(first, firstRoot);
        Assert.StartsWith(Path.GetTempPath(), firstRoot);
    }

    /// <summary>A stack of the test's own, so no other test's containers are in it.</summary>
    private string Stack(string name) => $"{docker.PlatformName}-{name}-{Guid.NewGuid().ToString("N")[..6]}";

    private WebApplicationFactory<Program> Host(string stack) => new TestApp().WithWebHostBuilder(b =>
    {
        b.UseSetting("AzureWebJobsStorage", azurite.ConnectionString);
        b.UseSetting("LOCAL_TRIGGERS", "off");
        b.UseSetting("SANDBOX_PLATFORM_NAME", stack);
    });

    private async Task<bool> IsRunningAsync(string id) => (await docker.Client.Containers.InspectContainerAsync(id, Ct)).State?.Running == true;
}
