using Serverless.Functions.Storage;

namespace Serverless.Functions.Interactions;

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
        TryInsertAsync(interactionId, "received", [], cancellationToken);

    /// <summary>Claims the one initial response; returns the winning kind (ours when we won).</summary>
    public async Task<(bool Won, string Kind)> TryClaimAsync(string interactionId, string kind, CancellationToken cancellationToken)
    {
        if (await TryInsertAsync(interactionId, "claim", new() { ["Kind"] = kind }, cancellationToken))
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
        (await Table.GetEntityIfExistsAsync(interactionId, "claim", cancellationToken: cancellationToken))?.GetString("Kind");

    /// <summary>True for the first taker of <c>@original</c> after a deferral; later answers are follow-ups.</summary>
    public Task<bool> TryTakeOriginalAsync(string interactionId, CancellationToken cancellationToken) =>
        TryInsertAsync(interactionId, "original", [], cancellationToken);

    /// <summary>
    /// At-most-once for host calls: a redelivered invocation repeats its calls in the same order, and
    /// call number <paramref name="sequence"/> is carried out only the first time.
    /// </summary>
    public Task<bool> TryBeginCallAsync(string interactionId, int sequence, string method, CancellationToken cancellationToken) =>
        TryInsertAsync(interactionId, $"call-{sequence:D4}", new() { ["Method"] = method }, cancellationToken);

    private async Task<bool> TryInsertAsync(string interactionId, string fact, Dictionary<string, object?> values, CancellationToken cancellationToken)
    {
        var entity = new TableEntity(interactionId, fact) { ["At"] = DateTimeOffset.UtcNow };
        foreach (var (key, value) in values)
        {
            entity[key] = value;
        }
        try
        {
            await Table.AddEntityAsync(entity, cancellationToken);
            return true;
        }
        catch (StorageRequestFailedException ex) when (ex.Status == 409)
        {
            return false;
        }
    }
}
