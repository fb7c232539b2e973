using Azure.Core;

namespace Serverless.Functions.Storage;

/// <summary>Pipeline options for the Blob, Queue and Table clients: retries, transport, diagnostics.</summary>
public sealed class StorageClientOptions : ClientOptions
{
    public StorageClientOptions()
    {
        // Storage's own SDKs retry a little longer than Azure.Core's default.
        Retry.Mode = RetryMode.Exponential;
        Retry.MaxRetries = 5;
        Retry.Delay = TimeSpan.FromSeconds(0.5);
        Retry.MaxDelay = TimeSpan.FromSeconds(30);
    }
}
