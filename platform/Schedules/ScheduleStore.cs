using System.Globalization;
using System.Text.Json.Nodes;
using Azure;
using Azure.Data.Tables;
using Serverless.Platform.Hosting;

namespace Serverless.Platform.Schedules;

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

    /// <summary>Table storage's limit on the actions of one transaction.</summary>
    public const int MaxTransactionActions = 100;
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
        var found = await Table.GetEntityIfExistsAsync<RegistrationRow>(RegistrationPrefix + guildId, pluginId, cancellationToken: cancellationToken);
        if (!found.HasValue)
        {
            return null;
        }
        var row = found.Value!;
        var tasks = (JsonNode.Parse(row.Tasks ?? "[]")?.AsArray() ?? []).Select(t => ScheduledTask.FromJson(t!.AsObject())).ToList();
        return new ScheduleRegistration(guildId, pluginId, row.InstallId ?? "", row.Version ?? "", row.Generation ?? "", row.ScheduledAt ?? DateTimeOffset.MinValue, tasks);
    }

    public async Task SaveRegistrationAsync(ScheduleRegistration registration, CancellationToken cancellationToken) =>
        await Table.UpsertEntityAsync(new RegistrationRow
        {
            PartitionKey = RegistrationPrefix + registration.GuildId,
            RowKey = registration.PluginId,
            InstallId = registration.InstallId,
            Version = registration.Version,
            Generation = registration.Generation,
            ScheduledAt = registration.ScheduledAt,
            Tasks = new JsonArray(registration.Tasks.Select(t => (JsonNode)t.ToJson()).ToArray()).ToJsonString(),
        }, TableUpdateMode.Replace, cancellationToken);

    public async Task<bool> DeleteRegistrationAsync(string guildId, string pluginId, CancellationToken cancellationToken) =>
        (await Table.DeleteEntityAsync(RegistrationPrefix + guildId, pluginId, cancellationToken: cancellationToken)).Status == 204;

    // --- the due index ---

    public static DueRow ToRow(DueEntry entry) => new()
    {
        PartitionKey = entry.PartitionKey,
        RowKey = entry.RowKey,
        GuildId = entry.GuildId,
        PluginId = entry.PluginId,
        Generation = entry.Generation,
        Task = entry.Task.ToJson().ToJsonString(),
        DueTicks = entry.Due.UtcTicks,
    };

    public static DueEntry FromRow(DueRow row) => new(
        row.GuildId,
        row.PluginId,
        row.Generation,
        ScheduledTask.FromJson(JsonNode.Parse(row.Task)!.AsObject()),
        new DateTimeOffset(row.DueTicks, TimeSpan.Zero));

    /// <summary>Writes entries, grouped into one transaction per partition and 100 rows; existing rows are replaced.</summary>
    public async Task PutDueAsync(IEnumerable<DueEntry> entries, CancellationToken cancellationToken, int parallelism = 8)
    {
        var batches = entries.Select(ToRow).GroupBy(e => e.PartitionKey, StringComparer.Ordinal)
            .SelectMany(g => g.Chunk(MaxTransactionActions))
            .ToList();
        await Parallel.ForEachAsync(batches, new ParallelOptions { MaxDegreeOfParallelism = parallelism, CancellationToken = cancellationToken }, async (batch, ct) =>
            await Table.SubmitTransactionAsync(batch.Select(e => new TableTransactionAction(TableTransactionActionType.UpsertReplace, e)), ct));
    }

    /// <summary>
    /// The entries due at <paramref name="now"/>: a range over the due partitions up to now's minute, so the cost follows
    /// the number of due entries (plus those later in the current minute), not the number of schedules.
    /// </summary>
    public async IAsyncEnumerable<DueRow> QueryDueAsync(DateTimeOffset now, [System.Runtime.CompilerServices.EnumeratorCancellation] CancellationToken cancellationToken)
    {
        var filter = TableClient.CreateQueryFilter($"PartitionKey ge {DuePrefix} and PartitionKey le {DuePartition(now)} and DueTicks le {now.UtcTicks}");
        await foreach (var row in Table.QueryAsync<DueRow>(filter, cancellationToken: cancellationToken))
        {
            yield return row;
        }
    }

    // --- running markers ---

    /// <summary>
    /// Takes the running marker of a task, unless a live one exists; an expired one (its run crashed or was killed)
    /// is taken over. Returns the marker's ETag, or null when the task is still running.
    /// </summary>
    public async Task<ETag?> TryMarkRunningAsync(string guildId, string pluginId, string taskKey, string invocationId, DateTimeOffset now, TimeSpan ttl, CancellationToken cancellationToken)
    {
        var marker = new RunningMarker
        {
            PartitionKey = RunningPrefix + guildId,
            RowKey = RunningRow(pluginId, taskKey),
            Invocation = invocationId,
            StartedAt = now,
            ExpiresAt = now + ttl,
        };
        try
        {
            return (await Table.AddEntityAsync(marker, cancellationToken)).Headers.ETag;
        }
        catch (RequestFailedException ex) when (ex.Status == 409)
        {
        }
        var existing = await Table.GetEntityIfExistsAsync<RunningMarker>(marker.PartitionKey, marker.RowKey, cancellationToken: cancellationToken);
        if (existing.HasValue && existing.Value!.ExpiresAt > now)
        {
            return null;
        }
        try
        {
            var taken = existing.HasValue
                ? await Table.UpdateEntityAsync(marker, existing.Value!.ETag, TableUpdateMode.Replace, cancellationToken)
                : await Table.AddEntityAsync(marker, cancellationToken);
            return taken.Headers.ETag;
        }
        catch (RequestFailedException ex) when (ex.Status is 409 or 412 or 404)
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
        catch (RequestFailedException ex) when (ex.Status == 412)
        {
            // Our marker expired and a later run took it over: that one is its owner now.
        }
    }
}

/// <summary>A due-index row of table <c>schedules</c>; a tick that claims it stamps <see cref="ClaimedTicks"/> and <see cref="NextDueTicks"/> (<see cref="DueClaim"/>).</summary>
public sealed record DueRow : TableRow
{
    public string GuildId { get; set; } = "";

    public string PluginId { get; set; } = "";

    public string Generation { get; set; } = "";

    /// <summary>The <see cref="ScheduledTask"/> as JSON.</summary>
    public string Task { get; set; } = "";

    public long DueTicks { get; set; }

    public long? ClaimedTicks { get; set; }

    public long? NextDueTicks { get; set; }
}

/// <summary>What a tick merges into a <see cref="DueRow"/> it claims: when, and the due time the entry moves on to.</summary>
public sealed record DueClaim : TableRow
{
    public long ClaimedTicks { get; set; }

    public long NextDueTicks { get; set; }
}

/// <summary>A registration row of table <c>schedules</c>: the install's current generation and its tasks as JSON.</summary>
public sealed record RegistrationRow : TableRow
{
    public string? InstallId { get; set; }

    public string? Version { get; set; }

    public string? Generation { get; set; }

    public DateTimeOffset? ScheduledAt { get; set; }

    public string? Tasks { get; set; }
}

/// <summary>A running marker of table <c>schedules</c>: which invocation runs a task, until when at most.</summary>
public sealed record RunningMarker : TableRow
{
    public string Invocation { get; set; } = "";

    public DateTimeOffset StartedAt { get; set; }

    public DateTimeOffset ExpiresAt { get; set; }
}
