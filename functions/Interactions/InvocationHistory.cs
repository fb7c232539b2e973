using System.Globalization;
using System.Text.Json.Nodes;
using Serverless.Functions.Storage;

namespace Serverless.Functions.Interactions;

/// <summary>One interaction's run as the portal and <c>local/plugin invoke</c> show it.</summary>
public sealed record InvocationRecord(
    string PluginId,
    string? GuildId,
    string InteractionId,
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
/// A small row per interaction in table <c>invocations</c> (partition = plugin id), written from two
/// places that may finish in either order: the endpoint (how and how fast the initial response went,
/// the deadline margin) and the work handler (final status, run time). Each side merges only its own
/// columns, so neither overwrites the other. Row keys count down with the interaction's snowflake, so
/// a partition reads newest first. Best effort: a failed write is logged, never fails the interaction.
/// </summary>
public sealed class InvocationHistory(TableServiceClient tables, ILogger<InvocationHistory> logger)
{
    public const string TableName = "invocations";

    /// <summary>Statuses once the run ended. Before that a row reads <see cref="Pending"/>.</summary>
    public const string Pending = "pending";
    public const string Responded = "responded";
    public const string Deferred = "deferred";
    public const string TimedOut = "timed_out";
    public const string Failed = "failed";
    public const string DeadLettered = "dead_lettered";

    private TableClient Table => tables.GetTableClient(TableName);

    public static string RowKey(string interactionId) =>
        ulong.TryParse(interactionId, NumberStyles.None, CultureInfo.InvariantCulture, out var snowflake)
            ? (ulong.MaxValue - snowflake).ToString("D20", CultureInfo.InvariantCulture)
            : "~" + interactionId;

    /// <summary>The endpoint's half: the initial response it made (or saw the plugin make) and when.</summary>
    public Task RecordAnswerAsync(RoutedInteraction route, string interactionId, string initialResponse, TimeSpan ack, TimeSpan budget, string? finalStatus, CancellationToken cancellationToken)
    {
        var entity = Identity(route, interactionId);
        entity["InitialResponse"] = initialResponse;
        entity["Deferred"] = initialResponse is InteractionLedger.Deferred or InteractionLedger.DeferredUpdate;
        entity["AckMs"] = Math.Round(ack.TotalMilliseconds, 1);
        entity["MarginMs"] = Math.Round((budget - ack).TotalMilliseconds, 1);
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
        entity["Error"] = error is { Length: > 1000 } ? error[..1000] + "…" : error;
        return UpsertAsync(entity, cancellationToken);
    }

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
        await foreach (var entity in Table.QueryAsync(conditions.Count == 0 ? null : string.Join(" and ", conditions), cancellationToken: cancellationToken))
        {
            records.Add(FromEntity(entity));
            // Within a partition the order is already newest first; across partitions it is not.
            if (pluginId is not null && records.Count >= limit)
            {
                break;
            }
        }
        return records.OrderByDescending(r => r.ReceivedAt ?? DateTimeOffset.MinValue).Take(limit).ToList();
    }

    private static TableEntity Identity(RoutedInteraction route, string interactionId) => new(route.Install.PluginId, RowKey(interactionId))
    {
        ["GuildId"] = route.Install.GuildId,
        ["InteractionId"] = interactionId,
        ["Kind"] = route.Kind,
        ["Name"] = route.Name,
    };

    private async Task UpsertAsync(TableEntity entity, CancellationToken cancellationToken)
    {
        try
        {
            await Table.UpsertEntityAsync(entity, TableUpdateMode.Merge, cancellationToken);
        }
        catch (Exception ex) when (ex is StorageRequestFailedException or OperationCanceledException)
        {
            logger.LogWarning("Could not record interaction {Id} in {Table}: {Message}", entity["InteractionId"], TableName, ex.Message);
        }
    }

    private static InvocationRecord FromEntity(TableEntity entity) => new(
        entity.PartitionKey,
        entity.GetString("GuildId"),
        entity.GetString("InteractionId") ?? entity.RowKey,
        entity.GetString("Kind"),
        entity.GetString("Name"),
        entity.GetDateTimeOffset("ReceivedAt"),
        entity.GetString("Status") ?? Pending,
        entity.GetString("InitialResponse"),
        entity.GetBoolean("Deferred"),
        entity.GetDouble("AckMs"),
        entity.GetDouble("MarginMs"),
        entity.GetDouble("DurationMs"),
        entity.GetInt32("Attempts"),
        entity.GetString("Error"));
}
