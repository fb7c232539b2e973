namespace Serverless.Platform.Sandbox;

/// <summary>
/// What one plugin worker may use. Memory, CPU, processes and files are enforced by
/// the kernel through Docker; the wall time and the output caps by the host, which
/// counts them per invocation (see <see cref="SandboxWorker.BeginInvocation"/>).
/// </summary>
public sealed record SandboxLimits
{
    public const long MiB = 1024 * 1024;

    public static SandboxLimits Default { get; } = new();

    public TimeSpan WallTime { get; init; } = TimeSpan.FromSeconds(10);

    /// <summary>Also the memory+swap limit, so a plugin cannot swap its way past it.</summary>
    public long MemoryBytes { get; init; } = 256 * MiB;

    public double Cpus { get; init; } = 0.5;

    /// <summary>Processes and threads inside the container (the pids cgroup).</summary>
    public int Pids { get; init; } = 64;

    public int OpenFiles { get; init; } = 256;

    public long FileSizeBytes { get; init; } = 10 * MiB;

    /// <summary>
    /// RLIMIT_NPROC counts every process of the uid on the whole host, across all
    /// sandboxes (they share uid 10001), so it is a host-wide backstop and must stay well
    /// above MaxWorkers × <see cref="Pids"/>; the per-container cap is <see cref="Pids"/>.
    /// </summary>
    public int Processes { get; init; } = 4096;

    public long OutputBytesPerStream { get; init; } = 1 * MiB;

    /// <summary>Longer stdout lines are cut here (and then fail to parse as JSON-RPC).</summary>
    public int MaxLineBytes { get; init; } = 256 * 1024;

    public long TmpfsBytes { get; init; } = 16 * MiB;

    /// <summary>How much of the plugin's stderr (its log) the host keeps between drains.</summary>
    public int LogBufferBytes { get; init; } = 64 * 1024;

    public IReadOnlyList<string> Validate()
    {
        var errors = new List<string>();
        if (WallTime <= TimeSpan.Zero) errors.Add("WallTime must be positive");
        if (MemoryBytes < 16 * MiB) errors.Add("MemoryBytes must be at least 16 MiB");
        if (Cpus is <= 0 or > 64) errors.Add("Cpus must be in (0, 64]");
        if (Pids < 4) errors.Add("Pids must be at least 4");
        if (OpenFiles < 16) errors.Add("OpenFiles must be at least 16");
        if (FileSizeBytes < 1) errors.Add("FileSizeBytes must be positive");
        if (Processes < Pids) errors.Add("Processes must be at least Pids");
        if (OutputBytesPerStream < 1024) errors.Add("OutputBytesPerStream must be at least 1 KiB");
        if (MaxLineBytes < 1024) errors.Add("MaxLineBytes must be at least 1 KiB");
        if (TmpfsBytes < 1 * MiB) errors.Add("TmpfsBytes must be at least 1 MiB");
        if (LogBufferBytes < 1024) errors.Add("LogBufferBytes must be at least 1 KiB");
        return errors;
    }
}
