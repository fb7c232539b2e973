using System.Net;
using System.Net.Http.Headers;
using System.Text.Json.Nodes;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Mvc.Testing;
using Serverless.Tests.Schedules;
using Serverless.Platform.Packages;
using Serverless.Platform.Publishers;
using Serverless.Tests.Infrastructure;

namespace Serverless.Tests.Publishers;

/// <summary>
/// A publisher is whoever holds a key for that publisher: the key buys SAS for one upload under its own
/// prefix, and storage itself (real Azurite) refuses every other write, read, list or delete with it.
/// </summary>
public sealed class PublisherUploadTests(Azurite azurite) : IAsyncLifetime
{
    private const string AdminKey = "publisher-tests-admin-key";
    private WebApplicationFactory<Program> _app = null!;
    private HttpClient _http = null!;
    private readonly HttpClient _storage = new();

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    public ValueTask InitializeAsync()
    {
        _app = new TestApp().WithWebHostBuilder(builder =>
        {
            builder.UseSetting("AzureWebJobsStorage", azurite.ConnectionString);
            builder.UseSetting("LOCAL_TRIGGERS", "off");
            builder.UseSetting("ADMIN_API_KEY", AdminKey);
            builder.UseSetting("SANDBOX_PLATFORM_NAME", "publisher-tests-" + Guid.NewGuid().ToString("N")[..8]);
        });
        _http = _app.CreateClient();
        return ValueTask.CompletedTask;
    }

    public async ValueTask DisposeAsync()
    {
        _http.Dispose();
        _storage.Dispose();
        await _app.DisposeAsync();
    }

    private static string NewPublisher() => "pub" + Guid.NewGuid().ToString("N")[..10];

    private async Task<string> MintAsync(string publisher)
    {
        using var request = new HttpRequestMessage(HttpMethod.Post, $"/api/admin/publishers/{publisher}/keys");
        request.Headers.Add("x-functions-key", AdminKey);
        using var response = await _http.SendAsync(request, Ct);
        Assert.Equal(HttpStatusCode.Created, response.StatusCode);
        return JsonNode.Parse(await response.Content.ReadAsStringAsync(Ct))!["key"]!.GetValue<string>();
    }

    private async Task<(HttpStatusCode Status, JsonObject Body)> GrantAsync(string publisher, string name, string? key)
    {
        using var request = new HttpRequestMessage(HttpMethod.Post, $"/api/publishers/{publisher}/uploads/{name}");
        if (key is not null)
        {
            request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", key);
        }
        using var response = await _http.SendAsync(request, Ct);
        var text = await response.Content.ReadAsStringAsync(Ct);
        return (response.StatusCode, text.Length == 0 ? [] : JsonNode.Parse(text)!.AsObject());
    }

    private async Task<HttpStatusCode> PutBlobAsync(string url, byte[] content)
    {
        using var request = new HttpRequestMessage(HttpMethod.Put, url) { Content = new ByteArrayContent(content) };
        request.Headers.Add("x-ms-blob-type", "BlockBlob");
        request.Headers.Add("x-ms-version", "2025-11-05");
        using var response = await _storage.SendAsync(request, Ct);
        return response.StatusCode;
    }

    private async Task<HttpStatusCode> SendStorageAsync(HttpMethod method, string url)
    {
        using var request = new HttpRequestMessage(method, url);
        request.Headers.Add("x-ms-version", "2025-11-05");
        using var response = await _storage.SendAsync(request, Ct);
        return response.StatusCode;
    }

    /// <summary>The grant's upload URL with its path swapped for <paramref name="blobName"/>, same signature.</summary>
    private static string Retarget(string url, string container, string blobName)
    {
        var uri = new Uri(url);
        var path = uri.AbsolutePath;
        var accountPath = path[..path.IndexOf($"/{UploadRef.Container}/", StringComparison.Ordinal)];
        return $"{uri.GetLeftPart(UriPartial.Authority)}{accountPath}/{container}/{blobName}{uri.Query}";
    }

    [Fact]
    public async Task Grant_OwnKey_SasWritesExactlyTheNamedUpload()
    {
        var publisher = NewPublisher();
        var key = await MintAsync(publisher);

        var (status, grant) = await GrantAsync(publisher, "greeter", key);

        Assert.Equal(HttpStatusCode.OK, status);
        Assert.Equal($"{UploadRef.Container}/{publisher}/greeter.zip", grant["upload"]!["blob"]!.GetValue<string>());
        var url = grant["upload"]!["url"]!.GetValue<string>();
        Assert.Contains("sp=cw", url);
        Assert.Equal(HttpStatusCode.Created, await PutBlobAsync(url, [1, 2, 3]));
        var stored = await azurite.Blobs.GetBlobContainerClient(UploadRef.Container).GetBlobClient($"{publisher}/greeter.zip").DownloadContentAsync(Ct);
        Assert.Equal([1, 2, 3], stored.Value.Content.ToArray());
    }

    [Fact]
    public async Task Sas_AnotherPublishersPrefixOrAnotherName_RefusedByStorage()
    {
        var publisher = NewPublisher();
        var rival = NewPublisher();
        var key = await MintAsync(publisher);
        var url = (await GrantAsync(publisher, "greeter", key)).Body["upload"]!["url"]!.GetValue<string>();

        Assert.Equal(HttpStatusCode.Forbidden, await PutBlobAsync(Retarget(url, UploadRef.Container, $"{rival}/greeter.zip"), [6, 6, 6]));
        Assert.Equal(HttpStatusCode.Forbidden, await PutBlobAsync(Retarget(url, UploadRef.Container, $"{publisher}/other.zip"), [6, 6, 6]));
        Assert.Equal(HttpStatusCode.Forbidden, await PutBlobAsync(Retarget(url, PluginCatalog.PackagesContainer, $"{publisher}/greeter.zip"), [6, 6, 6]));
        var container = azurite.Blobs.GetBlobContainerClient(UploadRef.Container);
        Assert.False(await container.GetBlobClient($"{rival}/greeter.zip").ExistsAsync(Ct));
        Assert.False(await container.GetBlobClient($"{publisher}/other.zip").ExistsAsync(Ct));
    }

    [Fact]
    public async Task Sas_UploadGrant_CannotReadListOrDelete()
    {
        var publisher = NewPublisher();
        var key = await MintAsync(publisher);
        var url = (await GrantAsync(publisher, "greeter", key)).Body["upload"]!["url"]!.GetValue<string>();
        Assert.Equal(HttpStatusCode.Created, await PutBlobAsync(url, [1]));
        var uri = new Uri(url);
        var list = $"{uri.GetLeftPart(UriPartial.Path)[..uri.GetLeftPart(UriPartial.Path).LastIndexOf($"/{publisher}/", StringComparison.Ordinal)]}{uri.Query}&restype=container&comp=list";

        Assert.Equal(HttpStatusCode.Forbidden, await SendStorageAsync(HttpMethod.Get, url));
        Assert.Equal(HttpStatusCode.Forbidden, await SendStorageAsync(HttpMethod.Delete, url));
        Assert.Equal(HttpStatusCode.Forbidden, await SendStorageAsync(HttpMethod.Get, list));
    }

    [Fact]
    public async Task Grant_KeyOfAnotherPublisher_RefusedWithNoSas()
    {
        var publisher = NewPublisher();
        var rival = NewPublisher();
        var rivalKey = await MintAsync(rival);

        var (status, body) = await GrantAsync(publisher, "greeter", rivalKey);

        Assert.Equal(HttpStatusCode.Unauthorized, status);
        Assert.Equal("publisher_key_refused", body["code"]!.GetValue<string>());
        Assert.Null(body["upload"]);
    }

    [Theory]
    [InlineData(null, "publisher_key_missing")]
    [InlineData("", "publisher_key_missing")]
    [InlineData("spk1.0123456789abcdef.not-the-secret", "publisher_key_refused")]
    [InlineData("garbage", "publisher_key_refused")]
    public async Task Grant_MissingOrWrongKey_Refused(string? key, string code)
    {
        var publisher = NewPublisher();
        await MintAsync(publisher);

        var (status, body) = await GrantAsync(publisher, "greeter", key);

        Assert.Equal(HttpStatusCode.Unauthorized, status);
        Assert.Equal(code, body["code"]!.GetValue<string>());
    }

    [Fact]
    public async Task Grant_RevokedKey_Refused()
    {
        var publisher = NewPublisher();
        var key = await MintAsync(publisher);
        using var revoke = new HttpRequestMessage(HttpMethod.Delete, $"/api/admin/publishers/{publisher}/keys/{key.Split('.')[1]}");
        revoke.Headers.Add("x-functions-key", AdminKey);
        using var revoked = await _http.SendAsync(revoke, Ct);
        Assert.Equal(HttpStatusCode.NoContent, revoked.StatusCode);

        var (status, _) = await GrantAsync(publisher, "greeter", key);

        Assert.Equal(HttpStatusCode.Unauthorized, status);
    }

    [Theory]
    [InlineData("POST", "/api/admin/publishers/acme/keys")]
    [InlineData("GET", "/api/admin/publishers/acme/keys")]
    [InlineData("DELETE", "/api/admin/publishers/acme/keys/0123456789abcdef")]
    public async Task KeyAdmin_WithoutAdminKey_Unauthorized(string method, string path)
    {
        using var response = await _http.SendAsync(new HttpRequestMessage(new HttpMethod(method), path), Ct);

        Assert.Equal(HttpStatusCode.Unauthorized, response.StatusCode);
    }

    [Theory]
    [InlineData("..", "greeter")]
    [InlineData("acme", "..")]
    [InlineData("-acme", "greeter")]
    [InlineData("acme", "greeter%0A")]
    public async Task Grant_InvalidUploadName_BadRequest(string publisher, string name)
    {
        var (status, body) = await GrantAsync(publisher, name, "spk1.0123456789abcdef.x");

        Assert.True(status is HttpStatusCode.BadRequest or HttpStatusCode.NotFound, $"{status}: {body}");
        Assert.Null(body["upload"]);
    }

    [Fact]
    public async Task Verify_ExpiredKey_Refused()
    {
        var clock = new FakeTimeProvider(DateTimeOffset.UtcNow);
        var keys = new PublisherKeys(azurite.Tables, clock);
        await azurite.Tables.GetTableClient(PublisherKeys.TableName).CreateIfNotExistsAsync(Ct);
        var publisher = NewPublisher();
        var minted = await keys.MintAsync(publisher, TimeSpan.FromDays(1), Ct);
        Assert.NotNull(await keys.VerifyAsync(publisher, minted.Secret, Ct));

        clock.Advance(TimeSpan.FromDays(1) + TimeSpan.FromSeconds(1));

        Assert.Null(await keys.VerifyAsync(publisher, minted.Secret, Ct));
        Assert.Empty(await keys.ListAsync(publisher, Ct));
    }
}
