using Azure.Core;
using Azure.Identity;

namespace Serverless.Functions.Storage;

public static class StorageServiceCollectionExtensions
{
    public const string ConnectionSetting = "AzureWebJobsStorage";

    /// <summary>
    /// Registers the <see cref="StorageAccount"/> the way the Functions host resolves <c>AzureWebJobsStorage</c>,
    /// plus singleton Blob, Queue and Table service clients.
    /// </summary>
    public static IServiceCollection AddStorage(this IServiceCollection services, IConfiguration configuration)
    {
        ArgumentNullException.ThrowIfNull(configuration);
        services.AddSingleton(_ => ResolveAccount(configuration));
        services.AddSingleton(provider => new BlobServiceClient(provider.GetRequiredService<StorageAccount>()));
        services.AddSingleton(provider => new QueueServiceClient(provider.GetRequiredService<StorageAccount>()));
        services.AddSingleton(provider => new TableServiceClient(provider.GetRequiredService<StorageAccount>()));
        return services;
    }

    /// <summary>
    /// A connection string in <c>AzureWebJobsStorage</c> wins; otherwise identity-based settings
    /// (<c>AzureWebJobsStorage__accountName</c>, optional <c>__blobServiceUri</c>/<c>__queueServiceUri</c>/<c>__tableServiceUri</c>,
    /// <c>__credential=managedidentity</c>, <c>__clientId</c>); with neither, Azurite.
    /// </summary>
    public static StorageAccount ResolveAccount(IConfiguration configuration)
    {
        var connectionString = configuration[ConnectionSetting];
        if (!string.IsNullOrWhiteSpace(connectionString))
        {
            return StorageAccount.Parse(connectionString);
        }

        var accountName = Setting(configuration, "accountName");
        var blobUri = Setting(configuration, "blobServiceUri");
        var queueUri = Setting(configuration, "queueServiceUri");
        var tableUri = Setting(configuration, "tableServiceUri");
        if (string.IsNullOrEmpty(accountName) && blobUri is not null)
        {
            accountName = new Uri(blobUri).Host.Split('.')[0];
        }
        if (string.IsNullOrEmpty(accountName))
        {
            return StorageAccount.Parse("UseDevelopmentStorage=true");
        }

        var clientId = Setting(configuration, "clientId");
        var credentialKind = Setting(configuration, "credential");
        TokenCredential credential = !string.IsNullOrEmpty(clientId)
            ? new ManagedIdentityCredential(ManagedIdentityId.FromUserAssignedClientId(clientId))
            : string.Equals(credentialKind, "managedidentity", StringComparison.OrdinalIgnoreCase)
                ? new ManagedIdentityCredential(ManagedIdentityId.SystemAssigned)
                : new DefaultAzureCredential();
        return StorageAccount.FromCredential(
            accountName,
            credential,
            blobUri is null ? null : new Uri(blobUri),
            queueUri is null ? null : new Uri(queueUri),
            tableUri is null ? null : new Uri(tableUri));
    }

    // Environment variables turn "__" into ":"; local.settings.json values keep "__" verbatim.
    private static string? Setting(IConfiguration configuration, string name)
    {
        var value = configuration[$"{ConnectionSetting}:{name}"] ?? configuration[$"{ConnectionSetting}__{name}"];
        return string.IsNullOrWhiteSpace(value) ? null : value;
    }
}
