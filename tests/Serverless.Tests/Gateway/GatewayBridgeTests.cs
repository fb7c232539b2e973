using System.Text.Json.Nodes;
using Serverless.Gateway;

namespace Serverless.Tests.Gateway;

/// <summary>
/// The bridge against a fake Discord gateway and a fake /api/events, both on loopback, with the
/// protocol's timings shrunk so every scenario takes well under a few seconds.
/// </summary>
public sealed class GatewayBridgeTests : IAsyncLifetime
{
    private const string GuildId = "81384788765712384";
    private static readonly TimeSpan Patience = TimeSpan.FromSeconds(5);

    private readonly RecordingLogger _log = new();
    private readonly CancellationTokenSource _stop = new();
    private readonly HttpClient _http = new();
    private FakeGateway _gateway = null!;
    private FakeEventsEndpoint _events = null!;
    private Task? _run;

    public async ValueTask InitializeAsync()
    {
        _gateway = await FakeGateway.StartAsync();
        _events = await FakeEventsEndpoint.StartAsync();
    }

    public async ValueTask DisposeAsync()
    {
        await _stop.CancelAsync();
        if (_run is not null)
        {
            try
            {
                await _run;
            }
            catch (Exception ex) when (ex is OperationCanceledException or GatewayException)
            {
            }
        }
        await _gateway.DisposeAsync();
        await _events.DisposeAsync();
        _http.Dispose();
        _stop.Dispose();
    }

    private GatewayOptions Options() => new()
    {
        BotToken = FakeGateway.Token,
        GatewayUrl = _gateway.Url,
        Intents = EventMap.RequiredIntents(messageContent: false),
        EventsEndpoint = _events.Url,
        EventsSecret = FakeEventsEndpoint.Secret,
        IdentifyInterval = TimeSpan.Zero,
        InvalidSessionDelayMin = TimeSpan.FromMilliseconds(10),
        InvalidSessionDelayMax = TimeSpan.FromMilliseconds(20),
        ReconnectDelay = TimeSpan.FromMilliseconds(10),
        MaxReconnectDelay = TimeSpan.FromMilliseconds(100),
        ConnectTimeout = TimeSpan.FromSeconds(3),
        DeliveryBackoff = TimeSpan.FromMilliseconds(10),
        DeliveryTimeout = TimeSpan.FromSeconds(2),
    };

    private GatewayBridge Start(GatewayOptions? options = null)
    {
        var bridge = new GatewayBridge(options ?? Options(), _http, _log.Factory);
        _run = bridge.RunAsync(_stop.Token);
        return bridge;
    }

    /// <summary>Hello, expect Identify, then READY naming the fake's resume URL.</summary>
    private async Task<FakeGatewayConnection> IdentifiedAsync(string sessionId = "session-1", int heartbeatMs = 600_000)
    {
        var connection = await _gateway.NextConnectionAsync();
        await connection.HelloAsync(heartbeatMs);
        var identify = await connection.ReceiveAsync();
        Assert.Equal(2, identify["op"]!.GetValue<int>());
        await connection.ReadyAsync(sessionId, 1, _gateway.ResumeUrl);
        return connection;
    }

    /// <summary>Asks for a heartbeat and waits for it: everything sent before has been read by then.</summary>
    private static async Task ProcessedSoFarAsync(FakeGatewayConnection connection)
    {
        var before = connection.Heartbeats.Count;
        await connection.OpAsync(1);
        var deadline = DateTime.UtcNow + Patience;
        while (connection.Heartbeats.Count == before)
        {
            Assert.True(DateTime.UtcNow < deadline, "the client never answered a heartbeat request");
            await Task.Delay(10);
        }
    }

    private static JsonObject Message(string id, string content, string? guildId = GuildId) => new()
    {
        ["id"] = id,
        ["channel_id"] = "41771983423143937",
        ["guild_id"] = guildId,
        ["author"] = new JsonObject { ["id"] = "80351110224678912", ["username"] = "Nelly", ["discriminator"] = "0", ["avatar"] = null },
        ["member"] = new JsonObject { ["roles"] = new JsonArray(), ["joined_at"] = "2015-04-26T06:26:56.936000+00:00" },
        ["content"] = content,
        ["timestamp"] = "2017-07-11T17:27:07.299000+00:00",
        ["edited_timestamp"] = null,
        ["tts"] = false,
        ["mention_everyone"] = false,
        ["mentions"] = new JsonArray(),
        ["attachments"] = new JsonArray(),
        ["embeds"] = new JsonArray(),
        ["pinned"] = false,
        ["type"] = 0,
    };

    [Fact]
    public async Task RunAsync_Hello_IdentifiesWithTokenAndIntents()
    {
        Start();
        var connection = await _gateway.NextConnectionAsync();
        await connection.HelloAsync();

        var identify = await connection.ReceiveAsync();

        Assert.Equal(2, identify["op"]!.GetValue<int>());
        Assert.Equal(FakeGateway.Token, identify["d"]!["token"]!.GetValue<string>());
        // GUILDS | GUILD_MEMBERS | GUILD_VOICE_STATES | GUILD_MESSAGES | GUILD_MESSAGE_REACTIONS
        Assert.Equal(1 | 2 | 128 | 512 | 1024, identify["d"]!["intents"]!.GetValue<int>());
        Assert.NotNull(identify["d"]!["properties"]!["os"]);
        Assert.Contains("v=10", connection.Query);
        Assert.Contains("encoding=json", connection.Query);
    }

    [Fact]
    public async Task RunAsync_HeartbeatInterval_BeatsAtIntervalWithLastSequenceAndStaysOnAcks()
    {
        Start();
        var connection = await IdentifiedAsync(heartbeatMs: 150);
        var helloAt = DateTimeOffset.UtcNow;
        await connection.DispatchAsync("GUILD_CREATE", 2, new JsonObject { ["id"] = GuildId, ["name"] = "g", ["roles"] = new JsonArray() });

        var deadline = DateTime.UtcNow + Patience;
        while (connection.Heartbeats.Count < 5 && DateTime.UtcNow < deadline)
        {
            await Task.Delay(50, TestContext.Current.CancellationToken);
        }

        var beats = connection.Heartbeats;
        Assert.True(beats.Count >= 5, $"only {beats.Count} heartbeats");
        // The first beat is jittered within one interval; after that one beat per interval.
        Assert.InRange((beats[0].At - helloAt).TotalMilliseconds, -50, 150 + 150);
        // Arrival times wobble on a busy machine (a late beat makes the next gap short), so judge the average.
        var meanGap = (beats[^1].At - beats[0].At).TotalMilliseconds / (beats.Count - 1);
        Assert.InRange(meanGap, 130, 300);
        Assert.Equal(2, beats[^1].Sequence);
        Assert.Equal(1, _gateway.ConnectionCount);
    }

    [Fact]
    public async Task RunAsync_ReadyThenMessageCreate_PostsOneSignedMappedEvent()
    {
        Start();
        var connection = await IdentifiedAsync("session-abc");
        // A direct message has no guild: no install can want it.
        await connection.DispatchAsync("MESSAGE_CREATE", 2, Message("334385199974967041", "in a DM", guildId: null));
        await connection.DispatchAsync("MESSAGE_CREATE", 3, Message("334385199974967042", "hi"));

        var request = Assert.Single(await _events.WaitForRequestsAsync(1));
        await Task.Delay(200, TestContext.Current.CancellationToken);

        Assert.Single(_events.Requests);
        Assert.Equal(EventSignatureVerdict.Valid, request.Verify());
        Assert.Equal(EventSignatureVerdict.BadSignature, request.Verify("another-secret-0123456789"));
        Assert.Equal("application/json", request.ContentType);
        var envelope = request.Json.AsObject();
        Assert.Equal(["id", "guild_id", "event", "payload", "occurred_at"], envelope.Select(p => p.Key));
        Assert.Equal("session-abc:3", envelope["id"]!.GetValue<string>());
        Assert.Equal(GuildId, envelope["guild_id"]!.GetValue<string>());
        Assert.Equal("message_create", envelope["event"]!.GetValue<string>());
        Assert.True(DateTimeOffset.TryParse(envelope["occurred_at"]!.GetValue<string>(), out var occurredAt));
        Assert.InRange(occurredAt, DateTimeOffset.UtcNow.AddMinutes(-1), DateTimeOffset.UtcNow);
        Assert.True(JsonNode.DeepEquals(new JsonObject
        {
            ["message_id"] = "334385199974967042",
            ["channel_id"] = "41771983423143937",
            ["author_id"] = "80351110224678912",
            ["author_bot"] = false,
            ["content"] = "hi",
            ["timestamp"] = "2017-07-11T17:27:07.299000+00:00",
        }, envelope["payload"]), envelope["payload"]!.ToJsonString());
    }

    [Fact]
    public async Task RunAsync_ConnectionDropped_ResumesAtResumeUrlAndDeliversReplayedEventsOnce()
    {
        Start();
        var first = await IdentifiedAsync("session-r");
        await first.DispatchAsync("MESSAGE_CREATE", 2, Message("m1", "one"));
        await _events.WaitForRequestsAsync(1);

        first.Drop();
        var second = await _gateway.NextConnectionAsync();
        await second.HelloAsync();
        var resume = await second.ReceiveAsync();

        Assert.Equal("/resume", second.Path);
        Assert.Equal(6, resume["op"]!.GetValue<int>());
        Assert.Equal(FakeGateway.Token, resume["d"]!["token"]!.GetValue<string>());
        Assert.Equal("session-r", resume["d"]!["session_id"]!.GetValue<string>());
        Assert.Equal(2, resume["d"]!["seq"]!.GetValue<long>());

        // Discord replays what the client missed; the fake also repeats one it already had.
        await second.DispatchAsync("MESSAGE_CREATE", 2, Message("m1", "one"));
        await second.DispatchAsync("MESSAGE_CREATE", 3, Message("m2", "two"));
        await second.DispatchAsync("MESSAGE_CREATE", 4, Message("m3", "three"));
        await second.DispatchAsync("RESUMED", 5, new JsonObject());

        await _events.WaitForRequestsAsync(3);
        await Task.Delay(200, TestContext.Current.CancellationToken);
        Assert.Equal(["session-r:2", "session-r:3", "session-r:4"], _events.Requests.Select(r => r.Id));
        Assert.Equal(["m1", "m2", "m3"], _events.Requests.Select(r => r.Json["payload"]!["message_id"]!.GetValue<string>()));
    }

    [Fact]
    public async Task RunAsync_ReconnectOpcode_ClosesResumablyAndResumes()
    {
        Start();
        var first = await IdentifiedAsync("session-7");
        await first.DispatchAsync("GUILD_CREATE", 2, new JsonObject { ["id"] = GuildId, ["roles"] = new JsonArray() });

        await first.OpAsync(7);
        var second = await _gateway.NextConnectionAsync();
        await second.HelloAsync();
        var resume = await second.ReceiveAsync();

        await first.Ended.WaitAsync(Patience);
        Assert.NotEqual(1000, first.ClientCloseCode);
        Assert.Equal("/resume", second.Path);
        Assert.Equal(6, resume["op"]!.GetValue<int>());
        Assert.Equal("session-7", resume["d"]!["session_id"]!.GetValue<string>());
        Assert.Equal(2, resume["d"]!["seq"]!.GetValue<long>());
    }

    [Fact]
    public async Task RunAsync_InvalidSessionNotResumable_IdentifiesAfreshAtGatewayUrl()
    {
        Start();
        var first = await IdentifiedAsync("session-9");

        await first.OpAsync(9, JsonValue.Create(false));
        var second = await _gateway.NextConnectionAsync();
        await second.HelloAsync();
        var identify = await second.ReceiveAsync();

        Assert.Equal("/", second.Path);
        Assert.Equal(2, identify["op"]!.GetValue<int>());
        Assert.Equal(FakeGateway.Token, identify["d"]!["token"]!.GetValue<string>());
    }

    [Fact]
    public async Task RunAsync_InvalidSessionResumable_Resumes()
    {
        Start();
        var first = await IdentifiedAsync("session-9r");

        await first.OpAsync(9, JsonValue.Create(true));
        var second = await _gateway.NextConnectionAsync();
        await second.HelloAsync();
        var resume = await second.ReceiveAsync();

        Assert.Equal(6, resume["op"]!.GetValue<int>());
        Assert.Equal("session-9r", resume["d"]!["session_id"]!.GetValue<string>());
    }

    [Fact]
    public async Task RunAsync_NoHeartbeatAck_DropsZombieAndResumes()
    {
        Start();
        var first = await _gateway.NextConnectionAsync();
        first.AutoAck = false;
        await first.HelloAsync(100);
        await first.ReceiveAsync();
        await first.ReadyAsync("session-z", 1, _gateway.ResumeUrl);

        var second = await _gateway.NextConnectionAsync();
        await second.HelloAsync();
        var resume = await second.ReceiveAsync();

        Assert.Single(first.Heartbeats);
        Assert.Equal(6, resume["op"]!.GetValue<int>());
        Assert.Equal("session-z", resume["d"]!["session_id"]!.GetValue<string>());
        Assert.Contains(_log.Lines, l => l.Message.Contains("zombied", StringComparison.Ordinal));
    }

    [Theory]
    [InlineData(4004, "DISCORD_BOT_TOKEN")]
    [InlineData(4014, "privileged intents")]
    public async Task RunAsync_CloseCodeForbidsReconnect_ThrowsClearErrorWithoutReconnecting(int code, string hint)
    {
        Start();
        var connection = await _gateway.NextConnectionAsync();
        await connection.HelloAsync();
        await connection.ReceiveAsync();

        await connection.CloseAsync(code, "nope");

        var error = await Assert.ThrowsAsync<GatewayException>(() => _run!.WaitAsync(Patience));
        Assert.Equal(code, error.CloseCode);
        Assert.Contains(hint, error.Message, StringComparison.Ordinal);
        Assert.True(await _gateway.NoConnectionWithinAsync(TimeSpan.FromMilliseconds(300)));
        Assert.Equal(1, _gateway.ConnectionCount);
    }

    [Theory]
    [InlineData(4009)]
    [InlineData(4007)]
    public async Task RunAsync_CloseCodeEndsSession_IdentifiesAfresh(int code)
    {
        Start();
        var first = await IdentifiedAsync("session-old");

        await first.CloseAsync(code, "session gone");
        var second = await _gateway.NextConnectionAsync();
        await second.HelloAsync();
        var identify = await second.ReceiveAsync();

        Assert.Equal("/", second.Path);
        Assert.Equal(2, identify["op"]!.GetValue<int>());
    }

    [Fact]
    public async Task RunAsync_ServerCloseWithOtherCode_Resumes()
    {
        Start();
        var first = await IdentifiedAsync("session-4000");

        await first.CloseAsync(4000, "unknown error");
        var second = await _gateway.NextConnectionAsync();
        await second.HelloAsync();
        var resume = await second.ReceiveAsync();

        Assert.Equal(6, resume["op"]!.GetValue<int>());
    }

    [Fact]
    public async Task RunAsync_HeartbeatRequested_BeatsAtOnce()
    {
        Start();
        var connection = await IdentifiedAsync();

        await connection.OpAsync(1);
        var deadline = DateTime.UtcNow + Patience;
        while (connection.Heartbeats.Count == 0 && DateTime.UtcNow < deadline)
        {
            await Task.Delay(20, TestContext.Current.CancellationToken);
        }

        Assert.Single(connection.Heartbeats);
        Assert.Equal(1, connection.Heartbeats[0].Sequence);
    }

    [Fact]
    public async Task RunAsync_NoGatewayUrl_AsksGatewayBotAndConnectsThere()
    {
        Start(Options() with { GatewayUrl = null, ApiBaseUrl = new Uri(_gateway.HttpBase, "/api/v10") });

        var connection = await _gateway.NextConnectionAsync();
        await connection.HelloAsync();
        var identify = await connection.ReceiveAsync();

        Assert.Equal(2, identify["op"]!.GetValue<int>());
        Assert.Contains("v=10", connection.Query);
    }

    [Fact]
    public async Task RunAsync_GatewayBotRefusesToken_ThrowsWithoutConnecting()
    {
        _gateway.GatewayBotStatus = 401;
        Start(Options() with { GatewayUrl = null, ApiBaseUrl = new Uri(_gateway.HttpBase, "/api/v10") });

        var error = await Assert.ThrowsAsync<GatewayException>(() => _run!.WaitAsync(Patience));

        Assert.Contains("DISCORD_BOT_TOKEN", error.Message, StringComparison.Ordinal);
        Assert.Equal(0, _gateway.ConnectionCount);
    }

    [Fact]
    public async Task RunAsync_IdentifyBudgetUsedUp_WaitsForReset()
    {
        var bridge = new GatewayBridge(Options(), _http, _log.Factory);
        // The reset counts from here, not from the hello: connecting may take a good part of it on a loaded machine.
        var limitSetAt = DateTimeOffset.UtcNow;
        bridge.Client.UseSessionStartLimit(new SessionStartLimit(Total: 1000, Remaining: 0, ResetAfter: TimeSpan.FromMilliseconds(400)));
        _run = bridge.RunAsync(_stop.Token);

        var connection = await _gateway.NextConnectionAsync();
        await connection.HelloAsync();
        var identify = await connection.ReceiveAsync();

        Assert.Equal(2, identify["op"]!.GetValue<int>());
        Assert.True(DateTimeOffset.UtcNow - limitSetAt >= TimeSpan.FromMilliseconds(380), "identified before the budget reset");
    }

    [Fact]
    public async Task RunAsync_IdentifyAgainSoon_KeepsIdentifyInterval()
    {
        Start(Options() with { IdentifyInterval = TimeSpan.FromMilliseconds(500) });
        var first = await IdentifiedAsync("session-a");
        var firstIdentifyAt = DateTimeOffset.UtcNow;

        await first.OpAsync(9, JsonValue.Create(false));
        var second = await _gateway.NextConnectionAsync();
        await second.HelloAsync();
        var identify = await second.ReceiveAsync();

        Assert.Equal(2, identify["op"]!.GetValue<int>());
        Assert.True(DateTimeOffset.UtcNow - firstIdentifyAt >= TimeSpan.FromMilliseconds(400), "identified again within the identify interval");
    }

    [Fact]
    public async Task RunAsync_ResumeKeepsFailing_IdentifiesAfreshAtGatewayUrl()
    {
        Start();
        var first = await IdentifiedAsync("session-lost");
        await ProcessedSoFarAsync(first);

        first.Drop();
        // Resume attempts that never get a Hello (the resume host is broken) count as failures.
        for (var attempt = 0; attempt < 3; attempt++)
        {
            var resume = await _gateway.NextConnectionAsync();
            Assert.Equal("/resume", resume.Path);
            resume.Drop();
        }
        var fresh = await _gateway.NextConnectionAsync();
        await fresh.HelloAsync();
        var identify = await fresh.ReceiveAsync();

        Assert.Equal("/", fresh.Path);
        Assert.Equal(2, identify["op"]!.GetValue<int>());
    }
}
