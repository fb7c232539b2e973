using Azure.Storage.Queues.Models;
using Microsoft.Azure.Functions.Worker;
using Serverless.Platform.Dispatch;
using Serverless.Platform.Hosting;
using Serverless.Platform.WorkQueue;

namespace Serverless.Functions.Dispatch;

/// <summary>
/// The queue-triggered function on the storage queue <c>invocations</c>. Throwing fails the delivery, so the
/// queue trigger retries and, after <see cref="Delivery.MaxDeliveries"/> tries, moves the message to <c>invocations-poison</c>.
/// </summary>
public sealed class DispatchFunction(IEnumerable<IWorkItemHandler> handlers, WorkItemBodies bodies, ILogger<DispatchFunction> logger)
{
    public const string FunctionName = "dispatch";

    [Function(FunctionName)]
    public async Task RunAsync(
        [QueueTrigger(WorkQueueRegistration.QueueName, Connection = StorageLayout.Connection)] QueueMessage message,
        CancellationToken cancellationToken)
    {
        // The trigger has decoded the base64 the work queue writes.
        var item = WorkItem.Parse(message.Body.ToString());
        var handler = handlers.FirstOrDefault(h => h.Kind == item.Kind)
            ?? throw new WorkItemFormatException($"no handler for work item kind '{item.Kind}'");
        var delivery = new Delivery((int)message.DequeueCount, message.MessageId);
        var resolved = await bodies.ResolveAsync(item, cancellationToken);

        logger.LogInformation("Dispatching {Kind} {Id} (delivery {Count})", item.Kind, item.Id, delivery.Count);
        try
        {
            await handler.HandleAsync(resolved, delivery, cancellationToken);
        }
        catch (Exception ex) when (delivery.Count >= Delivery.MaxDeliveries && !cancellationToken.IsCancellationRequested)
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
    }
}
