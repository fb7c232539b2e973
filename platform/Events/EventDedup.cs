using System.Globalization;
using System.Security.Cryptography;
using System.Text;
using Azure;
using Azure.Data.Tables;
using Serverless.Platform.Hosting;

namespace Serverless.Platform.Events;

/// <summary>
/// The bridge delivers at least once (docs/events.md), so each event id is claimed by a conditional insert
/// in table <c>eventids</c> before it is fanned out; a retry of the same event finds the row and is only
/// acknowledged. Partitions are hours of the event's <c>occurred_at</c>, which the bridge keeps across
/// retries, so every retry lands in the same partition and old hours are dropped whole by <see cref="PurgeAsync"/>.
/// </summary>
public sealed class EventDedup(TableServiceClient tables)
{
    public const string TableName = "eventids";

    /// <summary>Retries of one event span about a minute; an hour of margin costs only table rows.</summary>
    public static readonly TimeSpan Retention = TimeSpan.FromHours(2);

    private TableClient Table => tables.GetTableClient(TableName);

    /// <summary>True when this call is the first to see <paramref name="eventId"/>.</summary>
    public async Task<bool> TryClaimAsync(string eventId, DateTimeOffset occurredAt, CancellationToken cancellationToken)
    {
        try
        {
            await Table.AddEntityAsync(new EventClaim { PartitionKey = Partition(occurredAt), RowKey = Row(eventId), EventId = eventId }, cancellationToken);
            return true;
        }
        catch (RequestFailedException ex) when (ex.Status == 409)
        {
            return false;
        }
    }

    /// <summary>Gives the id back when the fan-out failed, so the bridge's retry is not taken for a duplicate.</summary>
    public async Task ReleaseAsync(string eventId, DateTimeOffset occurredAt, CancellationToken cancellationToken) =>
        await Table.DeleteEntityAsync(Partition(occurredAt), Row(eventId), cancellationToken: cancellationToken);

    /// <summary>Deletes the claims of hours older than <see cref="Retention"/>; returns how many.</summary>
    public async Task<int> PurgeAsync(DateTimeOffset now, CancellationToken cancellationToken)
    {
        var before = Partition(now - Retention);
        var deleted = 0;
        var old = new List<(string Partition, string Row)>();
        await foreach (var entity in Table.QueryAsync<EventClaim>(TableClient.CreateQueryFilter($"PartitionKey lt {before}"), select: ["PartitionKey", "RowKey"], cancellationToken: cancellationToken))
        {
            old.Add((entity.PartitionKey, entity.RowKey));
        }
        foreach (var (partition, row) in old)
        {
            if ((await Table.DeleteEntityAsync(partition, row, cancellationToken: cancellationToken)).Status == 204)
            {
                deleted++;
            }
        }
        return deleted;
    }

    internal static string Partition(DateTimeOffset occurredAt) => occurredAt.UtcDateTime.ToString("yyyyMMddHH", CultureInfo.InvariantCulture);

    /// <summary>Ids are <c>{session}:{sequence}</c>; anything a row key cannot hold is hashed instead.</summary>
    internal static string Row(string eventId) =>
        eventId.Length <= 256 && !eventId.Any(c => c is '/' or '\\' or '#' or '?' || char.IsControl(c))
            ? eventId
            : "sha256-" + Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(eventId)));
}

/// <summary>A row of table <c>eventids</c>: the claim of one event id.</summary>
public sealed record EventClaim : TableRow
{
    public string EventId { get; set; } = "";
}
