using System.Net;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using System.Text.Json.Nodes;
using Azure.Core;
using Azure.Core.Pipeline;
using Azure.Storage.Blobs;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Serverless.Functions.WorkQueue;

namespace Serverless.Tests.WorkQueue;

/// <summary>
/// Service Bus cannot run here, so a loopback HTTPS fake plays its documented Send Message REST call:
/// <c>POST https://{namespace}/{queue}/messages</c>, Bearer token, <c>BrokerProperties</c> JSON header, 201 Created.
/// </summary>
public sealed class ServiceBusWorkQueueTests : IAsyncLifetime
{
    private readonly List<(string Method, string Path, string? Authorization, string? BrokerProperties, string Body)> _requests = [];
    private WebApplication? _fake;
    private int _status = 201;

    public async ValueTask InitializeAsync()
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.WebHost.ConfigureKestrel(k => k.Listen(IPAddress.Loopback, 0, o => o.UseHttps(SelfSignedCertificate())));
        _fake = builder.Build();
        _fake.MapPost("/{queue}/messages", async (HttpContext http, string queue) =>
        {
            var body = await new StreamReader(http.Request.Body).ReadToEndAsync();
            lock (_requests)
            {
                _requests.Add((http.Request.Method, http.Request.Path, http.Request.Headers.Authorization, http.Request.Headers["BrokerProperties"], body));
            }
            return Results.StatusCode(_status);
        });
        await _fake.StartAsync();
    }

    public async ValueTask DisposeAsync()
    {
        if (_fake is not null)
        {
            await _fake.DisposeAsync();
        }
    }

    private ServiceBusWorkQueue CreateQueue()
    {
        var address = _fake!.Urls.Single();
        var options = new TestOptions();
        options.Retry.MaxRetries = 0;
        options.Transport = new HttpClientTransport(new HttpClientHandler { ServerCertificateCustomValidationCallback = (_, _, _, _) => true });
        // The body offload never runs for small items, so the blob client is never called.
        var bodies = new WorkItemBodies(new BlobServiceClient("UseDevelopmentStorage=true"));
        return new ServiceBusWorkQueue(address, "invocations", new StaticToken("test-token"), bodies, options);
    }

    [Fact]
    public async Task EnqueueAsync_SmallItem_PostsDocumentedSendMessageRequest()
    {
        var item = WorkItem.Create("interaction", new JsonObject { ["hello"] = "world" });

        await CreateQueue().EnqueueAsync(item, TestContext.Current.CancellationToken);

        var request = Assert.Single(_requests);
        Assert.Equal("POST", request.Method);
        Assert.Equal("/invocations/messages", request.Path);
        Assert.Equal("Bearer test-token", request.Authorization);
        Assert.Equal(item.Id, JsonNode.Parse(request.BrokerProperties!)!["MessageId"]!.GetValue<string>());
        var sent = WorkItem.Parse(request.Body);
        Assert.Equal(item.Id, sent.Id);
        Assert.Equal("world", sent.Body!["hello"]!.GetValue<string>());
    }

    [Fact]
    public async Task EnqueueAsync_ServiceRefuses_ThrowsWithStatus()
    {
        _status = 401;

        var error = await Assert.ThrowsAsync<WorkQueueException>(() =>
            CreateQueue().EnqueueAsync(WorkItem.Create("interaction", []), TestContext.Current.CancellationToken));

        Assert.Contains("401", error.Message);
    }

    private static X509Certificate2 SelfSignedCertificate()
    {
        using var key = RSA.Create(2048);
        var request = new CertificateRequest("CN=localhost", key, HashAlgorithmName.SHA256, RSASignaturePadding.Pkcs1);
        using var certificate = request.CreateSelfSigned(DateTimeOffset.UtcNow.AddMinutes(-5), DateTimeOffset.UtcNow.AddHours(1));
        return X509CertificateLoader.LoadPkcs12(certificate.Export(X509ContentType.Pfx), null);
    }

    private sealed class TestOptions : ClientOptions;

    private sealed class StaticToken(string token) : TokenCredential
    {
        public override AccessToken GetToken(TokenRequestContext requestContext, CancellationToken cancellationToken) =>
            new(token, DateTimeOffset.UtcNow.AddHours(1));

        public override ValueTask<AccessToken> GetTokenAsync(TokenRequestContext requestContext, CancellationToken cancellationToken) =>
            ValueTask.FromResult(GetToken(requestContext, cancellationToken));
    }
}
