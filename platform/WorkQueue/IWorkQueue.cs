namespace Serverless.Platform.WorkQueue;

/// <summary>
/// Where work waits for the <c>dispatch</c> function. <see cref="StorageWorkQueue"/> is the one queue the
/// app runs on; the interface is the seam tests use to see what gets enqueued (a recording queue in
/// place of the real one, or a tee in front of it).
/// </summary>
public interface IWorkQueue
{
    string Name { get; }

    Task EnqueueAsync(WorkItem item, CancellationToken cancellationToken);
}
