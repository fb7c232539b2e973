using System.Net;
using System.Net.Http.Headers;
using System.Text.Json;
using System.Text.Json.Nodes;
using System.Threading.Channels;

namespace Serverless.Gateway;

/// <summary>One event as delivered: its id and the exact JSON body that is signed and posted.</summary>
public sealed record OutgoingEvent(string Id, string Name, byte[] Body)
{
    public static OutgoingEvent Create(string id, MappedEvent mapped, DateTimeOffset occurredAt)
    {
        var envelope = new JsonObject
        {
            ["id"] = id,
            ["guild_id"] = mapped.GuildId,
            ["event"] = mapped.Name,
            ["payload"] = mapped.Payload,
            ["occurred_at"] = occurredAt.UtcDateTime.ToString("yyyy-MM-dd'T'HH:mm:ss.fff'Z'", System.Globalization.CultureInfo.InvariantCulture),
        };
        return new OutgoingEvent(id, mapped.Name, JsonSerializer.SerializeToUtf8Bytes(envelope));
    }
}

/// <summary>
/// Posts events to <c>/api/events</c> one at a time, in gateway order. The gateway keeps reading while a
/// delivery waits: events queue in a bounded buffer that drops its oldest entry when full, so a slow or
/// failing endpoint costs events, never unbounded memory. 5xx, 408, 429 and timeouts are retried with
/// backoff; any other 4xx means the request itself is wrong and is not.
/// </summary>
public sealed class EventSender
{
    private static readonly TimeSpan MaxBackoff = TimeSpan.FromSeconds(30);

    private readonly HttpClient _http;
    private readonly GatewayOptions _options;
    private readonly ILogger _logger;
    private readonly Channel<OutgoingEvent> _buffer;
    private long _dropped;
    private long _droppedUnreported;
    private long _delivered;

    public EventSender(HttpClient http, GatewayOptions options, ILogger<EventSender> logger)
    {
        _http = http;
        _options = options;
        _logger = logger;
        _buffer = Channel.CreateBounded<OutgoingEvent>(
            new BoundedChannelOptions(options.BufferCapacity) { FullMode = BoundedChannelFullMode.DropOldest, SingleReader = true },
            _ =>
            {
                Interlocked.Increment(ref _dropped);
                Interlocked.Increment(ref _droppedUnreported);
            });
    }

    /// <summary>Events dropped because the buffer was full.</summary>
    public long Dropped => Interlocked.Read(ref _dropped);

    public long Delivered => Interlocked.Read(ref _delivered);

    /// <summary>Queues an event; never blocks the gateway's read loop.</summary>
    public void Enqueue(OutgoingEvent outgoing) => _buffer.Writer.TryWrite(outgoing);

    public async Task RunAsync(CancellationToken cancellationToken)
    {
        await foreach (var outgoing in _buffer.Reader.ReadAllAsync(cancellationToken))
        {
            ReportDrops();
            try
            {
                await DeliverAsync(outgoing, cancellationToken);
            }
            catch (Exception ex) when (ex is not OperationCanceledException)
            {
                // Whatever went wrong with this event, the ones behind it still deserve delivery.
                _logger.LogError(ex, "Event {Id} ({Event}) dropped: delivery failed unexpectedly", outgoing.Id, outgoing.Name);
            }
        }
    }

    /// <summary>True when the endpoint accepted the event.</summary>
    internal async Task<bool> DeliverAsync(OutgoingEvent outgoing, CancellationToken cancellationToken)
    {
        for (var attempt = 1; ; attempt++)
        {
            var (retry, reason, retryAfter) = await TryOnceAsync(outgoing, cancellationToken);
            if (reason is null)
            {
                Interlocked.Increment(ref _delivered);
                return true;
            }
            if (!retry)
            {
                _logger.LogError("Event {Id} ({Event}) refused by the events endpoint, not retried: {Reason}", outgoing.Id, outgoing.Name, reason);
                return false;
            }
            if (attempt >= _options.DeliveryAttempts)
            {
                _logger.LogError("Event {Id} ({Event}) dropped after {Attempts} attempts: {Reason}", outgoing.Id, outgoing.Name, attempt, reason);
                return false;
            }
            var backoff = retryAfter ?? TimeSpan.FromTicks(Math.Min(MaxBackoff.Ticks, _options.DeliveryBackoff.Ticks << Math.Min(attempt - 1, 20)));
            _logger.LogWarning("Event {Id} ({Event}) attempt {Attempt} failed ({Reason}); retrying in {Backoff}", outgoing.Id, outgoing.Name, attempt, reason, GatewayOptions.Describe(backoff));
            await Task.Delay(backoff, cancellationToken);
        }
    }

    private async Task<(bool Retry, string? Reason, TimeSpan? RetryAfter)> TryOnceAsync(OutgoingEvent outgoing, CancellationToken cancellationToken)
    {
        // Signed per attempt: a retry minutes later still falls inside the receiver's window.
        var timestamp = DateTimeOffset.UtcNow.ToUnixTimeSeconds();
        using var request = new HttpRequestMessage(HttpMethod.Post, _options.EventsEndpoint)
        {
            Content = new ByteArrayContent(outgoing.Body) { Headers = { ContentType = new MediaTypeHeaderValue("application/json") } },
        };
        request.Headers.Add(EventSignature.TimestampHeader, timestamp.ToString(System.Globalization.CultureInfo.InvariantCulture));
        request.Headers.Add(EventSignature.SignatureHeader, EventSignature.Sign(_options.EventsSecret, timestamp, outgoing.Body));

        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        timeout.CancelAfter(_options.DeliveryTimeout);
        try
        {
            using var response = await _http.SendAsync(request, HttpCompletionOption.ResponseHeadersRead, timeout.Token);
            var status = (int)response.StatusCode;
            if (response.IsSuccessStatusCode)
            {
                return (false, null, null);
            }
            var retry = status >= 500 || response.StatusCode is HttpStatusCode.RequestTimeout or HttpStatusCode.TooManyRequests;
            var retryAfter = response.Headers.RetryAfter?.Delta is { } delta && delta <= MaxBackoff ? delta : (TimeSpan?)null;
            return (retry, $"HTTP {status}", retry ? retryAfter : null);
        }
        catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
        {
            return (true, $"no answer within {GatewayOptions.Describe(_options.DeliveryTimeout)}", null);
        }
        catch (HttpRequestException ex)
        {
            return (true, ex.Message, null);
        }
    }

    private void ReportDrops()
    {
        var dropped = Interlocked.Exchange(ref _droppedUnreported, 0);
        if (dropped > 0)
        {
            _logger.LogWarning("Dropped {Count} events (oldest first) because the events endpoint fell {Capacity} events behind; {Total} dropped since start",
                dropped, _options.BufferCapacity, Dropped);
        }
    }
}
