using System.Text.Json.Nodes;
using Microsoft.Extensions.Logging;
using Serverless.Gateway;

namespace Serverless.Tests.Gateway;

public sealed class EventSenderTests : IAsyncLifetime
{
    private readonly RecordingLogger _log = new();
    private readonly HttpClient _http = new();
    private FakeEventsEndpoint _events = null!;

    public async ValueTask InitializeAsync() => _events = await FakeEventsEndpoint.StartAsync();

    public async ValueTask DisposeAsync()
    {
        await _events.DisposeAsync();
        _http.Dispose();
    }

    private EventSender Sender(int capacity = 100, int attempts = 5, Uri? endpoint = null, TimeSpan? timeout = null) =>
        new(_http, new GatewayOptions
        {
            BotToken = "unused",
            Intents = GatewayIntents.Guilds,
            EventsEndpoint = endpoint ?? _events.Url,
            EventsSecret = FakeEventsEndpoint.Secret,
            BufferCapacity = capacity,
            DeliveryAttempts = attempts,
            DeliveryBackoff = TimeSpan.FromMilliseconds(10),
            DeliveryTimeout = timeout ?? TimeSpan.FromSeconds(2),
        }, _log.Factory.CreateLogger<EventSender>());

    private static OutgoingEvent Event(string id) =>
        OutgoingEvent.Create(id, new MappedEvent("1", "role_create", new JsonObject { ["id"] = "2", ["name"] = "mods" }), DateTimeOffset.UtcNow);

    [Fact]
    public async Task DeliverAsync_ServerErrorThenOk_DeliveredOnceAfterRetry()
    {
        _events.Respond(500, 200);
        var sender = Sender();

        var delivered = await sender.DeliverAsync(Event("s:1"), TestContext.Current.CancellationToken);

        Assert.True(delivered);
        Assert.Equal([500, 200], _events.Requests.Select(r => r.Status));
        var accepted = Assert.Single(_events.Accepted);
        Assert.Equal("s:1", accepted.Id);
        Assert.Equal(EventSignatureVerdict.Valid, accepted.Verify());
        Assert.Equal(1, sender.Delivered);
    }

    [Theory]
    [InlineData(400)]
    [InlineData(401)]
    [InlineData(404)]
    public async Task DeliverAsync_ClientError_NotRetried(int status)
    {
        _events.Respond(status, 200);

        var delivered = await Sender().DeliverAsync(Event("s:1"), TestContext.Current.CancellationToken);

        Assert.False(delivered);
        Assert.Equal([status], _events.Requests.Select(r => r.Status));
    }

    [Fact]
    public async Task DeliverAsync_ServerKeepsFailing_GivesUpAfterAttempts()
    {
        _events.Respond(503, 503, 503, 503);

        var delivered = await Sender(attempts: 3).DeliverAsync(Event("s:1"), TestContext.Current.CancellationToken);

        Assert.False(delivered);
        Assert.Equal(3, _events.Requests.Count);
        Assert.Contains(_log.Lines, l => l.Level == LogLevel.Error && l.Message.Contains("after 3 attempts", StringComparison.Ordinal));
    }

    [Fact]
    public async Task DeliverAsync_EndpointUnreachable_RetriesThenGivesUp()
    {
        var closed = new Uri($"http://127.0.0.1:{Infrastructure.FreePorts.Next()}/api/events");

        var delivered = await Sender(attempts: 2, endpoint: closed).DeliverAsync(Event("s:1"), TestContext.Current.CancellationToken);

        Assert.False(delivered);
        Assert.Equal(2, _log.Lines.Count(l => l.Level >= LogLevel.Warning && l.Message.Contains("s:1", StringComparison.Ordinal)));
    }

    [Fact]
    public async Task RunAsync_BufferOverflows_DropsOldestAndLogsCount()
    {
        var sender = Sender(capacity: 3);
        for (var i = 1; i <= 5; i++)
        {
            sender.Enqueue(Event($"s:{i}"));
        }
        using var stop = CancellationTokenSource.CreateLinkedTokenSource(TestContext.Current.CancellationToken);
        var run = sender.RunAsync(stop.Token);

        await _events.WaitForRequestsAsync(3);
        await Task.Delay(100, TestContext.Current.CancellationToken);
        await stop.CancelAsync();
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => run);

        Assert.Equal(["s:3", "s:4", "s:5"], _events.Requests.Select(r => r.Id));
        Assert.Equal(2, sender.Dropped);
        Assert.Contains(_log.Lines, l => l.Level == LogLevel.Warning && l.Message.StartsWith("Dropped 2 events", StringComparison.Ordinal));
    }

    [Fact]
    public void Create_Envelope_HasContractFieldsInOrder()
    {
        var at = new DateTimeOffset(2026, 11, 21, 10, 30, 0, 123, TimeSpan.Zero);

        var outgoing = OutgoingEvent.Create("s:9", new MappedEvent("42", "role_delete", new JsonObject { ["id"] = "7", ["name"] = null }), at);

        Assert.Equal("""{"id":"s:9","guild_id":"42","event":"role_delete","payload":{"id":"7","name":null},"occurred_at":"2026-11-21T10:30:00.123Z"}""",
            System.Text.Encoding.UTF8.GetString(outgoing.Body));
    }
}
