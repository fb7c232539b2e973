using System.Collections.Concurrent;
using System.Text.Json.Nodes;
using Azure.Storage.Blobs;
using Microsoft.Extensions.Logging.Abstractions;
using Serverless.Functions.Dispatch;
using Serverless.Functions.WorkQueue;
using Serverless.Tests.Infrastructure;

namespace Serverless.Tests.WorkQueue;

/// <summary>The local queue trigger on a real Azurite: delivery, retries, poison queue, large bodies, renewal.</summary>
public sealed class LocalQueuePumpTests(Azurite azurite)
{
    private static readonly TimeSpan Patience = TimeSpan.FromSeconds(30);

    private sealed class ScriptedHandler(Func<WorkItem, Delivery, Task> behaviour) : IWorkItemHandler
    {
        public ConcurrentQueue<(WorkItem Item, Delivery Delivery)> Calls { get; } = new();

        public ConcurrentQueue<string> DeadLettered { get; } = new();

        public string Kind => "pump-test";

        public async Task HandleAsync(WorkItem item, Delivery delivery, CancellationToken cancellationToken)
        {
            Calls.Enqueue((item, delivery));
            await behaviour(item, delivery);
        }

        public Task DeadLetteredAsync(WorkItem item, string reason, CancellationToken cancellationToken)
        {
            DeadLettered.Enqueue(reason);
            return Task.CompletedTask;
        }
    }

    private sealed record Rig(StorageWorkQueue Queue, BlobServiceClient Blobs, ScriptedHandler Handler, LocalQueuePump Pump) : IAsyncDisposable
    {
        public async ValueTask DisposeAsync()
        {
            await Pump.StopAsync(CancellationToken.None);
            await Queue.Queue.DeleteIfExistsAsync();
            await Queue.PoisonQueue.DeleteIfExistsAsync();
        }
    }

    private async Task<Rig> StartAsync(Func<WorkItem, Delivery, Task> behaviour, TimeSpan? visibility = null)
    {
        var queues = azurite.Queues;
        var blobs = azurite.Blobs;
        await blobs.GetBlobContainerClient(WorkItemBodies.ContainerName).CreateIfNotExistsAsync();
        var bodies = new WorkItemBodies(blobs);
        var signal = new WorkQueueSignal();
        var queue = new StorageWorkQueue(queues, bodies, signal, Azurite.UniqueName("inv"));
        var handler = new ScriptedHandler(behaviour);
        var dispatch = new DispatchFunction([handler], bodies, NullLogger<DispatchFunction>.Instance);
        var options = new LocalQueuePumpOptions { RetryBackoff = TimeSpan.FromMilliseconds(50), VisibilityTimeout = visibility ?? TimeSpan.FromSeconds(30) };
        var pump = new LocalQueuePump(queue, dispatch, signal, NullLogger<LocalQueuePump>.Instance, options);
        await queue.Queue.CreateIfNotExistsAsync();
        await queue.PoisonQueue.CreateIfNotExistsAsync();
        await pump.StartAsync(CancellationToken.None);
        return new Rig(queue, blobs, handler, pump);
    }

    private static async Task Eventually(Func<Task<bool>> condition, string what)
    {
        var deadline = DateTime.UtcNow + Patience;
        while (DateTime.UtcNow < deadline)
        {
            if (await condition())
            {
                return;
            }
            await Task.Delay(100);
        }
        Assert.Fail($"timed out waiting until {what}");
    }

    [Fact]
    public async Task Pump_EnqueuedItem_DispatchedOnceAndDeleted()
    {
        await using var rig = await StartAsync((_, _) => Task.CompletedTask);
        var item = WorkItem.Create("pump-test", new JsonObject { ["n"] = 1 });

        await rig.Queue.EnqueueAsync(item, CancellationToken.None);
        await Eventually(() => Task.FromResult(!rig.Handler.Calls.IsEmpty), "the handler ran");
        await Eventually(async () => (await rig.Queue.Queue.GetPropertiesAsync()).Value.ApproximateMessagesCount == 0, "the message was deleted");
        await Task.Delay(500);

        var call = Assert.Single(rig.Handler.Calls);
        Assert.Equal(item.Id, call.Item.Id);
        Assert.Equal(1, call.Delivery.Count);
        // The queue message's id, as the host's queue trigger hands it over (metadata Id).
        Assert.False(string.IsNullOrEmpty(call.Delivery.MessageId));
    }

    [Fact]
    public async Task Pump_HandlerAlwaysFails_PoisonedAfterFiveTriesWithReason()
    {
        await using var rig = await StartAsync((_, _) => throw new InvalidOperationException("plugin exploded"));
        var item = WorkItem.Create("pump-test", []);

        await rig.Queue.EnqueueAsync(item, CancellationToken.None);
        await Eventually(async () => (await rig.Queue.PoisonQueue.GetPropertiesAsync()).Value.ApproximateMessagesCount == 1, "the item reached the poison queue");

        var poisoned = Assert.Single((await rig.Queue.PoisonQueue.ReceiveMessagesAsync(1, TimeSpan.FromSeconds(30))).Value);
        var dead = JsonNode.Parse(StorageWorkQueue.Decode(poisoned.MessageText))!;
        Assert.Equal("plugin exploded", dead["reason"]!.GetValue<string>());
        Assert.Equal(LocalQueuePump.MaxDequeueCount, dead["deliveryCount"]!.GetValue<int>());
        Assert.Equal(item.Id, WorkItem.Parse(dead["message"]!.GetValue<string>()).Id);
        Assert.Equal([1, 2, 3, 4, 5], rig.Handler.Calls.Select(c => c.Delivery.Count));
        Assert.Equal("dead-lettered after 5 deliveries: plugin exploded", Assert.Single(rig.Handler.DeadLettered));
        Assert.Equal(0, (await rig.Queue.Queue.GetPropertiesAsync()).Value.ApproximateMessagesCount);
    }

    [Fact]
    public async Task Pump_TransientFailure_RetriedUntilItSucceeds()
    {
        await using var rig = await StartAsync((_, delivery) => delivery.Count < 3 ? throw new TimeoutException("flaky") : Task.CompletedTask);

        await rig.Queue.EnqueueAsync(WorkItem.Create("pump-test", []), CancellationToken.None);
        await Eventually(async () => rig.Handler.Calls.Count == 3 && (await rig.Queue.Queue.GetPropertiesAsync()).Value.ApproximateMessagesCount == 0, "the third try succeeded");

        Assert.Equal(0, (await rig.Queue.PoisonQueue.GetPropertiesAsync()).Value.ApproximateMessagesCount);
    }

    [Fact]
    public async Task Enqueue_BodyOverQueueLimit_TravelsAsBlobAndIsForgottenAfterDispatch()
    {
        var queues = azurite.Queues;
        var blobs = azurite.Blobs;
        await blobs.GetBlobContainerClient(WorkItemBodies.ContainerName).CreateIfNotExistsAsync();
        var queue = new StorageWorkQueue(queues, new WorkItemBodies(blobs), new WorkQueueSignal(), Azurite.UniqueName("inv"));
        await queue.Queue.CreateIfNotExistsAsync();
        var big = new string('x', 200_000);
        var item = WorkItem.Create("pump-test", new JsonObject { ["blob"] = big });

        await queue.EnqueueAsync(item, CancellationToken.None);
        var queued = WorkItem.Parse(StorageWorkQueue.Decode(Assert.Single((await queue.Queue.PeekMessagesAsync(1)).Value).MessageText));

        Assert.Null(queued.Body);
        Assert.Equal($"{item.Id}.json", queued.BodyBlob);

        await using var rig = await StartAsync((_, _) => Task.CompletedTask);
        await rig.Queue.Queue.SendMessageAsync(StorageWorkQueue.Encode(queued.ToJson()));
        await Eventually(() => Task.FromResult(!rig.Handler.Calls.IsEmpty), "the handler ran");

        Assert.Equal(big, Assert.Single(rig.Handler.Calls).Item.Body!["blob"]!.GetValue<string>());
        await Eventually(async () => !await blobs.GetBlobContainerClient(WorkItemBodies.ContainerName).GetBlobClient(queued.BodyBlob!).ExistsAsync(), "the body blob was deleted");
        await queue.Queue.DeleteIfExistsAsync();
    }

    [Fact]
    public async Task Pump_HandlerSlowerThanVisibilityTimeout_NotDeliveredTwice()
    {
        await using var rig = await StartAsync((_, _) => Task.Delay(TimeSpan.FromSeconds(4)), visibility: TimeSpan.FromSeconds(1.5));

        await rig.Queue.EnqueueAsync(WorkItem.Create("pump-test", []), CancellationToken.None);
        await Eventually(async () => !rig.Handler.Calls.IsEmpty && (await rig.Queue.Queue.GetPropertiesAsync()).Value.ApproximateMessagesCount == 0, "the slow run finished");

        Assert.Single(rig.Handler.Calls);
    }

    [Fact]
    public async Task Pump_MessageAbandonedFiveTimesByCrashes_PoisonedWithoutRunning()
    {
        var queues = azurite.Queues;
        var name = Azurite.UniqueName("inv");
        var raw = queues.GetQueueClient(name);
        await raw.CreateIfNotExistsAsync();
        await raw.SendMessageAsync(StorageWorkQueue.Encode(WorkItem.Create("pump-test", []).ToJson()));
        // Each receive without a delete is what a process killed mid-run leaves behind.
        for (var i = 0; i < LocalQueuePump.MaxDequeueCount; i++)
        {
            await Eventually(async () => (await raw.ReceiveMessagesAsync(1, TimeSpan.FromMilliseconds(1000))).Value.Length == 1, $"receive {i + 1}");
        }
        await Task.Delay(1100);

        var blobs = azurite.Blobs;
        var bodies = new WorkItemBodies(blobs);
        var signal = new WorkQueueSignal();
        var handler = new ScriptedHandler((_, _) => Task.CompletedTask);
        var queue = new StorageWorkQueue(queues, bodies, signal, name);
        var pump = new LocalQueuePump(queue, new DispatchFunction([handler], bodies, NullLogger<DispatchFunction>.Instance), signal, NullLogger<LocalQueuePump>.Instance);
        await queue.PoisonQueue.CreateIfNotExistsAsync();
        await pump.StartAsync(CancellationToken.None);
        try
        {
            await Eventually(async () => (await queue.PoisonQueue.GetPropertiesAsync()).Value.ApproximateMessagesCount == 1, "the item reached the poison queue");
            Assert.Empty(handler.Calls);
            var dead = JsonNode.Parse(StorageWorkQueue.Decode(Assert.Single((await queue.PoisonQueue.PeekMessagesAsync(1)).Value).MessageText))!;
            Assert.Contains("without completing", dead["reason"]!.GetValue<string>());
        }
        finally
        {
            await pump.StopAsync(CancellationToken.None);
            await queue.Queue.DeleteIfExistsAsync();
            await queue.PoisonQueue.DeleteIfExistsAsync();
        }
    }
}
