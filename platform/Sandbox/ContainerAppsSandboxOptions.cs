namespace Serverless.Platform.Sandbox;

public sealed record ContainerAppsSandboxOptions
{
    /// <summary>/subscriptions/…/resourceGroups/…/providers/Microsoft.App/jobs/NAME (SANDBOX_JOB_RESOURCE_ID).</summary>
    public required string JobResourceId { get; init; }

    /// <summary>
    /// Base URL of the callback channel as the job reaches it, e.g. https://APP.azurewebsites.net/api/sandbox
    /// (SANDBOX_CALLBACK_URL, else https://{WEBSITE_HOSTNAME}/api/sandbox, which App Service sets).
    /// </summary>
    public required Uri CallbackUrl { get; init; }

    /// <summary>ARM's endpoint (SANDBOX_ARM_ENDPOINT): other clouds, and the tests' fake.</summary>
    public Uri ManagementEndpoint { get; init; } = ContainerAppsJobsClient.DefaultEndpoint;

    /// <summary>The job container that runs the shim; null: the job's first container.</summary>
    public string? ContainerName { get; init; }

    /// <summary>What the job container runs instead of its image's command: the callback shim (sandbox/job_runner.py).</summary>
    public IReadOnlyList<string> RunnerCommand { get; init; } = ["python3", "/opt/sandbox/job_runner.py"];

    /// <summary>From the start request to the runner's first call back: scheduling, image pull, Python start.</summary>
    public TimeSpan StartTimeout { get; init; } = TimeSpan.FromSeconds(60);

    /// <summary>Used when the job does not report its replicaTimeout; infra/ sets wall time + 50 s.</summary>
    public TimeSpan DefaultReplicaTimeout { get; init; } = TimeSpan.FromSeconds(60);

    /// <summary>How long a long-poll for host → plugin lines is held open when there is nothing to send.</summary>
    public TimeSpan PollTimeout { get; init; } = TimeSpan.FromSeconds(20);

    /// <summary>A runner silent this long (no poll, no post) is taken for lost.</summary>
    public TimeSpan ContactTimeout { get; init; } = TimeSpan.FromSeconds(45);

    /// <summary>How often the execution's status is read from ARM while the worker lives.</summary>
    public TimeSpan StatusInterval { get; init; } = TimeSpan.FromSeconds(5);

    /// <summary>After a kill, how long the runner has to confirm its child's exit before the worker counts as ended.</summary>
    public TimeSpan KillGrace { get; init; } = TimeSpan.FromSeconds(5);

    public IReadOnlySet<string> EnvironmentAllowList { get; init; } = new DockerSandboxOptions().EnvironmentAllowList;

    public SandboxLimits Limits { get; init; } = SandboxLimits.Default;

    /// <summary>Reads the SANDBOX_JOB_* settings; limits and the allow-list are the Docker driver's, read by it.</summary>
    public static ContainerAppsSandboxOptions FromConfiguration(IConfiguration configuration, DockerSandboxOptions shared)
    {
        var errors = new List<string>();
        var jobId = configuration["SANDBOX_JOB_RESOURCE_ID"];
        if (!ContainerAppsJobsClient.IsJobResourceId(jobId))
        {
            errors.Add($"SANDBOX_JOB_RESOURCE_ID must be a Container Apps job resource id (/subscriptions/…/providers/Microsoft.App/jobs/NAME), got '{jobId}'");
        }
        Uri? callback = null;
        if (configuration["SANDBOX_CALLBACK_URL"] is { Length: > 0 } url)
        {
            if (!Uri.TryCreate(url, UriKind.Absolute, out callback) || !(callback.Scheme == Uri.UriSchemeHttps || callback.IsLoopback))
            {
                errors.Add($"SANDBOX_CALLBACK_URL must be an absolute https URL (http only on loopback), got '{url}'");
            }
        }
        else if (configuration["WEBSITE_HOSTNAME"] is { Length: > 0 } host)
        {
            callback = new Uri($"https://{host}/api/sandbox");
        }
        else
        {
            errors.Add("SANDBOX_CALLBACK_URL is required when WEBSITE_HOSTNAME is not set (the job must reach /api/sandbox of this app)");
        }
        var endpoint = ContainerAppsJobsClient.DefaultEndpoint;
        if (configuration["SANDBOX_ARM_ENDPOINT"] is { Length: > 0 } arm && (!Uri.TryCreate(arm, UriKind.Absolute, out endpoint) || endpoint.Scheme != Uri.UriSchemeHttps))
        {
            errors.Add($"SANDBOX_ARM_ENDPOINT must be an absolute https URL, got '{arm}'");
        }
        if (errors.Count > 0)
        {
            throw new InvalidOperationException("invalid Container Apps sandbox settings: " + string.Join("; ", errors));
        }
        return new ContainerAppsSandboxOptions
        {
            JobResourceId = jobId!,
            CallbackUrl = callback!,
            ManagementEndpoint = endpoint!,
            EnvironmentAllowList = shared.EnvironmentAllowList,
            Limits = shared.Limits,
        };
    }
}
