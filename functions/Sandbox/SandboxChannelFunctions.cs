using Microsoft.Azure.Functions.Worker;
using Serverless.Platform.Hosting;
using Serverless.Platform.Sandbox;

namespace Serverless.Functions.Sandbox;

/// <summary>
/// The Container Apps workers' callback channel (<see cref="SandboxChannelEndpoints"/>): anonymous at the host,
/// every request authenticated by the worker's own token.
/// </summary>
public sealed class SandboxChannelFunctions
{
    private const string Worker = "sandbox/workers/{id}";

    [Function("sandbox-worker")]
    public Task<IResult> HelloAsync(
        [HttpTrigger(AuthorizationLevel.Anonymous, "get", Route = Worker)] HttpRequest request, string id) =>
        SandboxChannelEndpoints.HelloAsync(id, request.HttpContext);

    [Function("sandbox-package")]
    public Task<IResult> PackageAsync(
        [HttpTrigger(AuthorizationLevel.Anonymous, "get", Route = Worker + "/package")] HttpRequest request, string id) =>
        SandboxChannelEndpoints.PackageAsync(id, request.HttpContext);

    [Function("sandbox-channel-poll")]
    public Task<IResult> PollAsync(
        [HttpTrigger(AuthorizationLevel.Anonymous, "get", Route = Worker + "/channel")] HttpRequest request, string id) =>
        HttpQuery.TryLong(request, "after", out var after)
            ? SandboxChannelEndpoints.PollAsync(id, after, request.HttpContext)
            : Task.FromResult(HttpQuery.BadValue());

    [Function("sandbox-channel-post")]
    public Task<IResult> PostAsync(
        [HttpTrigger(AuthorizationLevel.Anonymous, "post", Route = Worker + "/channel")] HttpRequest request, string id) =>
        SandboxChannelEndpoints.PostAsync(id, request.HttpContext);
}
