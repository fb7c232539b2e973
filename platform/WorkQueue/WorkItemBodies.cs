using System.Text;
using System.Text.Json.Nodes;
using Azure.Storage.Blobs;

namespace Serverless.Platform.WorkQueue;

/// <summary>
/// A storage queue message holds at most 64 KiB. A body too large to travel inline is stored as a
/// blob in <c>invocation-bodies</c> and the message carries its name instead.
/// </summary>
public sealed class WorkItemBodies(BlobServiceClient blobs)
{
    public const string ContainerName = "invocation-bodies";

    public async Task<string> EncodeAsync(WorkItem item, int inlineLimitBytes, CancellationToken cancellationToken)
    {
        var json = item.ToJson();
        if (Encoding.UTF8.GetByteCount(json) <= inlineLimitBytes || item.Body is null)
        {
            return json;
        }
        var blobName = $"{item.Id}.json";
        var container = blobs.GetBlobContainerClient(ContainerName);
        await container.GetBlobClient(blobName).UploadAsync(BinaryData.FromString(item.Body.ToJsonString()), overwrite: true, cancellationToken);
        return (item with { Body = null, BodyBlob = blobName }).ToJson();
    }

    public async Task<WorkItem> ResolveAsync(WorkItem item, CancellationToken cancellationToken)
    {
        if (item.BodyBlob is null)
        {
            return item;
        }
        var download = await blobs.GetBlobContainerClient(ContainerName).GetBlobClient(item.BodyBlob).DownloadContentAsync(cancellationToken);
        var body = JsonNode.Parse(download.Value.Content.ToMemory().Span) as JsonObject
            ?? throw new WorkItemFormatException($"the stored body {item.BodyBlob} is not a JSON object");
        return item with { Body = body };
    }

    /// <summary>Called once the work is done; a redelivery after this point would find no body, so only then.</summary>
    public async Task ForgetAsync(WorkItem item, CancellationToken cancellationToken)
    {
        if (item.BodyBlob is not null)
        {
            await blobs.GetBlobContainerClient(ContainerName).GetBlobClient(item.BodyBlob).DeleteIfExistsAsync(cancellationToken: cancellationToken);
        }
    }
}
