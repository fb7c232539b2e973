using System.Text.Json.Nodes;
using Azure;
using Azure.Data.Tables;
using Serverless.Platform.Installs;
using Serverless.Platform.Invocations;
using Serverless.Platform.Packages;
using Serverless.Platform.WorkQueue;

namespace Serverless.Platform.Schedules;

/// <summary>What one tick did: entries found due, fired (enqueued), left to another instance, recovered from a crashed tick.</summary>
public sealed record TickResult(DateTimeOffset Now, int Due, int Fired, int Contended, int Recovered, int Failed)
{
    public JsonObject ToJson() => new()
    {
        ["now"] = Now.ToString("O"),
        ["due"] = Due,
        ["fired"] = Fired,
        ["contended"] = Contended,
        ["recovered"] = Recovered,
        ["failed"] = Failed,
    };
}

public sealed record SchedulerOptions
{
    /// <summary>At most this many due entries per tick; the rest stay due for the next tick.</summary>
    public int MaxPerTick { get; init; } = 10_000;

    /// <summary>A claim older than this belongs to a tick that died: its entry is moved on without firing.</summary>
    public TimeSpan ClaimLease { get; init; } = TimeSpan.FromMinutes(2);

    /// <summary>Concurrent storage and queue requests in one tick.</summary>
    public int Parallelism { get; init; } = 16;
}

/// <summary>
/// Keeps the due index of every install's timed tasks (<see cref="ScheduleStore"/>) and, on each timer tick, fires
/// what is due: one <c>schedule</c> work item per due (install, task), each entry claimed atomically first so that
/// several instances ticking at once fire it once, then moved to its next due time (computed from now: missed ticks
/// are not replayed).
/// </summary>
public sealed class Scheduler(
    ScheduleStore store,
    PluginCatalog catalog,
    PluginFiles files,
    IWorkQueue queue,
    TimeProvider clock,
    SchedulerOptions options,
    ILogger<Scheduler> logger)
{
    /// <summary>
    /// Schedules an install's tasks from its version (install or upgrade), replacing what was scheduled before: the new
    /// entries are written first, then the registration's new generation retires the old ones.
    /// </summary>
    public async Task ScheduleInstallAsync(PluginInstall install, CancellationToken cancellationToken)
    {
        var published = await catalog.GetVersionAsync(install.PluginId, install.Version, cancellationToken);
        var manifest = (await files.GetAsync(install.PluginId, install.Version, cancellationToken)).Manifest;
        var tasks = ScheduledTask.For(manifest, published?.Registrations);
        if (tasks.Count == 0)
        {
            await store.DeleteRegistrationAsync(install.GuildId, install.PluginId, cancellationToken);
            return;
        }
        var now = clock.GetUtcNow();
        var generation = Guid.NewGuid().ToString("N");
        await store.PutDueAsync(tasks.Select(t => new DueEntry(install.GuildId, install.PluginId, generation, t, t.FirstDue(now))), cancellationToken);
        await store.SaveRegistrationAsync(new ScheduleRegistration(install.GuildId, install.PluginId, install.InstallId, install.Version.Text, generation, now, tasks), cancellationToken);
        logger.LogInformation("Scheduled {Count} task(s) of {Plugin} in guild {Guild}: {Tasks}", tasks.Count, install.PluginId, install.GuildId, string.Join("; ", tasks));
    }

    /// <summary>Stops an install's tasks at once; their index entries are dropped as they come due.</summary>
    public async Task UnscheduleInstallAsync(string guildId, string pluginId, CancellationToken cancellationToken) =>
        await store.DeleteRegistrationAsync(guildId, pluginId, cancellationToken);

    public async Task<TickResult> TickAsync(CancellationToken cancellationToken)
    {
        var now = clock.GetUtcNow();
        var fresh = new List<(DueRow Row, DueEntry Entry, DateTimeOffset Next)>();
        var stale = new List<(DueRow Row, DueEntry Entry, DateTimeOffset Next)>();
        var contended = 0;
        try
        {
            await foreach (var row in store.QueryDueAsync(now, cancellationToken))
            {
                if (fresh.Count + stale.Count >= options.MaxPerTick)
                {
                    logger.LogWarning("More than {Max} schedule entries are due; the rest wait for the next tick", options.MaxPerTick);
                    break;
                }
                var entry = ScheduleStore.FromRow(row);
                if (row.ClaimedTicks is { } claimed)
                {
                    if (new DateTimeOffset(claimed, TimeSpan.Zero) + options.ClaimLease > now)
                    {
                        contended++;
                        continue;
                    }
                    var planned = row.NextDueTicks is { } nextTicks ? new DateTimeOffset(nextTicks, TimeSpan.Zero) : entry.Task.NextDue(entry.Due, now);
                    stale.Add((row, entry, planned));
                }
                else
                {
                    fresh.Add((row, entry, entry.Task.NextDue(entry.Due, now)));
                }
            }
        }
        catch (RequestFailedException ex) when (ex.Status == 404 && ex.ErrorCode == "TableNotFound")
        {
            // Nothing was ever scheduled where the storage layout has not been created yet.
            return new TickResult(now, 0, 0, 0, 0, 0);
        }

        var claims = await ClaimAsync(fresh.Concat(stale).Select(c => (c.Row, c.Next)).ToList(), now, cancellationToken);
        contended += fresh.Count + stale.Count - claims.Count;
        var claimedFresh = fresh.Where(c => claims.ContainsKey(c.Row)).ToList();
        var claimedStale = stale.Where(c => claims.ContainsKey(c.Row)).ToList();

        // The next entries exist before the work is enqueued and the claimed ones deleted, so a crash cannot lose a task.
        var nexts = claimedFresh.Concat(claimedStale).Select(c => c.Entry with { Due = c.Next }).ToList();
        await store.PutDueAsync(nexts, cancellationToken, options.Parallelism);

        // A tick that died after claiming is treated as missed: its entries move on but are not fired now.
        var failed = 0;
        await Parallel.ForEachAsync(claimedFresh, new ParallelOptions { MaxDegreeOfParallelism = options.Parallelism, CancellationToken = cancellationToken }, async (c, ct) =>
        {
            try
            {
                await queue.EnqueueAsync(ScheduleWorkHandler.Create(c.Entry, now, c.Entry with { Due = c.Next }), ct);
            }
            catch (Exception ex) when (ex is RequestFailedException or AggregateException or HttpRequestException)
            {
                Interlocked.Increment(ref failed);
                logger.LogError("Could not enqueue {Task} of {Plugin} in guild {Guild} due {Due:O}: {Message}", c.Entry.Task, c.Entry.PluginId, c.Entry.GuildId, c.Entry.Due, ex.Message);
            }
        });

        await DeleteClaimedAsync(claims, cancellationToken);
        var result = new TickResult(now, fresh.Count + stale.Count, claimedFresh.Count - failed, contended, claimedStale.Count, failed);
        if (result.Due > 0 || result.Contended > 0)
        {
            logger.LogInformation("Schedules tick at {Now:O}: {Due} due, {Fired} fired, {Contended} left to another instance, {Recovered} recovered, {Failed} failed",
                now, result.Due, result.Fired, result.Contended, result.Recovered, result.Failed);
        }
        return result;
    }

    /// <summary>
    /// Claims rows by stamping them under their ETag: a transaction per partition and 100 rows, and, if a transaction
    /// fails because another instance got some of its rows first, row by row. Returns the claimed rows with their new ETags.
    /// </summary>
    private async Task<Dictionary<DueRow, ETag>> ClaimAsync(IReadOnlyList<(DueRow Row, DateTimeOffset Next)> rows, DateTimeOffset now, CancellationToken cancellationToken)
    {
        var claimed = new Dictionary<DueRow, ETag>(ReferenceEqualityComparer.Instance);
        var batches = rows.GroupBy(r => r.Row.PartitionKey, StringComparer.Ordinal).SelectMany(g => g.Chunk(ScheduleStore.MaxTransactionActions)).ToList();
        await Parallel.ForEachAsync(batches, new ParallelOptions { MaxDegreeOfParallelism = options.Parallelism, CancellationToken = cancellationToken }, async (batch, ct) =>
        {
            var stamps = batch.Select(r => new TableTransactionAction(TableTransactionActionType.UpdateMerge, Stamp(r.Row, r.Next, now), r.Row.ETag)).ToList();
            try
            {
                var responses = (await store.Table.SubmitTransactionAsync(stamps, ct)).Value;
                lock (claimed)
                {
                    for (var i = 0; i < batch.Length; i++)
                    {
                        claimed[batch[i].Row] = responses[i].Headers.ETag.GetValueOrDefault();
                    }
                }
                return;
            }
            catch (RequestFailedException ex) when (ex.Status is 404 or 412)
            {
            }
            foreach (var (row, next) in batch)
            {
                try
                {
                    var stamped = await store.Table.UpdateEntityAsync(Stamp(row, next, now), row.ETag, TableUpdateMode.Merge, ct);
                    lock (claimed)
                    {
                        claimed[row] = stamped.Headers.ETag.GetValueOrDefault();
                    }
                }
                catch (RequestFailedException ex) when (ex.Status is 404 or 412)
                {
                    // Another instance claimed (or already moved) this one.
                }
            }
        });
        return claimed;
    }

    private static DueClaim Stamp(DueRow row, DateTimeOffset next, DateTimeOffset now) => new()
    {
        PartitionKey = row.PartitionKey,
        RowKey = row.RowKey,
        ClaimedTicks = now.UtcTicks,
        NextDueTicks = next.UtcTicks,
    };

    private async Task DeleteClaimedAsync(Dictionary<DueRow, ETag> claims, CancellationToken cancellationToken)
    {
        var batches = claims.GroupBy(c => c.Key.PartitionKey, StringComparer.Ordinal).SelectMany(g => g.Chunk(ScheduleStore.MaxTransactionActions)).ToList();
        await Parallel.ForEachAsync(batches, new ParallelOptions { MaxDegreeOfParallelism = options.Parallelism, CancellationToken = cancellationToken }, async (batch, ct) =>
        {
            try
            {
                await store.Table.SubmitTransactionAsync(batch.Select(c => new TableTransactionAction(TableTransactionActionType.Delete, c.Key, c.Value)), ct);
                return;
            }
            catch (RequestFailedException ex) when (ex.Status is 404 or 412)
            {
            }
            foreach (var (row, etag) in batch)
            {
                try
                {
                    await store.Table.DeleteEntityAsync(row.PartitionKey, row.RowKey, etag, ct);
                }
                catch (RequestFailedException ex) when (ex.Status == 412)
                {
                    // Our claim outlived its lease and another tick recovered the row: it owns it now.
                }
            }
        });
    }
}
