using System.Text.Json;
using System.Text.Json.Nodes;
using Azure;
using Azure.Core;
using Azure.Core.Pipeline;
using Azure.Identity;

namespace Serverless.Platform.Sandbox;

/// <summary>
/// An ARM call about the job failed. <see cref="Status"/> is the HTTP status (0 when no answer came),
/// <see cref="Code"/> ARM's error code (<c>AuthorizationFailed</c>, <c>ResourceNotFound</c>, ...).
/// </summary>
public sealed class ContainerAppsException(int status, string? code, string message, Exception? innerException = null)
    : Exception(message, innerException)
{
    public int Status { get; } = status;

    public string? Code { get; } = code;
}

/// <summary>An execution of the job as ARM reports it; <see cref="Status"/> is ARM's JobExecutionRunningState.</summary>
public sealed record JobExecution(string Name, string? Status)
{
    /// <summary>Running, Processing and Degraded may still call back; these three never will.</summary>
    public bool HasEnded => Status is "Succeeded" or "Failed" or "Stopped";
}

/// <summary>What the driver needs of the job's own definition: its containers and how long a replica may run.</summary>
public sealed record JobDefinition(JsonArray Containers, TimeSpan? ReplicaTimeout);

/// <summary>
/// The three ARM operations on one Container Apps job that the driver uses (Microsoft.App, api-version
/// 2024-03-01, the version infra/ deploys the job with): read the job, start an execution with a
/// per-execution template (<c>POST {job}/start</c>, body a JobExecutionTemplate), read an execution
/// (<c>GET {job}/executions/{name}</c>). Bearer tokens for https://management.azure.com/.default come
/// from a <see cref="TokenCredential"/> (the app's managed identity in Azure).
/// </summary>
public sealed class ContainerAppsJobsClient
{
    public const string ApiVersion = "2024-03-01";
    public const string Scope = "https://management.azure.com/.default";
    public static readonly Uri DefaultEndpoint = new("https://management.azure.com");

    private readonly HttpPipeline pipeline;
    private readonly Uri endpoint;

    public ContainerAppsJobsClient(string jobResourceId, TokenCredential credential, Uri? endpoint = null, ClientOptions? options = null)
    {
        if (!IsJobResourceId(jobResourceId))
        {
            throw new ArgumentException($"'{jobResourceId}' is not a Container Apps job resource id (/subscriptions/…/resourceGroups/…/providers/Microsoft.App/jobs/NAME)", nameof(jobResourceId));
        }
        JobResourceId = jobResourceId.TrimEnd('/');
        this.endpoint = endpoint ?? DefaultEndpoint;
        pipeline = HttpPipelineBuilder.Build(options ?? new ArmOptions(), new BearerTokenAuthenticationPolicy(credential, Scope));
    }

    public string JobResourceId { get; }

    public string JobName => JobResourceId[(JobResourceId.LastIndexOf('/') + 1)..];

    public static bool IsJobResourceId(string? value) =>
        value is not null
        && value.Split('/', StringSplitOptions.RemoveEmptyEntries) is ["subscriptions", _, "resourceGroups", _, "providers", var provider, var type, _]
        && provider.Equals("Microsoft.App", StringComparison.OrdinalIgnoreCase)
        && type.Equals("jobs", StringComparison.OrdinalIgnoreCase);

    /// <summary><c>GET {job}</c>: the job's containers (the start body must repeat them) and its replica timeout.</summary>
    public async Task<JobDefinition> GetJobAsync(CancellationToken cancellationToken)
    {
        var body = await SendAsync(RequestMethod.Get, JobResourceId, null, [200], cancellationToken);
        var properties = body?["properties"];
        var containers = properties?["template"]?["containers"] as JsonArray
            ?? throw new ContainerAppsException(200, null, $"ARM returned job {JobName} without properties.template.containers");
        var timeout = properties?["configuration"]?["replicaTimeout"] is JsonValue seconds && seconds.TryGetValue<int>(out var value)
            ? TimeSpan.FromSeconds(value)
            : (TimeSpan?)null;
        return new JobDefinition((JsonArray)containers.DeepClone(), timeout);
    }

    /// <summary>
    /// <c>POST {job}/start</c> with a JobExecutionTemplate. ARM answers 200 or 202 with the execution's
    /// name and id; a 202 without a body is followed to its Location until the name is known.
    /// </summary>
    public async Task<JobExecution> StartAsync(JsonObject template, CancellationToken cancellationToken)
    {
        using var message = CreateMessage(RequestMethod.Post, JobResourceId + "/start", template);
        await SendAsync(message, cancellationToken);
        var response = message.Response;
        if (response.Status is not (200 or 202))
        {
            throw Failure(message);
        }
        if (NameOf(response) is { } name)
        {
            return new JobExecution(name, null);
        }
        if (response.Status == 202 && response.Headers.TryGetValue("Location", out var location) && Uri.TryCreate(location, UriKind.Absolute, out var operation))
        {
            return await FollowAsync(operation, RetryAfter(response), cancellationToken);
        }
        throw new ContainerAppsException(response.Status, null, $"ARM started an execution of job {JobName} but did not say its name (status {response.Status}, no body, no Location)");
    }

    /// <summary><c>GET {job}/executions/{name}</c>.</summary>
    public async Task<JobExecution> GetExecutionAsync(string executionName, CancellationToken cancellationToken)
    {
        var body = await SendAsync(RequestMethod.Get, $"{JobResourceId}/executions/{Uri.EscapeDataString(executionName)}", null, [200], cancellationToken);
        return new JobExecution(body?["name"]?.GetValue<string>() ?? executionName, body?["properties"]?["status"]?.GetValue<string>());
    }

    private async Task<JobExecution> FollowAsync(Uri operation, TimeSpan delay, CancellationToken cancellationToken)
    {
        for (var attempt = 0; attempt < 30; attempt++)
        {
            await Task.Delay(delay, cancellationToken);
            using var message = pipeline.CreateMessage();
            message.Request.Method = RequestMethod.Get;
            message.Request.Uri.Reset(operation);
            await SendAsync(message, cancellationToken);
            if (message.Response.Status is not (200 or 202))
            {
                throw Failure(message);
            }
            if (NameOf(message.Response) is { } name)
            {
                return new JobExecution(name, null);
            }
            delay = RetryAfter(message.Response);
        }
        throw new ContainerAppsException(202, null, $"ARM did not name the execution of job {JobName} after 30 polls of {operation}");
    }

    private async Task<JsonNode?> SendAsync(RequestMethod method, string path, JsonObject? content, int[] expected, CancellationToken cancellationToken)
    {
        using var message = CreateMessage(method, path, content);
        await SendAsync(message, cancellationToken);
        if (!expected.Contains(message.Response.Status))
        {
            throw Failure(message);
        }
        return ParseBody(message.Response);
    }

    private HttpMessage CreateMessage(RequestMethod method, string path, JsonObject? content)
    {
        var message = pipeline.CreateMessage();
        message.Request.Method = method;
        message.Request.Uri.Reset(endpoint);
        message.Request.Uri.AppendPath(path, escape: false);
        message.Request.Uri.AppendQuery("api-version", ApiVersion);
        message.Request.Headers.Add("Accept", "application/json");
        if (content is not null)
        {
            message.Request.Headers.Add("Content-Type", "application/json");
            message.Request.Content = RequestContent.Create(BinaryData.FromString(content.ToJsonString()));
        }
        return message;
    }

    /// <summary>Transport and credential failures (no managed identity, token endpoint down) become ContainerAppsException too.</summary>
    private async Task SendAsync(HttpMessage message, CancellationToken cancellationToken)
    {
        try
        {
            await pipeline.SendAsync(message, cancellationToken);
        }
        catch (Exception ex) when (ex is RequestFailedException or AggregateException or AuthenticationFailedException)
        {
            throw new ContainerAppsException(0, null, $"ARM {message.Request.Method} {message.Request.Uri} failed: {ex.Message}", ex);
        }
    }

    private ContainerAppsException Failure(HttpMessage message)
    {
        var response = message.Response;
        string? code = null;
        string? detail = null;
        try
        {
            // ARM's error shape: {"error":{"code":"…","message":"…"}}
            var error = ParseBody(response)?["error"];
            code = error?["code"]?.GetValue<string>();
            detail = error?["message"]?.GetValue<string>();
        }
        catch (JsonException)
        {
        }
        detail ??= response.Content.ToString() is { Length: > 0 } text ? text[..Math.Min(text.Length, 500)] : response.ReasonPhrase;
        return new ContainerAppsException(response.Status, code,
            $"ARM {message.Request.Method} {JobPath(message)} answered {response.Status}{(code is null ? "" : " " + code)}: {detail}");
    }

    private string JobPath(HttpMessage message)
    {
        var path = message.Request.Uri.Path;
        var at = path.IndexOf(JobResourceId, StringComparison.OrdinalIgnoreCase);
        return at < 0 ? path : "job " + JobName + path[(at + JobResourceId.Length)..];
    }

    private static JsonNode? ParseBody(Response response) =>
        response.Content is { } content && content.ToMemory().Length > 0 ? JsonNode.Parse(content.ToMemory().Span) : null;

    private static string? NameOf(Response response)
    {
        try
        {
            return ParseBody(response)?["name"]?.GetValue<string>() is { Length: > 0 } name ? name : null;
        }
        catch (JsonException)
        {
            return null;
        }
    }

    private static TimeSpan RetryAfter(Response response) =>
        response.Headers.TryGetValue("Retry-After", out var value) && int.TryParse(value, out var seconds) && seconds is >= 0 and <= 60
            ? TimeSpan.FromSeconds(seconds)
            : TimeSpan.FromSeconds(1);

    private sealed class ArmOptions : ClientOptions
    {
        public ArmOptions()
        {
            // The driver polls and the pool retries; keep ARM's own retries short.
            Retry.MaxRetries = 2;
            Retry.Delay = TimeSpan.FromMilliseconds(500);
        }
    }
}
