using System.Runtime.InteropServices;
using Docker.DotNet;
using Docker.DotNet.Models;

namespace Serverless.Platform.Sandbox;

/// <summary>
/// Runs plugin workers as hardened containers on the local Docker engine: create,
/// attach (before start, so no output is lost), start; stdin and stdout carry the
/// JSON-RPC lines, stderr the plugin's log, both read demultiplexed from the attach stream.
/// </summary>
public sealed class DockerSandboxDriver(DockerClient client, DockerSandboxOptions options, ILogger<DockerSandboxDriver> logger)
    : ISandboxDriver
{
    public string Name => "docker";

    public DockerSandboxOptions Options => options;

    private static readonly TimeSpan CreateTimeout = TimeSpan.FromSeconds(60);

    private static readonly ContainerAttachParameters AttachAll = new() { Stream = true, Stdin = true, Stdout = true, Stderr = true };

    public async Task<SandboxWorker> StartWorkerAsync(SandboxWorkerSpec spec, CancellationToken cancellationToken)
    {
        var parameters = ContainerSpec.Build(spec, options);
        // The engine may create the container even when the caller gives up mid-request, and then nobody would
        // know its id to remove it: create with a bounded wait of its own, then honour the caller's token.
        using var createWait = new CancellationTokenSource(CreateTimeout);
        var created = await client.CallAsync("POST containers/create", token => client.Containers.CreateContainerAsync(parameters, token), createWait.Token);
        MultiplexedStream? attach = null;
        try
        {
            cancellationToken.ThrowIfCancellationRequested();
            attach = await client.CallAsync($"POST containers/{created.ID}/attach",
                token => client.Containers.AttachContainerAsync(created.ID, tty: false, AttachAll, token), cancellationToken);
            await client.CallAsync($"POST containers/{created.ID}/start",
                token => client.Containers.StartContainerAsync(created.ID, new ContainerStartParameters(), token), cancellationToken);
            return new DockerSandboxWorker(client, created.ID, attach, spec, spec.Limits ?? options.Limits, logger);
        }
        catch
        {
            attach?.Dispose();
            await RemoveQuietlyAsync(client, created.ID, logger);
            throw;
        }
    }

    /// <summary>
    /// Removes this stack's containers whose owning host process has ended (a crash leaves them behind).
    /// Containers of other stacks, of live hosts (this one, or another sharing the stack and the engine)
    /// and without an owner label are never touched: nothing removes what it cannot show it owns.
    /// </summary>
    public async Task<int> RemoveLeftoversAsync(CancellationToken cancellationToken)
    {
        var stack = new ContainersListParameters
        {
            All = true,
            Filters = new Dictionary<string, IDictionary<string, bool>>
            {
                ["label"] = new Dictionary<string, bool> { [$"{ContainerSpec.PlatformLabel}={options.PlatformName}"] = true },
            },
        };
        var containers = await client.CallAsync("GET containers/json", token => client.Containers.ListContainersAsync(stack, token), cancellationToken);
        var leftovers = containers
            .Where(container => container.Labels is { } labels && labels.TryGetValue(ContainerSpec.OwnerLabel, out var label)
                && HostInstance.Parse(label) is { } owner && owner.HasEnded())
            .ToList();
        await Task.WhenAll(leftovers.Select(container => RemoveQuietlyAsync(client, container.ID, logger)));
        if (leftovers.Count > 0)
        {
            logger.LogWarning("Removed {Count} sandbox containers of stack {Platform} whose host process has ended", leftovers.Count, options.PlatformName);
        }
        return leftovers.Count;
    }

    /// <summary>Removes a container, running or not; one already gone is fine, any other failure is logged.</summary>
    internal static async Task RemoveQuietlyAsync(DockerClient client, string id, ILogger logger)
    {
        try
        {
            await client.CallAsync($"DELETE containers/{id}",
                token => client.Containers.RemoveContainerAsync(id, new ContainerRemoveParameters { Force = true, RemoveVolumes = true }, token), CancellationToken.None);
        }
        catch (DockerEngineException e) when (e.Status == 404)
        {
            // Already gone.
        }
        catch (DockerEngineException e)
        {
            logger.LogWarning(e, "Could not remove sandbox container {ContainerId}", id);
        }
    }
}

internal sealed class DockerSandboxWorker : SandboxWorker
{
    private static readonly TimeSpan EngineTimeout = TimeSpan.FromSeconds(30);
    private const int ReadBufferBytes = 32 * 1024;

    private readonly DockerClient client;
    private readonly MultiplexedStream attach;
    private readonly CancellationTokenSource stopping = new();
    private readonly Task pump;
    private int disposed;

    public DockerSandboxWorker(DockerClient client, string containerId, MultiplexedStream attach, SandboxWorkerSpec spec, SandboxLimits limits, ILogger logger)
        : base(containerId, spec, limits, logger)
    {
        this.client = client;
        this.attach = attach;
        pump = Task.Run(PumpAsync);
    }

    public override async ValueTask DisposeAsync()
    {
        if (Interlocked.Exchange(ref disposed, 1) == 1)
        {
            return;
        }
        await KillAsync(SandboxExitReason.Stopped, "stopped by the host");
        try
        {
            await pump.WaitAsync(EngineTimeout);
        }
        catch (TimeoutException)
        {
            Logger.LogWarning("Sandbox worker {WorkerId} did not report its exit in time", Id);
        }
        await stopping.CancelAsync();
        attach.Dispose();
        await DockerSandboxDriver.RemoveQuietlyAsync(client, Id, Logger);
        stopping.Dispose();
    }

    protected override Task WriteStdinAsync(ReadOnlyMemory<byte> data, CancellationToken cancellationToken)
    {
        var bytes = MemoryMarshal.TryGetArray(data, out var segment) ? segment : new ArraySegment<byte>(data.ToArray());
        return attach.WriteAsync(bytes.Array!, bytes.Offset, bytes.Count, cancellationToken);
    }

    protected override async Task KillCoreAsync()
    {
        try
        {
            await client.CallAsync($"POST containers/{Id}/kill",
                token => client.Containers.KillContainerAsync(Id, new ContainerKillParameters { Signal = "SIGKILL" }, token), CancellationToken.None);
        }
        catch (DockerEngineException e) when (e.Status is 404 or 409)
        {
            // Not running any more: nothing to kill.
        }
    }

    private async Task PumpAsync()
    {
        var broken = false;
        var buffer = new byte[ReadBufferBytes];
        try
        {
            while (true)
            {
                var read = await attach.ReadOutputAsync(buffer, 0, buffer.Length, stopping.Token);
                if (read.EOF)
                {
                    break;
                }
                if (read.Target == MultiplexedStream.TargetStream.StandardOut)
                {
                    await OnStdoutAsync(buffer.AsMemory(0, read.Count), stopping.Token);
                }
                else if (read.Target == MultiplexedStream.TargetStream.StandardError)
                {
                    OnStderr(buffer.AsSpan(0, read.Count));
                }
            }
        }
        catch (OperationCanceledException)
        {
            // Disposing: the container has been killed already.
        }
        catch (Exception e) when (e is IOException or ObjectDisposedException)
        {
            broken = true;
            Logger.LogWarning(e, "Lost the output of sandbox worker {WorkerId}", Id);
        }

        if (broken)
        {
            // Without its output the worker is useless; make sure it does not run on unseen.
            await KillAsync(SandboxExitReason.Lost, "the host lost the sandbox's output stream");
        }
        try
        {
            using var timeout = new CancellationTokenSource(EngineTimeout);
            var waited = await client.CallAsync($"POST containers/{Id}/wait", token => client.Containers.WaitContainerAsync(Id, token), timeout.Token);
            var state = (await client.CallAsync($"GET containers/{Id}/json", token => client.Containers.InspectContainerAsync(Id, token), timeout.Token)).State;
            OnExited((int)waited.StatusCode, state?.OOMKilled ?? false);
        }
        catch (Exception e) when (e is DockerEngineException or OperationCanceledException)
        {
            OnExited(null, false, $"lost track of the sandbox: {e.Message}");
        }
    }
}
