namespace Serverless.Platform.Sandbox;

/// <summary>
/// The seam between the platform and where plugin code runs: Docker locally, a
/// Container Apps job in Azure. A driver starts workers; the pool and the JSON-RPC
/// peer work the same over either.
/// </summary>
public interface ISandboxDriver
{
    /// <summary>Reported by /api/health ("docker", "container-apps").</summary>
    string Name { get; }

    Task<SandboxWorker> StartWorkerAsync(SandboxWorkerSpec spec, CancellationToken cancellationToken);

    /// <summary>Removes workers that ended (crashed) hosts of this stack left behind, never a live host's; returns how many.</summary>
    Task<int> RemoveLeftoversAsync(CancellationToken cancellationToken);
}

/// <summary>
/// A request for a plugin worker. <see cref="InstallId"/> is null when one worker
/// serves every install of a plugin version (pool mode).
/// </summary>
public sealed record SandboxWorkerSpec(string PluginId, string PluginVersion, string? InstallId)
{
    /// <summary>Host folder with the plugin's unpacked files, mounted read-only at /plugin.</summary>
    public string? PluginDirectory { get; init; }

    /// <summary>Null: the driver's default (the SDK runner).</summary>
    public IReadOnlyList<string>? Command { get; init; }

    /// <summary>Only names on the driver's allow-list are accepted; nothing else is inherited.</summary>
    public IReadOnlyDictionary<string, string> Environment { get; init; } = new Dictionary<string, string>();

    /// <summary>Null: the driver's default limits.</summary>
    public SandboxLimits? Limits { get; init; }
}

public enum SandboxExitReason
{
    /// <summary>The process ended by itself with code 0.</summary>
    Exited,

    /// <summary>The process ended by itself with a non-zero code.</summary>
    Crashed,

    OutOfMemory,
    WallTimeExceeded,
    OutputLimitExceeded,

    /// <summary>The host stopped it (disposed, evicted, shut down).</summary>
    Stopped,

    /// <summary>The host lost track of it (engine unreachable, attach broken).</summary>
    Lost,
}

/// <summary>How a worker ended; <see cref="Message"/> is fit for the plugin's log.</summary>
public sealed record SandboxExit(SandboxExitReason Reason, int? ExitCode, string Message)
{
    public bool IsLimitBreach => Reason is SandboxExitReason.OutOfMemory or SandboxExitReason.WallTimeExceeded or SandboxExitReason.OutputLimitExceeded;
}
