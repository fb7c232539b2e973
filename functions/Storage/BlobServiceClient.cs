namespace Serverless.Functions.Storage;

/// <summary>Entry point to an account's Blob service (shaped like Azure.Storage.Blobs' client).</summary>
public sealed class BlobServiceClient
{
    private readonly StoragePipeline _pipeline;

    public BlobServiceClient(StorageAccount account, StorageClientOptions? options = null)
    {
        ArgumentNullException.ThrowIfNull(account);
        _pipeline = new StoragePipeline(account, StorageService.Blob, options);
    }

    public BlobServiceClient(string connectionString, StorageClientOptions? options = null)
        : this(StorageAccount.Parse(connectionString), options)
    {
    }

    public string AccountName => _pipeline.Account.AccountName;

    public Uri Uri => _pipeline.Account.BlobEndpoint;

    public BlobContainerClient GetBlobContainerClient(string containerName) => new(_pipeline, containerName);

    /// <summary>Joins already-escaped path segments onto an endpoint that may itself carry a path (Azurite's account segment).</summary>
    internal static Uri Append(Uri baseUri, string escapedPath) =>
        new(baseUri.GetLeftPart(UriPartial.Path).TrimEnd('/') + "/" + escapedPath);
}
