using System.Text.Json.Nodes;
using System.Threading.Channels;
using Microsoft.Extensions.Logging.Abstractions;
using Serverless.Functions.Sandbox;

namespace Serverless.Tests.Sandbox;

/// <summary>The peer over an in-memory line channel; the Docker round trip is in SandboxPoolTests.</summary>
public sealed class JsonRpcPeerTests
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    private readonly Channel<string> toHost = Channel.CreateUnbounded<string>();
    private readonly Channel<string> toPlugin = Channel.CreateUnbounded<string>();

    private JsonRpcPeer NewPeer(JsonRpcRequestHandler? handler = null) =>
        new((line, ct) => toPlugin.Writer.WriteAsync(line, ct).AsTask(), toHost.Reader.ReadAllAsync(), NullLogger.Instance, handler);

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
        await using var peer = NewPeer((request, _) =>
        {
            seen.Add(request.Method);
            return request.Method switch
            {
                "kv.get" => Task.FromResult<JsonNode?>(new JsonObject { ["value"] = (string?)request.Params?["key"] }),
                "discord.send_message" => throw new JsonRpcException(-32001, "capability messages:send was not granted"),
                "boom" => throw new InvalidOperationException("host bug"),
                _ => Task.FromResult<JsonNode?>(null),
            };
        });
        await toHost.Writer.WriteAsync("""{"jsonrpc":"2.0","method":"log","params":{"message":"hi"}}""", Ct);
        await toHost.Writer.WriteAsync("""{"jsonrpc":"2.0","id":"a","method":"kv.get","params":{"key":"k"}}""", Ct);
        await toHost.Writer.WriteAsync("""{"jsonrpc":"2.0","id":7,"method":"discord.send_message"}""", Ct);
        await toHost.Writer.WriteAsync("""{"jsonrpc":"2.0","id":8,"method":"boom"}""", Ct);
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
    public async Task HandleLoop_NoHandler_AnswersMethodNotFound()
    {
        await using var peer = NewPeer();
        await toHost.Writer.WriteAsync("""{"jsonrpc":"2.0","id":1,"method":"kv.get"}""", Ct);
        var answer = await SentAsync();
        Assert.Equal(JsonRpcException.MethodNotFound, (int?)answer["error"]?["code"]);
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
