using System.Text.Json;
using Serverless.Functions.Storage;

namespace Serverless.Tests.Storage;

public class TableEntityTests
{
    [Fact]
    public void CreateQueryFilter_Values_AreEscapedLiteralsOfTheirType()
    {
        var guid = Guid.Parse("0f8fad5b-d9cb-469f-a165-70867728950e");
        var when = new DateTimeOffset(2026, 11, 21, 7, 0, 0, TimeSpan.FromHours(2));

        var filter = TableClient.CreateQueryFilter(
            $"PartitionKey eq {"o'brien"} and A eq {5} and B eq {5L} and C eq {true} and D eq {guid} and E ge {when} and F eq {new byte[] { 0xAB, 0x01 }} and G eq {(string?)null} and H eq {1.5} and I eq {2.0}");

        Assert.Equal(
            "PartitionKey eq 'o''brien' and A eq 5 and B eq 5L and C eq true and D eq guid'0f8fad5b-d9cb-469f-a165-70867728950e' " +
            "and E ge datetime'2026-11-21T05:00:00.0000000Z' and F eq X'ab01' and G eq null and H eq 1.5 and I eq 2.0",
            filter);
    }

    [Fact]
    public void ToJson_AmbiguousTypes_AreAnnotated()
    {
        var entity = new TableEntity("p", "r") { ["L"] = 1L, ["D"] = 2.0, ["I"] = 3, ["S"] = "s", ["Null"] = null, ["Nan"] = double.NaN };

        using var json = JsonDocument.Parse(entity.ToJson());
        var root = json.RootElement;

        Assert.Equal("Edm.Int64", root.GetProperty("L@odata.type").GetString());
        Assert.Equal("1", root.GetProperty("L").GetString());
        Assert.Equal("Edm.Double", root.GetProperty("D@odata.type").GetString());
        Assert.Equal(3, root.GetProperty("I").GetInt32());
        Assert.False(root.TryGetProperty("I@odata.type", out _));
        Assert.False(root.TryGetProperty("Null", out _));
        Assert.Equal("NaN", root.GetProperty("Nan").GetString());
        Assert.Equal("p", root.GetProperty("PartitionKey").GetString());
    }

    [Fact]
    public void FromJson_Annotations_GiveClrTypes()
    {
        using var json = JsonDocument.Parse("""
            {"odata.etag":"W/\"datetime'2026-11-21T05%3A00%3A00Z'\"","PartitionKey":"p","RowKey":"r",
             "Timestamp@odata.type":"Edm.DateTime","Timestamp":"2026-11-21T05:00:00.1234567Z",
             "L@odata.type":"Edm.Int64","L":"12","I":4,"D":4.5,"B":true,
             "G@odata.type":"Edm.Guid","G":"0f8fad5b-d9cb-469f-a165-70867728950e",
             "Bin@odata.type":"Edm.Binary","Bin":"AQI="}
            """);

        var entity = TableEntity.FromJson(json.RootElement);

        Assert.Equal("W/\"datetime'2026-11-21T05%3A00%3A00Z'\"", entity.ETag.ToString());
        Assert.Equal(new DateTimeOffset(2026, 11, 21, 5, 0, 0, TimeSpan.Zero).AddTicks(1234567), entity.Timestamp);
        Assert.False(entity.ContainsKey("Timestamp"));
        Assert.Equal(12L, entity["L"]);
        Assert.Equal(4, entity["I"]);
        Assert.Equal(4L, entity.GetInt64("I"));
        Assert.Equal(4.5, entity["D"]);
        Assert.Equal(true, entity["B"]);
        Assert.Equal(Guid.Parse("0f8fad5b-d9cb-469f-a165-70867728950e"), entity["G"]);
        Assert.Equal(new byte[] { 1, 2 }, entity.GetBinary("Bin"));
    }

    [Fact]
    public void Getters_WrongType_ThrowInvalidOperation()
    {
        var entity = new TableEntity("p", "r") { ["S"] = "text" };

        Assert.Throws<InvalidOperationException>(() => entity.GetInt32("S"));
        Assert.Null(entity.GetInt32("Absent"));
    }

    [Fact]
    public void Indexer_UnsupportedType_ThrowsNotSupported()
    {
        var entity = new TableEntity("p", "r");

        Assert.Throws<NotSupportedException>(() => entity["X"] = new object());
    }
}
