using Azure.Data.Tables;
using Azure.Identity;
using Azure.Storage.Blobs;
using Azure.Storage.Queues;
using Microsoft.Extensions.Azure;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Serverless.Platform.Hosting;
using Serverless.Platform.Packages;
using Serverless.Platform.Publishers;

namespace Serverless.Tests.Hosting;

/// <summary><c>AzureWebJobsStorage</c> read as the Functions host reads it, into the Azure SDK clients.</summary>
public sealed class StorageRegistrationTests
{
    private const string DevelopmentKey = Serverless.Platform.Hosting.StorageConnection.DevelopmentAccountKey;

    private static IConfiguration Configuration(params (string Key, string Value)[] values) =>
        new ConfigurationBuilder().AddInMemoryCollection(values.Select(v => new KeyValuePair<string, string?>(v.Key, v.Value))).Build();

    private static ServiceProvider Provider(IConfiguration configuration) => new ServiceCollection().AddStorage(configuration).BuildServiceProvider();

    [Fact]
    public void AddStorage_NoSetting_RegistersAzuriteAndSingletonClients()
    {
        using var provider = Provider(Configuration());

        var blobs = provider.GetRequiredService<BlobServiceClient>();
        Assert.Equal("devstoreaccount1", blobs.AccountName);
        Assert.Equal(new Uri("http://127.0.0.1:10000/devstoreaccount1"), blobs.Uri);
        Assert.Equal(new Uri("http://127.0.0.1:10001/devstoreaccount1"), provider.GetRequiredService<QueueServiceClient>().Uri);
        Assert.Equal(new Uri("http://127.0.0.1:10002/devstoreaccount1"), provider.GetRequiredService<TableServiceClient>().Uri);
        Assert.Same(blobs, provider.GetRequiredService<BlobServiceClient>());
        Assert.Same(provider.GetRequiredService<TableServiceClient>(), provider.GetRequiredService<TableServiceClient>());
        Assert.False(provider.GetRequiredService<StorageConnection>().IsIdentityBased);
    }

    [Fact]
    public void AddStorage_AccountAndSuffix_BuildsServiceEndpoints()
    {
        using var provider = Provider(Configuration(("AzureWebJobsStorage", "DefaultEndpointsProtocol=https;AccountName=myacct;AccountKey=a2V5;EndpointSuffix=core.chinacloudapi.cn")));

        Assert.Equal(new Uri("https://myacct.blob.core.chinacloudapi.cn"), provider.GetRequiredService<BlobServiceClient>().Uri);
        Assert.Equal(new Uri("https://myacct.queue.core.chinacloudapi.cn"), provider.GetRequiredService<QueueServiceClient>().Uri);
        Assert.Equal(new Uri("https://myacct.table.core.chinacloudapi.cn"), provider.GetRequiredService<TableServiceClient>().Uri);
    }

    [Fact]
    public void AddStorage_NoSuffix_DefaultsToPublicCloud()
    {
        using var provider = Provider(Configuration(("AzureWebJobsStorage", "AccountName=prod1;AccountKey=a2V5")));

        Assert.Equal("prod1", provider.GetRequiredService<BlobServiceClient>().AccountName);
        Assert.Equal(new Uri("https://prod1.blob.core.windows.net"), provider.GetRequiredService<BlobServiceClient>().Uri);
    }

    [Fact]
    public void AddStorage_AzuriteExplicitEndpoints_AreUsed()
    {
        using var provider = Provider(Configuration(("AzureWebJobsStorage",
            $"DefaultEndpointsProtocol=http;AccountName=devstoreaccount1;AccountKey={DevelopmentKey};" +
            "BlobEndpoint=http://127.0.0.1:5000/devstoreaccount1;QueueEndpoint=http://127.0.0.1:5001/devstoreaccount1;TableEndpoint=http://127.0.0.1:5002/devstoreaccount1;")));

        Assert.Equal(new Uri("http://127.0.0.1:5000/devstoreaccount1"), provider.GetRequiredService<BlobServiceClient>().Uri);
        Assert.Equal(new Uri("http://127.0.0.1:5001/devstoreaccount1"), provider.GetRequiredService<QueueServiceClient>().Uri);
        Assert.Equal(new Uri("http://127.0.0.1:5002/devstoreaccount1"), provider.GetRequiredService<TableServiceClient>().Uri);
        Assert.True(provider.GetRequiredService<BlobServiceClient>().CanGenerateAccountSasUri, "an account key can sign");
    }

    [Fact]
    public void AddStorage_NotAConnectionString_Throws()
    {
        using var provider = Provider(Configuration(("AzureWebJobsStorage", "this is not a connection string")));

        Assert.ThrowsAny<Exception>(() => provider.GetRequiredService<BlobServiceClient>());
    }

    [Fact]
    public void AddStorage_AccountNameFromEnvironment_UsesTheManagedIdentity()
    {
        // What the environment variables AzureWebJobsStorage__accountName, __credential and __clientId become.
        using var provider = Provider(Configuration(
            ("AzureWebJobsStorage:accountName", "prod2"),
            ("AzureWebJobsStorage:credential", "managedidentity"),
            ("AzureWebJobsStorage:clientId", "00000000-0000-0000-0000-000000000001")));

        var connection = provider.GetRequiredService<StorageConnection>();
        Assert.True(connection.IsIdentityBased);
        Assert.Equal(new Uri("https://prod2.blob.core.windows.net"), provider.GetRequiredService<BlobServiceClient>().Uri);
        Assert.Equal(new Uri("https://prod2.queue.core.windows.net"), provider.GetRequiredService<QueueServiceClient>().Uri);
        Assert.Equal(new Uri("https://prod2.table.core.windows.net"), provider.GetRequiredService<TableServiceClient>().Uri);
        Assert.IsType<ManagedIdentityCredential>(connection.CreateCredential(provider.GetRequiredService<AzureComponentFactory>()));
        Assert.False(provider.GetRequiredService<BlobServiceClient>().CanGenerateAccountSasUri, "a token cannot sign with an account key");
    }

    [Fact]
    public void AddStorage_AccountNameFromLocalSettings_IsReadLikeTheEnvironment()
    {
        var path = Path.GetTempFileName();
        try
        {
            File.WriteAllText(path, """{ "Values": { "AzureWebJobsStorage__accountName": "prod4", "AzureWebJobsStorage__clientId": "00000000-0000-0000-0000-000000000002" } }""");
            using var provider = Provider(new ConfigurationBuilder().AddInMemoryCollection(PlatformSettings.ReadValues(path)).Build());

            var connection = provider.GetRequiredService<StorageConnection>();
            Assert.True(connection.IsIdentityBased);
            Assert.Equal(new Uri("https://prod4.blob.core.windows.net"), provider.GetRequiredService<BlobServiceClient>().Uri);
            // Without __credential the host takes the default chain, told which user-assigned identity to use.
            Assert.IsType<DefaultAzureCredential>(connection.CreateCredential(provider.GetRequiredService<AzureComponentFactory>()));
        }
        finally
        {
            File.Delete(path);
        }
    }

    [Fact]
    public void AddStorage_ServiceUris_AreUsedAndNameTheAccount()
    {
        using var provider = Provider(Configuration(
            ("AzureWebJobsStorage:blobServiceUri", "https://prod3.blob.core.usgovcloudapi.net"),
            ("AzureWebJobsStorage:tableServiceUri", "https://prod3.table.core.usgovcloudapi.net")));

        var connection = provider.GetRequiredService<StorageConnection>();
        Assert.Equal("prod3", provider.GetRequiredService<BlobServiceClient>().AccountName);
        Assert.Equal(new Uri("https://prod3.blob.core.usgovcloudapi.net"), provider.GetRequiredService<BlobServiceClient>().Uri);
        Assert.Equal(new Uri("https://prod3.queue.core.windows.net"), provider.GetRequiredService<QueueServiceClient>().Uri);
        Assert.Equal(new Uri("https://prod3.table.core.usgovcloudapi.net"), provider.GetRequiredService<TableServiceClient>().Uri);
        Assert.IsType<DefaultAzureCredential>(connection.CreateCredential(provider.GetRequiredService<AzureComponentFactory>()));
    }

    [Fact]
    public async Task UploadGrants_SasConnectionString_CannotSign()
    {
        using var provider = Provider(Configuration(("AzureWebJobsStorage",
            "BlobEndpoint=https://acct.blob.core.windows.net;QueueEndpoint=https://acct.queue.core.windows.net;TableEndpoint=https://acct.table.core.windows.net;SharedAccessSignature=sv=2025-01-05&sig=abc%3D")));
        var grants = new UploadGrants(provider.GetRequiredService<BlobServiceClient>(), provider.GetRequiredService<StorageConnection>(), TimeProvider.System);

        var refused = await Assert.ThrowsAsync<PublisherKeyException>(() => grants.IssueAsync(UploadRef.FromBlobName("acme/greeter.zip")!, TestContext.Current.CancellationToken));

        Assert.Equal((503, "storage_cannot_sign"), (refused.Status, refused.Code));
    }
}
