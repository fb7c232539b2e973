using System.Net;
using System.Text;
using System.Text.Json.Nodes;
using Azure.Data.Tables;
using Azure.Data.Tables.Sas;
using Microsoft.Extensions.Logging.Abstractions;
using Serverless.Platform.Events;
using Serverless.Platform.Hosting;
using Serverless.Platform.Installs;
using Serverless.Platform.Interactions;
using Serverless.Platform.Invocations;
using Serverless.Platform.Packages;
using Serverless.Platform.Publishers;
using Serverless.Platform.Schedules;
using Serverless.Tests.Infrastructure;

namespace Serverless.Tests.Hosting;

/// <summary>
/// The table rows keep the layout of the Table REST client the platform used before the Azure SDK: rows written in
/// that shape (the REST API's JSON, with <c>@odata.type</c> where JSON cannot tell the type) read back through the
/// stores, and rows the stores write carry the same property names and EDM types. The raw requests go through a
/// table SAS, so no SDK serializer is on the raw side.
/// </summary>
public sealed class TableSchemaTests(Azurite azurite)
{
    private static readonly HttpClient Http = new();

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    private static readonly DateTimeOffset At = new(2026, 11, 20, 12, 34, 56, 789, TimeSpan.Zero);

    private const string AtJson = "\"2026-11-20T12:34:56.7890000Z\"";

    [Fact]
    public async Task Stores_RowsInTheRestClientsShape_ReadBack()
    {
        var tables = await LayoutAsync();
        var id = Guid.NewGuid().ToString("N")[..12];
        var guild = Random.Shared.NextInt64(100_000_000_000, 900_000_000_000).ToString(System.Globalization.CultureInfo.InvariantCulture);
        var plugin = "p" + id;

        await InsertAsync(tables, InstallStore.TableName, $$"""
            {"PartitionKey":"{{guild}}","RowKey":"{{plugin}}","InstallId":"i{{id}}","Requirement":"^1.0","Version":"1.2.3","Capabilities":"[\"messages:send\"]",
             "InstalledAt@odata.type":"Edm.DateTime","InstalledAt":{{AtJson}},"UpdatedAt@odata.type":"Edm.DateTime","UpdatedAt":{{AtJson}}}
            """);
        var install = await new InstallStore(tables, TimeProvider.System).GetAsync(guild, plugin, Ct);
        Assert.NotNull(install);
        Assert.Equal(("i" + id, "^1.0", "1.2.3", At, At), (install.InstallId, install.Requirement, install.Version.Text, install.InstalledAt, install.UpdatedAt));
        Assert.Equal(["messages:send"], install.Capabilities);

        var schedules = new ScheduleStore(tables, Azurite.UniqueName("schedules"));
        await schedules.Table.CreateIfNotExistsAsync(Ct);
        var task = ScheduledTask.Interval("tick", TimeSpan.FromSeconds(60)).ToJson().ToJsonString().Replace("\"", "\\\"", StringComparison.Ordinal);
        await InsertAsync(tables, schedules.Table.Name, $$"""
            {"PartitionKey":"due-202611201234","RowKey":"r1","GuildId":"{{guild}}","PluginId":"{{plugin}}","Generation":"g1","Task":"{{task}}",
             "DueTicks@odata.type":"Edm.Int64","DueTicks":"{{At.UtcTicks}}","ClaimedTicks@odata.type":"Edm.Int64","ClaimedTicks":"{{At.UtcTicks - 1}}"}
            """);
        await InsertAsync(tables, schedules.Table.Name, $$"""
            {"PartitionKey":"reg-{{guild}}","RowKey":"{{plugin}}","InstallId":"i{{id}}","Version":"1.2.3","Generation":"g1",
             "ScheduledAt@odata.type":"Edm.DateTime","ScheduledAt":{{AtJson}},"Tasks":"[{{task}}]"}
            """);
        var due = Assert.Single(await schedules.QueryDueAsync(At.AddMinutes(1), Ct).ToListAsync(Ct));
        Assert.Equal((At.UtcTicks, (long?)At.UtcTicks - 1, (long?)null), (due.DueTicks, due.ClaimedTicks, due.NextDueTicks));
        Assert.Equal((guild, plugin, "g1", At), (ScheduleStore.FromRow(due).GuildId, ScheduleStore.FromRow(due).PluginId, ScheduleStore.FromRow(due).Generation, ScheduleStore.FromRow(due).Due));
        var registration = await schedules.GetRegistrationAsync(guild, plugin, Ct);
        Assert.NotNull(registration);
        Assert.Equal(("g1", At, 1), (registration.Generation, registration.ScheduledAt, registration.Tasks.Count));
        await schedules.Table.DeleteAsync(Ct);

        await InsertAsync(tables, InvocationHistory.TableName, $$"""
            {"PartitionKey":"{{plugin}}","RowKey":"{{InvocationHistory.RowKey("1234567890123456789")}}","GuildId":"{{guild}}","InteractionId":"1234567890123456789","Kind":"command","Name":"greet",
             "InitialResponse":"deferred","Deferred":true,"AckMs@odata.type":"Edm.Double","AckMs":12.5,"MarginMs@odata.type":"Edm.Double","MarginMs":2.0,
             "ReceivedAt@odata.type":"Edm.DateTime","ReceivedAt":{{AtJson}},"Status":"responded","Attempts":2}
            """);
        var run = Assert.Single(await new InvocationHistory(tables, NullLogger<InvocationHistory>.Instance).ListAsync(plugin, null, null, 10, Ct));
        Assert.Equal((true, 12.5, 2.0, (double?)null, 2, (DateTimeOffset?)At, "responded", (string?)null), (run.Deferred, run.AckMs, run.MarginMs, run.DurationMs, run.Attempts, run.ReceivedAt, run.Status, run.Error));

        var upload = UploadRef.FromBlobName($"pub{id}/greeter.zip")!;
        await InsertAsync(tables, PendingUploads.TableName, $$"""
            {"PartitionKey":"{{upload.Publisher}}","RowKey":"greeter","Attempts":3,"NextAttemptAt@odata.type":"Edm.DateTime","NextAttemptAt":{{AtJson}}}
            """);
        var pending = new PendingUploads(tables);
        Assert.Equal(3, await pending.AttemptsAsync(upload, Ct));
        Assert.Contains(await pending.DueAsync(At, Ct), p => p.Upload == upload && p.Attempts == 3 && p.NextAttemptAt == At);
        await pending.DeleteAsync(upload, Ct);

        await InsertAsync(tables, PluginLogs.TableName, $$"""
            {"PartitionKey":"{{plugin}}_{{guild}}","RowKey":"0001","Time@odata.type":"Edm.DateTime","Time":{{AtJson}},"Level":"warning","Message":"hello"}
            """);
        var line = Assert.Single(await new PluginLogs(tables, TimeProvider.System).ReadAsync(plugin, guild, 10, Ct));
        Assert.Equal(new PluginLogEntry(At, "warning", "hello", null), line);

        await InsertAsync(tables, PublisherKeys.TableName, $$"""
            {"PartitionKey":"pub{{id}}","RowKey":"0123456789abcdef","SecretSha256":"00",
             "CreatedAt@odata.type":"Edm.DateTime","CreatedAt":{{AtJson}},"ExpiresAt@odata.type":"Edm.DateTime","ExpiresAt":"2999-01-01T00:00:00.0000000Z"}
            """);
        var key = Assert.Single(await new PublisherKeys(tables, TimeProvider.System).ListAsync("pub" + id, Ct));
        Assert.Equal(new PublisherKey("pub" + id, "0123456789abcdef", At, new DateTimeOffset(2999, 1, 1, 0, 0, 0, TimeSpan.Zero)), key);

        await InsertAsync(tables, PluginCatalog.TableName, $$"""
            {"PartitionKey":"{{plugin}}","RowKey":"v_1.2.3","Version":"1.2.3","Publisher":"acme","Sha256":"ab","Dependencies":"{\"base\":\"^1.0.0\"}",
             "PublishedAt@odata.type":"Edm.DateTime","PublishedAt":{{AtJson}},"Warnings":"[]"}
            """);
        var published = await new PluginCatalog(tables, azurite.Blobs).GetVersionAsync(plugin, PluginVersion.Parse("1.2.3"), Ct);
        Assert.NotNull(published);
        Assert.Equal(("acme", "ab", At, "^1.0.0", (System.Text.Json.Nodes.JsonObject?)null), (published.Publisher, published.Sha256, published.PublishedAt, published.Dependencies["base"].Text, published.Registrations));

        await InsertAsync(tables, InteractionLedger.TableName, $$"""
            {"PartitionKey":"{{id}}","RowKey":"claim","At@odata.type":"Edm.DateTime","At":{{AtJson}},"Kind":"modal"}
            """);
        var ledger = new InteractionLedger(tables);
        Assert.Equal("modal", await ledger.GetClaimAsync(id, Ct));
        Assert.Equal((false, "modal"), await ledger.TryClaimAsync(id, InteractionLedger.Deferred, Ct));

        await InsertAsync(tables, KvStore.TableName, $$"""
            {"PartitionKey":"i{{id}}","RowKey":"a%002Fb","Key":"a/b","Value":"{\"n\":1}"}
            """);
        var kv = new KvStore(tables, new KvQuotas());
        Assert.Equal(1, (await kv.GetAsync("i" + id, "a/b", Ct))?["n"]?.GetValue<int>());
        Assert.Equal(["a/b"], await kv.ListAsync("i" + id, "a", Ct));

        await InsertAsync(tables, EventDedup.TableName, $$"""
            {"PartitionKey":"{{EventDedup.Partition(At)}}","RowKey":"s{{id}}:1","EventId":"s{{id}}:1"}
            """);
        Assert.False(await new EventDedup(tables).TryClaimAsync($"s{id}:1", At, Ct));
    }

    [Fact]
    public async Task Stores_RowsTheyWrite_KeepTheRestClientsNamesAndTypes()
    {
        var tables = await LayoutAsync();
        var id = Guid.NewGuid().ToString("N")[..12];
        var plugin = "p" + id;

        var schedules = new ScheduleStore(tables, Azurite.UniqueName("schedules"));
        await schedules.Table.CreateIfNotExistsAsync(Ct);
        var entry = new DueEntry("1", plugin, "g1", ScheduledTask.Interval("tick", TimeSpan.FromSeconds(60)), At);
        await schedules.PutDueAsync([entry], Ct);
        await schedules.SaveRegistrationAsync(new ScheduleRegistration("1", plugin, "i1", "1.0.0", "g1", At, []), Ct);
        var dueRow = await GetAsync(tables, schedules.Table.Name, entry.PartitionKey, entry.RowKey);
        Assert.Equal(("Edm.Int64", At.UtcTicks.ToString(System.Globalization.CultureInfo.InvariantCulture)), (Type(dueRow, "DueTicks"), dueRow["DueTicks"]!.GetValue<string>()));
        Assert.False(dueRow.ContainsKey("ClaimedTicks"), "an unclaimed entry has no claim column");
        Assert.Equal(["DueTicks", "Generation", "GuildId", "PluginId", "Task"], UserProperties(dueRow));
        var registration = await GetAsync(tables, schedules.Table.Name, "reg-1", plugin);
        Assert.Equal(("Edm.DateTime", At), (Type(registration, "ScheduledAt"), DateTimeOffset.Parse(registration["ScheduledAt"]!.GetValue<string>(), System.Globalization.CultureInfo.InvariantCulture)));
        await schedules.Table.DeleteAsync(Ct);

        var installs = new InstallStore(tables, TimeProvider.System);
        await installs.SaveAsync(new PluginInstall("1", plugin, "i" + id, "*", PluginVersion.Parse("1.0.0"), ["kv"], At, At), Ct);
        var install = await GetAsync(tables, InstallStore.TableName, "1", plugin);
        Assert.Equal("Edm.DateTime", Type(install, "InstalledAt"));
        Assert.Equal(["Capabilities", "InstallId", "InstalledAt", "Requirement", "UpdatedAt", "Version"], UserProperties(install));

        var history = new InvocationHistory(tables, NullLogger<InvocationHistory>.Instance);
        await history.RecordWorkAsync(new InstallContext("1", plugin, "i1", PluginVersion.Parse("1.0.0"), new HashSet<string>()), "inv" + id, At, "cron", "nightly", InvocationHistory.Completed, TimeSpan.FromMilliseconds(12), 1, null, Ct);
        var run = (await QueryAsync(tables, InvocationHistory.TableName, plugin)).Single();
        // A whole number of milliseconds stays a Double (an Int32 would read 12); the service leaves a Double unannotated.
        Assert.Equal("12.0", run["DurationMs"]!.ToJsonString());
        Assert.Equal(1, run["Attempts"]!.GetValue<int>());
        Assert.Equal("Edm.DateTime", Type(run, "ReceivedAt"));
        Assert.False(run.ContainsKey("Error"), "a run without an error stores no Error column");

        await new PendingUploads(tables).SaveAsync(new PendingUpload(UploadRef.FromBlobName($"pub{id}/greeter.zip")!, 2, At), Ct);
        var pending = await GetAsync(tables, PendingUploads.TableName, "pub" + id, "greeter");
        Assert.Equal((2, "Edm.DateTime"), (pending["Attempts"]!.GetValue<int>(), Type(pending, "NextAttemptAt")));

        await new PluginLogs(tables, TimeProvider.System).AppendAsync(plugin, null, "info", "hi", null, Ct);
        var log = (await QueryAsync(tables, PluginLogs.TableName, plugin + "_-")).Single();
        Assert.Equal(["Level", "Message", "Time"], UserProperties(log));
        Assert.Equal("Edm.DateTime", Type(log, "Time"));
    }

    [Fact]
    public async Task Stores_ValuesWithQuotes_StayLiteralsInFilters()
    {
        var tables = await LayoutAsync();
        var id = Guid.NewGuid().ToString("N")[..12];
        var installs = new InstallStore(tables, TimeProvider.System);
        await installs.SaveAsync(new PluginInstall($"o'{id}", "p" + id, "i1", "*", PluginVersion.Parse("1.0.0"), [], At, At), Ct);
        await installs.SaveAsync(new PluginInstall($"other{id}", "p" + id, "i2", "*", PluginVersion.Parse("1.0.0"), [], At, At), Ct);

        Assert.Equal(["i1"], (await installs.ListAsync($"o'{id}", Ct)).Select(i => i.InstallId));
        Assert.Empty(await installs.ListAsync($"x' or PartitionKey ne '", Ct));
        var kv = new KvStore(tables, new KvQuotas());
        await kv.SetAsync($"i'{id}", "k", JsonValue.Create(1), Ct);
        Assert.Empty(await kv.ListAsync($"x' or PartitionKey ne '", "", Ct));
        Assert.Equal(["k"], await kv.ListAsync($"i'{id}", "", Ct));
    }

    private async Task<TableServiceClient> LayoutAsync()
    {
        var tables = azurite.Tables;
        await new StorageLayout(azurite.Blobs, azurite.Queues, tables, NullLogger<StorageLayout>.Instance).EnsureAsync(Ct);
        return tables;
    }

    private static string? Type(JsonObject row, string property) => row[property + "@odata.type"]?.GetValue<string>();

    private static string[] UserProperties(JsonObject row) =>
        [.. row.Select(p => p.Key).Where(k => !k.Contains('@') && !k.StartsWith("odata.", StringComparison.Ordinal) && k is not ("PartitionKey" or "RowKey" or "Timestamp")).Order(StringComparer.Ordinal)];

    private static Uri Sas(TableServiceClient tables, string table) =>
        tables.GetTableClient(table).GenerateSasUri(TableSasPermissions.All, DateTimeOffset.UtcNow.AddMinutes(10));

    /// <summary>An Insert Entity request as the REST client sent it.</summary>
    private static async Task InsertAsync(TableServiceClient tables, string table, string json)
    {
        using var request = new HttpRequestMessage(HttpMethod.Post, Sas(tables, table)) { Content = new StringContent(json, Encoding.UTF8) };
        request.Content.Headers.ContentType = System.Net.Http.Headers.MediaTypeHeaderValue.Parse("application/json;odata=nometadata");
        Headers(request);
        request.Headers.Add("Prefer", "return-no-content");
        using var response = await Http.SendAsync(request, Ct);
        Assert.True(response.StatusCode is HttpStatusCode.NoContent or HttpStatusCode.Created, $"{response.StatusCode}: {await response.Content.ReadAsStringAsync(Ct)}");
    }

    private static async Task<JsonObject> GetAsync(TableServiceClient tables, string table, string partitionKey, string rowKey)
    {
        var sas = Sas(tables, table);
        var uri = new Uri($"{sas.GetLeftPart(UriPartial.Path)}(PartitionKey='{Uri.EscapeDataString(partitionKey)}',RowKey='{Uri.EscapeDataString(rowKey)}'){sas.Query}");
        return (await ReadAsync(uri)).AsObject();
    }

    private static async Task<IEnumerable<JsonObject>> QueryAsync(TableServiceClient tables, string table, string partitionKey)
    {
        var sas = Sas(tables, table);
        var uri = new Uri($"{sas.GetLeftPart(UriPartial.Path)}(){sas.Query}&$filter={Uri.EscapeDataString(TableClient.CreateQueryFilter($"PartitionKey eq {partitionKey}"))}");
        return (await ReadAsync(uri))["value"]!.AsArray().Select(v => v!.AsObject());
    }

    private static async Task<JsonNode> ReadAsync(Uri uri)
    {
        using var request = new HttpRequestMessage(HttpMethod.Get, uri);
        Headers(request);
        using var response = await Http.SendAsync(request, Ct);
        var body = await response.Content.ReadAsStringAsync(Ct);
        Assert.True(response.IsSuccessStatusCode, $"{response.StatusCode}: {body}");
        return JsonNode.Parse(body)!;
    }

    private static void Headers(HttpRequestMessage request)
    {
        // Full metadata names every property's EDM type the service keeps.
        request.Headers.Add("Accept", "application/json;odata=fullmetadata");
        request.Headers.Add("DataServiceVersion", "3.0");
        request.Headers.Add("MaxDataServiceVersion", "3.0;NetFx");
        request.Headers.Add("x-ms-version", "2019-02-02");
    }
}
