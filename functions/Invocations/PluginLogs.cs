using System.Text.Json.Nodes;
using Serverless.Functions.Storage;

namespace Serverless.Functions.Invocations;

public sealed record PluginLogEntry(DateTimeOffset Time, string Level, string Message, string? Invocation);

/// <summary>
/// Every <c>ctx.log</c> line, stderr line and platform verdict about a plugin, per plugin and guild, in
/// table <c>pluginlogs</c>. Row keys count down in time so the newest rows come first in a query.
/// </summary>
public sealed class PluginLogs(TableServiceClient tables, TimeProvider clock)
{
    public const string TableName = "pluginlogs";
    public const int MaxMessageChars = 4000;
    private static readonly string[] Levels = ["debug", "info", "warning", "error"];
    private long _sequence;

    private TableClient Table => tables.GetTableClient(TableName);

    private static string Partition(string pluginId, string? guildId) => $"{pluginId}_{guildId ?? "-"}";

    public static string NormalizeLevel(string? level) =>
        level?.ToLowerInvariant() switch
        {
            "warn" => "warning",
            "err" or "exception" or "critical" => "error",
            { } known when Levels.Contains(known) => known,
            _ => "info",
        };

    public async Task AppendAsync(string pluginId, string? guildId, string level, string message, string? invocation, CancellationToken cancellationToken)
    {
        var now = clock.GetUtcNow();
        var sequence = Interlocked.Increment(ref _sequence) % 1_000_000;
        var rowKey = $"{DateTimeOffset.MaxValue.UtcTicks - now.UtcTicks:D19}_{999_999 - sequence:D6}_{Guid.NewGuid():N}";
        var entity = new TableEntity(Partition(pluginId, guildId), rowKey)
        {
            ["Time"] = now,
            ["Level"] = NormalizeLevel(level),
            ["Message"] = message.Length > MaxMessageChars ? message[..MaxMessageChars] + "…" : message,
            ["Invocation"] = invocation,
        };
        await Table.AddEntityAsync(entity, cancellationToken);
    }

    /// <summary>The newest <paramref name="limit"/> entries, oldest first (newest last).</summary>
    public async Task<IReadOnlyList<PluginLogEntry>> ReadAsync(string pluginId, string? guildId, int limit, CancellationToken cancellationToken)
    {
        var entries = new List<PluginLogEntry>();
        var filter = TableClient.CreateQueryFilter($"PartitionKey eq {Partition(pluginId, guildId)}");
        await foreach (var entity in Table.QueryAsync(filter, maxPerPage: Math.Min(limit, 1000), cancellationToken: cancellationToken))
        {
            entries.Add(new PluginLogEntry(entity.GetDateTimeOffset("Time") ?? DateTimeOffset.MinValue, entity.GetString("Level") ?? "info", entity.GetString("Message") ?? "", entity.GetString("Invocation")));
            if (entries.Count >= limit)
            {
                break;
            }
        }
        entries.Reverse();
        return entries;
    }

    public static JsonArray ToJson(IEnumerable<PluginLogEntry> entries) =>
        new(entries.Select(e => (JsonNode)new JsonObject
        {
            ["time"] = e.Time.ToString("O"),
            ["level"] = e.Level,
            ["message"] = e.Message,
            ["invocation"] = e.Invocation,
        }).ToArray());
}
