namespace Serverless.Functions.WorkQueue;

/// <summary>
/// Where work waits for the <c>dispatch</c> function: an Azure Storage queue (local, on Azurite)
/// or a Service Bus queue (Azure, where the Functions host's trigger does the receiving).
/// </summary>
public interface IWorkQueue
{
    string Name { get; }

    Task EnqueueAsync(WorkItem item, CancellationToken cancellationToken);
}
