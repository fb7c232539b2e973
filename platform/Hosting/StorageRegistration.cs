using Azure.Core;
using Azure.Data.Tables;
using Azure.Storage.Blobs;
using Azure.Storage.Queues;
using Microsoft.Extensions.Azure;

namespace Serverless.Platform.Hosting;

/// <summary>
/// <c>AzureWebJobsStorage</c> as the Functions host reads it. A connection string wins (also
/// <c>UseDevelopmentStorage=true</c> and Azurite's explicit <c>BlobEndpoint/QueueEndpoint/TableEndpoint</c> form);
/// otherwise identity-based settings: <c>AzureWebJobsStorage__accountName</c> and/or
/// <c>__blobServiceUri</c>, <c>__queueServiceUri</c>, <c>__tableServiceUri</c>, with the credential the host
/// builds from <c>__credential</c> (<c>managedidentity</c>) and <c>__clientId</c> (a user-assigned identity);
/// with neither, Azurite on its default ports.
/// </summary>
public sealed class StorageConnection
{
    public const string Setting = "AzureWebJobsStorage";

    /// <summary>The well-known Azurite / storage emulator account (public by design).</summary>
    public const string DevelopmentAccountName = "devstoreaccount1";

    public const string DevelopmentAccountKey = "Eby8vdM02xNOcqFlqUwJPLlmEtlCDXJ1OUzFT50uSRZ6IFsuFq2UVErCz4I6tq/K1SZFPTOtr/KBHBeksoGMGw==";

    /// <summary><c>UseDevelopmentStorage=true</c> spelled out, on the given ports (Azurite's defaults unless told).</summary>
    public static string Azurite(string blobPort = "10000", string queuePort = "10001", string tablePort = "10002") =>
        $"DefaultEndpointsProtocol=http;AccountName={DevelopmentAccountName};AccountKey={DevelopmentAccountKey};" +
        $"BlobEndpoint=http://127.0.0.1:{blobPort}/{DevelopmentAccountName};" +
        $"QueueEndpoint=http://127.0.0.1:{queuePort}/{DevelopmentAccountName};" +
        $"TableEndpoint=http://127.0.0.1:{tablePort}/{DevelopmentAccountName};";

    private readonly IConfiguration _identitySettings;

    private StorageConnection(string? connectionString, Uri? blobServiceUri, Uri? queueServiceUri, Uri? tableServiceUri, IConfiguration identitySettings)
    {
        ConnectionString = connectionString;
        BlobServiceUri = blobServiceUri;
        QueueServiceUri = queueServiceUri;
        TableServiceUri = tableServiceUri;
        _identitySettings = identitySettings;
    }

    /// <summary>Set when the clients authenticate with what the connection string holds (a key or a SAS).</summary>
    public string? ConnectionString { get; }

    /// <summary>Set, with the other two, when the clients authenticate with an Entra ID token.</summary>
    public Uri? BlobServiceUri { get; }

    public Uri? QueueServiceUri { get; }

    public Uri? TableServiceUri { get; }

    public bool IsIdentityBased => ConnectionString is null;

    public static StorageConnection Resolve(IConfiguration configuration)
    {
        var section = configuration.GetSection(Setting);
        var connectionString = configuration[Setting];
        if (!string.IsNullOrWhiteSpace(connectionString))
        {
            return new StorageConnection(connectionString, null, null, null, section);
        }

        var accountName = Value(configuration, "accountName");
        var blobUri = Value(configuration, "blobServiceUri");
        var queueUri = Value(configuration, "queueServiceUri");
        var tableUri = Value(configuration, "tableServiceUri");
        // Only a blob URI: its host's first label is the account, which names the other two services.
        accountName ??= blobUri is null ? null : new Uri(blobUri).Host.Split('.')[0];
        if (accountName is null)
        {
            return new StorageConnection("UseDevelopmentStorage=true", null, null, null, section);
        }
        return new StorageConnection(
            null,
            new Uri(blobUri ?? $"https://{accountName}.blob.core.windows.net"),
            new Uri(queueUri ?? $"https://{accountName}.queue.core.windows.net"),
            new Uri(tableUri ?? $"https://{accountName}.table.core.windows.net"),
            section);
    }

    /// <summary>The token credential the Functions host would use for this connection (Microsoft.Extensions.Azure's reading of its settings).</summary>
    public TokenCredential CreateCredential(AzureComponentFactory factory) => factory.CreateTokenCredential(_identitySettings);

    private static string? Value(IConfiguration configuration, string name)
    {
        var value = configuration[$"{Setting}:{name}"];
        return string.IsNullOrWhiteSpace(value) ? null : value;
    }
}

public static class StorageRegistration
{
    /// <summary>
    /// Registers the <see cref="StorageConnection"/> and singleton <see cref="BlobServiceClient"/>,
    /// <see cref="QueueServiceClient"/> and <see cref="TableServiceClient"/> for it (Azure SDK clients, through
    /// <c>AddAzureClients</c>). Azurite 3.35 refuses the SDKs' newest service version unless it runs with
    /// <c>--skipApiVersionCheck</c>, as the tests and <c>local/up</c> start it.
    /// </summary>
    public static IServiceCollection AddStorage(this IServiceCollection services, IConfiguration configuration)
    {
        ArgumentNullException.ThrowIfNull(configuration);
        var connection = StorageConnection.Resolve(configuration);
        services.AddSingleton(connection);
        services.AddAzureClients(clients =>
        {
            if (connection.ConnectionString is { } connectionString)
            {
                clients.AddBlobServiceClient(connectionString);
                clients.AddQueueServiceClient(connectionString);
                clients.AddTableServiceClient(connectionString);
                return;
            }
            TokenCredential Credential(IServiceProvider provider) => connection.CreateCredential(provider.GetRequiredService<AzureComponentFactory>());
            clients.AddBlobServiceClient(connection.BlobServiceUri!).WithCredential(Credential);
            clients.AddQueueServiceClient(connection.QueueServiceUri!).WithCredential(Credential);
            clients.AddTableServiceClient(connection.TableServiceUri!).WithCredential(Credential);
        });
        return services;
    }
}
