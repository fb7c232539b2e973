using System.Globalization;

namespace Serverless.Functions.Sandbox;

public sealed record DockerSandboxOptions
{
    public const string DefaultImage = "serverless-sandbox-runner:latest";

    public string DockerHost { get; init; } = DockerEngineClient.DefaultHost;

    public string Image { get; init; } = DefaultImage;

    /// <summary>
    /// Value of the platform label on every container. Crash recovery removes all
    /// containers carrying it, so two hosts sharing one engine need different names.
    /// </summary>
    public string PlatformName { get; init; } = "serverless";

    public IReadOnlyList<string> Command { get; init; } = ["python3", "-m", "serverless_sdk.runner", "--plugin-dir", ContainerSpec.PluginMountPath];

    /// <summary>The only environment variable names a worker may be given.</summary>
    public IReadOnlySet<string> EnvironmentAllowList { get; init; } = new HashSet<string>(StringComparer.Ordinal)
    {
        "PLUGIN_ID", "PLUGIN_VERSION", "PLUGIN_DIR", "PLUGIN_ENTRYPOINT", "INSTALL_ID", "GUILD_ID", "LANG", "TZ",
    };

    public SandboxLimits Limits { get; init; } = SandboxLimits.Default;

    /// <summary>
    /// Reads DOCKER_HOST and the SANDBOX_* settings; every bad value is reported at once.
    /// </summary>
    public static DockerSandboxOptions FromConfiguration(IConfiguration configuration)
    {
        var errors = new List<string>();
        var defaults = new DockerSandboxOptions();
        var limits = SandboxLimits.Default;

        double? Number(string key, double min)
        {
            var text = configuration[key];
            if (string.IsNullOrWhiteSpace(text)) return null;
            if (double.TryParse(text, NumberStyles.Float, CultureInfo.InvariantCulture, out var value) && value >= min) return value;
            errors.Add($"{key} must be a number >= {min.ToString(CultureInfo.InvariantCulture)}, got '{text}'");
            return null;
        }

        limits = limits with
        {
            WallTime = Number("SANDBOX_WALL_TIME_SECONDS", 0.1) is { } wall ? TimeSpan.FromSeconds(wall) : limits.WallTime,
            MemoryBytes = Number("SANDBOX_MEMORY_MB", 16) is { } memory ? (long)(memory * SandboxLimits.MiB) : limits.MemoryBytes,
            Cpus = Number("SANDBOX_CPUS", 0.01) ?? limits.Cpus,
            Pids = Number("SANDBOX_PIDS", 4) is { } pids ? (int)pids : limits.Pids,
            OpenFiles = Number("SANDBOX_NOFILE", 16) is { } files ? (int)files : limits.OpenFiles,
            FileSizeBytes = Number("SANDBOX_FSIZE_MB", 0.001) is { } fsize ? (long)(fsize * SandboxLimits.MiB) : limits.FileSizeBytes,
            Processes = Number("SANDBOX_NPROC", 4) is { } nproc ? (int)nproc : limits.Processes,
            OutputBytesPerStream = Number("SANDBOX_OUTPUT_BYTES", 1024) is { } output ? (long)output : limits.OutputBytesPerStream,
            TmpfsBytes = Number("SANDBOX_TMPFS_MB", 1) is { } tmpfs ? (long)(tmpfs * SandboxLimits.MiB) : limits.TmpfsBytes,
        };
        errors.AddRange(limits.Validate());

        var allow = configuration["SANDBOX_ENV_ALLOW"];
        var options = defaults with
        {
            DockerHost = configuration["DOCKER_HOST"] is { Length: > 0 } host ? host : defaults.DockerHost,
            Image = configuration["SANDBOX_IMAGE"] is { Length: > 0 } image ? image : defaults.Image,
            PlatformName = configuration["SANDBOX_PLATFORM_NAME"] is { Length: > 0 } platform ? platform : defaults.PlatformName,
            EnvironmentAllowList = string.IsNullOrWhiteSpace(allow)
                ? defaults.EnvironmentAllowList
                : new HashSet<string>(allow.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries), StringComparer.Ordinal),
            Limits = limits,
        };
        if (errors.Count > 0)
        {
            throw new InvalidOperationException("invalid sandbox settings: " + string.Join("; ", errors));
        }
        return options;
    }
}
