namespace Serverless.Functions.Storage;

/// <summary>Entry point to an account's Queue service (shaped like Azure.Storage.Queues' client).</summary>
public sealed class QueueServiceClient
{
    private readonly StoragePipeline _pipeline;

    public QueueServiceClient(StorageAccount account, StorageClientOptions? options = null)
    {
        ArgumentNullException.ThrowIfNull(account);
        _pipeline = new StoragePipeline(account, StorageService.Queue, options);
    }

    public QueueServiceClient(string connectionString, StorageClientOptions? options = null)
        : this(StorageAccount.Parse(connectionString), options)
    {
    }

    public string AccountName => _pipeline.Account.AccountName;

    public Uri Uri => _pipeline.Account.QueueEndpoint;

    public QueueClient GetQueueClient(string queueName) => new(_pipeline, queueName);
}
