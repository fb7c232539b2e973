using Serverless.Platform.WorkQueue;

namespace Serverless.Platform.Dispatch;

/// <summary>How often the queue has handed this message out, and under which id.</summary>
public sealed record Delivery(int Count, string? MessageId)
{
    /// <summary>Deliveries before dead-lettering: host.json's <c>queues.maxDequeueCount</c>, which the local host reads too.</summary>
    public const int MaxDeliveries = 5;
}

/// <summary>Runs one kind of work item (interactions, events, schedule ticks…).</summary>
public interface IWorkItemHandler
{
    string Kind { get; }

    Task HandleAsync(WorkItem item, Delivery delivery, CancellationToken cancellationToken);

    /// <summary>The last allowed delivery failed: the queue dead-letters the item next. Tell whoever should know.</summary>
    Task DeadLetteredAsync(WorkItem item, string reason, CancellationToken cancellationToken);
}
