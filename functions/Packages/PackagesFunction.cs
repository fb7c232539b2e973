using System.Text.Json.Nodes;
using Azure;
using Microsoft.Azure.Functions.Worker;
using Serverless.Platform.Hosting;
using Serverless.Platform.Packages;
using Azure.Storage.Blobs;

namespace Serverless.Functions.Packages;

/// <summary>
/// The blob-triggered function on <c>plugin-uploads/{publisher}/{name}.zip</c>. It is bound to a
/// <see cref="BlobClient"/>, not to the content, so an upload of any allowed size streams from storage
/// (<see cref="UploadProcessor"/>) instead of arriving in memory. Each version of an upload (its ETag) is
/// judged once, whoever judged it: the report names the ETag it judged, and an upload whose report names
/// its current ETag is not judged again (a redelivered event, a second host, a restart after the report).
/// A <c>pending</c> report is judged again by the timer (<see cref="UploadProcessor.RecheckPendingAsync"/>), not here.
/// </summary>
public sealed class PackagesFunction(UploadProcessor processor, BlobServiceClient blobs, ILogger<PackagesFunction> logger)
{
    public const string FunctionName = "packages";

    /// <summary>The trigger's path: the uploads container, then <c>{publisher}/{name}.zip</c>.</summary>
    public const string UploadPath = UploadRef.Container + "/{publisher}/{name}.zip";

    [Function(FunctionName)]
    public async Task RunAsync(
        [BlobTrigger(UploadPath, Source = BlobTriggerSource.EventGrid, Connection = StorageLayout.Connection)] BlobClient blob,
        CancellationToken cancellationToken)
    {
        if (UploadRef.FromBlobName(blob.Name) is not { } upload)
        {
            // Retrying cannot make the name valid; nothing is judged or reported.
            logger.LogWarning("Ignored {Blob}: not an upload name (PUBLISHER/NAME.zip)", blob.Name);
            return;
        }
        ETag etag;
        try
        {
            etag = (await blob.GetPropertiesAsync(cancellationToken: cancellationToken)).Value.ETag;
        }
        catch (RequestFailedException ex) when (ex.Status == 404)
        {
            logger.LogInformation("Upload {Blob} disappeared before processing", upload.BlobName);
            return;
        }
        if (await JudgedEtagAsync(upload, cancellationToken) == UploadProcessor.ReportETag(etag))
        {
            logger.LogInformation("Upload {Blob} at {ETag} was judged already", upload.BlobName, etag);
            return;
        }
        await processor.ProcessAsync(upload, cancellationToken);
    }

    /// <summary>The ETag the upload's report judged, or null without a readable report.</summary>
    private async Task<string?> JudgedEtagAsync(UploadRef upload, CancellationToken cancellationToken)
    {
        try
        {
            var report = await blobs.GetBlobContainerClient(UploadProcessor.ReportsContainer).GetBlobClient(UploadProcessor.ReportBlobName(upload)).DownloadContentAsync(cancellationToken);
            return JsonNode.Parse(report.Value.Content.ToMemory().Span)?["upload"]?["etag"]?.GetValue<string>();
        }
        catch (RequestFailedException ex) when (ex.Status == 404)
        {
            return null;
        }
        catch (Exception ex) when (ex is System.Text.Json.JsonException or InvalidOperationException)
        {
            return null;
        }
    }
}
