using Serverless.Functions.Storage;
using Serverless.Tests.Infrastructure;

namespace Serverless.Tests.Storage;

public class QueueClientTests(Azurite azurite)
{
    private async Task<QueueClient> NewQueueAsync()
    {
        var queue = new QueueServiceClient(azurite.Account).GetQueueClient(Azurite.UniqueName("queue"));
        Assert.True(await queue.CreateIfNotExistsAsync(TestContext.Current.CancellationToken));
        return queue;
    }

    [Fact]
    public async Task CreateIfNotExists_Twice_SecondReturnsFalse()
    {
        var ct = TestContext.Current.CancellationToken;
        var queue = await NewQueueAsync();

        Assert.False(await queue.CreateIfNotExistsAsync(ct));
        Assert.True(await queue.ExistsAsync(ct));
        Assert.True(await queue.DeleteIfExistsAsync(ct));
        Assert.False(await queue.DeleteIfExistsAsync(ct));
        Assert.False(await queue.ExistsAsync(ct));
    }

    [Fact]
    public async Task SendReceiveDelete_Message_RoundTripsTextAndIsGone()
    {
        var ct = TestContext.Current.CancellationToken;
        var queue = await NewQueueAsync();
        const string text = """{"kind":"<interaction> & 'co'","n":1}""";

        var receipt = await queue.SendMessageAsync(text, cancellationToken: ct);
        var peeked = await queue.PeekMessagesAsync(5, ct);
        var count = await queue.GetApproximateMessageCountAsync(ct);
        var received = Assert.Single(await queue.ReceiveMessagesAsync(10, TimeSpan.FromSeconds(30), ct));
        await queue.DeleteMessageAsync(received.MessageId, received.PopReceipt, ct);

        Assert.Equal(text, Assert.Single(peeked).MessageText);
        Assert.Equal(1, count);
        Assert.Equal(receipt.MessageId, received.MessageId);
        Assert.Equal(text, received.MessageText);
        Assert.Equal(1, received.DequeueCount);
        Assert.True(received.NextVisibleOn > DateTimeOffset.UtcNow.AddSeconds(20));
        Assert.True(receipt.InsertedOn > DateTimeOffset.UtcNow.AddMinutes(-5));
        Assert.Empty(await queue.PeekMessagesAsync(5, ct));
        Assert.Equal(0, await queue.GetApproximateMessageCountAsync(ct));
    }

    [Fact]
    public async Task SendMessage_VisibilityTimeout_HidesMessageUntilThen()
    {
        var ct = TestContext.Current.CancellationToken;
        var queue = await NewQueueAsync();

        var receipt = await queue.SendMessageAsync("later", TimeSpan.FromSeconds(2), TimeSpan.FromMinutes(5), ct);

        Assert.Empty(await queue.ReceiveMessagesAsync(1, cancellationToken: ct));
        Assert.True(receipt.NextVisibleOn > receipt.InsertedOn);
        await Task.Delay(TimeSpan.FromSeconds(3), ct);
        Assert.Equal("later", Assert.Single(await queue.ReceiveMessagesAsync(1, cancellationToken: ct)).MessageText);
    }

    [Fact]
    public async Task UpdateMessage_NewTextAndVisibility_HiddenThenVisibleWithNewTextAndHigherDequeueCount()
    {
        var ct = TestContext.Current.CancellationToken;
        var queue = await NewQueueAsync();
        await queue.SendMessageAsync("attempt-1", cancellationToken: ct);
        var first = Assert.Single(await queue.ReceiveMessagesAsync(1, TimeSpan.FromSeconds(30), ct));

        var update = await queue.UpdateMessageAsync(first.MessageId, first.PopReceipt, "attempt-2", TimeSpan.FromSeconds(2), ct);
        var whileHidden = await queue.ReceiveMessagesAsync(1, cancellationToken: ct);
        await Task.Delay(TimeSpan.FromSeconds(3), ct);
        var second = Assert.Single(await queue.ReceiveMessagesAsync(1, TimeSpan.FromSeconds(30), ct));
        var stale = await Assert.ThrowsAsync<StorageRequestFailedException>(() => queue.DeleteMessageAsync(first.MessageId, update.PopReceipt, ct));
        await queue.DeleteMessageAsync(second.MessageId, second.PopReceipt, ct);

        Assert.Empty(whileHidden);
        Assert.NotEqual(first.PopReceipt, update.PopReceipt);
        Assert.True(update.NextVisibleOn > DateTimeOffset.UtcNow.AddMinutes(-1));
        Assert.Equal(first.MessageId, second.MessageId);
        Assert.Equal("attempt-2", second.MessageText);
        Assert.Equal(2, second.DequeueCount);
        // The message is still there under a newer receipt: Azure and Azurite answer 400 PopReceiptMismatch
        // (404 MessageNotFound once it is gone).
        Assert.Equal(400, stale.Status);
        Assert.Equal("PopReceiptMismatch", stale.ErrorCode);
    }

    [Fact]
    public async Task UpdateMessage_NullText_KeepsText()
    {
        var ct = TestContext.Current.CancellationToken;
        var queue = await NewQueueAsync();
        await queue.SendMessageAsync("keep me", cancellationToken: ct);
        var message = Assert.Single(await queue.ReceiveMessagesAsync(1, TimeSpan.FromSeconds(30), ct));

        await queue.UpdateMessageAsync(message.MessageId, message.PopReceipt, null, TimeSpan.Zero, ct);

        Assert.Equal("keep me", Assert.Single(await queue.ReceiveMessagesAsync(1, cancellationToken: ct)).MessageText);
    }

    [Fact]
    public async Task ReceiveMessages_Many_ReturnsUpToMax()
    {
        var ct = TestContext.Current.CancellationToken;
        var queue = await NewQueueAsync();
        for (var i = 0; i < 5; i++)
        {
            await queue.SendMessageAsync($"m{i}", cancellationToken: ct);
        }

        var batch = await queue.ReceiveMessagesAsync(3, cancellationToken: ct);
        var rest = await queue.ReceiveMessagesAsync(32, cancellationToken: ct);

        Assert.Equal(3, batch.Count);
        Assert.Equal(2, rest.Count);
        Assert.Equal(5, batch.Concat(rest).Select(m => m.MessageText).Distinct().Count());
    }

    [Fact]
    public async Task SendMessage_MissingQueue_Throws404QueueNotFound()
    {
        var queue = new QueueServiceClient(azurite.Account).GetQueueClient(Azurite.UniqueName("missing"));

        var ex = await Assert.ThrowsAsync<StorageRequestFailedException>(() => queue.SendMessageAsync("x", cancellationToken: TestContext.Current.CancellationToken));

        Assert.Equal(404, ex.Status);
        Assert.Equal("QueueNotFound", ex.ErrorCode);
    }
}
