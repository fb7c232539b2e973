using System.Globalization;
using System.Text.Json.Nodes;
using Azure;
using Serverless.Functions.Storage;

namespace Serverless.Functions.Schedules;

/// <summary>What is scheduled for one install; a new <see cref="Generation"/> on every (re)schedule retires the old due entries.</summary>
public sealed record ScheduleRegistration(string GuildId, string PluginId, string InstallId, string Version, string Generation, DateTimeOffset ScheduledAt, IReadOnlyList<ScheduledTask> Tasks);

/// <summary>One due-index entry: a task of an install (at a generation) due at <see cref="Due"/>.</summary>
public sealed record DueEntry(string GuildId, string PluginId, string Generation, ScheduledTask Task, DateTimeOffset Due)
{
    public string PartitionKey => ScheduleStore.DuePartition(Due);

    public string RowKey => ScheduleStore.DueRow(this);
}

/// <summary>
/// Table <c>schedules</c>, three kinds of rows:
/// <list type="bullet">
/// <item>the due index: partition <c>due-yyyyMMddHHmm</c> (the due minute, UTC), row <c>{dueTicks}|{guild}|{plugin}|{generation}|{task}</c>,
/// so a tick reads only the partitions up to now and never touches schedules due later;</item>
/// <item>registrations: partition <c>reg-{guild}</c>, row = plugin id, holding the current generation;</item>
/// <item>running markers: partition <c>run-{guild}</c>, row <c>{plugin}|{task}</c>, with an expiry.</item>
/// </list>
/// Partition names sort so that <c>due-…</c> ranges never include the other kinds.
/// </summary>
public sealed class ScheduleStore(TableServiceClient tables, string tableName = ScheduleStore.TableName)
{
    public const string TableName = "schedules";
    private const string DuePrefix = "due-";
    private const string RegistrationPrefix = "reg-";
    private const string RunningPrefix = "run-";

    public TableClient Table => tables.GetTableClient(tableName);

    public static string DuePartition(DateTimeOffset due) => DuePrefix + due.UtcDateTime.ToString("yyyyMMddHHmm", CultureInfo.InvariantCulture);

    /// <summary>Keys may not hold <c>/ \ # ?</c> or control characters, and task ids may hold <c>#</c> (<c>heartbeat#2</c>): escape them.</summary>
    public static string DueRow(DueEntry entry) =>
        $"{entry.Due.UtcTicks:D19}|{entry.GuildId}|{entry.PluginId}|{entry.Generation}|{Uri.EscapeDataString(entry.Task.Key)}";

    private static string RunningRow(string pluginId, string taskKey) => $"{pluginId}|{Uri.EscapeDataString(taskKey)}";

    // --- registrations ---

    public async Task<ScheduleRegistration?> GetRegistrationAsync(string guildId, string pluginId, CancellationToken cancellationToken)
    {
        var entity = await Table.GetEntityIfExistsAsync(RegistrationPrefix + guildId, pluginId, cancellationToken: cancellationToken);
        if (entity is null)
        {
            return null;
        }
        var tasks = (JsonNode.Parse(entity.GetString("Tasks") ?? "[]")?.AsArray() ?? []).Select(t => ScheduledTask.FromJson(t!.AsObject())).ToList();
        return new ScheduleRegistration(guildId, pluginId, entity.GetString("InstallId") ?? "", entity.GetString("Version") ?? "",
            entity.GetString("Generation") ?? "", entity.GetDateTimeOffset("ScheduledAt") ?? DateTimeOffset.MinValue, tasks);
    }

    public async Task SaveRegistrationAsync(ScheduleRegistration registration, CancellationToken cancellationToken) =>
        await Table.UpsertEntityAsync(new TableEntity(RegistrationPrefix + registration.GuildId, registration.PluginId)
        {
            ["InstallId"] = registration.InstallId,
            ["Version"] = registration.Version,
            ["Generation"] = registration.Generation,
            ["ScheduledAt"] = registration.ScheduledAt,
            ["Tasks"] = new JsonArray(registration.Tasks.Select(t => (JsonNode)t.ToJson()).ToArray()).ToJsonString(),
        }, TableUpdateMode.Replace, cancellationToken);

    public async Task<bool> DeleteRegistrationAsync(string guildId, string pluginId, CancellationToken cancellationToken) =>
        await Table.DeleteEntityAsync(RegistrationPrefix + guildId, pluginId, cancellationToken: cancellationToken);

    // --- the due index ---

    public static TableEntity ToEntity(DueEntry entry) => new(entry.PartitionKey, entry.RowKey)
    {
        ["GuildId"] = entry.GuildId,
        ["PluginId"] = entry.PluginId,
        ["Generation"] = entry.Generation,
        ["Task"] = entry.Task.ToJson().ToJsonString(),
        ["DueTicks"] = entry.Due.UtcTicks,
    };

    public static DueEntry FromEntity(TableEntity entity) => new(
        entity.GetString("GuildId")!,
        entity.GetString("PluginId")!,
        entity.GetString("Generation")!,
        ScheduledTask.FromJson(JsonNode.Parse(entity.GetString("Task")!)!.AsObject()),
        new DateTimeOffset(entity.GetInt64("DueTicks") ?? 0, TimeSpan.Zero));

    /// <summary>Writes entries, grouped into one transaction per partition and 100 rows; existing rows are replaced.</summary>
    public async Task PutDueAsync(IEnumerable<DueEntry> entries, CancellationToken cancellationToken, int parallelism = 8)
    {
        var batches = entries.Select(ToEntity).GroupBy(e => e.PartitionKey, StringComparer.Ordinal)
            .SelectMany(g => g.Chunk(TableTransaction.MaxActions))
            .ToList();
        await Parallel.ForEachAsync(batches, new ParallelOptions { MaxDegreeOfParallelism = parallelism, CancellationToken = cancellationToken }, async (batch, ct) =>
            await Table.SubmitTransactionAsync(batch.Select(e => new TableTransactionAction(TableTransactionActionType.UpsertReplace, e)), ct));
    }

    /// <summary>
    /// The entries due at <paramref name="now"/>: a range over the due partitions up to now's minute, so the cost follows
    /// the number of due entries (plus those later in the current minute), not the number of schedules.
    /// </summary>
    public async IAsyncEnumerable<TableEntity> QueryDueAsync(DateTimeOffset now, [System.Runtime.CompilerServices.EnumeratorCancellation] CancellationToken cancellationToken)
    {
        var filter = TableClient.CreateQueryFilter($"PartitionKey ge {DuePrefix} and PartitionKey le {DuePartition(now)} and DueTicks le {now.UtcTicks}");
        await foreach (var entity in Table.QueryAsync(filter, cancellationToken: cancellationToken))
        {
            yield return entity;
        }
    }

    // --- running markers ---

    /// <summary>
    /// Takes the running marker of a task, unless a live one exists; an expired one (its run crashed or was killed)
    /// is taken over. Returns the marker's ETag, or null when the task is still running.
    /// </summary>
    public async Task<ETag?> TryMarkRunningAsync(string guildId, string pluginId, string taskKey, string invocationId, DateTimeOffset now, TimeSpan ttl, CancellationToken cancellationToken)
    {
        var entity = new TableEntity(RunningPrefix + guildId, RunningRow(pluginId, taskKey))
        {
            ["Invocation"] = invocationId,
            ["StartedAt"] = now,
            ["ExpiresAt"] = now + ttl,
        };
        try
        {
            return await Table.AddEntityAsync(entity, cancellationToken);
        }
        catch (StorageRequestFailedException ex) when (ex.Status == 409)
        {
        }
        var existing = await Table.GetEntityIfExistsAsync(entity.PartitionKey, entity.RowKey, cancellationToken: cancellationToken);
        if (existing is not null && existing.GetDateTimeOffset("ExpiresAt") > now)
        {
            return null;
        }
        try
        {
            return existing is null
                ? await Table.AddEntityAsync(entity, cancellationToken)
                : await Table.UpdateEntityAsync(entity, existing.ETag, TableUpdateMode.Replace, cancellationToken);
        }
        catch (StorageRequestFailedException ex) when (ex.Status is 409 or 412 or 404)
        {
            // Another run took it between the read and the write.
            return null;
        }
    }

    public async Task ClearRunningAsync(string guildId, string pluginId, string taskKey, ETag marker, CancellationToken cancellationToken)
    {
        try
        {
            await Table.DeleteEntityAsync(RunningPrefix + guildId, RunningRow(pluginId, taskKey), marker, cancellationToken);
        }
        catch (StorageRequestFailedException ex) when (ex.Status == 412)
        {
            // Our marker expired and a later run took it over: that one is its owner now.
        }
    }
}
