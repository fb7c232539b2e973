using System.Globalization;
using Serverless.Platform.Hosting;

namespace Serverless.Platform.Sandbox;

public sealed record DockerSandboxOptions
{
    public const string DefaultImage = "serverless-sandbox-runner:latest";

    public string DockerHost { get; init; } = DockerEngine.DefaultHost;

    public string Image { get; init; } = DefaultImage;

    /// <summary>
    /// The stack's name (<c>SANDBOX_PLATFORM_NAME</c>), the platform label on every container. Crash
    /// recovery looks at this stack's containers only, and of those removes the ones whose owner has ended.
    /// </summary>
    public string PlatformName { get; init; } = PlatformSettings.DefaultStackName;

    /// <summary>This host process, the owner label on every container it starts.</summary>
    public HostInstance Owner { get; init; } = HostInstance.Current;

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

        var stack = configuration.StackName();
        if (!IsFolderName(stack))
        {
            errors.Add($"{PlatformSettings.StackNameKey} must be 1-63 letters, digits, '.', '_' or '-' (it names the stack's plugin cache folder), got '{stack}'");
        }

        var allow = configuration["SANDBOX_ENV_ALLOW"];
        var options = defaults with
        {
            DockerHost = configuration["DOCKER_HOST"] is { Length: > 0 } host ? host : defaults.DockerHost,
            Image = configuration["SANDBOX_IMAGE"] is { Length: > 0 } image ? image : defaults.Image,
            PlatformName = stack,
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

    private static bool IsFolderName(string name) =>
        name.Length is > 0 and <= 63 && name[0] != '.' && name.All(c => char.IsAsciiLetterOrDigit(c) || c is '.' or '_' or '-');
}
