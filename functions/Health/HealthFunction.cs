using Microsoft.Azure.Functions.Worker;
using Microsoft.Extensions.Diagnostics.HealthChecks;
using Serverless.Platform.Health;

namespace Serverless.Functions.Health;

public sealed class HealthFunction(HealthCheckService health, HealthHost host)
{
    [Function("health")]
    public Task<IResult> RunAsync(
        [HttpTrigger(AuthorizationLevel.Anonymous, "get", Route = "health")] HttpRequest request,
        CancellationToken cancellationToken) =>
        HealthEndpoints.ReportAsync(health, host, cancellationToken);
}
