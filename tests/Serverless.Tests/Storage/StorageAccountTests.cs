using Serverless.Functions.Storage;

namespace Serverless.Tests.Storage;

public class StorageAccountTests
{
    [Fact]
    public void Parse_DevelopmentStorage_UsesAzuriteDefaults()
    {
        var account = StorageAccount.Parse("UseDevelopmentStorage=true");

        Assert.Equal("devstoreaccount1", account.AccountName);
        Assert.Equal(new Uri("http://127.0.0.1:10000/devstoreaccount1"), account.BlobEndpoint);
        Assert.Equal(new Uri("http://127.0.0.1:10001/devstoreaccount1"), account.QueueEndpoint);
        Assert.Equal(new Uri("http://127.0.0.1:10002/devstoreaccount1"), account.TableEndpoint);
    }

    [Fact]
    public void Parse_AccountAndSuffix_BuildsServiceEndpoints()
    {
        var account = StorageAccount.Parse("DefaultEndpointsProtocol=https;AccountName=myacct;AccountKey=a2V5;EndpointSuffix=core.chinacloudapi.cn");

        Assert.Equal("myacct", account.AccountName);
        Assert.Equal(new Uri("https://myacct.blob.core.chinacloudapi.cn"), account.BlobEndpoint);
        Assert.Equal(new Uri("https://myacct.queue.core.chinacloudapi.cn"), account.QueueEndpoint);
        Assert.Equal(new Uri("https://myacct.table.core.chinacloudapi.cn"), account.TableEndpoint);
    }

    [Fact]
    public void Parse_NoSuffix_DefaultsToPublicCloud()
    {
        var account = StorageAccount.Parse("AccountName=myacct;AccountKey=a2V5");

        Assert.Equal(new Uri("https://myacct.blob.core.windows.net"), account.BlobEndpoint);
    }

    [Fact]
    public void Parse_ExplicitEndpoints_OverrideDerivedOnes()
    {
        var account = StorageAccount.Parse(
            "DefaultEndpointsProtocol=http;AccountName=devstoreaccount1;AccountKey=" + StorageAccount.DevelopmentAccountKey +
            ";BlobEndpoint=http://127.0.0.1:5000/devstoreaccount1;QueueEndpoint=http://127.0.0.1:5001/devstoreaccount1;TableEndpoint=http://127.0.0.1:5002/devstoreaccount1;");

        Assert.Equal(new Uri("http://127.0.0.1:5000/devstoreaccount1"), account.BlobEndpoint);
        Assert.Equal(new Uri("http://127.0.0.1:5001/devstoreaccount1"), account.QueueEndpoint);
        Assert.Equal(new Uri("http://127.0.0.1:5002/devstoreaccount1"), account.TableEndpoint);
    }

    [Fact]
    public void Parse_OnlyBlobEndpointExplicit_DerivesTheOthers()
    {
        var account = StorageAccount.Parse("AccountName=a1;AccountKey=a2V5;BlobEndpoint=https://cdn.example.test");

        Assert.Equal(new Uri("https://cdn.example.test"), account.BlobEndpoint);
        Assert.Equal(new Uri("https://a1.queue.core.windows.net"), account.QueueEndpoint);
    }

    [Fact]
    public void Parse_KeysAreCaseInsensitiveAndKeyMayContainEquals()
    {
        var account = StorageAccount.Parse(" accountname = a1 ; ACCOUNTKEY=" + StorageAccount.DevelopmentAccountKey + " ;");

        Assert.Equal("a1", account.AccountName);
    }

    [Fact]
    public void Parse_MissingKey_ThrowsArgumentExceptionNamingIt()
    {
        var ex = Assert.Throws<ArgumentException>(() => StorageAccount.Parse("DefaultEndpointsProtocol=https;AccountName=myacct"));

        Assert.Contains("AccountKey", ex.Message);
        Assert.Contains("FromCredential", ex.Message);
    }

    [Fact]
    public void Parse_SeveralProblems_ReportsAllOfThem()
    {
        var ex = Assert.Throws<ArgumentException>(() => StorageAccount.Parse("DefaultEndpointsProtocol=ftp;AccountKey=not base64!;BlobEndpoint=nope"));

        Assert.Contains("DefaultEndpointsProtocol", ex.Message);
        Assert.Contains("base64", ex.Message);
        Assert.Contains("AccountName is required", ex.Message);
        Assert.Contains("BlobEndpoint 'nope'", ex.Message);
    }

    [Fact]
    public void Parse_Garbage_Throws()
    {
        Assert.Throws<ArgumentException>(() => StorageAccount.Parse("this is not a connection string"));
    }

    [Fact]
    public void Parse_SharedAccessSignature_TakesAccountFromEndpoint()
    {
        var account = StorageAccount.Parse("BlobEndpoint=https://acct.blob.core.windows.net;QueueEndpoint=https://acct.queue.core.windows.net;TableEndpoint=https://acct.table.core.windows.net;SharedAccessSignature=sv=2025-01-05&sig=abc%3D");

        Assert.Equal("acct", account.AccountName);
    }

    [Fact]
    public void FromCredential_DefaultEndpoints_ArePublicCloud()
    {
        var account = StorageAccount.FromCredential("myacct", new Azure.Identity.DefaultAzureCredential(), tableEndpoint: new Uri("https://t.example.test"));

        Assert.Equal(new Uri("https://myacct.blob.core.windows.net"), account.BlobEndpoint);
        Assert.Equal(new Uri("https://myacct.queue.core.windows.net"), account.QueueEndpoint);
        Assert.Equal(new Uri("https://t.example.test"), account.TableEndpoint);
    }
}
