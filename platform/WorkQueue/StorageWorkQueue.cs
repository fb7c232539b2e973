using System.Text;
using Azure.Storage.Queues;

namespace Serverless.Platform.WorkQueue;

/// <summary>
/// The local work queue: an Azure Storage queue (Azurite). Messages are base64 text, as the
/// Functions storage-queue trigger expects by default.
/// </summary>
public sealed class StorageWorkQueue(QueueServiceClient queues, WorkItemBodies bodies, string name = WorkQueueRegistration.QueueName) : IWorkQueue
{
    /// <summary>64 KiB after base64 leaves 48 KiB of text.</summary>
    private const int InlineLimitBytes = 48 * 1024;

    public string Name => name;

    public QueueClient Queue => queues.GetQueueClient(name);

    public QueueClient PoisonQueue => queues.GetQueueClient(name + "-poison");

    public async Task EnqueueAsync(WorkItem item, CancellationToken cancellationToken)
    {
        var text = await bodies.EncodeAsync(item, InlineLimitBytes, cancellationToken);
        await Queue.SendMessageAsync(Encode(text), cancellationToken: cancellationToken);
    }

    public static string Encode(string text) => Convert.ToBase64String(Encoding.UTF8.GetBytes(text));

    /// <summary>Accepts base64 (what we send) and plain text (what a person may put in by hand).</summary>
    public static string Decode(string messageText)
    {
        var buffer = new byte[messageText.Length];
        return Convert.TryFromBase64String(messageText, buffer, out var written)
            ? Encoding.UTF8.GetString(buffer, 0, written)
            : messageText;
    }
}
