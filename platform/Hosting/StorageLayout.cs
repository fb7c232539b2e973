using Azure;
using Azure.Data.Tables;
using Azure.Storage.Blobs;
using Azure.Storage.Queues;
using Serverless.Platform.Events;
using Serverless.Platform.Installs;
using Serverless.Platform.Interactions;
using Serverless.Platform.Invocations;
using Serverless.Platform.Packages;
using Serverless.Platform.Publishers;
using Serverless.Platform.Schedules;
using Serverless.Platform.WorkQueue;

namespace Serverless.Platform.Hosting;

/// <summary>
/// Every container, queue and table the platform uses. In Azure, infra/ creates them; locally the local host
/// creates them at start, before its triggers run.
/// </summary>
public sealed class StorageLayout(BlobServiceClient blobs, QueueServiceClient queues, TableServiceClient tables, ILogger<StorageLayout> logger) : IHostedService
{
    /// <summary>The setting the queue, blob and timer triggers connect with (the Functions host's own storage).</summary>
    public const string Connection = "AzureWebJobsStorage";

    public static readonly string[] Containers =
    [
        UploadRef.Container, PluginCatalog.PackagesContainer, UploadProcessor.ReportsContainer,
        WorkItemBodies.ContainerName, CustomIds.KeyContainer,
    ];

    public static readonly string[] Queues = [WorkQueueRegistration.QueueName, WorkQueueRegistration.QueueName + "-poison"];

    public static readonly string[] Tables = [PluginCatalog.TableName, PluginLogs.TableName, KvStore.TableName, InstallStore.TableName, InteractionLedger.TableName, EventDedup.TableName, ScheduleStore.TableName, InvocationHistory.TableName, PublisherKeys.TableName, PendingUploads.TableName];

    public async Task EnsureAsync(CancellationToken cancellationToken)
    {
        await Task.WhenAll(
            Containers.Select(name => (Task)blobs.GetBlobContainerClient(name).CreateIfNotExistsAsync(cancellationToken: cancellationToken))
                .Concat(Queues.Select(name => (Task)queues.GetQueueClient(name).CreateIfNotExistsAsync(cancellationToken: cancellationToken)))
                .Concat(Tables.Select(name => (Task)tables.GetTableClient(name).CreateIfNotExistsAsync(cancellationToken))));
    }

    async Task IHostedService.StartAsync(CancellationToken cancellationToken)
    {
        try
        {
            await EnsureAsync(cancellationToken);
        }
        catch (Exception ex) when (ex is RequestFailedException or AggregateException)
        {
            // Still serve /api/health, which then says what is wrong with storage.
            logger.LogError("Could not create the storage layout: {Message}", ex.Message);
        }
    }

    Task IHostedService.StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;
}
