using System.Net;
using System.Text;
using System.Text.Json.Nodes;
using Microsoft.AspNetCore.Mvc.Testing;
using Microsoft.Extensions.Logging.Abstractions;
using Serverless.Platform.Events;
using Serverless.Platform.Hosting;
using Serverless.Tests.Infrastructure;

namespace Serverless.Tests.Events;

/// <summary>
/// <c>POST /api/events</c> in the real app on Azurite, with the work queue recording: the signature gate,
/// de-duplication on the event id, and who gets which payload. No sandbox runs here (EndToEndEventTests does).
/// </summary>
public sealed class EventsEndpointTests(Azurite azurite) : IAsyncLifetime
{
    private const string Secret = "endpoint-tests-secret-0123456789";

    private readonly RecordingWorkQueue _queue = new();
    private WebApplicationFactory<Program> _app = null!;
    private HttpClient _http = null!;
    private EventPlugins _plugins = null!;
    private string _cacheDir = null!;

    public async ValueTask InitializeAsync()
    {
        var blobs = azurite.Blobs;
        var tables = azurite.Tables;
        await new StorageLayout(blobs, azurite.Queues, tables, NullLogger<StorageLayout>.Instance).EnsureAsync(CancellationToken.None);
        _plugins = new EventPlugins(tables, blobs);
        _cacheDir = Directory.CreateTempSubdirectory("events-cache-").FullName;
        _app = App(azurite, _cacheDir, Secret).WithWebHostBuilder(b => b.WithRecordingQueue(_queue));
        _http = _app.CreateClient();
    }

    public async ValueTask DisposeAsync()
    {
        await _app.DisposeAsync();
        Directory.Delete(_cacheDir, recursive: true);
    }

    private static WebApplicationFactory<Program> App(Azurite azurite, string cacheDir, string? secret) =>
        new TestApp().WithWebHostBuilder(b =>
        {
            b.UseSetting("AzureWebJobsStorage", azurite.ConnectionString);
            b.UseSetting("LOCAL_TRIGGERS", "off");
            b.UseSetting("SANDBOX_PLATFORM_NAME", "events-tests-" + Guid.NewGuid().ToString("N")[..8]);
            b.UseSetting("PLUGIN_CACHE_DIR", cacheDir);
            b.UseSetting(EventsOptions.SecretSetting, secret ?? "");
        });

    internal static string Body(string guild, string eventName, JsonObject payload, string? id = null) => new JsonObject
    {
        ["id"] = id ?? $"{Guid.NewGuid():N}:1",
        ["guild_id"] = guild,
        ["event"] = eventName,
        ["payload"] = payload,
        ["occurred_at"] = DateTimeOffset.UtcNow.ToString("yyyy-MM-dd'T'HH:mm:ss.fff'Z'"),
    }.ToJsonString();

    internal static JsonObject MessageCreate(string content) => new()
    {
        ["message_id"] = "9001", ["channel_id"] = "700", ["author_id"] = "42", ["author_bot"] = false,
        ["content"] = content, ["timestamp"] = "2026-11-21T10:30:00.123000+00:00",
    };

    internal static HttpRequestMessage Signed(string body, string secret = Secret, long? timestamp = null)
    {
        var ts = timestamp ?? DateTimeOffset.UtcNow.ToUnixTimeSeconds();
        var request = new HttpRequestMessage(HttpMethod.Post, "/api/events") { Content = new StringContent(body, Encoding.UTF8, "application/json") };
        request.Headers.Add(EventSignature.TimestampHeader, ts.ToString());
        request.Headers.Add(EventSignature.SignatureHeader, EventSignature.Sign(secret, ts, Encoding.UTF8.GetBytes(body)));
        return request;
    }

    private async Task<(HttpStatusCode Status, JsonNode? Body)> SendAsync(HttpRequestMessage request)
    {
        var response = await _http.SendAsync(request, TestContext.Current.CancellationToken);
        var text = await response.Content.ReadAsStringAsync(TestContext.Current.CancellationToken);
        return (response.StatusCode, text.Length == 0 ? null : JsonNode.Parse(text));
    }

    [Fact]
    public async Task Post_MessageCreate_FansOutToListenersOnlyAndContentOnlyWithReadContent()
    {
        var guild = EventPlugins.NewGuild();
        var (reader, blind, other, declared) = (EventPlugins.NewId(), EventPlugins.NewId(), EventPlugins.NewId(), EventPlugins.NewId());
        await _plugins.PublishAsync(reader, "1.0.0", new Dictionary<string, int?> { ["message_create"] = null }, capabilities: ["messages:read_content"]);
        await _plugins.PublishAsync(blind, "1.0.0", new Dictionary<string, int?> { ["message_create"] = null });
        await _plugins.PublishAsync(other, "1.0.0", new Dictionary<string, int?> { ["member_join"] = null });
        await _plugins.PublishAsync(declared, "1.0.0", new Dictionary<string, int?>(), manifestEvents: ["message_create"]);
        var readerInstall = await _plugins.InstallAsync(guild, reader, "1.0.0", null, "messages:read_content");
        await _plugins.InstallAsync(guild, blind, "1.0.0");
        await _plugins.InstallAsync(guild, other, "1.0.0");
        await _plugins.InstallAsync(guild, declared, "1.0.0");
        await _plugins.InstallAsync(EventPlugins.NewGuild(), reader, "1.0.0", null, "messages:read_content");

        var (status, body) = await SendAsync(Signed(Body(guild, "message_create", MessageCreate("secret plans"))));

        Assert.Equal(HttpStatusCode.Accepted, status);
        Assert.Equal(3, body!["fanned_out"]!.GetValue<int>());
        var items = _queue.EventsFor(guild);
        Assert.Equal(new[] { blind, declared, reader }.Order(StringComparer.Ordinal), items.Select(i => Assert.Single(i.Targets).PluginId).Order(StringComparer.Ordinal));
        var byPlugin = items.ToDictionary(i => i.Targets[0].PluginId);
        Assert.Equal("secret plans", byPlugin[reader].Payload["content"]!.GetValue<string>());
        Assert.Equal(readerInstall.InstallId, byPlugin[reader].Targets[0].InstallId);
        Assert.Equal("", byPlugin[blind].Payload["content"]!.GetValue<string>());
        Assert.Equal("", byPlugin[declared].Payload["content"]!.GetValue<string>());
        Assert.Equal("9001", byPlugin[blind].Payload["message_id"]!.GetValue<string>());
        Assert.DoesNotContain(other, byPlugin.Keys);
    }

    [Fact]
    public async Task Post_SameIdTwice_FannedOutOnce()
    {
        var guild = EventPlugins.NewGuild();
        var plugin = EventPlugins.NewId();
        await _plugins.PublishAsync(plugin, "1.0.0", new Dictionary<string, int?> { ["member_join"] = null });
        await _plugins.InstallAsync(guild, plugin, "1.0.0");
        var body = Body(guild, "member_join", new JsonObject { ["user_id"] = "1", ["username"] = "a", ["guild_id"] = guild }, id: "session-x:17");

        var first = await SendAsync(Signed(body));
        // The bridge signs each attempt afresh; the retry carries the same id.
        var retry = await SendAsync(Signed(body, timestamp: DateTimeOffset.UtcNow.ToUnixTimeSeconds() + 1));

        Assert.Equal(HttpStatusCode.Accepted, first.Status);
        Assert.Equal(1, first.Body!["fanned_out"]!.GetValue<int>());
        Assert.Equal(HttpStatusCode.Accepted, retry.Status);
        Assert.True(retry.Body!["duplicate"]!.GetValue<bool>());
        Assert.Equal(0, retry.Body["fanned_out"]!.GetValue<int>());
        Assert.Single(_queue.EventsFor(guild));
    }

    public static TheoryData<string> SignatureFailures => ["missing both", "missing signature", "missing timestamp", "not sha256=", "non-hex", "stale", "future", "wrong secret", "tampered body"];

    [Theory]
    [MemberData(nameof(SignatureFailures))]
    public async Task Post_BadSignature_Returns401AndNothingIsDone(string failure)
    {
        var guild = EventPlugins.NewGuild();
        var plugin = EventPlugins.NewId();
        await _plugins.PublishAsync(plugin, "1.0.0", new Dictionary<string, int?> { ["message_create"] = null });
        await _plugins.InstallAsync(guild, plugin, "1.0.0");
        var body = Body(guild, "message_create", MessageCreate("hi"), id: $"{Guid.NewGuid():N}:5");
        var now = DateTimeOffset.UtcNow.ToUnixTimeSeconds();
        var request = failure switch
        {
            "stale" => Signed(body, timestamp: now - 301),
            "future" => Signed(body, timestamp: now + 400), // well past the 300 s window: the check may run seconds after signing
            "wrong secret" => Signed(body, secret: "another-secret-of-enough-length"),
            "tampered body" => Signed(body),
            _ => Signed(body),
        };
        if (failure == "tampered body")
        {
            request.Content = new StringContent(body.Replace("\"hi\"", "\"ho\""), Encoding.UTF8, "application/json");
        }
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
            case "missing both":
                Set(EventSignature.SignatureHeader, null);
                Set(EventSignature.TimestampHeader, null);
                break;
            case "missing signature":
                Set(EventSignature.SignatureHeader, null);
                break;
            case "missing timestamp":
                Set(EventSignature.TimestampHeader, null);
                break;
            case "not sha256=":
                Set(EventSignature.SignatureHeader, "sha1=" + new string('a', 64));
                break;
            case "non-hex":
                Set(EventSignature.SignatureHeader, "sha256=" + new string('z', 64));
                break;
        }

        var (status, _) = await SendAsync(request);
        var afterwards = await SendAsync(Signed(body));

        Assert.Equal(HttpStatusCode.Unauthorized, status);
        // Nothing was claimed or enqueued by the refused request: the genuine one is the first to fan out.
        Assert.Equal(HttpStatusCode.Accepted, afterwards.Status);
        Assert.False(afterwards.Body!["duplicate"]!.GetValue<bool>());
        var item = Assert.Single(_queue.EventsFor(guild));
        Assert.Equal("9001", item.Payload["message_id"]!.GetValue<string>());
    }

    [Fact]
    public async Task Post_SecretUnset_Returns503()
    {
        await using var app = App(azurite, _cacheDir, secret: null);
        var response = await app.CreateClient().SendAsync(Signed(Body("1", "message_delete", new JsonObject { ["message_id"] = "1", ["channel_id"] = "2" })), TestContext.Current.CancellationToken);
        var body = JsonNode.Parse(await response.Content.ReadAsStringAsync(TestContext.Current.CancellationToken))!;

        Assert.Equal(HttpStatusCode.ServiceUnavailable, response.StatusCode);
        Assert.Contains(EventsOptions.SecretSetting, body["error"]!.GetValue<string>());
    }

    [Fact]
    public async Task Post_MalformedEvent_Returns400ListingEveryProblem()
    {
        var body = """{"id":"","guild_id":"abc","event":"message_created","payload":[],"occurred_at":"yesterday"}""";

        var (status, answer) = await SendAsync(Signed(body));

        Assert.Equal(HttpStatusCode.BadRequest, status);
        var errors = answer!["errors"]!.AsArray().Select(e => e!.GetValue<string>()).ToList();
        Assert.Equal(5, errors.Count);
        Assert.Contains(errors, e => e.Contains("\"id\""));
        Assert.Contains(errors, e => e.Contains("guild_id"));
        Assert.Contains(errors, e => e.Contains("message_created"));
        Assert.Contains(errors, e => e.Contains("payload"));
        Assert.Contains(errors, e => e.Contains("occurred_at"));
    }

    [Fact]
    public async Task Post_NobodyListens_Accepted0()
    {
        var guild = EventPlugins.NewGuild();
        var plugin = EventPlugins.NewId();
        await _plugins.PublishAsync(plugin, "1.0.0", new Dictionary<string, int?> { ["role_create"] = null });
        await _plugins.InstallAsync(guild, plugin, "1.0.0");

        var (status, body) = await SendAsync(Signed(Body(guild, "role_delete", new JsonObject { ["id"] = "5", ["name"] = null })));

        Assert.Equal(HttpStatusCode.Accepted, status);
        Assert.Equal(0, body!["fanned_out"]!.GetValue<int>());
        Assert.Empty(_queue.EventsFor(guild));
    }
}
