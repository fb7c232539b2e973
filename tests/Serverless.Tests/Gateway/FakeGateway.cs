using System.Collections.Concurrent;
using System.Net;
using System.Net.WebSockets;
using System.Text.Json;
using System.Text.Json.Nodes;
using System.Threading.Channels;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;

namespace Serverless.Tests.Gateway;

/// <summary>
/// Discord's gateway cannot be reached from here, so a loopback Kestrel WebSocket server plays it from the
/// documented wire format: payloads <c>{"op","d","s","t"}</c>, Hello/Dispatch/Reconnect/Invalid Session
/// sent by the test, Heartbeats recorded and (by default) answered with op 11, close codes on demand.
/// Each connection is handed to the test to script. It also serves <c>GET /api/v10/gateway/bot</c>.
/// </summary>
public sealed class FakeGateway : IAsyncDisposable
{
    public const string Token = "test-token";

    private readonly WebApplication _app;
    private readonly Channel<FakeGatewayConnection> _connections = Channel.CreateUnbounded<FakeGatewayConnection>();
    private int _connectionCount;

    private FakeGateway(WebApplication app) => _app = app;

    /// <summary>Answer of <c>GET /gateway/bot</c>: null means 200 with this gateway's URL.</summary>
    public int? GatewayBotStatus { get; set; }

    public int ConnectionCount => Volatile.Read(ref _connectionCount);

    public Uri HttpBase => new(_app.Urls.Single());

    public Uri Url => new($"ws://{HttpBase.Authority}/");

    /// <summary>What READY names as <c>resume_gateway_url</c>: a different path, so tests can tell resumes apart.</summary>
    public Uri ResumeUrl => new($"ws://{HttpBase.Authority}/resume");

    public static async Task<FakeGateway> StartAsync()
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.WebHost.ConfigureKestrel(k => k.Listen(IPAddress.Loopback, 0));
        var app = builder.Build();
        var gateway = new FakeGateway(app);
        app.UseWebSockets();
        app.MapGet("/api/v10/gateway/bot", (HttpContext http) =>
        {
            if (http.Request.Headers.Authorization != $"Bot {Token}" || gateway.GatewayBotStatus is 401)
            {
                return Results.Json(new { message = "401: Unauthorized", code = 0 }, statusCode: 401);
            }
            if (gateway.GatewayBotStatus is { } status)
            {
                return Results.StatusCode(status);
            }
            return Results.Json(new
            {
                url = gateway.Url.ToString().TrimEnd('/'),
                shards = 1,
                session_start_limit = new { total = 1000, remaining = 999, reset_after = 14400000, max_concurrency = 1 },
            });
        });
        app.Map("/{**path}", async (HttpContext http) =>
        {
            if (!http.WebSockets.IsWebSocketRequest)
            {
                http.Response.StatusCode = 400;
                return;
            }
            var socket = await http.WebSockets.AcceptWebSocketAsync();
            var connection = new FakeGatewayConnection(http, socket);
            Interlocked.Increment(ref gateway._connectionCount);
            gateway._connections.Writer.TryWrite(connection);
            await connection.RunAsync();
        });
        await app.StartAsync();
        return gateway;
    }

    public async Task<FakeGatewayConnection> NextConnectionAsync(TimeSpan? timeout = null)
    {
        using var cts = new CancellationTokenSource(timeout ?? TimeSpan.FromSeconds(5));
        try
        {
            return await _connections.Reader.ReadAsync(cts.Token);
        }
        catch (OperationCanceledException)
        {
            throw new TimeoutException("the client did not connect to the fake gateway");
        }
    }

    /// <summary>True when no new connection arrives within the wait.</summary>
    public async Task<bool> NoConnectionWithinAsync(TimeSpan wait)
    {
        using var cts = new CancellationTokenSource(wait);
        try
        {
            await _connections.Reader.WaitToReadAsync(cts.Token);
            return false;
        }
        catch (OperationCanceledException)
        {
            return true;
        }
    }

    public async ValueTask DisposeAsync() => await _app.DisposeAsync();
}

public sealed class FakeGatewayConnection
{
    private readonly HttpContext _http;
    private readonly WebSocket _socket;
    private readonly SemaphoreSlim _sending = new(1, 1);
    private readonly Channel<JsonNode> _received = Channel.CreateUnbounded<JsonNode>();
    private readonly TaskCompletionSource _ended = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private readonly ConcurrentQueue<(DateTimeOffset At, long? Sequence)> _heartbeats = new();

    internal FakeGatewayConnection(HttpContext http, WebSocket socket)
    {
        _http = http;
        _socket = socket;
        Path = http.Request.Path;
        Query = http.Request.QueryString.Value ?? "";
    }

    public string Path { get; }

    public string Query { get; }

    /// <summary>Answer each Heartbeat with a Heartbeat ACK; off to play a zombied connection.</summary>
    public bool AutoAck { get; set; } = true;

    /// <summary>The close code the client sent, once it closed.</summary>
    public int? ClientCloseCode { get; private set; }

    public IReadOnlyList<(DateTimeOffset At, long? Sequence)> Heartbeats => [.. _heartbeats];

    public Task Ended => _ended.Task;

    /// <summary>Hello; by default with a ten-minute interval so the jittered first beat stays out of short tests.</summary>
    public Task HelloAsync(int heartbeatIntervalMs = 600_000) =>
        SendAsync(new JsonObject { ["op"] = 10, ["d"] = new JsonObject { ["heartbeat_interval"] = heartbeatIntervalMs }, ["s"] = null, ["t"] = null });

    public Task DispatchAsync(string type, long sequence, JsonNode data) =>
        SendAsync(new JsonObject { ["op"] = 0, ["d"] = data, ["s"] = sequence, ["t"] = type });

    public Task ReadyAsync(string sessionId, long sequence, Uri resumeUrl) =>
        DispatchAsync("READY", sequence, new JsonObject
        {
            ["v"] = 10,
            ["user"] = new JsonObject { ["id"] = "1000", ["username"] = "bridge-bot", ["bot"] = true },
            ["guilds"] = new JsonArray(new JsonObject { ["id"] = "500", ["unavailable"] = true }),
            ["session_id"] = sessionId,
            ["resume_gateway_url"] = resumeUrl.ToString().TrimEnd('/'),
            ["application"] = new JsonObject { ["id"] = "1000", ["flags"] = 0 },
        });

    public Task OpAsync(int op, JsonNode? data = null) =>
        SendAsync(new JsonObject { ["op"] = op, ["d"] = data, ["s"] = null, ["t"] = null });

    /// <summary>The next payload the client sent that is not a Heartbeat.</summary>
    public async Task<JsonNode> ReceiveAsync(TimeSpan? timeout = null)
    {
        using var cts = new CancellationTokenSource(timeout ?? TimeSpan.FromSeconds(5));
        try
        {
            return await _received.Reader.ReadAsync(cts.Token);
        }
        catch (OperationCanceledException)
        {
            throw new TimeoutException("the client sent nothing to the fake gateway");
        }
    }

    /// <summary>Closes from the server side with a gateway close code.</summary>
    public async Task CloseAsync(int code, string reason)
    {
        using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(2));
        await _sending.WaitAsync(cts.Token);
        try
        {
            await _socket.CloseOutputAsync((WebSocketCloseStatus)code, reason, cts.Token);
        }
        finally
        {
            _sending.Release();
        }
    }

    /// <summary>Drops the TCP connection without a close frame, as a network failure would.</summary>
    public void Drop() => _http.Abort();

    internal async Task RunAsync()
    {
        var buffer = new byte[64 * 1024];
        try
        {
            while (true)
            {
                using var message = new MemoryStream();
                WebSocketReceiveResult result;
                do
                {
                    result = await _socket.ReceiveAsync(buffer, _http.RequestAborted);
                    if (result.MessageType == WebSocketMessageType.Close)
                    {
                        ClientCloseCode = (int?)result.CloseStatus;
                        if (_socket.State == WebSocketState.CloseReceived)
                        {
                            await _socket.CloseOutputAsync(WebSocketCloseStatus.NormalClosure, null, CancellationToken.None);
                        }
                        return;
                    }
                    message.Write(buffer, 0, result.Count);
                }
                while (!result.EndOfMessage);

                var payload = JsonNode.Parse(message.ToArray())!;
                if (payload["op"]!.GetValue<int>() == 1)
                {
                    _heartbeats.Enqueue((DateTimeOffset.UtcNow, payload["d"]?.GetValue<long>()));
                    if (AutoAck)
                    {
                        await OpAsync(11);
                    }
                    continue;
                }
                _received.Writer.TryWrite(payload);
            }
        }
        catch (Exception ex) when (ex is WebSocketException or OperationCanceledException or IOException or ObjectDisposedException)
        {
        }
        finally
        {
            _received.Writer.TryComplete();
            _ended.TrySetResult();
        }
    }

    private async Task SendAsync(JsonNode payload)
    {
        var bytes = JsonSerializer.SerializeToUtf8Bytes(payload);
        await _sending.WaitAsync();
        try
        {
            await _socket.SendAsync(bytes, WebSocketMessageType.Text, endOfMessage: true, CancellationToken.None);
        }
        finally
        {
            _sending.Release();
        }
    }
}
