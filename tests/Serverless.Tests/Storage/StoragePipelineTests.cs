using System.Net;
using Azure.Core;
using Azure.Core.Pipeline;
using Serverless.Functions.Storage;

namespace Serverless.Tests.Storage;

/// <summary>
/// Authentication modes we cannot run here (Entra ID needs Azure; Azurite's OAuth needs HTTPS), checked
/// at the HTTP boundary: what leaves the pipeline, and how it retries.
/// </summary>
public class StoragePipelineTests
{
    private sealed class RecordingHandler(params HttpStatusCode[] statuses) : HttpMessageHandler
    {
        public List<HttpRequestMessage> Requests { get; } = [];

        protected override Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken)
        {
            Requests.Add(request);
            var status = statuses[Math.Min(Requests.Count - 1, statuses.Length - 1)];
            return Task.FromResult(new HttpResponseMessage(status) { Content = new ByteArrayContent([]) });
        }
    }

    private sealed class FakeCredential : TokenCredential
    {
        public List<string[]> Scopes { get; } = [];

        public override AccessToken GetToken(TokenRequestContext requestContext, CancellationToken cancellationToken)
        {
            Scopes.Add(requestContext.Scopes);
            return new AccessToken("token-123", DateTimeOffset.UtcNow.AddHours(1));
        }

        public override ValueTask<AccessToken> GetTokenAsync(TokenRequestContext requestContext, CancellationToken cancellationToken) =>
            ValueTask.FromResult(GetToken(requestContext, cancellationToken));
    }

    private static StorageClientOptions Options(HttpMessageHandler handler)
    {
        var options = new StorageClientOptions { Transport = new HttpClientTransport(new HttpClient(handler)) };
        options.Retry.Delay = TimeSpan.FromMilliseconds(1);
        options.Retry.MaxDelay = TimeSpan.FromMilliseconds(5);
        return options;
    }

    [Fact]
    public async Task FromCredential_Request_CarriesBearerTokenForStorageScope()
    {
        var handler = new RecordingHandler(HttpStatusCode.Created);
        var credential = new FakeCredential();
        var account = StorageAccount.FromCredential("prod1", credential);

        await new BlobServiceClient(account, Options(handler)).GetBlobContainerClient("c1").CreateIfNotExistsAsync(TestContext.Current.CancellationToken);

        var request = Assert.Single(handler.Requests);
        Assert.Equal("https://prod1.blob.core.windows.net/c1?restype=container", request.RequestUri!.ToString());
        Assert.Equal("Bearer token-123", request.Headers.Authorization!.ToString());
        Assert.Equal(["https://storage.azure.com/.default"], Assert.Single(credential.Scopes));
        Assert.True(request.Headers.Contains("x-ms-version"));
        Assert.True(request.Headers.Contains("x-ms-date"));
    }

    [Fact]
    public async Task SharedAccessSignature_Request_AppendsTokenOnceAcrossRetries()
    {
        var handler = new RecordingHandler(HttpStatusCode.ServiceUnavailable, HttpStatusCode.Created);
        var account = StorageAccount.Parse("QueueEndpoint=https://acct.queue.core.windows.net;BlobEndpoint=https://acct.blob.core.windows.net;TableEndpoint=https://acct.table.core.windows.net;SharedAccessSignature=?sv=2025-01-05&sig=abc%3D");

        await new QueueServiceClient(account, Options(handler)).GetQueueClient("q1").CreateIfNotExistsAsync(TestContext.Current.CancellationToken);

        Assert.Equal(2, handler.Requests.Count);
        Assert.All(handler.Requests, r => Assert.Equal("https://acct.queue.core.windows.net/q1?sv=2025-01-05&sig=abc%3D", r.RequestUri!.ToString()));
        Assert.All(handler.Requests, r => Assert.Null(r.Headers.Authorization));
    }

    [Fact]
    public async Task SharedKey_ServerBusy_RetriesWithFreshSignatureThenSurfacesStatus()
    {
        var handler = new RecordingHandler(HttpStatusCode.ServiceUnavailable);
        var account = StorageAccount.Parse("AccountName=acct;AccountKey=" + StorageAccount.DevelopmentAccountKey);
        var blob = new BlobServiceClient(account, Options(handler)).GetBlobContainerClient("c").GetBlobClient("b");

        var ex = await Assert.ThrowsAsync<StorageRequestFailedException>(() => blob.DownloadContentAsync(TestContext.Current.CancellationToken));

        Assert.Equal(503, ex.Status);
        Assert.Equal(6, handler.Requests.Count); // the first try plus StorageClientOptions' 5 retries
        Assert.All(handler.Requests, r => Assert.StartsWith("SharedKey acct:", r.Headers.Authorization!.ToString()));
    }
}
