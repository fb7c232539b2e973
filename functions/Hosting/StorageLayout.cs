using Azure;
using Azure.Data.Tables;
using Azure.Storage.Blobs;
using Azure.Storage.Queues;
using Serverless.Functions.Events;
using Serverless.Functions.Installs;
using Serverless.Functions.Interactions;
using Serverless.Functions.Invocations;
using Serverless.Functions.Packages;
using Serverless.Functions.Publishers;
using Serverless.Functions.Schedules;
using Serverless.Functions.WorkQueue;

namespace Serverless.Functions.Hosting;

/// <summary>
/// Every container, queue and table the platform uses. In Azure, infra/ creates them; locally the app
/// creates them at start, before any trigger driver runs.
/// </summary>
public sealed class StorageLayout(BlobServiceClient blobs, QueueServiceClient queues, TableServiceClient tables, ILogger<StorageLayout> logger) : IHostedService
{
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
