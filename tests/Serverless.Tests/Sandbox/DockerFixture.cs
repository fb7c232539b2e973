using System.Diagnostics;
using Docker.DotNet;
using Docker.DotNet.Models;
using Microsoft.Extensions.Logging.Abstractions;
using Serverless.Platform.Sandbox;
using ContainerSpec = Serverless.Platform.Sandbox.ContainerSpec;

namespace Serverless.Tests.Sandbox;

[CollectionDefinition("Docker")]
public sealed class DockerCollection : ICollectionFixture<DockerFixture>;

/// <summary>
/// The real engine and the real runner image (built with sandbox/build-image when
/// missing or stale). Tests call <see cref="Require"/>: without Docker they skip,
/// or fail when CI=true.
/// </summary>
public sealed class DockerFixture : IAsyncLifetime
{
    private string? unavailable;

    public DockerClient Client { get; } = DockerEngine.CreateClient(Environment.GetEnvironmentVariable("DOCKER_HOST"));

    /// <summary>A stack of our own, so crash recovery in tests only looks at our containers.</summary>
    public string PlatformName { get; } = "serverless-tests-" + Guid.NewGuid().ToString("N")[..8];

    public DockerSandboxOptions Options => new() { PlatformName = PlatformName, DockerHost = Client.Host() };

    public DockerSandboxDriver Driver => new(Client, Options, NullLogger<DockerSandboxDriver>.Instance);

    /// <summary>A driver whose containers name <paramref name="owner"/> as their host, on stack <paramref name="stack"/> (ours by default).</summary>
    public DockerSandboxDriver DriverOwnedBy(HostInstance owner, string? stack = null) =>
        new(Client, Options with { Owner = owner, PlatformName = stack ?? PlatformName }, NullLogger<DockerSandboxDriver>.Instance);

    /// <summary>Whether the engine still has the container (running or not).</summary>
    public async Task<bool> ExistsAsync(string containerId)
    {
        try
        {
            await Client.Containers.InspectContainerAsync(containerId, TestContext.Current.CancellationToken);
            return true;
        }
        catch (DockerContainerNotFoundException)
        {
            return false;
        }
    }

    /// <summary>The engine's containers (running or not) that carry every label given as <c>key=value</c>.</summary>
    public async Task<IList<ContainerListResponse>> ContainersAsync(params string[] labels) =>
        await Client.Containers.ListContainersAsync(new ContainersListParameters
        {
            All = true,
            Filters = new Dictionary<string, IDictionary<string, bool>> { ["label"] = labels.ToDictionary(label => label, _ => true) },
        }, TestContext.Current.CancellationToken);

    /// <summary>A host process that has ended, as a crashed host's containers name it: a real process, started and killed.</summary>
    public static async Task<HostInstance> EndedHostAsync()
    {
        using var process = Process.Start(new ProcessStartInfo("sleep", "60"))!;
        var owner = new HostInstance(Environment.MachineName, process.Id, HostInstance.StartTicksOf(process.Id) ?? 0);
        process.Kill();
        await process.WaitForExitAsync();
        Assert.True(owner.HasEnded(), $"process {owner.ProcessId} still counts as running");
        return owner;
    }

    public string RepoRoot { get; } = FindRepoRoot();

    public async ValueTask InitializeAsync()
    {
        try
        {
            await Client.CallAsync("GET _ping", token => Client.System.PingAsync(token), CancellationToken.None);
        }
        catch (DockerEngineException e)
        {
            unavailable = $"Docker engine not reachable: {e.Message}";
            return;
        }
        var build = new ProcessStartInfo("bash", [Path.Combine(RepoRoot, "sandbox", "build-image")])
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
        };
        using var process = Process.Start(build)!;
        var output = process.StandardOutput.ReadToEndAsync();
        var errors = process.StandardError.ReadToEndAsync();
        using var timeout = new CancellationTokenSource(TimeSpan.FromMinutes(10));
        await process.WaitForExitAsync(timeout.Token);
        if (process.ExitCode != 0)
        {
            unavailable = $"sandbox/build-image failed ({process.ExitCode}): {await output}{await errors}";
        }
    }

    public void Require()
    {
        if (unavailable is null)
        {
            return;
        }
        if (string.Equals(Environment.GetEnvironmentVariable("CI"), "true", StringComparison.OrdinalIgnoreCase))
        {
            throw new InvalidOperationException("CI=true and Docker is required: " + unavailable);
        }
        Assert.Skip(unavailable);
    }

    public async ValueTask DisposeAsync()
    {
        if (unavailable is null)
        {
            // The stack is ours alone: whatever a test left of it goes, whichever process it names as owner.
            foreach (var container in await ContainersAsync($"{ContainerSpec.PlatformLabel}={PlatformName}"))
            {
                try
                {
                    await Client.Containers.RemoveContainerAsync(container.ID, new ContainerRemoveParameters { Force = true });
                }
                catch (DockerApiException)
                {
                }
            }
        }
        Client.Dispose();
    }

    private static string FindRepoRoot()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            if (File.Exists(Path.Combine(dir.FullName, "Serverless.sln")))
            {
                return dir.FullName;
            }
        }
        throw new InvalidOperationException("repo root (Serverless.sln) not found above " + AppContext.BaseDirectory);
    }
}

/// <summary>Runs one script in a sandbox worker to its end and collects what it did.</summary>
internal static class SandboxScript
{
    public static SandboxWorkerSpec Spec(string script, SandboxLimits? limits = null, string install = "install-1", string? pluginDirectory = null) =>
        new("tests.hostile", "1.0.0", install)
        {
            Command = ["python3", "-c", script],
            Limits = limits,
            PluginDirectory = pluginDirectory,
        };

    public static async Task<ScriptRun> RunAsync(ISandboxDriver driver, SandboxWorkerSpec spec, string? stdin = null, TimeSpan? deadline = null)
    {
        var started = Stopwatch.GetTimestamp();
        await using var worker = await driver.StartWorkerAsync(spec, CancellationToken.None);
        using var invocation = worker.BeginInvocation();
        var lines = new List<string>();
        var reading = Task.Run(async () =>
        {
            await foreach (var line in worker.ReadLinesAsync())
            {
                lines.Add(line);
            }
        });
        if (stdin is not null)
        {
            await worker.WriteLineAsync(stdin);
        }
        var exit = await worker.WaitAsync().WaitAsync(deadline ?? TimeSpan.FromSeconds(60));
        await reading.WaitAsync(TimeSpan.FromSeconds(10));
        return new ScriptRun(worker.Id, exit, lines, worker.DrainLog(), Stopwatch.GetElapsedTime(started));
    }
}

internal sealed record ScriptRun(string ContainerId, SandboxExit Exit, List<string> Lines, IReadOnlyList<string> Log, TimeSpan Elapsed)
{
    public override string ToString() =>
        $"{Exit} after {Elapsed.TotalSeconds:0.00} s; stdout: {string.Join(" | ", Lines.Take(20))}; log: {string.Join(" | ", Log.TakeLast(20))}";
}
