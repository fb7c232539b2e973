using Serverless.Functions.Hosting;

namespace Serverless.Functions.WorkQueue;

public static class WorkQueueRegistration
{
    public const string QueueName = "invocations";

    /// <summary>
    /// Service Bus when <c>ServiceBusConnection__fullyQualifiedNamespace</c> is set (Azure, identity-based,
    /// the same setting the trigger binding reads); otherwise the storage queue on <c>AzureWebJobsStorage</c>.
    /// </summary>
    public static IServiceCollection AddWorkQueue(this IServiceCollection services, IConfiguration configuration)
    {
        services.AddSingleton<WorkItemBodies>();
        services.AddSingleton<WorkQueueSignal>();
        services.AddSingleton(sp => new StorageWorkQueue(
            sp.GetRequiredService<Azure.Storage.Queues.QueueServiceClient>(), sp.GetRequiredService<WorkItemBodies>(), sp.GetRequiredService<WorkQueueSignal>(), QueueName));

        var serviceBusNamespace = configuration["ServiceBusConnection:fullyQualifiedNamespace"];
        if (string.IsNullOrEmpty(serviceBusNamespace))
        {
            services.AddSingleton<IWorkQueue>(sp => sp.GetRequiredService<StorageWorkQueue>());
        }
        else
        {
            services.AddSingleton<IWorkQueue>(sp => new ServiceBusWorkQueue(
                serviceBusNamespace, QueueName, AzureCredentials.ForConnection(configuration, "ServiceBusConnection"), sp.GetRequiredService<WorkItemBodies>()));
        }
        return services;
    }
}
