namespace Serverless.Platform.WorkQueue;

public static class WorkQueueRegistration
{
    public const string QueueName = "invocations";

    /// <summary>
    /// The storage queue <c>invocations</c> on <c>AzureWebJobsStorage</c>, locally and in Azure: the local
    /// pump receives from it here, the Functions host's <c>queueTrigger</c> there.
    /// </summary>
    public static IServiceCollection AddWorkQueue(this IServiceCollection services)
    {
        services.AddSingleton<WorkItemBodies>();
        services.AddSingleton(sp => new StorageWorkQueue(
            sp.GetRequiredService<Azure.Storage.Queues.QueueServiceClient>(), sp.GetRequiredService<WorkItemBodies>(), QueueName));
        services.AddSingleton<IWorkQueue>(sp => sp.GetRequiredService<StorageWorkQueue>());
        return services;
    }
}
