using System.Collections.Concurrent;
using System.IO.Compression;
using System.Security.Cryptography;
using System.Text.Json.Nodes;

namespace Serverless.Platform.Sandbox;

/// <summary>
/// Runs each worker as one execution of the configured Container Apps job (Azure has no Docker engine):
/// <c>POST {job}/start</c> with the job's own containers, the runner command replaced by the callback
/// shim (sandbox/job_runner.py) and three variables added: SANDBOX_CALLBACK_URL, SANDBOX_WORKER_ID and
/// SANDBOX_WORKER_TOKEN. No secret and no storage credential travels: the shim fetches the plugin's
/// files and speaks JSON-RPC through this app's <c>/api/sandbox/workers/{id}</c> routes
/// (<see cref="SandboxChannelEndpoints"/>), authenticated by the worker's short-lived token.
/// A worker lives in this process's memory, so the job's calls must reach this instance (docs/sandbox.md).
/// </summary>
public sealed class ContainerAppsSandboxDriver(
    ContainerAppsJobsClient jobs,
    ContainerAppsSandboxOptions options,
    SandboxWorkerTokens tokens,
    ILogger<ContainerAppsSandboxDriver> logger) : ISandboxDriver
{
    public const string DriverName = "container-apps";
    public const string CallbackUrlVariable = "SANDBOX_CALLBACK_URL";
    public const string WorkerIdVariable = "SANDBOX_WORKER_ID";
    public const string WorkerTokenVariable = "SANDBOX_WORKER_TOKEN";

    /// <summary>Plugin folders are small (PackageLimits); a bigger one is refused rather than buffered.</summary>
    private const long MaxPackageBytes = 64 * SandboxLimits.MiB;

    private static readonly string[] ExecutionContainerFields = ["name", "image", "command", "args", "env", "resources"];

    private readonly ConcurrentDictionary<string, ContainerAppsSandboxWorker> workers = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<string, Lazy<byte[]>> packages = new(StringComparer.Ordinal);
    private JobDefinition? job;

    public string Name => DriverName;

    public ContainerAppsSandboxOptions Options => options;

    public ContainerAppsJobsClient Jobs => jobs;

    /// <summary>Workers started here and not yet disposed.</summary>
    public int Count => workers.Count;

    public async Task<SandboxWorker> StartWorkerAsync(SandboxWorkerSpec spec, CancellationToken cancellationToken)
    {
        var limits = spec.Limits ?? options.Limits;
        Validate(spec, limits);
        var definition = job ??= await jobs.GetJobAsync(cancellationToken);
        var replicaTimeout = definition.ReplicaTimeout ?? options.DefaultReplicaTimeout;

        var id = "caw-" + Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(12));
        var token = tokens.Issue(id, options.StartTimeout + replicaTimeout + TimeSpan.FromSeconds(30));
        var worker = new ContainerAppsSandboxWorker(id, spec, limits, jobs, options, w => workers.TryRemove(w.Id, out _), logger);
        workers[id] = worker;
        try
        {
            var template = StartTemplate(definition, options.ContainerName, options.RunnerCommand, new Dictionary<string, string>
            {
                [CallbackUrlVariable] = options.CallbackUrl.ToString().TrimEnd('/'),
                [WorkerIdVariable] = id,
                [WorkerTokenVariable] = token,
            });
            var execution = await jobs.StartAsync(template, cancellationToken);
            worker.Watch(execution.Name, replicaTimeout);
            logger.LogInformation("Started job execution {Execution} for sandbox worker {WorkerId} of {PluginId} {Version}", execution.Name, id, spec.PluginId, spec.PluginVersion);

            using var wait = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
            wait.CancelAfter(options.StartTimeout);
            var first = await Task.WhenAny(worker.Connected, worker.WaitAsync(wait.Token));
            if (first != worker.Connected)
            {
                cancellationToken.ThrowIfCancellationRequested();
                var why = first.IsCompletedSuccessfully ? ((Task<SandboxExit>)first).Result.Message : $"the runner did not call back within {options.StartTimeout.TotalSeconds:0} s";
                throw new ContainerAppsException(0, null, $"job execution {execution.Name} of {jobs.JobName} did not start the sandbox worker: {why}");
            }
            return worker;
        }
        catch
        {
            await worker.DisposeAsync();
            throw;
        }
    }

    /// <summary>Nothing to remove: executions end at the job's replicaTimeout, and the app's role cannot stop them.</summary>
    public Task<int> RemoveLeftoversAsync(CancellationToken cancellationToken) => Task.FromResult(0);

    /// <summary>The health check: the job can be read with this app's identity.</summary>
    public async Task<JobDefinition> CheckJobAsync(CancellationToken cancellationToken) => job = await jobs.GetJobAsync(cancellationToken);

    /// <summary>The worker a valid token names, or why not: false with null when the token is bad, true with null when the worker is gone.</summary>
    internal (bool Authenticated, ContainerAppsSandboxWorker? Worker) Authenticate(string workerId, string? token) =>
        !tokens.Validate(workerId, token) ? (false, null) : (true, workers.GetValueOrDefault(workerId));

    /// <summary>The worker's plugin folder as a zip (entries keep their unix modes), built once per folder.</summary>
    internal byte[]? Package(SandboxWorker worker)
    {
        if (worker.Spec.PluginDirectory is not { } directory)
        {
            return null;
        }
        return packages.GetOrAdd(Path.GetFullPath(directory), path => new Lazy<byte[]>(() => Zip(path))).Value;
    }

    internal static JsonObject StartTemplate(JobDefinition definition, string? containerName, IReadOnlyList<string> command, IReadOnlyDictionary<string, string> environment)
    {
        var containers = new JsonArray();
        JsonObject? runner = null;
        foreach (var node in definition.Containers.OfType<JsonObject>())
        {
            // A JobExecutionContainer has fewer fields than a job's container (no probes, no volume mounts).
            var container = new JsonObject();
            foreach (var field in ExecutionContainerFields)
            {
                if (node[field] is { } value)
                {
                    container[field] = value.DeepClone();
                }
            }
            containers.Add(container);
            if (runner is null && (containerName is null || container["name"]?.GetValue<string>() == containerName))
            {
                runner = container;
            }
        }
        if (runner is null)
        {
            throw new ContainerAppsException(0, null, containerName is null ? "the job has no container" : $"the job has no container named '{containerName}'");
        }
        runner["command"] = new JsonArray(command.Select(part => (JsonNode)part).ToArray());
        runner.Remove("args");
        var env = new JsonArray();
        foreach (var entry in runner["env"]?.AsArray().OfType<JsonObject>() ?? [])
        {
            if (entry["name"]?.GetValue<string>() is { } name && !environment.ContainsKey(name))
            {
                env.Add(entry.DeepClone());
            }
        }
        foreach (var (name, value) in environment)
        {
            env.Add(new JsonObject { ["name"] = name, ["value"] = value });
        }
        runner["env"] = env;
        return new JsonObject { ["containers"] = containers };
    }

    private void Validate(SandboxWorkerSpec spec, SandboxLimits limits)
    {
        var errors = new List<string>(limits.Validate());
        if (string.IsNullOrWhiteSpace(spec.PluginId)) errors.Add("PluginId is required");
        if (string.IsNullOrWhiteSpace(spec.PluginVersion)) errors.Add("PluginVersion is required");
        if (spec.Command is { Count: 0 }) errors.Add("Command must not be empty");
        foreach (var name in spec.Environment.Keys)
        {
            if (!options.EnvironmentAllowList.Contains(name))
            {
                errors.Add($"environment variable '{name}' is not on the sandbox allow-list");
            }
        }
        if (spec.PluginDirectory is { } directory && !Directory.Exists(directory))
        {
            errors.Add($"PluginDirectory '{directory}' does not exist");
        }
        if (errors.Count > 0)
        {
            throw new ArgumentException("invalid sandbox worker spec: " + string.Join("; ", errors), nameof(spec));
        }
    }

    private static byte[] Zip(string root)
    {
        using var buffer = new MemoryStream();
        using (var archive = new ZipArchive(buffer, ZipArchiveMode.Create, leaveOpen: true))
        {
            foreach (var file in Directory.EnumerateFiles(root, "*", SearchOption.AllDirectories).Order(StringComparer.Ordinal))
            {
                var entry = archive.CreateEntry(Path.GetRelativePath(root, file).Replace('\\', '/'), CompressionLevel.Fastest);
                if (!OperatingSystem.IsWindows())
                {
                    // The runner restores modes from here, so packaged hook executables stay executable.
                    entry.ExternalAttributes = (int)File.GetUnixFileMode(file) << 16;
                }
                using var target = entry.Open();
                using var source = File.OpenRead(file);
                source.CopyTo(target);
                if (buffer.Length > MaxPackageBytes)
                {
                    throw new InvalidDataException($"plugin folder {root} is larger than {MaxPackageBytes / SandboxLimits.MiB} MiB compressed");
                }
            }
        }
        return buffer.ToArray();
    }
}
