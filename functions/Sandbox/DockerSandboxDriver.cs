namespace Serverless.Functions.Sandbox;

/// <summary>
/// Runs plugin workers as hardened containers on the local Docker engine: create,
/// attach (before start, so no output is lost), start; stdin and stdout carry the
/// JSON-RPC lines, stderr the plugin's log.
/// </summary>
public sealed class DockerSandboxDriver(DockerEngineClient client, DockerSandboxOptions options, ILogger<DockerSandboxDriver> logger)
    : ISandboxDriver
{
    public string Name => "docker";

    public DockerSandboxOptions Options => options;

    private static readonly TimeSpan CreateTimeout = TimeSpan.FromSeconds(60);

    public async Task<SandboxWorker> StartWorkerAsync(SandboxWorkerSpec spec, CancellationToken cancellationToken)
    {
        var request = ContainerSpec.Build(spec, options);
        // The engine may create the container even when the caller gives up mid-request, and then nobody would
        // know its id to remove it: create with a bounded wait of its own, then honour the caller's token.
        using var createWait = new CancellationTokenSource(CreateTimeout);
        var created = await client.CreateContainerAsync(request, cancellationToken: createWait.Token);
        DockerAttachStream? attach = null;
        try
        {
            cancellationToken.ThrowIfCancellationRequested();
            attach = await client.AttachContainerAsync(created.Id, tty: false, cancellationToken);
            await client.StartContainerAsync(created.Id, cancellationToken);
            return new DockerSandboxWorker(client, created.Id, attach, spec, spec.Limits ?? options.Limits, logger);
        }
        catch
        {
            if (attach is not null)
            {
                await attach.DisposeAsync();
            }
            await RemoveQuietlyAsync(created.Id);
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
        var containers = await client.ListContainersAsync([$"{ContainerSpec.PlatformLabel}={options.PlatformName}"], cancellationToken);
        var leftovers = containers
            .Where(container => HostInstance.Parse(container.Labels?.GetValueOrDefault(ContainerSpec.OwnerLabel)) is { } owner && owner.HasEnded())
            .ToList();
        await Task.WhenAll(leftovers.Select(container => RemoveQuietlyAsync(container.Id)));
        if (leftovers.Count > 0)
        {
            logger.LogWarning("Removed {Count} sandbox containers of stack {Platform} whose host process has ended", leftovers.Count, options.PlatformName);
        }
        return leftovers.Count;
    }

    private async Task RemoveQuietlyAsync(string id)
    {
        try
        {
            await client.RemoveContainerAsync(id, force: true, CancellationToken.None);
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

    private readonly DockerEngineClient client;
    private readonly DockerAttachStream attach;
    private readonly CancellationTokenSource stopping = new();
    private readonly Task pump;
    private int disposed;

    public DockerSandboxWorker(DockerEngineClient client, string containerId, DockerAttachStream attach, SandboxWorkerSpec spec, SandboxLimits limits, ILogger logger)
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
        await attach.DisposeAsync();
        try
        {
            await client.RemoveContainerAsync(Id, force: true);
        }
        catch (DockerEngineException e) when (e.Status == 404)
        {
            // Already gone.
        }
        catch (DockerEngineException e)
        {
            Logger.LogWarning(e, "Could not remove sandbox container {WorkerId}", Id);
        }
        stopping.Dispose();
    }

    protected override Task WriteStdinAsync(ReadOnlyMemory<byte> data, CancellationToken cancellationToken) =>
        attach.WriteAsync(data, cancellationToken).AsTask();

    protected override async Task KillCoreAsync()
    {
        try
        {
            await client.KillContainerAsync(Id, "SIGKILL");
        }
        catch (DockerEngineException e) when (e.Status is 404 or 409)
        {
            // Not running any more: nothing to kill.
        }
    }

    private async Task PumpAsync()
    {
        var broken = false;
        try
        {
            while (await attach.ReadAsync(stopping.Token) is { } chunk)
            {
                if (chunk.Stream == DockerStreamType.Stdout)
                {
                    await OnStdoutAsync(chunk.Payload, stopping.Token);
                }
                else if (chunk.Stream == DockerStreamType.Stderr)
                {
                    OnStderr(chunk.Payload.Span);
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
            var waited = await client.WaitContainerAsync(Id, timeout.Token);
            var state = (await client.InspectContainerAsync(Id, timeout.Token)).State;
            OnExited((int)waited.StatusCode, state?.OOMKilled ?? false);
        }
        catch (Exception e) when (e is DockerEngineException or OperationCanceledException)
        {
            OnExited(null, false, $"lost track of the sandbox: {e.Message}");
        }
    }
}
