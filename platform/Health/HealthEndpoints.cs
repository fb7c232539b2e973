using System.Text.Json.Nodes;
using Azure;
using Azure.Data.Tables;
using Azure.Storage.Blobs;
using Docker.DotNet;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Diagnostics.HealthChecks;
using Serverless.Platform.Sandbox;
using Serverless.Platform.WorkQueue;

namespace Serverless.Platform.Health;

public static class HealthEndpoints
{
    public static IServiceCollection AddPlatformHealth(this IServiceCollection services)
    {
        services.AddHealthChecks()
            .AddCheck<StorageHealthCheck>("storage", timeout: TimeSpan.FromSeconds(5))
            .AddCheck<QueueHealthCheck>("queue", timeout: TimeSpan.FromSeconds(5))
            .AddCheck<SandboxHealthCheck>("sandbox", timeout: TimeSpan.FromSeconds(5));
        services.TryAddSingleton(HealthHost.Functions);
        return services;
    }

    /// <summary>
    /// <c>GET /api/health</c>: 200 when every part is healthy, else 503, with each part's status and detail,
    /// and which host runs the functions (<see cref="HealthHost"/>).
    /// </summary>
    internal static async Task<IResult> ReportAsync(HealthCheckService health, HealthHost host, CancellationToken cancellationToken)
    {
        var report = await health.CheckHealthAsync(cancellationToken);
        var checks = new JsonObject();
        foreach (var (name, entry) in report.Entries)
        {
            var check = new JsonObject
            {
                ["status"] = entry.Status.ToString().ToLowerInvariant(),
                ["detail"] = entry.Description ?? entry.Exception?.Message,
            };
            foreach (var (key, value) in entry.Data)
            {
                check[key] = JsonValue.Create(value?.ToString());
            }
            checks[name] = check;
        }
        var body = new JsonObject { ["status"] = report.Status.ToString().ToLowerInvariant(), ["host"] = host.Name, ["checks"] = checks };
        return Results.Json(body, statusCode: report.Status == HealthStatus.Healthy ? 200 : 503);
    }
}

/// <summary>
/// Which host runs the functions, as <c>/api/health</c> reports it: <c>functions</c> (the Azure Functions host)
/// unless the local host registers <see cref="Local"/> first.
/// </summary>
public sealed record HealthHost(string Name)
{
    public static HealthHost Functions { get; } = new("functions");

    public static HealthHost Local { get; } = new("local");
}

internal sealed class StorageHealthCheck(BlobServiceClient blobs, TableServiceClient tables) : IHealthCheck
{
    public async Task<HealthCheckResult> CheckHealthAsync(HealthCheckContext context, CancellationToken cancellationToken = default)
    {
        try
        {
            await blobs.GetBlobContainerClient("plugins").ExistsAsync(cancellationToken);
            await tables.GetTableClient("health").QueryAsync<TableEntity>(maxPerPage: 1, cancellationToken: cancellationToken).GetAsyncEnumerator(cancellationToken).MoveNextAsync();
            return HealthCheckResult.Healthy($"blob and table at {blobs.Uri.Host}:{blobs.Uri.Port}");
        }
        catch (RequestFailedException ex) when (ex.Status == 404)
        {
            return HealthCheckResult.Healthy($"blob and table at {blobs.Uri.Host}:{blobs.Uri.Port}");
        }
        catch (Exception ex)
        {
            return HealthCheckResult.Unhealthy($"storage unreachable at {blobs.Uri}: {ex.Message}");
        }
    }
}

internal sealed class QueueHealthCheck(StorageWorkQueue queue) : IHealthCheck
{
    public async Task<HealthCheckResult> CheckHealthAsync(HealthCheckContext context, CancellationToken cancellationToken = default)
    {
        try
        {
            await queue.Queue.CreateIfNotExistsAsync(cancellationToken: cancellationToken);
            var depth = (await queue.Queue.GetPropertiesAsync(cancellationToken)).Value.ApproximateMessagesCount;
            return HealthCheckResult.Healthy($"storage queue '{queue.Name}'", new Dictionary<string, object> { ["depth"] = depth });
        }
        catch (Exception ex)
        {
            return HealthCheckResult.Unhealthy($"queue '{queue.Name}' unreachable: {ex.Message}");
        }
    }
}

internal sealed class SandboxHealthCheck(ISandboxDriver driver, IServiceProvider services) : IHealthCheck
{
    public Task<HealthCheckResult> CheckHealthAsync(HealthCheckContext context, CancellationToken cancellationToken = default) =>
        driver is ContainerAppsSandboxDriver containerApps
            ? CheckJobAsync(containerApps, cancellationToken)
            : CheckDockerAsync(services.GetRequiredService<DockerClient>(), services.GetRequiredService<DockerSandboxOptions>(), cancellationToken);

    private async Task<HealthCheckResult> CheckDockerAsync(DockerClient docker, DockerSandboxOptions options, CancellationToken cancellationToken)
    {
        var data = new Dictionary<string, object> { ["driver"] = driver.Name, ["image"] = options.Image };
        try
        {
            var version = await docker.CallAsync("GET version", token => docker.System.GetVersionAsync(token), cancellationToken);
            data["engine"] = version.Version;
            if (!await docker.ImageExistsAsync(options.Image, cancellationToken))
            {
                return HealthCheckResult.Unhealthy($"sandbox image {options.Image} is missing (sandbox/build-image builds it)", data: data);
            }
            return HealthCheckResult.Healthy($"Docker engine {version.Version} (API {version.APIVersion})", data);
        }
        catch (DockerEngineException ex)
        {
            return HealthCheckResult.Unhealthy($"Docker engine unreachable at {options.DockerHost}: {ex.Message}", data: data);
        }
    }

    private static async Task<HealthCheckResult> CheckJobAsync(ContainerAppsSandboxDriver containerApps, CancellationToken cancellationToken)
    {
        var data = new Dictionary<string, object>
        {
            ["driver"] = containerApps.Name,
            ["job"] = containerApps.Jobs.JobName,
            ["callback"] = containerApps.Options.CallbackUrl.ToString(),
            ["workers"] = containerApps.Count,
        };
        try
        {
            var job = await containerApps.CheckJobAsync(cancellationToken);
            return HealthCheckResult.Healthy($"Container Apps job {containerApps.Jobs.JobName} ({job.Containers.Count} container(s), replica timeout {job.ReplicaTimeout?.TotalSeconds.ToString() ?? "?"} s)", data);
        }
        catch (ContainerAppsException ex)
        {
            return HealthCheckResult.Unhealthy(ex.Message, data: data);
        }
    }
}
