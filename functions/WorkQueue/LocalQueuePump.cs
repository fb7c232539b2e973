using System.Text.Json.Nodes;
using Azure.Storage.Queues.Models;
using Serverless.Functions.Dispatch;
using Serverless.Functions.Hosting;

namespace Serverless.Functions.WorkQueue;

/// <summary>
/// Locally nothing delivers queue messages to <c>dispatch</c>, so this pump does what the Functions
/// host's queue trigger would: receive, hide the message while it runs, delete on success, retry with
/// backoff on failure, and move it to <c>invocations-poison</c> after <see cref="MaxDequeueCount"/> tries.
/// </summary>
public sealed class LocalQueuePump(
    StorageWorkQueue queue,
    DispatchFunction dispatch,
    WorkQueueSignal signal,
    ILogger<LocalQueuePump> logger,
    LocalQueuePumpOptions? options = null) : BackgroundService
{
    public const int MaxDequeueCount = DispatchFunction.MaxDeliveries;
    private const int BatchSize = 16;
    private readonly LocalQueuePumpOptions _options = options ?? new LocalQueuePumpOptions();
    private TimeSpan VisibilityTimeout => _options.VisibilityTimeout;
    private TimeSpan KeepAliveInterval => _options.VisibilityTimeout / 3;
    private static readonly TimeSpan IdlePoll = TimeSpan.FromSeconds(1);

    private readonly SemaphoreSlim _slots = new(BatchSize);

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        await queue.Queue.CreateIfNotExistsAsync(cancellationToken: stoppingToken);
        await queue.PoisonQueue.CreateIfNotExistsAsync(cancellationToken: stoppingToken);
        var running = new List<Task>();
        while (!stoppingToken.IsCancellationRequested)
        {
            IReadOnlyList<QueueMessage> messages;
            try
            {
                await _slots.WaitAsync(stoppingToken);
                var free = _slots.CurrentCount + 1;
                _slots.Release();
                messages = (await queue.Queue.ReceiveMessagesAsync(Math.Min(free, 32), VisibilityTimeout, stoppingToken)).Value;
            }
            catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
            {
                break;
            }
            catch (Exception ex)
            {
                logger.LogWarning("Queue {Queue} unreachable: {Message}", queue.Name, ex.Message);
                await signal.WaitAsync(IdlePoll * 5, stoppingToken);
                continue;
            }

            foreach (var message in messages)
            {
                await _slots.WaitAsync(stoppingToken);
                running.Add(Task.Run(() => ProcessAsync(message, stoppingToken), CancellationToken.None));
            }
            running.RemoveAll(t => t.IsCompleted);
            if (messages.Count == 0)
            {
                await signal.WaitAsync(IdlePoll, stoppingToken);
            }
        }
        await Task.WhenAll(running);
    }

    private async Task ProcessAsync(QueueMessage message, CancellationToken stoppingToken)
    {
        var popReceipt = message.PopReceipt;
        using var keepAlive = CancellationTokenSource.CreateLinkedTokenSource(stoppingToken);
        try
        {
            var text = StorageWorkQueue.Decode(message.MessageText);
            if (message.DequeueCount > MaxDequeueCount)
            {
                // Delivered before and never finished: the process died mid-run each time.
                await PoisonAsync(message, popReceipt, text, $"delivered {message.DequeueCount} times without completing", stoppingToken);
                return;
            }

            var renewal = Task.Run(async () =>
            {
                while (!keepAlive.IsCancellationRequested)
                {
                    await Task.Delay(KeepAliveInterval, keepAlive.Token);
                    var receipt = await queue.Queue.UpdateMessageAsync(message.MessageId, popReceipt, visibilityTimeout: VisibilityTimeout, cancellationToken: keepAlive.Token);
                    popReceipt = receipt.Value.PopReceipt;
                }
            }, CancellationToken.None);

            try
            {
                var request = new FunctionInvocationRequest(
                    new JsonObject { [DispatchFunction.MessageBinding] = text },
                    new JsonObject
                    {
                        ["DequeueCount"] = (int)message.DequeueCount,
                        ["Id"] = message.MessageId,
                        ["InsertionTime"] = message.InsertedOn.GetValueOrDefault().UtcDateTime.ToString("O"),
                    });
                await dispatch.RunAsync(request, stoppingToken);
            }
            catch (Exception ex) when (!stoppingToken.IsCancellationRequested)
            {
                await keepAlive.CancelAsync();
                await renewal.ContinueWith(_ => { }, TaskScheduler.Default);
                await FailAsync(message, popReceipt, text, ex, stoppingToken);
                return;
            }

            await keepAlive.CancelAsync();
            await renewal.ContinueWith(_ => { }, TaskScheduler.Default);
            await queue.Queue.DeleteMessageAsync(message.MessageId, popReceipt, stoppingToken);
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
            // Shutting down: the message reappears after its visibility timeout and runs again.
        }
        catch (Exception ex)
        {
            logger.LogError(ex, "Queue pump failed on message {Id}", message.MessageId);
        }
        finally
        {
            _slots.Release();
        }
    }

    private async Task FailAsync(QueueMessage message, string popReceipt, string text, Exception error, CancellationToken cancellationToken)
    {
        if (message.DequeueCount >= MaxDequeueCount)
        {
            await PoisonAsync(message, popReceipt, text, error.Message, cancellationToken);
            return;
        }
        var backoff = _options.RetryBackoff * Math.Min(30, Math.Pow(2, message.DequeueCount - 1));
        logger.LogWarning("Work item {Id} failed (try {Count} of {Max}), retrying in {Backoff}: {Message}",
            message.MessageId, message.DequeueCount, MaxDequeueCount, backoff, error.Message);
        await queue.Queue.UpdateMessageAsync(message.MessageId, popReceipt, visibilityTimeout: backoff, cancellationToken: cancellationToken);
    }

    private async Task PoisonAsync(QueueMessage message, string popReceipt, string text, string reason, CancellationToken cancellationToken)
    {
        logger.LogError("Work item {Id} moved to {Queue} after {Count} deliveries: {Reason}",
            message.MessageId, queue.PoisonQueue.Name, message.DequeueCount, reason);
        var dead = new JsonObject
        {
            ["reason"] = reason,
            ["deliveryCount"] = (int)message.DequeueCount,
            ["messageId"] = message.MessageId,
            ["message"] = text,
        };
        await queue.PoisonQueue.SendMessageAsync(StorageWorkQueue.Encode(dead.ToJsonString()), cancellationToken: cancellationToken);
        await queue.Queue.DeleteMessageAsync(message.MessageId, popReceipt, cancellationToken);
    }
}

/// <summary>Retry after <c>RetryBackoff × 2^(try-1)</c>, at most 30 ×; a running message stays hidden for <c>VisibilityTimeout</c>, renewed.</summary>
public sealed record LocalQueuePumpOptions
{
    public TimeSpan VisibilityTimeout { get; init; } = TimeSpan.FromSeconds(30);

    public TimeSpan RetryBackoff { get; init; } = TimeSpan.FromSeconds(1);
}

/// <summary>Wakes the local pump the moment this process enqueues, instead of at its next poll.</summary>
public sealed class WorkQueueSignal
{
    private readonly SemaphoreSlim _signal = new(0, 1);

    public void Notify()
    {
        try
        {
            _signal.Release();
        }
        catch (SemaphoreFullException)
        {
            // Already signalled.
        }
    }

    public async Task WaitAsync(TimeSpan timeout, CancellationToken cancellationToken)
    {
        try
        {
            await _signal.WaitAsync(timeout, cancellationToken);
        }
        catch (OperationCanceledException)
        {
        }
    }
}
