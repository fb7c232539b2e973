using System.Net;
using System.Text;
using System.Text.Json.Nodes;
using Microsoft.AspNetCore.Mvc.Testing;
using NSec.Cryptography;

using Serverless.Tests.Infrastructure;

namespace Serverless.Tests.Interactions;

/// <summary>The endpoint's front door: nothing is done for a request whose signature does not check out.</summary>
public sealed class InteractionsEndpointTests : IClassFixture<InteractionsEndpointTests.App>
{
    private readonly App _app;

    public InteractionsEndpointTests(App app) => _app = app;

    public sealed class App(Azurite azurite) : TestApp
    {
        private static readonly (string PublicKeyHex, Key PrivateKey) Keys = InteractionSignatureTests.NewKeyPair();

        public Key PrivateKey => Keys.PrivateKey;

        protected override void ConfigureWebHost(Microsoft.AspNetCore.Hosting.IWebHostBuilder builder)
        {
            base.ConfigureWebHost(builder);
            builder.UseSetting("LOCAL_TRIGGERS", "off");
            builder.UseSetting("SANDBOX_PLATFORM_NAME", "contract-tests-" + Guid.NewGuid().ToString("N")[..8]);
            builder.UseSetting("DISCORD_PUBLIC_KEY", Keys.PublicKeyHex);
            // Routing looks up the guild's installs, so even an unrouted command reads storage.
            builder.UseSetting("AzureWebJobsStorage", azurite.ConnectionString);
        }
    }

    private HttpRequestMessage Signed(string body, string? timestamp = null, Key? key = null)
    {
        timestamp ??= DateTimeOffset.UtcNow.ToUnixTimeSeconds().ToString();
        var request = new HttpRequestMessage(HttpMethod.Post, "/api/interactions") { Content = new StringContent(body, Encoding.UTF8, "application/json") };
        request.Headers.Add("X-Signature-Ed25519", InteractionSignatureTests.Sign(key ?? _app.PrivateKey, timestamp, Encoding.UTF8.GetBytes(body)));
        request.Headers.Add("X-Signature-Timestamp", timestamp);
        return request;
    }

    private async Task<(HttpStatusCode Status, JsonNode? Body)> SendAsync(HttpRequestMessage request)
    {
        var response = await _app.CreateClient().SendAsync(request);
        var text = await response.Content.ReadAsStringAsync();
        return (response.StatusCode, text.Length == 0 ? null : JsonNode.Parse(text));
    }

    [Fact]
    public async Task Post_SignedPing_AnswersPong()
    {
        var (status, body) = await SendAsync(Signed("""{"id":"1","application_id":"2","type":1,"token":"t","version":1}"""));

        Assert.Equal(HttpStatusCode.OK, status);
        Assert.Equal(1, body!["type"]!.GetValue<int>());
    }

    [Fact]
    public async Task Post_CommandForNothingInstalled_AnswersEphemeralExplanation()
    {
        var (status, body) = await SendAsync(Signed("""{"id":"1","application_id":"2","type":2,"token":"t","guild_id":"9","data":{"id":"5","name":"greet","type":1}}"""));

        Assert.Equal(HttpStatusCode.OK, status);
        Assert.Equal(4, body!["type"]!.GetValue<int>());
        Assert.Equal(64, body["data"]!["flags"]!.GetValue<int>());
        Assert.Contains("/greet", body["data"]!["content"]!.GetValue<string>());
    }

    public static TheoryData<string> SignatureFailures => ["missing both", "missing signature", "missing timestamp", "odd hex", "non-hex", "short signature", "other key", "stale", "future", "tampered body"];

    [Theory]
    [MemberData(nameof(SignatureFailures))]
    public async Task Post_BadSignature_Returns401(string failure)
    {
        const string ping = """{"type":1}""";
        var request = Signed(ping);
        var signature = request.Headers.GetValues("X-Signature-Ed25519").Single();
        void Set(string header, string? value)
        {
            request.Headers.Remove(header);
            if (value is not null)
            {
                request.Headers.Add(header, value);
            }
        }
        switch (failure)
        {
            case "missing both": Set("X-Signature-Ed25519", null); Set("X-Signature-Timestamp", null); break;
            case "missing signature": Set("X-Signature-Ed25519", null); break;
            case "missing timestamp": Set("X-Signature-Timestamp", null); break;
            case "odd hex": Set("X-Signature-Ed25519", signature[..^1]); break;
            case "non-hex": Set("X-Signature-Ed25519", new string('g', 128)); break;
            case "short signature": Set("X-Signature-Ed25519", signature[..64]); break;
            case "other key": request = Signed(ping, key: InteractionSignatureTests.NewKeyPair().PrivateKey); break;
            case "stale": request = Signed(ping, DateTimeOffset.UtcNow.AddMinutes(-6).ToUnixTimeSeconds().ToString()); break;
            case "future": request = Signed(ping, DateTimeOffset.UtcNow.AddMinutes(6).ToUnixTimeSeconds().ToString()); break;
            case "tampered body": request.Content = new StringContent("""{"type":2}""", Encoding.UTF8, "application/json"); break;
        }

        var (status, _) = await SendAsync(request);

        Assert.Equal(HttpStatusCode.Unauthorized, status);
    }

    [Theory]
    [InlineData("not json", HttpStatusCode.BadRequest)]
    [InlineData("[1]", HttpStatusCode.BadRequest)]
    [InlineData("""{"type":"1"}""", HttpStatusCode.BadRequest)]
    [InlineData("""{"id":"1"}""", HttpStatusCode.BadRequest)]
    [InlineData("""{"type":99}""", HttpStatusCode.BadRequest)]
    public async Task Post_SignedButMalformed_Returns400(string body, HttpStatusCode expected)
    {
        var (status, _) = await SendAsync(Signed(body));

        Assert.Equal(expected, status);
    }

    [Fact]
    public async Task Post_HugeBody_Returns413BeforeVerifying()
    {
        var (status, _) = await SendAsync(Signed("{\"type\":1,\"pad\":\"" + new string('x', 300_000) + "\"}"));

        Assert.Equal(HttpStatusCode.RequestEntityTooLarge, status);
    }
}
