using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Serverless.Functions.Storage;

namespace Serverless.Tests.Storage;

public class StorageServiceCollectionExtensionsTests
{
    private static IConfiguration Configuration(params (string Key, string Value)[] values) =>
        new ConfigurationBuilder().AddInMemoryCollection(values.Select(v => new KeyValuePair<string, string?>(v.Key, v.Value))).Build();

    [Fact]
    public void AddStorage_NoSetting_RegistersAzuriteAndSingletonClients()
    {
        using var provider = new ServiceCollection().AddStorage(Configuration()).BuildServiceProvider();

        Assert.Equal("devstoreaccount1", provider.GetRequiredService<StorageAccount>().AccountName);
        Assert.Same(provider.GetRequiredService<BlobServiceClient>(), provider.GetRequiredService<BlobServiceClient>());
        Assert.NotNull(provider.GetRequiredService<QueueServiceClient>());
        Assert.NotNull(provider.GetRequiredService<TableServiceClient>());
    }

    [Fact]
    public void ResolveAccount_ConnectionString_IsParsed()
    {
        var account = StorageServiceCollectionExtensions.ResolveAccount(Configuration(("AzureWebJobsStorage", "AccountName=prod1;AccountKey=a2V5")));

        Assert.Equal("prod1", account.AccountName);
        Assert.Equal(new Uri("https://prod1.blob.core.windows.net"), account.BlobEndpoint);
    }

    [Theory]
    [InlineData("AzureWebJobsStorage:accountName")] // from an environment variable AzureWebJobsStorage__accountName
    [InlineData("AzureWebJobsStorage__accountName")] // verbatim from local.settings.json
    public void ResolveAccount_AccountNameSetting_UsesManagedIdentity(string key)
    {
        var account = StorageServiceCollectionExtensions.ResolveAccount(Configuration((key, "prod2"), ("AzureWebJobsStorage__clientId", "00000000-0000-0000-0000-000000000001")));

        Assert.Equal("prod2", account.AccountName);
        Assert.IsType<Azure.Identity.ManagedIdentityCredential>(account.Credential);
        Assert.Equal(new Uri("https://prod2.queue.core.windows.net"), account.QueueEndpoint);
    }

    [Fact]
    public void ResolveAccount_ServiceUris_AreUsed()
    {
        var account = StorageServiceCollectionExtensions.ResolveAccount(Configuration(
            ("AzureWebJobsStorage:blobServiceUri", "https://prod3.blob.core.usgovcloudapi.net"),
            ("AzureWebJobsStorage:tableServiceUri", "https://prod3.table.core.usgovcloudapi.net")));

        Assert.Equal("prod3", account.AccountName);
        Assert.Equal(new Uri("https://prod3.blob.core.usgovcloudapi.net"), account.BlobEndpoint);
        Assert.Equal(new Uri("https://prod3.table.core.usgovcloudapi.net"), account.TableEndpoint);
        Assert.IsType<Azure.Identity.DefaultAzureCredential>(account.Credential);
    }
}
