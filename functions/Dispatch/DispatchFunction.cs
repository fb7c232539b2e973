using System.Text.Json.Nodes;
using Serverless.Functions.Hosting;
using Serverless.Functions.WorkQueue;

namespace Serverless.Functions.Dispatch;

/// <summary>How often the queue has handed this message out, and under which id.</summary>
public sealed record Delivery(int Count, string? MessageId);

/// <summary>Runs one kind of work item (interactions, events, schedule ticks…).</summary>
public interface IWorkItemHandler
{
    string Kind { get; }

    Task HandleAsync(WorkItem item, Delivery delivery, CancellationToken cancellationToken);

    /// <summary>The last allowed delivery failed: the queue dead-letters the item next. Tell whoever should know.</summary>
    Task DeadLetteredAsync(WorkItem item, string reason, CancellationToken cancellationToken);
}

/// <summary>
/// The queue-triggered function: the storage queue <c>invocations</c>, received by the Functions host's
/// <c>queueTrigger</c> in Azure and by the local queue pump on Azurite, which hands over the same
/// metadata (<c>DequeueCount</c>, <c>Id</c>). Throwing fails the delivery, so the queue retries and
/// finally moves the message to <c>invocations-poison</c>.
/// </summary>
public sealed class DispatchFunction(IEnumerable<IWorkItemHandler> handlers, WorkItemBodies bodies, ILogger<DispatchFunction> logger) : ITriggeredFunction
{
    public const string FunctionName = "dispatch";

    /// <summary>Deliveries before dead-lettering: the local pump's poison threshold and host.json's <c>queues.maxDequeueCount</c>.</summary>
    public const int MaxDeliveries = 5;
    public const string MessageBinding = "message";

    public string Name => FunctionName;

    public async Task<FunctionInvocationResponse> RunAsync(FunctionInvocationRequest request, CancellationToken cancellationToken)
    {
        var message = request.RequireData(MessageBinding);
        var json = message is JsonValue value && value.TryGetValue<string>(out var text) ? text : message.ToJsonString();
        WorkItem item;
        try
        {
            item = WorkItem.Parse(json);
        }
        catch (WorkItemFormatException ex)
        {
            throw new InvalidInvocationException(ex.Message);
        }

        var handler = handlers.FirstOrDefault(h => h.Kind == item.Kind)
            ?? throw new InvalidInvocationException($"no handler for work item kind '{item.Kind}'");
        var delivery = new Delivery(request.MetadataInt("DequeueCount") ?? 1, request.MetadataString("Id"));
        var resolved = await bodies.ResolveAsync(item, cancellationToken);

        logger.LogInformation("Dispatching {Kind} {Id} (delivery {Count})", item.Kind, item.Id, delivery.Count);
        try
        {
            await handler.HandleAsync(resolved, delivery, cancellationToken);
        }
        catch (Exception ex) when (delivery.Count >= MaxDeliveries && !cancellationToken.IsCancellationRequested)
        {
            var reason = $"dead-lettered after {delivery.Count} deliveries: {ex.Message}";
            try
            {
                await handler.DeadLetteredAsync(resolved, reason, cancellationToken);
            }
            catch (Exception notifyError)
            {
                logger.LogError(notifyError, "Could not report the dead-lettering of {Id}", item.Id);
            }
            throw;
        }
        await bodies.ForgetAsync(item, cancellationToken);

        return FunctionInvocationResponse.Done(
            new JsonObject { ["id"] = item.Id, ["kind"] = item.Kind, ["status"] = "done" },
            $"dispatched {item.Kind} {item.Id}");
    }
}
