using Microsoft.Azure.Functions.Worker;
using Serverless.Platform.Interactions;

namespace Serverless.Functions.Interactions;

/// <summary>Discord's HTTP interactions: anonymous at the host, Ed25519-verified by <see cref="InteractionsEndpoint"/>.</summary>
public sealed class InteractionsFunction(InteractionVerifier verifier, TimeProvider clock, ILoggerFactory loggers, DeadlineProtocol deadline)
{
    [Function("interactions")]
    public Task<IResult> RunAsync(
        [HttpTrigger(AuthorizationLevel.Anonymous, "post", Route = "interactions")] HttpRequest request) =>
        InteractionsEndpoint.HandleAsync(request.HttpContext, verifier, clock, loggers, deadline);
}
