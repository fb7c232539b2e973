using System.Text.Json.Nodes;
using Serverless.Platform.WorkQueue;

namespace Serverless.Tests.WorkQueue;

public sealed class WorkItemTests
{
    [Fact]
    public void Parse_RoundTrip_KeepsEveryField()
    {
        var item = WorkItem.Create("interaction", new JsonObject { ["guild"] = "1", ["n"] = 2 });

        var parsed = WorkItem.Parse(item.ToJson());

        Assert.Equal(item.Id, parsed.Id);
        Assert.Equal(WorkItem.CurrentSchema, parsed.Schema);
        Assert.Equal("interaction", parsed.Kind);
        Assert.Equal(item.CreatedAt, parsed.CreatedAt);
        Assert.Equal(2, parsed.Body!["n"]!.GetValue<int>());
        Assert.DoesNotContain("bodyBlob", item.ToJson());
    }

    [Theory]
    [InlineData("""{"schema":2,"id":"a","kind":"k","createdAt":"2026-01-01T00:00:00Z","body":{}}""", "schema 2")]
    [InlineData("""{"schema":1,"id":"","kind":"k","createdAt":"2026-01-01T00:00:00Z","body":{}}""", "no id or kind")]
    [InlineData("""{"schema":1,"id":"a","kind":"k","createdAt":"2026-01-01T00:00:00Z"}""", "exactly one of body and bodyBlob")]
    [InlineData("""{"schema":1,"id":"a","kind":"k","createdAt":"2026-01-01T00:00:00Z","body":{},"bodyBlob":"a.json"}""", "exactly one of body and bodyBlob")]
    [InlineData("""{"schema":"one"}""", "not valid JSON")]
    [InlineData("null", "empty")]
    public void Parse_Malformed_ThrowsWithReason(string json, string reason)
    {
        var error = Assert.Throws<WorkItemFormatException>(() => WorkItem.Parse(json));

        Assert.Contains(reason, error.Message);
    }

    [Theory]
    [InlineData("plain text")]
    [InlineData("{\"json\":true}")]
    [InlineData("ünïcödé ✅")]
    public void StorageQueueEncoding_RoundTrips(string text)
    {
        Assert.Equal(text, StorageWorkQueue.Decode(StorageWorkQueue.Encode(text)));
    }
}
