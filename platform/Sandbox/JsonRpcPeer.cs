using System.Buffers;
using System.Collections.Concurrent;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using System.Threading.Channels;

namespace Serverless.Platform.Sandbox;

/// <summary>A request or notification (<see cref="Id"/> null) from the other side.</summary>
public sealed record JsonRpcRequest(string Method, JsonNode? Params, JsonNode? Id)
{
    public bool IsNotification => Id is null;
}

/// <summary>Answers one incoming request; throw <see cref="JsonRpcException"/> to answer with an error.</summary>
public delegate Task<JsonNode?> JsonRpcRequestHandler(JsonRpcRequest request, CancellationToken cancellationToken);

/// <summary>Hears of a call refused because it named an invocation that has finished; <paramref name="reason"/> is what the plugin was told.</summary>
public delegate Task JsonRpcRefusalHandler(JsonRpcRequest request, string reason, CancellationToken cancellationToken);

/// <summary>
/// Who answers the plugin's calls for one invocation, and who hears of calls refused for it after it
/// finished (its plugin log).
/// </summary>
public sealed record InvocationCalls(JsonRpcRequestHandler Handler, JsonRpcRefusalHandler? Refused = null);

public sealed class JsonRpcException(int code, string message, JsonNode? data = null, Exception? innerException = null)
    : Exception(message, innerException)
{
    public const int ParseError = -32700;
    public const int InvalidRequest = -32600;
    public const int MethodNotFound = -32601;
    public const int InvalidParams = -32602;
    public const int InternalError = -32603;

    /// <summary>Ours (server-error range): the channel closed before the answer came.</summary>
    public const int ConnectionClosed = -32099;

    /// <summary>docs/protocol.md §4: the call names no invocation that is running on this worker.</summary>
    public const int InvocationNotRunning = -32002;

    public int Code { get; } = code;

    public JsonNode? ErrorData { get; } = data;
}

/// <summary>
/// JSON-RPC 2.0, one message per line, over any line channel (a container's stdio
/// here, an HTTPS callback for Container Apps). Both sides may call: our requests
/// await their responses by id; the other side's requests and notifications go, in
/// arrival order, to the handler of the invocation their <c>params.invocation_id</c>
/// names (<see cref="Serve"/>). This is the one place a plugin's call is tied to an
/// invocation: a call naming none, or one that is not running here (finished, never
/// started, another worker's), is refused with <see cref="JsonRpcException.InvocationNotRunning"/>,
/// a notification dropped, so a thread left over from one invocation can never act
/// in the next (in pool mode, another guild's). Bad lines from the plugin are counted
/// and logged, never thrown: a plugin cannot crash the host with garbage. Batches are
/// not used by the protocol and count as malformed.
/// </summary>
public sealed class JsonRpcPeer : IAsyncDisposable
{
    private const int LoggedMalformedLines = 20;
    private const int IncomingQueueCapacity = 1024;

    /// <summary>Finished invocations remembered, so a late call is told (and logged) as late rather than unknown.</summary>
    private const int RememberedFinished = 64;

    /// <summary>Refusals passed to an invocation's <see cref="InvocationCalls.Refused"/>; a stray thread in a loop must not flood its log.</summary>
    private const int ReportedRefusals = 5;

    private readonly Func<string, CancellationToken, Task> writeLine;
    private readonly ILogger logger;
    private readonly ConcurrentDictionary<long, TaskCompletionSource<JsonNode?>> pending = new();
    private readonly Channel<JsonRpcRequest> incoming = Channel.CreateBounded<JsonRpcRequest>(
        new BoundedChannelOptions(IncomingQueueCapacity) { SingleReader = true, SingleWriter = true, FullMode = BoundedChannelFullMode.Wait });
    private readonly CancellationTokenSource lifetime = new();
    private long nextId;
    private long malformed;
    private volatile bool closed;
    private readonly Lock invocationsGate = new();
    private readonly Dictionary<string, InvocationCalls> running = new(StringComparer.Ordinal);
    private readonly Dictionary<string, FinishedInvocation> finished = new(StringComparer.Ordinal);
    private readonly Queue<string> finishedOrder = new();
    private readonly List<(long Target, TaskCompletionSource Waiter)> drainWaiters = [];
    private long received;
    private long handled;

    public JsonRpcPeer(Func<string, CancellationToken, Task> writeLine, IAsyncEnumerable<string> lines, ILogger logger)
    {
        this.writeLine = writeLine;
        this.logger = logger;
        Completion = Task.WhenAll(Task.Run(() => ReadLoopAsync(lines)), Task.Run(HandleLoopAsync));
    }

    public static JsonRpcPeer Over(SandboxWorker worker, ILogger logger) =>
        new(worker.WriteLineAsync, worker.ReadLinesAsync(), logger);

    /// <summary>
    /// Answers the plugin's calls whose <c>params.invocation_id</c> is <paramref name="invocationId"/> with
    /// <paramref name="calls"/> until the returned registration is disposed (the invocation is over); from
    /// then on they are refused, and the first few refusals reported to <see cref="InvocationCalls.Refused"/>.
    /// </summary>
    public IDisposable Serve(string invocationId, InvocationCalls calls)
    {
        lock (invocationsGate)
        {
            if (!running.TryAdd(invocationId, calls))
            {
                throw new InvalidOperationException($"invocation {invocationId} is already being served");
            }
        }
        return new Registration(this, invocationId, calls);
    }

    private void Finish(string invocationId, InvocationCalls calls)
    {
        lock (invocationsGate)
        {
            running.Remove(invocationId);
            finished[invocationId] = new FinishedInvocation(calls.Refused);
            finishedOrder.Enqueue(invocationId);
            while (finishedOrder.Count > RememberedFinished)
            {
                finished.Remove(finishedOrder.Dequeue());
            }
        }
    }

    public long MalformedLines => Interlocked.Read(ref malformed);

    /// <summary>Completes when the channel has closed and queued incoming calls are handled.</summary>
    public Task Completion { get; }

    public bool IsClosed => closed;

    public async Task<JsonNode?> SendRequestAsync(string method, JsonNode? parameters = null, CancellationToken cancellationToken = default)
    {
        var id = Interlocked.Increment(ref nextId);
        var response = new TaskCompletionSource<JsonNode?>(TaskCreationOptions.RunContinuationsAsynchronously);
        pending[id] = response;
        try
        {
            if (closed)
            {
                throw Closed();
            }
            await WriteAsync(Serialize(writer =>
            {
                writer.WriteNumber("id", id);
                writer.WriteString("method", method);
                WriteParams(writer, parameters);
            }), cancellationToken);
            return await response.Task.WaitAsync(cancellationToken);
        }
        finally
        {
            pending.TryRemove(id, out _);
        }
    }

    public async Task SendNotificationAsync(string method, JsonNode? parameters = null, CancellationToken cancellationToken = default)
    {
        if (closed)
        {
            throw Closed();
        }
        await WriteAsync(Serialize(writer =>
        {
            writer.WriteString("method", method);
            WriteParams(writer, parameters);
        }), cancellationToken);
    }

    /// <summary>
    /// Completes once every request and notification received so far has been handled. A plugin's last
    /// <c>log</c> may arrive just before its <c>invoke</c> result yet still be queued; wait for it before
    /// the invocation counts as done.
    /// </summary>
    public Task DrainAsync(CancellationToken cancellationToken = default)
    {
        var target = Interlocked.Read(ref received);
        if (Interlocked.Read(ref handled) >= target || closed)
        {
            return Task.CompletedTask;
        }
        var waiter = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        lock (drainWaiters)
        {
            drainWaiters.Add((target, waiter));
        }
        ReleaseDrainWaiters();
        return waiter.Task.WaitAsync(cancellationToken);
    }

    private void ReleaseDrainWaiters()
    {
        var done = Interlocked.Read(ref handled);
        lock (drainWaiters)
        {
            drainWaiters.RemoveAll(w =>
            {
                if (w.Target > done && !closed)
                {
                    return false;
                }
                w.Waiter.TrySetResult();
                return true;
            });
        }
    }

    public async ValueTask DisposeAsync()
    {
        closed = true;
        await lifetime.CancelAsync();
        FailPending();
        try
        {
            await Completion.WaitAsync(TimeSpan.FromSeconds(5));
        }
        catch (Exception e) when (e is OperationCanceledException or TimeoutException)
        {
            // The read loop ends with its channel, which the worker's owner closes.
        }
    }

    private async Task ReadLoopAsync(IAsyncEnumerable<string> lines)
    {
        try
        {
            await foreach (var line in lines.WithCancellation(lifetime.Token))
            {
                await ReceiveAsync(line);
            }
        }
        catch (OperationCanceledException)
        {
            // Disposed.
        }
        catch (Exception e)
        {
            logger.LogWarning(e, "JSON-RPC channel failed");
        }
        finally
        {
            closed = true;
            incoming.Writer.TryComplete();
            FailPending();
            ReleaseDrainWaiters();
        }
    }

    private async Task ReceiveAsync(string line)
    {
        if (string.IsNullOrWhiteSpace(line))
        {
            return;
        }
        JsonObject message;
        try
        {
            if (JsonNode.Parse(line) is not JsonObject parsed)
            {
                Malformed(line, "not a JSON object");
                return;
            }
            message = parsed;
        }
        catch (JsonException e)
        {
            Malformed(line, e.Message);
            return;
        }

        if (!(message["jsonrpc"] is JsonValue version && version.TryGetValue<string>(out var v) && v == "2.0"))
        {
            Malformed(line, "jsonrpc must be \"2.0\"");
            return;
        }
        var id = message["id"];
        if (message.ContainsKey("method"))
        {
            if (!(message["method"] is JsonValue methodValue && methodValue.TryGetValue<string>(out var method)))
            {
                Malformed(line, "method must be a string");
                if (id is not null)
                {
                    await RespondErrorAsync(id, JsonRpcException.InvalidRequest, "method must be a string");
                }
                return;
            }
            // Detach so the request outlives this message object.
            var parameters = message["params"];
            message.Remove("params");
            message.Remove("id");
            Interlocked.Increment(ref received);
            await incoming.Writer.WriteAsync(new JsonRpcRequest(method, parameters, id), lifetime.Token);
            return;
        }
        if (id is null || !(message.ContainsKey("result") || message.ContainsKey("error")))
        {
            Malformed(line, "neither a request nor a response");
            return;
        }
        if (!TryGetId(id, out var key) || !pending.TryGetValue(key, out var waiter))
        {
            logger.LogDebug("JSON-RPC response for unknown id {Id} ignored", id.ToJsonString());
            return;
        }
        if (message["error"] is JsonObject error)
        {
            var code = error["code"] is JsonValue c && c.TryGetValue<int>(out var parsedCode) ? parsedCode : JsonRpcException.InternalError;
            var text = error["message"] is JsonValue m && m.TryGetValue<string>(out var parsedText) ? parsedText : "error without a message";
            var data = error["data"];
            error.Remove("data");
            waiter.TrySetException(new JsonRpcException(code, text, data));
        }
        else
        {
            var result = message["result"];
            message.Remove("result");
            waiter.TrySetResult(result);
        }
    }

    private async Task HandleLoopAsync()
    {
        try
        {
            await foreach (var request in incoming.Reader.ReadAllAsync(lifetime.Token))
            {
                await HandleAsync(request);
                Interlocked.Increment(ref handled);
                ReleaseDrainWaiters();
            }
        }
        catch (OperationCanceledException)
        {
            // Disposed.
        }
    }

    private async Task HandleAsync(JsonRpcRequest request)
    {
        JsonNode? result = null;
        JsonRpcException? failure = null;
        try
        {
            var invocationId = request.Params is JsonObject parameters && parameters["invocation_id"] is JsonValue value && value.TryGetValue<string>(out var text) ? text : null;
            InvocationCalls? calls = null;
            FinishedInvocation? late = null;
            lock (invocationsGate)
            {
                if (invocationId is not null && !running.TryGetValue(invocationId, out calls))
                {
                    late = finished.GetValueOrDefault(invocationId);
                }
            }
            if (calls is not null)
            {
                result = await calls.Handler(request, lifetime.Token);
            }
            else
            {
                failure = new JsonRpcException(JsonRpcException.InvocationNotRunning, Refusal(request.Method, invocationId, late is not null));
                await ReportRefusalAsync(request, failure.Message, late);
            }
        }
        catch (JsonRpcException e)
        {
            failure = e;
        }
        catch (OperationCanceledException) when (lifetime.IsCancellationRequested)
        {
            return;
        }
        catch (Exception e)
        {
            logger.LogError(e, "Host handler for JSON-RPC method {Method} failed", request.Method);
            failure = new JsonRpcException(JsonRpcException.InternalError, $"the host failed to handle '{request.Method}'");
        }

        if (request.Id is null)
        {
            if (failure is not null)
            {
                logger.LogDebug("JSON-RPC notification {Method} failed: {Message}", request.Method, failure.Message);
            }
            return;
        }
        try
        {
            if (failure is not null)
            {
                await RespondErrorAsync(request.Id, failure.Code, failure.Message, failure.ErrorData);
            }
            else
            {
                await WriteAsync(Serialize(writer =>
                {
                    writer.WritePropertyName("id");
                    request.Id.WriteTo(writer);
                    writer.WritePropertyName("result");
                    WriteNode(writer, result);
                }), lifetime.Token);
            }
        }
        catch (JsonRpcException e)
        {
            logger.LogDebug("Could not answer JSON-RPC {Method}: {Message}", request.Method, e.Message);
        }
        catch (OperationCanceledException)
        {
            // Disposed.
        }
    }

    private static string Refusal(string method, string? invocationId, bool finished) =>
        invocationId is null ? $"{method} refused: params.invocation_id is missing; every call to the host must name the invocation whose handler makes it"
        : finished ? $"{method} refused: invocation {invocationId} has finished; code it left running (a thread, a timer) can no longer call the host"
        : $"{method} refused: invocation {invocationId} is not running; the host answers only the invocation whose handler is running";

    private async Task ReportRefusalAsync(JsonRpcRequest request, string reason, FinishedInvocation? late)
    {
        logger.LogDebug("Refused a plugin call: {Reason}", reason);
        if (late?.Refused is not { } refused)
        {
            return;
        }
        var count = Interlocked.Increment(ref late.Refusals);
        if (count > ReportedRefusals)
        {
            return;
        }
        try
        {
            await refused(request, count == ReportedRefusals ? reason + " (further refusals for this invocation are not logged)" : reason, lifetime.Token);
        }
        catch (Exception e) when (e is not OperationCanceledException)
        {
            logger.LogWarning("Could not report a refused plugin call: {Message}", e.Message);
        }
    }

    private Task RespondErrorAsync(JsonNode id, int code, string message, JsonNode? data = null) =>
        WriteAsync(Serialize(writer =>
        {
            writer.WritePropertyName("id");
            id.WriteTo(writer);
            writer.WriteStartObject("error");
            writer.WriteNumber("code", code);
            writer.WriteString("message", message);
            if (data is not null)
            {
                writer.WritePropertyName("data");
                data.WriteTo(writer);
            }
            writer.WriteEndObject();
        }), lifetime.Token);

    private async Task WriteAsync(string line, CancellationToken cancellationToken)
    {
        try
        {
            await writeLine(line, cancellationToken);
        }
        catch (OperationCanceledException)
        {
            throw;
        }
        catch (Exception e)
        {
            throw new JsonRpcException(JsonRpcException.ConnectionClosed, $"could not send to the plugin: {e.Message}", innerException: e);
        }
    }

    private void Malformed(string line, string why)
    {
        var count = Interlocked.Increment(ref malformed);
        if (count <= LoggedMalformedLines)
        {
            var excerpt = line.Length > 200 ? line[..200] + "…" : line;
            logger.LogWarning("Malformed JSON-RPC line from the plugin ({Why}): {Line}", why, excerpt);
        }
        else if (count == LoggedMalformedLines + 1)
        {
            logger.LogWarning("More malformed JSON-RPC lines from the plugin; no longer logging them");
        }
    }

    private void FailPending()
    {
        foreach (var (_, waiter) in pending)
        {
            waiter.TrySetException(Closed());
        }
    }

    private static JsonRpcException Closed() => new(JsonRpcException.ConnectionClosed, "the plugin's channel is closed");

    private static bool TryGetId(JsonNode id, out long key)
    {
        key = 0;
        return id is JsonValue value
            && (value.TryGetValue(out key) || (value.TryGetValue<string>(out var text) && long.TryParse(text, out key)));
    }

    /// <summary>Only who hears of its refusals: the handler (and what it holds) is let go.</summary>
    private sealed class FinishedInvocation(JsonRpcRefusalHandler? refused)
    {
        public JsonRpcRefusalHandler? Refused { get; } = refused;

        public int Refusals;
    }

    private sealed class Registration(JsonRpcPeer peer, string invocationId, InvocationCalls calls) : IDisposable
    {
        private int disposed;

        public void Dispose()
        {
            if (Interlocked.Exchange(ref disposed, 1) == 0)
            {
                peer.Finish(invocationId, calls);
            }
        }
    }

    private static void WriteParams(Utf8JsonWriter writer, JsonNode? parameters)
    {
        if (parameters is not null)
        {
            writer.WritePropertyName("params");
            parameters.WriteTo(writer);
        }
    }

    private static void WriteNode(Utf8JsonWriter writer, JsonNode? node)
    {
        if (node is null)
        {
            writer.WriteNullValue();
        }
        else
        {
            node.WriteTo(writer);
        }
    }

    private static string Serialize(Action<Utf8JsonWriter> body)
    {
        var buffer = new ArrayBufferWriter<byte>(256);
        // Default escaping keeps the line free of raw newlines, which frame messages.
        using (var writer = new Utf8JsonWriter(buffer))
        {
            writer.WriteStartObject();
            writer.WriteString("jsonrpc", "2.0");
            body(writer);
            writer.WriteEndObject();
        }
        return Encoding.UTF8.GetString(buffer.WrittenSpan);
    }
}
