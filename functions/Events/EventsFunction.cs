using Microsoft.Azure.Functions.Worker;
using Serverless.Platform.Events;

namespace Serverless.Functions.Events;

/// <summary>The gateway bridge's events: anonymous at the host, signed with the shared secret (<see cref="EventsEndpoint"/>).</summary>
public sealed class EventsFunction(EventsOptions options, EventIntake intake, TimeProvider clock, ILoggerFactory loggers)
{
    [Function("events")]
    public Task<IResult> RunAsync(
        [HttpTrigger(AuthorizationLevel.Anonymous, "post", Route = "events")] HttpRequest request) =>
        EventsEndpoint.HandleAsync(request.HttpContext, options, intake, clock, loggers);
}
