using Docker.DotNet.Models;

namespace Serverless.Platform.Sandbox;

/// <summary>
/// Turns a worker request into Docker's create parameters with every hardening flag
/// of docs/sandbox.md. Everything a container gets is decided here, so it can be read (and
/// tested) in one place: no network, read-only root, small noexec /tmp, no
/// capabilities, no-new-privileges (the default seccomp profile stays on), a fixed
/// non-root user, cgroup and rlimit caps, no logs kept by Docker, only allow-listed
/// environment variables and no mount but the plugin's files, read-only.
/// </summary>
public static class ContainerSpec
{
    public const string PluginMountPath = "/plugin";
    public const string SandboxUser = "10001:10001";

    /// <summary>The stack the container belongs to (<see cref="DockerSandboxOptions.PlatformName"/>).</summary>
    public const string PlatformLabel = "org.serverless.platform";

    /// <summary>The host process that started it (<see cref="HostInstance.Label"/>).</summary>
    public const string OwnerLabel = "org.serverless.owner";

    public const string PluginLabel = "org.serverless.plugin";
    public const string VersionLabel = "org.serverless.plugin-version";
    public const string InstallLabel = "org.serverless.install";

    /// <summary>Validates the request; throws <see cref="ArgumentException"/> listing every problem.</summary>
    public static CreateContainerParameters Build(SandboxWorkerSpec spec, DockerSandboxOptions options)
    {
        var limits = spec.Limits ?? options.Limits;
        var errors = new List<string>(limits.Validate());
        if (string.IsNullOrWhiteSpace(spec.PluginId)) errors.Add("PluginId is required");
        if (string.IsNullOrWhiteSpace(spec.PluginVersion)) errors.Add("PluginVersion is required");
        var command = spec.Command ?? options.Command;
        if (command.Count == 0) errors.Add("Command must not be empty");
        foreach (var name in spec.Environment.Keys)
        {
            if (!options.EnvironmentAllowList.Contains(name))
            {
                errors.Add($"environment variable '{name}' is not on the sandbox allow-list");
            }
        }
        if (spec.PluginDirectory is { } directory)
        {
            if (!Path.IsPathFullyQualified(directory)) errors.Add($"PluginDirectory '{directory}' must be an absolute path");
            else if (!Directory.Exists(directory)) errors.Add($"PluginDirectory '{directory}' does not exist");
            else if (Path.GetFullPath(directory).TrimEnd('/') is "" or "/var/run" or "/run" or "/var/lib/docker")
            {
                errors.Add($"PluginDirectory '{directory}' is not a plugin folder");
            }
        }
        if (errors.Count > 0)
        {
            throw new ArgumentException("invalid sandbox worker spec: " + string.Join("; ", errors), nameof(spec));
        }

        var labels = new Dictionary<string, string>
        {
            [PlatformLabel] = options.PlatformName,
            [OwnerLabel] = options.Owner.Label,
            [PluginLabel] = spec.PluginId,
            [VersionLabel] = spec.PluginVersion,
        };
        if (spec.InstallId is not null)
        {
            labels[InstallLabel] = spec.InstallId;
        }

        return new CreateContainerParameters
        {
            Image = options.Image,
            Cmd = command.ToList(),
            Env = spec.Environment.Select(pair => $"{pair.Key}={pair.Value}").ToList(),
            User = SandboxUser,
            WorkingDir = PluginMountPath,
            Hostname = "sandbox",
            AttachStdin = true,
            AttachStdout = true,
            AttachStderr = true,
            OpenStdin = true,
            // Closing our write side then gives the plugin end of file on stdin.
            StdinOnce = true,
            Tty = false,
            NetworkDisabled = true,
            Labels = labels,
            HostConfig = new HostConfig
            {
                NetworkMode = "none",
                ReadonlyRootfs = true,
                Tmpfs = new Dictionary<string, string>
                {
                    ["/tmp"] = $"rw,noexec,nosuid,nodev,size={limits.TmpfsBytes},mode=1777",
                },
                Binds = spec.PluginDirectory is null ? null : [$"{Path.GetFullPath(spec.PluginDirectory)}:{PluginMountPath}:ro"],
                CapDrop = ["ALL"],
                // Only no-new-privileges: naming no seccomp profile keeps Docker's default one on.
                SecurityOpt = ["no-new-privileges"],
                Privileged = false,
                PidsLimit = limits.Pids,
                Memory = limits.MemoryBytes,
                MemorySwap = limits.MemoryBytes,
                NanoCPUs = (long)(limits.Cpus * 1_000_000_000),
                Ulimits =
                [
                    new Ulimit { Name = "nofile", Soft = limits.OpenFiles, Hard = limits.OpenFiles },
                    new Ulimit { Name = "fsize", Soft = limits.FileSizeBytes, Hard = limits.FileSizeBytes },
                    new Ulimit { Name = "nproc", Soft = limits.Processes, Hard = limits.Processes },
                    new Ulimit { Name = "core", Soft = 0, Hard = 0 },
                ],
                // /dev/shm is another writable tmpfs; keep it private and tiny.
                IpcMode = "private",
                ShmSize = 1 * SandboxLimits.MiB,
                // We remove containers ourselves, after reading their exit state.
                AutoRemove = false,
                // The host reads output through attach; a json-file log would let an
                // output flood fill the engine's disk.
                LogConfig = new LogConfig { Type = "none" },
            },
        };
    }
}
