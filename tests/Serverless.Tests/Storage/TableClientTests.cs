using Azure;
using Serverless.Functions.Storage;
using Serverless.Tests.Infrastructure;

namespace Serverless.Tests.Storage;

public class TableClientTests(Azurite azurite)
{
    private async Task<TableClient> NewTableAsync()
    {
        var table = new TableServiceClient(azurite.Account).GetTableClient(Azurite.UniqueName("table"));
        Assert.True(await table.CreateIfNotExistsAsync(TestContext.Current.CancellationToken));
        return table;
    }

    [Fact]
    public async Task CreateIfNotExists_Twice_SecondReturnsFalse()
    {
        var ct = TestContext.Current.CancellationToken;
        var table = await NewTableAsync();

        Assert.False(await table.CreateIfNotExistsAsync(ct));
        Assert.True(await table.DeleteAsync(ct));
        Assert.False(await table.DeleteAsync(ct));
    }

    [Fact]
    public async Task AddEntity_Twice_Throws409EntityAlreadyExists()
    {
        var ct = TestContext.Current.CancellationToken;
        var table = await NewTableAsync();
        var entity = new TableEntity("interaction", "123") { ["Claimed"] = true };

        var etag = await table.AddEntityAsync(entity, ct);
        var ex = await Assert.ThrowsAsync<StorageRequestFailedException>(() => table.AddEntityAsync(entity, ct));

        Assert.NotEqual(default, etag);
        Assert.Equal(409, ex.Status);
        Assert.Equal("EntityAlreadyExists", ex.ErrorCode);
    }

    [Fact]
    public async Task GetEntity_Missing_Throws404AndIfExistsReturnsNull()
    {
        var ct = TestContext.Current.CancellationToken;
        var table = await NewTableAsync();

        var ex = await Assert.ThrowsAsync<StorageRequestFailedException>(() => table.GetEntityAsync("p", "nope", cancellationToken: ct));

        Assert.Equal(404, ex.Status);
        Assert.Equal("ResourceNotFound", ex.ErrorCode);
        Assert.Null(await table.GetEntityIfExistsAsync("p", "nope", cancellationToken: ct));
    }

    [Fact]
    public async Task Upsert_MergeKeepsOtherProperties_ReplaceDropsThem()
    {
        var ct = TestContext.Current.CancellationToken;
        var table = await NewTableAsync();
        await table.AddEntityAsync(new TableEntity("guild", "1") { ["Name"] = "one", ["Version"] = "1.0.0" }, ct);

        await table.UpsertEntityAsync(new TableEntity("guild", "1") { ["Version"] = "1.1.0" }, TableUpdateMode.Merge, ct);
        var merged = await table.GetEntityAsync("guild", "1", cancellationToken: ct);
        await table.UpsertEntityAsync(new TableEntity("guild", "1") { ["Version"] = "2.0.0" }, TableUpdateMode.Replace, ct);
        var replaced = await table.GetEntityAsync("guild", "1", cancellationToken: ct);
        await table.UpsertEntityAsync(new TableEntity("guild", "2") { ["Version"] = "0.1.0" }, cancellationToken: ct);

        Assert.Equal("one", merged.GetString("Name"));
        Assert.Equal("1.1.0", merged.GetString("Version"));
        Assert.Null(replaced.GetString("Name"));
        Assert.False(replaced.ContainsKey("Name"));
        Assert.Equal("2.0.0", replaced.GetString("Version"));
        Assert.Equal("0.1.0", (await table.GetEntityAsync("guild", "2", cancellationToken: ct)).GetString("Version"));
    }

    [Fact]
    public async Task UpdateEntity_StaleETag_Throws412AndCurrentETagSucceeds()
    {
        var ct = TestContext.Current.CancellationToken;
        var table = await NewTableAsync();
        var original = await table.AddEntityAsync(new TableEntity("p", "r") { ["Count"] = 1 }, ct);
        var read = await table.GetEntityAsync("p", "r", cancellationToken: ct);

        var updated = await table.UpdateEntityAsync(new TableEntity("p", "r") { ["Count"] = 2 }, read.ETag, cancellationToken: ct);
        var ex = await Assert.ThrowsAsync<StorageRequestFailedException>(() =>
            table.UpdateEntityAsync(new TableEntity("p", "r") { ["Count"] = 3 }, original, TableUpdateMode.Replace, ct));
        var missing = await Assert.ThrowsAsync<StorageRequestFailedException>(() =>
            table.UpdateEntityAsync(new TableEntity("p", "absent") { ["Count"] = 3 }, ETag.All, cancellationToken: ct));

        Assert.Equal(original, read.ETag);
        Assert.NotEqual(original, updated);
        Assert.Equal(412, ex.Status);
        Assert.Equal("UpdateConditionNotSatisfied", ex.ErrorCode);
        Assert.Equal(404, missing.Status);
        var current = await table.GetEntityAsync("p", "r", cancellationToken: ct);
        Assert.Equal(2, current.GetInt32("Count"));
        Assert.Equal(updated, current.ETag);
    }

    [Fact]
    public async Task DeleteEntity_StaleETag_Throws412ThenCurrentDeletes()
    {
        var ct = TestContext.Current.CancellationToken;
        var table = await NewTableAsync();
        var stale = await table.AddEntityAsync(new TableEntity("p", "r") { ["V"] = 1 }, ct);
        var current = await table.UpsertEntityAsync(new TableEntity("p", "r") { ["V"] = 2 }, cancellationToken: ct);

        var ex = await Assert.ThrowsAsync<StorageRequestFailedException>(() => table.DeleteEntityAsync("p", "r", stale, ct));
        var deleted = await table.DeleteEntityAsync("p", "r", current, ct);
        var again = await table.DeleteEntityAsync("p", "r", cancellationToken: ct);

        Assert.Equal(412, ex.Status);
        Assert.True(deleted);
        Assert.False(again);
        Assert.Null(await table.GetEntityIfExistsAsync("p", "r", cancellationToken: ct));
    }

    [Fact]
    public async Task Query_SmallPages_FollowsContinuationAndReturnsEachOnce()
    {
        var ct = TestContext.Current.CancellationToken;
        var table = await NewTableAsync();
        for (var i = 0; i < 23; i++)
        {
            await table.AddEntityAsync(new TableEntity(i % 2 == 0 ? "even" : "odd", $"r{i:D2}") { ["N"] = i }, ct);
        }

        var all = await table.QueryAsync(maxPerPage: 5, cancellationToken: ct).ToListAsync(ct);
        var even = await table.QueryAsync(TableClient.CreateQueryFilter($"PartitionKey eq {"even"} and N ge {10}"), 3, cancellationToken: ct).ToListAsync(ct);
        var selected = await table.QueryAsync(TableClient.CreateQueryFilter($"RowKey eq {"r07"}"), select: ["N"], cancellationToken: ct).ToListAsync(ct);

        Assert.Equal(23, all.Count);
        Assert.Equal(Enumerable.Range(0, 23).Order(), all.Select(e => e.GetInt32("N")!.Value).Order());
        Assert.All(all, e => Assert.NotEqual(default, e.ETag));
        Assert.All(all, e => Assert.NotNull(e.Timestamp));
        Assert.Equal([10, 12, 14, 16, 18, 20, 22], even.Select(e => e.GetInt32("N")!.Value).Order());
        Assert.Equal(7, Assert.Single(selected).GetInt32("N"));
    }

    [Fact]
    public async Task Entity_TypedProperties_RoundTrip()
    {
        var ct = TestContext.Current.CancellationToken;
        var table = await NewTableAsync();
        var when = new DateTimeOffset(2026, 11, 21, 5, 33, 12, 345, TimeSpan.FromHours(2)).AddTicks(6789);
        var guid = Guid.NewGuid();
        byte[] bytes = [0, 1, 2, 254, 255];
        var entity = new TableEntity("types", "all")
        {
            ["Big"] = 9_007_199_254_740_993L,
            ["Small"] = 42L,
            ["Int"] = -7,
            ["When"] = when,
            ["Flag"] = true,
            ["Ratio"] = 2.0,
            ["Pi"] = Math.PI,
            ["Bytes"] = bytes,
            ["Id"] = guid,
            ["Text"] = "it's \"quoted\" ü",
            ["Numeric"] = "123",
        };

        await table.AddEntityAsync(entity, ct);
        var read = await table.GetEntityAsync("types", "all", cancellationToken: ct);
        var queried = Assert.Single(await table.QueryAsync(TableClient.CreateQueryFilter($"Id eq {guid} and Big eq {9_007_199_254_740_993L} and When eq {when} and Ratio eq {2.0} and Flag eq {true} and Bytes eq {bytes}"), cancellationToken: ct).ToListAsync(ct));

        foreach (var e in new[] { read, queried })
        {
            Assert.Equal(9_007_199_254_740_993L, e["Big"]);
            Assert.Equal(42L, e["Small"]);
            Assert.Equal(-7, e["Int"]);
            Assert.Equal(when, e.GetDateTimeOffset("When"));
            Assert.Equal(TimeSpan.Zero, e.GetDateTimeOffset("When")!.Value.Offset);
            Assert.Equal(true, e.GetBoolean("Flag"));
            Assert.Equal(2.0, e["Ratio"]);
            Assert.Equal(Math.PI, e.GetDouble("Pi"));
            Assert.Equal(bytes, e.GetBinary("Bytes"));
            Assert.Equal(guid, e["Id"]);
            Assert.Equal("it's \"quoted\" ü", e.GetString("Text"));
            Assert.Equal("123", e["Numeric"]);
            Assert.Equal("types", e.PartitionKey);
            Assert.Equal("all", e.RowKey);
            Assert.True(e.Timestamp > DateTimeOffset.UtcNow.AddMinutes(-5));
        }
    }

    [Fact]
    public async Task Entity_KeysWithQuotesAndSpaces_AddressTheRightEntity()
    {
        var ct = TestContext.Current.CancellationToken;
        var table = await NewTableAsync();
        const string partition = "o'brien & co";
        const string row = "plugin:hello world+1";

        await table.AddEntityAsync(new TableEntity(partition, row) { ["V"] = "x" }, ct);
        var read = await table.GetEntityAsync(partition, row, cancellationToken: ct);
        var queried = await table.QueryAsync(TableClient.CreateQueryFilter($"PartitionKey eq {partition}"), cancellationToken: ct).ToListAsync(ct);

        Assert.Equal(partition, read.PartitionKey);
        Assert.Equal(row, read.RowKey);
        Assert.Equal(row, Assert.Single(queried).RowKey);
        Assert.True(await table.DeleteEntityAsync(partition, row, cancellationToken: ct));
    }

    [Fact]
    public async Task Query_MissingTable_Throws404()
    {
        var table = new TableServiceClient(azurite.Account).GetTableClient(Azurite.UniqueName("missing"));

        var ct = TestContext.Current.CancellationToken;
        var ex = await Assert.ThrowsAsync<StorageRequestFailedException>(async () => await table.QueryAsync(cancellationToken: ct).ToListAsync(ct));

        Assert.Equal(404, ex.Status);
        Assert.Equal("TableNotFound", ex.ErrorCode);
    }

    [Fact]
    public async Task SubmitTransaction_MixedActions_AppliesAllAtomically()
    {
        var ct = TestContext.Current.CancellationToken;
        var table = await NewTableAsync();
        var existing = await table.AddEntityAsync(new TableEntity("g", "keep") { ["A"] = 1, ["B"] = "b" }, ct);
        await table.AddEntityAsync(new TableEntity("g", "gone"), ct);

        var etags = await table.SubmitTransactionAsync(
        [
            new(TableTransactionActionType.Add, new TableEntity("g", "new") { ["Big"] = 5L }),
            new(TableTransactionActionType.UpdateMerge, new TableEntity("g", "keep") { ["A"] = 2 }, existing),
            new(TableTransactionActionType.Delete, new TableEntity("g", "gone")),
            new(TableTransactionActionType.UpsertReplace, new TableEntity("g", "o'k") { ["C"] = true }),
        ], ct);

        Assert.Equal(4, etags.Count);
        var keep = await table.GetEntityAsync("g", "keep", cancellationToken: ct);
        Assert.Equal(etags[1], keep.ETag);
        Assert.Equal(2, keep.GetInt32("A"));
        Assert.Equal("b", keep.GetString("B"));
        Assert.Equal(5L, (await table.GetEntityAsync("g", "new", cancellationToken: ct)).GetInt64("Big"));
        Assert.Null(await table.GetEntityIfExistsAsync("g", "gone", cancellationToken: ct));
        Assert.Equal(true, (await table.GetEntityAsync("g", "o'k", cancellationToken: ct)).GetBoolean("C"));
    }

    [Fact]
    public async Task SubmitTransaction_OneActionFails_NothingAppliedAndIndexReported()
    {
        var ct = TestContext.Current.CancellationToken;
        var table = await NewTableAsync();
        await table.AddEntityAsync(new TableEntity("g", "taken"), ct);

        var ex = await Assert.ThrowsAsync<StorageRequestFailedException>(() => table.SubmitTransactionAsync(
        [
            new(TableTransactionActionType.Add, new TableEntity("g", "first")),
            new(TableTransactionActionType.Add, new TableEntity("g", "taken")),
        ], ct));

        Assert.Equal(409, ex.Status);
        Assert.Equal("EntityAlreadyExists", ex.ErrorCode);
        Assert.Equal(1, ex.FailedTransactionActionIndex);
        Assert.Null(await table.GetEntityIfExistsAsync("g", "first", cancellationToken: ct));
    }

    [Fact]
    public async Task SubmitTransaction_TwoPartitions_ThrowsArgumentException()
    {
        // Rejected before anything is sent, so no service is needed.
        var table = new TableServiceClient(StorageAccount.Development()).GetTableClient("unused");

        await Assert.ThrowsAsync<ArgumentException>(() => table.SubmitTransactionAsync(
        [
            new(TableTransactionActionType.Add, new TableEntity("a", "1")),
            new(TableTransactionActionType.Add, new TableEntity("b", "1")),
        ], TestContext.Current.CancellationToken));
    }
}
