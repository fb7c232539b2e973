using Azure;
using Azure.Data.Tables;
using Serverless.Platform.Hosting;

namespace Serverless.Platform.Interactions;

/// <summary>
/// The facts about one interaction that must hold across instances and redeliveries, in table
/// <c>interactions</c> (partition = interaction id). Every fact is a conditional insert, so exactly one
/// writer wins: whether the interaction was received before, who made the one initial response,
/// whether <c>@original</c> was edited, and which host calls were already carried out.
/// </summary>
public sealed class InteractionLedger(TableServiceClient tables)
{
    public const string TableName = "interactions";

    /// <summary>Kinds of initial response.</summary>
    public const string Responded = "responded";
    public const string Deferred = "deferred";
    public const string DeferredUpdate = "deferred_update";
    public const string Modal = "modal";

    private readonly System.Collections.Concurrent.ConcurrentDictionary<string, TaskCompletionSource> _claimWaiters = new();

    private TableClient Table => tables.GetTableClient(TableName);

    /// <summary>
    /// Waits until someone claims the initial response or <paramref name="budget"/> passes. A claim made in
    /// this process wakes the wait at once; one made on another instance is seen by polling.
    /// </summary>
    public async Task<string?> WaitForClaimAsync(string interactionId, TimeSpan budget, TimeProvider clock, CancellationToken cancellationToken)
    {
        var waiter = _claimWaiters.GetOrAdd(interactionId, _ => new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously));
        try
        {
            var deadline = clock.GetUtcNow() + budget;
            while (true)
            {
                if (await GetClaimAsync(interactionId, cancellationToken) is { } kind)
                {
                    return kind;
                }
                var left = deadline - clock.GetUtcNow();
                if (left <= TimeSpan.Zero)
                {
                    return null;
                }
                try
                {
                    await waiter.Task.WaitAsync(left < PollInterval ? left : PollInterval, clock, cancellationToken);
                }
                catch (TimeoutException)
                {
                }
            }
        }
        finally
        {
            _claimWaiters.TryRemove(interactionId, out _);
        }
    }

    private static readonly TimeSpan PollInterval = TimeSpan.FromMilliseconds(100);

    /// <summary>False when this interaction id was seen before: it must not be dispatched twice.</summary>
    public Task<bool> TryMarkReceivedAsync(string interactionId, CancellationToken cancellationToken) =>
        TryInsertAsync(new InteractionFact { PartitionKey = interactionId, RowKey = "received" }, cancellationToken);

    /// <summary>Claims the one initial response; returns the winning kind (ours when we won).</summary>
    public async Task<(bool Won, string Kind)> TryClaimAsync(string interactionId, string kind, CancellationToken cancellationToken)
    {
        if (await TryInsertAsync(new InteractionFact { PartitionKey = interactionId, RowKey = "claim", Kind = kind }, cancellationToken))
        {
            if (_claimWaiters.TryGetValue(interactionId, out var waiter))
            {
                waiter.TrySetResult();
            }
            return (true, kind);
        }
        return (false, await GetClaimAsync(interactionId, cancellationToken) ?? kind);
    }

    public async Task<string?> GetClaimAsync(string interactionId, CancellationToken cancellationToken) =>
        (await Table.GetEntityIfExistsAsync<InteractionFact>(interactionId, "claim", cancellationToken: cancellationToken)) is { HasValue: true } claim ? claim.Value!.Kind : null;

    /// <summary>True for the first taker of <c>@original</c> after a deferral; later answers are follow-ups.</summary>
    public Task<bool> TryTakeOriginalAsync(string interactionId, CancellationToken cancellationToken) =>
        TryInsertAsync(new InteractionFact { PartitionKey = interactionId, RowKey = "original" }, cancellationToken);

    /// <summary>
    /// At-most-once for host calls: a redelivered invocation repeats its calls in the same order, and
    /// call number <paramref name="sequence"/> is carried out only the first time.
    /// </summary>
    public Task<bool> TryBeginCallAsync(string interactionId, int sequence, string method, CancellationToken cancellationToken) =>
        TryInsertAsync(new InteractionFact { PartitionKey = interactionId, RowKey = $"call-{sequence:D4}", Method = method }, cancellationToken);

    /// <summary>The conditional insert every fact is: 409 means another writer recorded it first.</summary>
    private async Task<bool> TryInsertAsync(InteractionFact fact, CancellationToken cancellationToken)
    {
        try
        {
            await Table.AddEntityAsync(fact with { At = DateTimeOffset.UtcNow }, cancellationToken);
            return true;
        }
        catch (RequestFailedException ex) when (ex.Status == 409)
        {
            return false;
        }
    }
}

/// <summary>
/// A row of table <c>interactions</c>: one fact (row key <c>received</c>, <c>claim</c>, <c>original</c> or
/// <c>call-NNNN</c>) about one interaction, with the kind of initial response for a claim and the host method for a call.
/// </summary>
public sealed record InteractionFact : TableRow
{
    public DateTimeOffset At { get; set; }

    public string? Kind { get; set; }

    public string? Method { get; set; }
}
