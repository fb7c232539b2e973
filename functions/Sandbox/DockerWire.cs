using System.Text.Json.Serialization;

namespace Serverless.Functions.Sandbox;

// Wire shapes of the Docker Engine API v1.41, only the fields we use. Docker
// spells its JSON in PascalCase, which is also the C# spelling, so no naming
// policy is needed except where Docker itself is inconsistent (errors, stats).

public sealed record DockerVersion
{
    public string Version { get; init; } = "";
    public string ApiVersion { get; init; } = "";
    public string Os { get; init; } = "";
    public string Arch { get; init; } = "";
    public string KernelVersion { get; init; } = "";
}

public sealed record DockerImage
{
    public string Id { get; init; } = "";
    public IReadOnlyList<string>? RepoTags { get; init; }
    public DockerContainerConfig? Config { get; init; }
}

public sealed record DockerContainerConfig
{
    public IReadOnlyDictionary<string, string>? Labels { get; init; }
    public string? User { get; init; }
    public IReadOnlyList<string>? Env { get; init; }
}

public sealed record ContainerCreateRequest
{
    public required string Image { get; init; }
    public required IReadOnlyList<string> Cmd { get; init; }
    public IReadOnlyList<string> Env { get; init; } = [];
    public string? User { get; init; }
    public string? WorkingDir { get; init; }
    public string? Hostname { get; init; }
    public bool AttachStdin { get; init; }
    public bool AttachStdout { get; init; }
    public bool AttachStderr { get; init; }
    public bool OpenStdin { get; init; }
    public bool StdinOnce { get; init; }
    public bool Tty { get; init; }
    public bool NetworkDisabled { get; init; }
    public IReadOnlyDictionary<string, string> Labels { get; init; } = new Dictionary<string, string>();
    public required ContainerHostConfig HostConfig { get; init; }
}

public sealed record ContainerHostConfig
{
    public string NetworkMode { get; init; } = "none";
    public bool ReadonlyRootfs { get; init; }
    public IReadOnlyDictionary<string, string>? Tmpfs { get; init; }
    public IReadOnlyList<string>? Binds { get; init; }
    public IReadOnlyList<string>? CapDrop { get; init; }
    public IReadOnlyList<string>? SecurityOpt { get; init; }
    public bool Privileged { get; init; }
    public long? PidsLimit { get; init; }
    public long Memory { get; init; }
    public long MemorySwap { get; init; }
    public long NanoCpus { get; init; }
    public IReadOnlyList<DockerUlimit>? Ulimits { get; init; }
    public string? IpcMode { get; init; }
    public long? ShmSize { get; init; }
    public bool AutoRemove { get; init; }
    public DockerLogConfig? LogConfig { get; init; }
}

public sealed record DockerUlimit(string Name, long Soft, long Hard);

public sealed record DockerLogConfig(string Type);

public sealed record ContainerCreateResponse
{
    public string Id { get; init; } = "";
    public IReadOnlyList<string>? Warnings { get; init; }
}

public sealed record ContainerWaitResponse
{
    public long StatusCode { get; init; }
    public ContainerWaitError? Error { get; init; }
}

public sealed record ContainerWaitError
{
    public string? Message { get; init; }
}

public sealed record DockerContainer
{
    public string Id { get; init; } = "";
    public DockerContainerState? State { get; init; }
    public DockerContainerConfig? Config { get; init; }
    public ContainerHostConfig? HostConfig { get; init; }
}

public sealed record DockerContainerState
{
    public string Status { get; init; } = "";
    public bool Running { get; init; }
    public bool OOMKilled { get; init; }
    public int ExitCode { get; init; }
    public string? Error { get; init; }
}

public sealed record DockerContainerSummary
{
    public string Id { get; init; } = "";
    public IReadOnlyList<string>? Names { get; init; }
    public string Image { get; init; } = "";
    public string State { get; init; } = "";
    public string Status { get; init; } = "";
    public IReadOnlyDictionary<string, string>? Labels { get; init; }
}

public sealed record DockerStats
{
    [JsonPropertyName("memory_stats")]
    public DockerMemoryStats? MemoryStats { get; init; }

    [JsonPropertyName("pids_stats")]
    public DockerPidsStats? PidsStats { get; init; }
}

public sealed record DockerMemoryStats
{
    [JsonPropertyName("usage")]
    public long Usage { get; init; }

    [JsonPropertyName("max_usage")]
    public long MaxUsage { get; init; }

    [JsonPropertyName("limit")]
    public long Limit { get; init; }
}

public sealed record DockerPidsStats
{
    [JsonPropertyName("current")]
    public long Current { get; init; }
}

internal sealed record DockerErrorResponse
{
    [JsonPropertyName("message")]
    public string? Message { get; init; }
}

[JsonSourceGenerationOptions(DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull)]
[JsonSerializable(typeof(DockerVersion))]
[JsonSerializable(typeof(DockerImage))]
[JsonSerializable(typeof(ContainerCreateRequest))]
[JsonSerializable(typeof(ContainerCreateResponse))]
[JsonSerializable(typeof(ContainerWaitResponse))]
[JsonSerializable(typeof(DockerContainer))]
[JsonSerializable(typeof(List<DockerContainerSummary>))]
[JsonSerializable(typeof(DockerStats))]
[JsonSerializable(typeof(DockerErrorResponse))]
[JsonSerializable(typeof(Dictionary<string, List<string>>))]
internal sealed partial class DockerJsonContext : JsonSerializerContext;
