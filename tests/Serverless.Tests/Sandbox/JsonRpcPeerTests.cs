using System.Text.Json.Nodes;
using System.Threading.Channels;
using Microsoft.Extensions.Logging.Abstractions;
using Serverless.Platform.Sandbox;

namespace Serverless.Tests.Sandbox;

/// <summary>The peer over an in-memory line channel; the Docker round trip is in SandboxPoolTests.</summary>
public sealed class JsonRpcPeerTests
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    private readonly Channel<string> toHost = Channel.CreateUnbounded<string>();
    private readonly Channel<string> toPlugin = Channel.CreateUnbounded<string>();

    private JsonRpcPeer NewPeer() =>
        new((line, ct) => toPlugin.Writer.WriteAsync(line, ct).AsTask(), toHost.Reader.ReadAllAsync(), NullLogger.Instance);

    private async Task<JsonObject> SentAsync() =>
        JsonNode.Parse(await toPlugin.Reader.ReadAsync(Ct).AsTask().WaitAsync(TimeSpan.FromSeconds(5), Ct))!.AsObject();

    [Fact]
    public async Task SendRequestAsync_ResponsesOutOfOrder_EachCallerGetsItsOwn()
    {
        await using var peer = NewPeer();
        var first = peer.SendRequestAsync("describe", null, Ct);
        var second = peer.SendRequestAsync("invoke", new JsonObject { ["n"] = 2 }, Ct);
        var sentFirst = await SentAsync();
        var sentSecond = await SentAsync();
        Assert.Equal("2.0", (string?)sentFirst["jsonrpc"]);
        Assert.False(sentFirst.ContainsKey("params"));
        Assert.Equal(2, (int?)sentSecond["params"]?["n"]);

        await toHost.Writer.WriteAsync("{\"jsonrpc\":\"2.0\",\"id\":" + sentSecond["id"] + ",\"result\":\"two\"}", Ct);
        await toHost.Writer.WriteAsync("{\"jsonrpc\":\"2.0\",\"id\":" + sentFirst["id"] + ",\"error\":{\"code\":-32601,\"message\":\"nope\",\"data\":{\"why\":1}}}", Ct);

        Assert.Equal("two", (string?)await second);
        var error = await Assert.ThrowsAsync<JsonRpcException>(() => first);
        Assert.Equal(-32601, error.Code);
        Assert.Equal("nope", error.Message);
        Assert.Equal(1, (int?)error.ErrorData?["why"]);
    }

    [Fact]
    public async Task ReadLoop_MalformedAndUnknownLines_AreCountedAndPeerKeepsWorking()
    {
        await using var peer = NewPeer();
        foreach (var line in new[] { "not json", "[1,2]", """{"id":1,"result":2}""", """{"jsonrpc":"2.0"}""", """{"jsonrpc":"2.0","id":424242,"result":"stray"}""", "" })
        {
            await toHost.Writer.WriteAsync(line, Ct);
        }
        var call = peer.SendRequestAsync("echo", "x", Ct);
        var sent = await SentAsync();
        await toHost.Writer.WriteAsync("{\"jsonrpc\":\"2.0\",\"id\":\"" + sent["id"] + "\",\"result\":\"x\"}", Ct); // string ids are accepted too

        Assert.Equal("x", (string?)await call);
        Assert.Equal(4, peer.MalformedLines);
    }

    [Fact]
    public async Task HandleLoop_PluginRequests_RoutedInOrderWithErrorsMapped()
    {
        var seen = new List<string>();
        await using var peer = NewPeer();
        using var serving = peer.Serve("inv-a", new InvocationCalls((request, _) =>
        {
            seen.Add(request.Method);
            return request.Method switch
            {
                "kv.get" => Task.FromResult<JsonNode?>(new JsonObject { ["value"] = (string?)request.Params?["key"] }),
                "discord.send_message" => throw new JsonRpcException(-32001, "capability messages:send was not granted"),
                "boom" => throw new InvalidOperationException("host bug"),
                _ => Task.FromResult<JsonNode?>(null),
            };
        }));
        await toHost.Writer.WriteAsync("""{"jsonrpc":"2.0","method":"log","params":{"invocation_id":"inv-a","message":"hi"}}""", Ct);
        await toHost.Writer.WriteAsync("""{"jsonrpc":"2.0","id":"a","method":"kv.get","params":{"invocation_id":"inv-a","key":"k"}}""", Ct);
        await toHost.Writer.WriteAsync("""{"jsonrpc":"2.0","id":7,"method":"discord.send_message","params":{"invocation_id":"inv-a"}}""", Ct);
        await toHost.Writer.WriteAsync("""{"jsonrpc":"2.0","id":8,"method":"boom","params":{"invocation_id":"inv-a"}}""", Ct);
        await toHost.Writer.WriteAsync("""{"jsonrpc":"2.0","id":9,"method":42}""", Ct);

        // The read loop answers a malformed request at once, the handle loop the rest in order: the
        // two interleave, so match replies by id rather than by position.
        var replies = new List<JsonObject>();
        for (var i = 0; i < 4; i++)
        {
            replies.Add(await SentAsync());
        }
        JsonObject Reply(JsonNode id) => replies.Single(r => JsonNode.DeepEquals(r["id"], id));
        var invalid = Reply(9);
        Assert.Equal(JsonRpcException.InvalidRequest, (int?)invalid["error"]?["code"]);
        var kv = Reply("a");
        Assert.Equal("k", (string?)kv["result"]?["value"]);
        var denied = Reply(7);
        Assert.Equal(-32001, (int?)denied["error"]?["code"]);
        Assert.Contains("messages:send", (string?)denied["error"]?["message"]);
        var failed = Reply(8);
        Assert.Equal(JsonRpcException.InternalError, (int?)failed["error"]?["code"]);
        Assert.DoesNotContain("host bug", failed.ToJsonString());
        Assert.Equal(["\"a\"", "7", "8"], replies.Where(r => !JsonNode.DeepEquals(r["id"], 9)).Select(r => r["id"]!.ToJsonString()));
        Assert.Equal(["log", "kv.get", "discord.send_message", "boom"], seen);
    }

    [Fact]
    public async Task HandleLoop_NoInvocationRunning_RefusedWithInvocationNotRunning()
    {
        await using var peer = NewPeer();
        await toHost.Writer.WriteAsync("""{"jsonrpc":"2.0","id":1,"method":"kv.get","params":{"invocation_id":"inv-a","key":"k"}}""", Ct);
        var answer = await SentAsync();
        Assert.Equal(JsonRpcException.InvocationNotRunning, (int?)answer["error"]?["code"]);
        Assert.Contains("invocation inv-a is not running", (string?)answer["error"]?["message"]);
    }

    [Fact]
    public async Task HandleLoop_CallsNamingAnotherMissingOrFinishedInvocation_RefusedAndOnlyTheFinishedOneHearsOfIt()
    {
        await using var peer = NewPeer();
        var served = new List<string>();
        var refusedForFirst = new List<string>();
        var first = peer.Serve("inv-1", new InvocationCalls(
            (request, _) =>
            {
                served.Add("inv-1 " + request.Method);
                return Task.FromResult<JsonNode?>(null);
            },
            (request, reason, _) =>
            {
                refusedForFirst.Add(reason);
                return Task.CompletedTask;
            }));
        first.Dispose();
        using var second = peer.Serve("inv-2", new InvocationCalls((request, _) =>
        {
            served.Add("inv-2 " + request.Method);
            return Task.FromResult<JsonNode?>(null);
        }));

        // A thread left over from inv-1 writes straight to the pipe while inv-2 runs.
        await toHost.Writer.WriteAsync("""{"jsonrpc":"2.0","id":"s1","method":"kv.set","params":{"invocation_id":"inv-1","key":"k","value":1}}""", Ct);
        await toHost.Writer.WriteAsync("""{"jsonrpc":"2.0","method":"log","params":{"invocation_id":"inv-1","message":"late"}}""", Ct);
        await toHost.Writer.WriteAsync("""{"jsonrpc":"2.0","id":"s2","method":"kv.set","params":{"key":"k","value":1}}""", Ct);
        await toHost.Writer.WriteAsync("""{"jsonrpc":"2.0","id":"s3","method":"kv.set","params":{"invocation_id":"inv-9","key":"k","value":1}}""", Ct);
        await toHost.Writer.WriteAsync("""{"jsonrpc":"2.0","id":"ok","method":"kv.get","params":{"invocation_id":"inv-2","key":"k"}}""", Ct);

        var replies = new List<JsonObject>();
        for (var i = 0; i < 4; i++)
        {
            replies.Add(await SentAsync());
        }
        string? Error(string id) => (string?)replies.Single(r => (string?)r["id"] == id)["error"]?["message"];
        Assert.All(replies.Where(r => (string?)r["id"] != "ok"), r => Assert.Equal(JsonRpcException.InvocationNotRunning, (int?)r["error"]?["code"]));
        Assert.Equal("kv.set refused: invocation inv-1 has finished; code it left running (a thread, a timer) can no longer call the host", Error("s1"));
        Assert.Contains("params.invocation_id is missing", Error("s2"));
        Assert.Contains("invocation inv-9 is not running", Error("s3"));
        Assert.Null(Error("ok"));
        Assert.Equal(["inv-2 kv.get"], served);
        Assert.Equal(["kv.set refused: invocation inv-1 has finished; code it left running (a thread, a timer) can no longer call the host",
            "log refused: invocation inv-1 has finished; code it left running (a thread, a timer) can no longer call the host"], refusedForFirst);
    }

    [Fact]
    public async Task HandleLoop_StrayThreadFloods_OnlyTheFirstRefusalsReported()
    {
        await using var peer = NewPeer();
        var reported = new List<string>();
        peer.Serve("inv-1", new InvocationCalls((_, _) => Task.FromResult<JsonNode?>(null), (_, reason, _) =>
        {
            reported.Add(reason);
            return Task.CompletedTask;
        })).Dispose();

        for (var i = 0; i < 20; i++)
        {
            await toHost.Writer.WriteAsync("""{"jsonrpc":"2.0","id":"s","method":"kv.set","params":{"invocation_id":"inv-1"}}""", Ct);
        }
        for (var i = 0; i < 20; i++)
        {
            Assert.Equal(JsonRpcException.InvocationNotRunning, (int?)(await SentAsync())["error"]?["code"]);
        }
        Assert.Equal(5, reported.Count);
        Assert.EndsWith("(further refusals for this invocation are not logged)", reported[^1]);
    }

    [Fact]
    public async Task SendRequestAsync_ChannelCloses_FailsWithConnectionClosed()
    {
        await using var peer = NewPeer();
        var call = peer.SendRequestAsync("invoke", null, Ct);
        await SentAsync();
        toHost.Writer.Complete();

        var error = await Assert.ThrowsAsync<JsonRpcException>(() => call);
        Assert.Equal(JsonRpcException.ConnectionClosed, error.Code);
        await peer.Completion.WaitAsync(TimeSpan.FromSeconds(5), Ct);
        var late = await Assert.ThrowsAsync<JsonRpcException>(() => peer.SendRequestAsync("again", null, Ct));
        Assert.Equal(JsonRpcException.ConnectionClosed, late.Code);
    }
}
