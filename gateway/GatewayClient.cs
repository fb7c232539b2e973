using System.Buffers;
using System.Net.WebSockets;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace Serverless.Gateway;

/// <summary>One dispatch (op 0) as received: its session, sequence number, event name and data.</summary>
public sealed record GatewayDispatch(string SessionId, long Sequence, string Type, JsonElement Data, DateTimeOffset ReceivedAt);

/// <summary>The identify budget <c>GET /gateway/bot</c> reports.</summary>
public sealed record SessionStartLimit(int Total, int Remaining, TimeSpan ResetAfter);

/// <summary>
/// Discord's gateway protocol for one shard: Hello (op 10), Identify (2) or Resume (6), Heartbeat (1) at the
/// announced interval with the first beat jittered, Heartbeat ACK (11) checked before every beat, Dispatch (0)
/// with sequence numbers, Reconnect (7), Invalid Session (9), and the close codes that forbid another try.
/// A connection that ends any other way is resumed at <c>resume_gateway_url</c> with the session id and the
/// last sequence, so Discord replays what was missed; replays already seen are not passed on twice.
/// </summary>
public sealed class GatewayClient
{
    private const int Dispatch = 0, Heartbeat = 1, Identify = 2, Resume = 6, Reconnect = 7, InvalidSession = 9, Hello = 10, HeartbeatAck = 11;

    // Close codes after which reconnecting cannot help (Discord's "Reconnect: false" column).
    private static readonly Dictionary<int, string> FatalCloseCodes = new()
    {
        [4004] = "authentication failed: DISCORD_BOT_TOKEN is not a valid bot token",
        [4010] = "invalid shard sent when identifying",
        [4011] = "sharding required: the bot is in too many guilds for one connection",
        [4012] = "invalid gateway API version",
        [4013] = "invalid intents: GATEWAY_INTENTS is not a valid intents value",
        [4014] = "disallowed intents: enable the privileged intents (Server Members, and Message Content if GATEWAY_MESSAGE_CONTENT=true) for the application in the Discord Developer Portal, or narrow GATEWAY_INTENTS",
    };

    private const int ResumeAttempts = 3;

    // Reconnectable, but the session is gone: identify afresh.
    private static readonly HashSet<int> SessionEndingCloseCodes = [4007, 4009];

    private readonly GatewayOptions _options;
    private readonly ILogger _logger;
    private readonly Action<GatewayDispatch> _onDispatch;

    // The session outlives connections: resuming needs all three.
    private string? _sessionId;
    private Uri? _resumeUrl;
    private long? _sequence;
    // _sequence as the heartbeat loop (another thread) reads it; -1 for none.
    private long _heartbeatSequence = -1;

    private DateTimeOffset? _lastIdentify;
    private int _identifiesLeft = int.MaxValue;
    private int _identifyTotal = int.MaxValue;
    private DateTimeOffset _identifyBudgetResetsAt;

    public GatewayClient(GatewayOptions options, ILogger<GatewayClient> logger, Action<GatewayDispatch> onDispatch)
    {
        _options = options;
        _logger = logger;
        _onDispatch = onDispatch;
    }

    /// <summary>Spend identifies within the budget Discord reported; wait for its reset when it is used up.</summary>
    public void UseSessionStartLimit(SessionStartLimit limit)
    {
        _identifyTotal = Math.Max(1, limit.Total);
        _identifiesLeft = limit.Remaining;
        _identifyBudgetResetsAt = DateTimeOffset.UtcNow + limit.ResetAfter;
    }

    /// <summary>Runs until cancelled; throws <see cref="GatewayException"/> when Discord forbids reconnecting.</summary>
    public async Task RunAsync(Uri gatewayUrl, CancellationToken cancellationToken)
    {
        var failures = 0;
        while (true)
        {
            var end = await ConnectOnceAsync(gatewayUrl, cancellationToken);
            if (end.Fatal is not null)
            {
                throw end.Fatal;
            }
            failures = end.Established ? 0 : failures + 1;
            // A session that cannot be resumed in a few tries (its resume host may be gone) is given up for a new one.
            if (!end.Resume || failures >= ResumeAttempts)
            {
                _sessionId = null;
                _resumeUrl = null;
                _sequence = null;
                Volatile.Write(ref _heartbeatSequence, -1);
            }
            var delay = end.Delay ?? (failures == 0 ? TimeSpan.Zero : Backoff(failures));
            _logger.LogWarning("Gateway connection ended: {Reason}; {Next} in {Delay}",
                end.Reason, _sessionId is null ? "identifying" : "resuming", GatewayOptions.Describe(delay));
            await Task.Delay(delay, cancellationToken);
        }
    }

    private TimeSpan Backoff(int failures)
    {
        var ceiling = Math.Min(_options.MaxReconnectDelay.Ticks, _options.ReconnectDelay.Ticks << Math.Min(failures - 1, 20));
        // Half fixed, half random, so many bridges cut off together do not come back together.
        return TimeSpan.FromTicks(ceiling / 2 + (long)(Random.Shared.NextDouble() * (ceiling / 2)));
    }

    private sealed record ConnectionEnd(string Reason, bool Resume, bool Established, TimeSpan? Delay = null, GatewayException? Fatal = null);

    private async Task<ConnectionEnd> ConnectOnceAsync(Uri gatewayUrl, CancellationToken cancellationToken)
    {
        var resuming = _sessionId is not null && _resumeUrl is not null;
        using var connection = new Connection(CancellationTokenSource.CreateLinkedTokenSource(cancellationToken));
        var buffer = new ArrayBufferWriter<byte>(16 * 1024);
        Task? heartbeats = null;
        var established = false;
        try
        {
            TimeSpan interval;
            using (var handshake = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken))
            {
                handshake.CancelAfter(_options.ConnectTimeout);
                await connection.Socket.ConnectAsync(WithVersion(resuming ? _resumeUrl! : gatewayUrl), handshake.Token);
                using var hello = await ReceiveAsync(connection.Socket, buffer, handshake.Token);
                if (hello is null)
                {
                    return await ClosedAsync(connection.Socket, established);
                }
                if (Op(hello.RootElement) != Hello
                    || !hello.RootElement.TryGetProperty("d", out var helloData)
                    || !helloData.TryGetProperty("heartbeat_interval", out var intervalValue)
                    || !intervalValue.TryGetDouble(out var milliseconds) || milliseconds <= 0)
                {
                    return new ConnectionEnd("the gateway's first message was not Hello (op 10) with a heartbeat_interval", Resume: true, established);
                }
                interval = TimeSpan.FromMilliseconds(milliseconds);
            }

            heartbeats = HeartbeatLoopAsync(connection, interval);
            if (resuming)
            {
                _logger.LogInformation("Resuming session {Session} at sequence {Sequence}", _sessionId, _sequence);
                await connection.SendAsync(Resume, new JsonObject { ["token"] = _options.BotToken, ["session_id"] = _sessionId, ["seq"] = _sequence });
            }
            else
            {
                await WaitToIdentifyAsync(cancellationToken);
                _sequence = null;
                Volatile.Write(ref _heartbeatSequence, -1);
                _logger.LogInformation("Identifying with intents {Intents} ({Value})", _options.Intents, (int)_options.Intents);
                await connection.SendAsync(Identify, new JsonObject
                {
                    ["token"] = _options.BotToken,
                    ["intents"] = (int)_options.Intents,
                    ["properties"] = new JsonObject { ["os"] = "linux", ["browser"] = "serverless-gateway", ["device"] = "serverless-gateway" },
                });
            }

            while (true)
            {
                using var message = await ReceiveAsync(connection.Socket, buffer, connection.Token);
                if (message is null)
                {
                    return await ClosedAsync(connection.Socket, established);
                }
                var root = message.RootElement;
                switch (Op(root))
                {
                    case Dispatch:
                        established |= OnDispatch(root);
                        break;
                    case Heartbeat:
                        // Discord may ask for a beat now; the regular schedule carries on.
                        await connection.SendAsync(Heartbeat, HeartbeatSequence());
                        break;
                    case Reconnect:
                        await connection.CloseAsync(resumable: true);
                        return new ConnectionEnd("Discord asked to reconnect (op 7)", Resume: true, Established: true);
                    case InvalidSession:
                        var resumable = root.TryGetProperty("d", out var d) && d.ValueKind == JsonValueKind.True;
                        await connection.CloseAsync(resumable);
                        var wait = _options.InvalidSessionDelayMin + (_options.InvalidSessionDelayMax - _options.InvalidSessionDelayMin) * Random.Shared.NextDouble();
                        return new ConnectionEnd($"invalid session (op 9, resumable: {resumable})", resumable, Established: true, Delay: wait);
                    case HeartbeatAck:
                        connection.AwaitingAck = false;
                        break;
                }
            }
        }
        catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
        {
            return new ConnectionEnd(connection.Zombie ? "no Heartbeat ACK since the last beat (zombied connection)" : "timed out connecting or waiting for Hello", Resume: true, established);
        }
        catch (Exception ex) when (ex is WebSocketException or IOException or HttpRequestException or JsonException)
        {
            return new ConnectionEnd(connection.Zombie ? "no Heartbeat ACK since the last beat (zombied connection)" : $"connection lost: {ex.Message}", Resume: true, established);
        }
        finally
        {
            await connection.StopAsync();
            if (heartbeats is not null)
            {
                await heartbeats;
            }
        }
    }

    /// <summary>True for READY and RESUMED: the connection works.</summary>
    private bool OnDispatch(JsonElement root)
    {
        var type = root.TryGetProperty("t", out var t) && t.ValueKind == JsonValueKind.String ? t.GetString()! : "";
        if (!root.TryGetProperty("s", out var s) || !s.TryGetInt64(out var sequence))
        {
            return false;
        }
        if (_sequence is { } last && sequence <= last)
        {
            // A resume replays from the sequence we sent; anything at or below it was already handled.
            _logger.LogDebug("Skipping replayed {Type} at sequence {Sequence}", type, sequence);
            return false;
        }
        _sequence = sequence;
        Volatile.Write(ref _heartbeatSequence, sequence);
        if (type == "RESUMED")
        {
            _logger.LogInformation("Resumed session {Session}", _sessionId);
            return true;
        }
        if (!root.TryGetProperty("d", out var data) || data.ValueKind != JsonValueKind.Object)
        {
            return false;
        }
        var established = false;
        if (type == "READY")
        {
            _sessionId = data.TryGetProperty("session_id", out var id) ? id.GetString() : null;
            _resumeUrl = data.TryGetProperty("resume_gateway_url", out var url) && Uri.TryCreate(url.GetString(), UriKind.Absolute, out var parsed) ? parsed : null;
            var guilds = data.TryGetProperty("guilds", out var list) && list.ValueKind == JsonValueKind.Array ? list.GetArrayLength() : 0;
            _logger.LogInformation("Ready: session {Session}, {Guilds} guilds", _sessionId, guilds);
            established = true;
        }
        if (_sessionId is not null)
        {
            try
            {
                _onDispatch(new GatewayDispatch(_sessionId, sequence, type, data, DateTimeOffset.UtcNow));
            }
            catch (Exception ex)
            {
                // One odd payload must not take the connection down with it.
                _logger.LogError(ex, "Handling {Type} at sequence {Sequence} failed", type, sequence);
            }
        }
        return established;
    }

    private async Task HeartbeatLoopAsync(Connection connection, TimeSpan interval)
    {
        try
        {
            // Discord asks for a random first delay so clients cut off together do not beat together.
            await Task.Delay(interval * Random.Shared.NextDouble(), connection.Token);
            while (true)
            {
                if (connection.AwaitingAck)
                {
                    connection.Zombie = true;
                    connection.Abort();
                    return;
                }
                connection.AwaitingAck = true;
                await connection.SendAsync(Heartbeat, HeartbeatSequence());
                await Task.Delay(interval, connection.Token);
            }
        }
        catch (Exception ex) when (ex is OperationCanceledException or WebSocketException or IOException or ObjectDisposedException)
        {
            // The connection is ending; the read loop reports why.
        }
    }

    private JsonNode? HeartbeatSequence() => Volatile.Read(ref _heartbeatSequence) is var sequence and >= 0 ? JsonValue.Create(sequence) : null;

    private async Task WaitToIdentifyAsync(CancellationToken cancellationToken)
    {
        var now = DateTimeOffset.UtcNow;
        if (_lastIdentify is { } last && now - last < _options.IdentifyInterval)
        {
            await Task.Delay(last + _options.IdentifyInterval - now, cancellationToken);
        }
        if (_identifiesLeft <= 0)
        {
            var wait = _identifyBudgetResetsAt - DateTimeOffset.UtcNow;
            if (wait > TimeSpan.Zero)
            {
                _logger.LogWarning("Identify budget used up; waiting {Delay} for Discord to reset it", GatewayOptions.Describe(wait));
                await Task.Delay(wait, cancellationToken);
            }
            _identifiesLeft = _identifyTotal;
            _identifyBudgetResetsAt = DateTimeOffset.UtcNow + TimeSpan.FromDays(1);
        }
        _identifiesLeft--;
        _lastIdentify = DateTimeOffset.UtcNow;
    }

    private async Task<ConnectionEnd> ClosedAsync(ClientWebSocket socket, bool established)
    {
        var code = socket.CloseStatus is { } status ? (int)status : 1006;
        var description = socket.CloseStatusDescription;
        try
        {
            // Complete the closing handshake; it does not matter if the peer is already gone.
            using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(1));
            await socket.CloseOutputAsync(WebSocketCloseStatus.NormalClosure, null, timeout.Token);
        }
        catch (Exception ex) when (ex is WebSocketException or OperationCanceledException or IOException)
        {
        }
        var reason = $"closed with {code}{(string.IsNullOrEmpty(description) ? "" : $" ({description})")}";
        if (FatalCloseCodes.TryGetValue(code, out var why))
        {
            return new ConnectionEnd(reason, Resume: false, established,
                Fatal: new GatewayException($"Discord closed the gateway with {code}, {why}. Not reconnecting.", code));
        }
        return new ConnectionEnd(reason, Resume: !SessionEndingCloseCodes.Contains(code), established);
    }

    private static int Op(JsonElement root) =>
        root.TryGetProperty("op", out var op) && op.TryGetInt32(out var value) ? value : -1;

    /// <summary>Null when the peer sent a close frame.</summary>
    private static async Task<JsonDocument?> ReceiveAsync(ClientWebSocket socket, ArrayBufferWriter<byte> buffer, CancellationToken cancellationToken)
    {
        buffer.ResetWrittenCount();
        while (true)
        {
            var result = await socket.ReceiveAsync(buffer.GetMemory(16 * 1024), cancellationToken);
            if (result.MessageType == WebSocketMessageType.Close)
            {
                return null;
            }
            buffer.Advance(result.Count);
            if (result.EndOfMessage)
            {
                return JsonDocument.Parse(buffer.WrittenMemory);
            }
        }
    }

    /// <summary>Discord's URLs come bare; the version and encoding go in the query.</summary>
    internal static Uri WithVersion(Uri url)
    {
        if (url.Query.Contains("v=", StringComparison.Ordinal))
        {
            return url;
        }
        var builder = new UriBuilder(url);
        var query = builder.Query.TrimStart('?');
        builder.Query = (query.Length > 0 ? query + "&" : "") + "v=10&encoding=json";
        return builder.Uri;
    }

    /// <summary>One WebSocket with its own cancellation, serialized sends and heartbeat state.</summary>
    private sealed class Connection(CancellationTokenSource lifetime) : IDisposable
    {
        private readonly SemaphoreSlim _sending = new(1, 1);
        private volatile bool _awaitingAck;
        private volatile bool _zombie;

        public ClientWebSocket Socket { get; } = new();

        public CancellationToken Token => lifetime.Token;

        public bool AwaitingAck { get => _awaitingAck; set => _awaitingAck = value; }

        public bool Zombie { get => _zombie; set => _zombie = value; }

        public async Task SendAsync(int op, JsonNode? data)
        {
            var bytes = JsonSerializer.SerializeToUtf8Bytes(new JsonObject { ["op"] = op, ["d"] = data });
            await _sending.WaitAsync(Token);
            try
            {
                await Socket.SendAsync(bytes, WebSocketMessageType.Text, endOfMessage: true, Token);
            }
            finally
            {
                _sending.Release();
            }
        }

        /// <summary>
        /// Closing with 1000 ends the session at Discord; any other code keeps it resumable.
        /// </summary>
        public async Task CloseAsync(bool resumable)
        {
            try
            {
                using var timeout = CancellationTokenSource.CreateLinkedTokenSource(Token);
                timeout.CancelAfter(TimeSpan.FromSeconds(1));
                await Socket.CloseOutputAsync(resumable ? (WebSocketCloseStatus)4000 : WebSocketCloseStatus.NormalClosure, "reconnecting", timeout.Token);
            }
            catch (Exception ex) when (ex is WebSocketException or OperationCanceledException or IOException)
            {
            }
        }

        /// <summary>Drops the connection without a close frame (a zombied connection would never answer one).</summary>
        public void Abort()
        {
            lifetime.Cancel();
            Socket.Abort();
        }

        public async Task StopAsync()
        {
            await lifetime.CancelAsync();
        }

        public void Dispose()
        {
            Socket.Dispose();
            lifetime.Dispose();
            _sending.Dispose();
        }
    }
}
