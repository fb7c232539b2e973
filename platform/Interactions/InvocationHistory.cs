using System.Globalization;
using System.Text.Json.Nodes;
using Azure;
using Azure.Data.Tables;
using Serverless.Platform.Hosting;
using Serverless.Platform.Invocations;

namespace Serverless.Platform.Interactions;

/// <summary>
/// One run as the portal and <c>local/plugin invoke</c> show it: an interaction (<see cref="InteractionId"/> set),
/// or an event, schedule or cron run (<see cref="InvocationId"/> set, the id its log lines carry).
/// </summary>
public sealed record InvocationRecord(
    string PluginId,
    string? GuildId,
    string? InteractionId,
    string? InvocationId,
    string? Kind,
    string? Name,
    DateTimeOffset? ReceivedAt,
    string Status,
    string? InitialResponse,
    bool? Deferred,
    double? AckMs,
    double? MarginMs,
    double? DurationMs,
    int? Attempts,
    string? Error)
{
    public JsonObject ToJson() => new()
    {
        ["plugin_id"] = PluginId,
        ["guild_id"] = GuildId,
        ["interaction_id"] = InteractionId,
        ["invocation_id"] = InvocationId,
        ["kind"] = Kind,
        ["name"] = Name,
        ["received_at"] = ReceivedAt?.ToString("O", CultureInfo.InvariantCulture),
        ["status"] = Status,
        ["initial_response"] = InitialResponse,
        ["deferred"] = Deferred,
        ["ack_ms"] = AckMs,
        ["margin_ms"] = MarginMs,
        ["duration_ms"] = DurationMs,
        ["attempts"] = Attempts,
        ["error"] = Error,
    };
}

/// <summary>
/// A small row per run in table <c>invocations</c> (partition = plugin id). An interaction's row is written
/// from two places that may finish in either order: the endpoint (how and how fast the initial response
/// went, the deadline margin) and the work handler (final status, run time). Each side merges only its own
/// columns, so neither overwrites the other. An event, schedule or cron run is written once by its work
/// handler when it ends. Row keys count down with the interaction's snowflake (for other runs, a snowflake
/// made from when the work was queued), so a partition reads newest first. Best effort: a failed write is
/// logged, never fails the run.
/// </summary>
public sealed class InvocationHistory(TableServiceClient tables, ILogger<InvocationHistory> logger)
{
    public const string TableName = "invocations";

    /// <summary>Statuses once the run ended (docs in platform/Portal/README.md). Before that an interaction's row reads <see cref="Pending"/>.</summary>
    public const string Pending = "pending";
    public const string Responded = "responded";
    public const string Deferred = "deferred";
    public const string NoResponse = "no_response";
    public const string Completed = "completed";
    public const string NotHandled = "not_handled";
    public const string Skipped = "skipped";
    public const string TimedOut = "timed_out";
    public const string Failed = "failed";
    public const string DeadLettered = "dead_lettered";

    /// <summary>Discord's deadline for the initial response; the margin is what was left of it.</summary>
    public static readonly TimeSpan DiscordDeadline = TimeSpan.FromSeconds(3);

    private static readonly DateTimeOffset DiscordEpoch = DateTimeOffset.FromUnixTimeMilliseconds(1_420_070_400_000);

    private TableClient Table => tables.GetTableClient(TableName);

    public static string RowKey(string interactionId) =>
        ulong.TryParse(interactionId, NumberStyles.None, CultureInfo.InvariantCulture, out var snowflake)
            ? (ulong.MaxValue - snowflake).ToString("D20", CultureInfo.InvariantCulture)
            : "~" + interactionId;

    /// <summary>The endpoint's half: the initial response it made (or saw the plugin make) and when.</summary>
    public Task RecordAnswerAsync(RoutedInteraction route, string interactionId, string initialResponse, TimeSpan ack, string? finalStatus, CancellationToken cancellationToken)
    {
        var entity = Identity(route, interactionId);
        entity["InitialResponse"] = initialResponse;
        entity["Deferred"] = initialResponse is InteractionLedger.Deferred or InteractionLedger.DeferredUpdate;
        entity["AckMs"] = Math.Round(ack.TotalMilliseconds, 1);
        // Against Discord's 3 s, not the platform's budget: a deferral made once the budget ran out is in time.
        entity["MarginMs"] = Math.Round((DiscordDeadline - ack).TotalMilliseconds, 1);
        entity["ReceivedAt"] = DateTimeOffset.UtcNow - ack;
        if (finalStatus is not null)
        {
            entity["Status"] = finalStatus;
        }
        return UpsertAsync(entity, cancellationToken);
    }

    /// <summary>The work handler's half: how the run ended.</summary>
    public Task RecordRunAsync(RoutedInteraction route, string interactionId, string status, TimeSpan? duration, int attempts, string? error, CancellationToken cancellationToken)
    {
        var entity = Identity(route, interactionId);
        entity["Status"] = status;
        entity["DurationMs"] = duration is { } d ? Math.Round(d.TotalMilliseconds, 1) : null;
        entity["Attempts"] = attempts;
        entity["Error"] = Truncate(error);
        return UpsertAsync(entity, cancellationToken);
    }

    /// <summary>
    /// An event, schedule or cron run, once it ended: <paramref name="kind"/> is the invocation kind
    /// (<c>event</c>, <c>schedule</c>, <c>cron</c>), <paramref name="name"/> the event's name or the task's id.
    /// The row is keyed by when the work was queued and the invocation's id, so a redelivery overwrites it.
    /// </summary>
    public Task RecordWorkAsync(InstallContext install, string invocationId, DateTimeOffset queuedAt, string kind, string name, string status, TimeSpan? duration, int attempts, string? error, CancellationToken cancellationToken)
    {
        var snowflake = (ulong)Math.Max(0, (queuedAt - DiscordEpoch).Ticks / TimeSpan.TicksPerMillisecond) << 22;
        return UpsertAsync(new TableEntity(install.PluginId, $"{RowKey(snowflake.ToString(CultureInfo.InvariantCulture))}_{invocationId}")
        {
            ["GuildId"] = install.GuildId,
            ["InvocationId"] = invocationId,
            ["Kind"] = kind,
            ["Name"] = name,
            ["ReceivedAt"] = queuedAt,
            ["Status"] = status,
            ["DurationMs"] = duration is { } d ? Math.Round(d.TotalMilliseconds, 1) : null,
            ["Attempts"] = attempts,
            ["Error"] = Truncate(error),
        }, cancellationToken);
    }

    /// <summary>How an event, schedule or cron run ended, as a status of this table.</summary>
    public static string WorkStatus(InvocationStatus status) => status switch
    {
        InvocationStatus.Handled => Completed,
        InvocationStatus.NotHandled => NotHandled,
        InvocationStatus.Skipped => Skipped,
        InvocationStatus.TimedOut => TimedOut,
        _ => Failed,
    };

    /// <summary>Newest first; one plugin's partition, or every plugin's when <paramref name="pluginId"/> is null.</summary>
    public async Task<IReadOnlyList<InvocationRecord>> ListAsync(string? pluginId, string? guildId, string? interactionId, int limit, CancellationToken cancellationToken)
    {
        var conditions = new List<string>();
        if (pluginId is not null)
        {
            conditions.Add(TableClient.CreateQueryFilter($"PartitionKey eq {pluginId}"));
        }
        if (guildId is not null)
        {
            conditions.Add(TableClient.CreateQueryFilter($"GuildId eq {guildId}"));
        }
        if (interactionId is not null)
        {
            conditions.Add(TableClient.CreateQueryFilter($"RowKey eq {RowKey(interactionId)}"));
        }
        var records = new List<InvocationRecord>();
        await foreach (var row in Table.QueryAsync<InvocationRow>(conditions.Count == 0 ? null : string.Join(" and ", conditions), cancellationToken: cancellationToken))
        {
            records.Add(FromRow(row));
            // Within a partition the order is already newest first; across partitions it is not.
            if (pluginId is not null && records.Count >= limit)
            {
                break;
            }
        }
        return records.OrderByDescending(r => r.ReceivedAt ?? DateTimeOffset.MinValue).Take(limit).ToList();
    }

    private static string? Truncate(string? error) => error is { Length: > 1000 } ? error[..1000] + "…" : error;

    private static TableEntity Identity(RoutedInteraction route, string interactionId) => new(route.Install.PluginId, RowKey(interactionId))
    {
        ["GuildId"] = route.Install.GuildId,
        ["InteractionId"] = interactionId,
        ["Kind"] = route.Kind,
        ["Name"] = route.Name,
    };

    /// <summary>
    /// Merges the columns set (a property bag, not an <see cref="InvocationRow"/>, because each writer owns only some
    /// columns); nulls are left out, so a merge never touches a column its writer has no value for.
    /// </summary>
    private async Task UpsertAsync(TableEntity entity, CancellationToken cancellationToken)
    {
        foreach (var unset in entity.Where(p => p.Value is null).Select(p => p.Key).ToList())
        {
            entity.Remove(unset);
        }
        try
        {
            await Table.UpsertEntityAsync(entity, TableUpdateMode.Merge, cancellationToken);
        }
        catch (Exception ex) when (ex is RequestFailedException or AggregateException or OperationCanceledException)
        {
            logger.LogWarning("Could not record run {Id} in {Table}: {Message}", entity.GetString("InteractionId") ?? entity.GetString("InvocationId"), TableName, ex.Message);
        }
    }

    private static InvocationRecord FromRow(InvocationRow row) => new(
        row.PartitionKey,
        row.GuildId,
        row.InteractionId ?? (row.InvocationId is null ? row.RowKey : null),
        row.InvocationId,
        row.Kind,
        row.Name,
        row.ReceivedAt,
        row.Status ?? Pending,
        row.InitialResponse,
        row.Deferred,
        row.AckMs,
        row.MarginMs,
        row.DurationMs,
        row.Attempts,
        row.Error);
}

/// <summary>A row of table <c>invocations</c>, as read: the columns both writers of an interaction's row may have set.</summary>
public sealed record InvocationRow : TableRow
{
    public string? GuildId { get; set; }

    public string? InteractionId { get; set; }

    public string? InvocationId { get; set; }

    public string? Kind { get; set; }

    public string? Name { get; set; }

    public DateTimeOffset? ReceivedAt { get; set; }

    public string? Status { get; set; }

    public string? InitialResponse { get; set; }

    public bool? Deferred { get; set; }

    public double? AckMs { get; set; }

    public double? MarginMs { get; set; }

    public double? DurationMs { get; set; }

    public int? Attempts { get; set; }

    public string? Error { get; set; }
}
