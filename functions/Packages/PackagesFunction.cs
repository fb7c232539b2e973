using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using Azure;
using Microsoft.Azure.Functions.Worker;
using Serverless.Functions.Hosting;
using Azure.Storage.Blobs;

namespace Serverless.Functions.Packages;

/// <summary>An uploaded zip, <c>plugin-uploads/{Publisher}/{Name}.zip</c>.</summary>
public sealed partial record UploadRef(string Publisher, string Name)
{
    public const string Container = "plugin-uploads";

    public string BlobName => $"{Publisher}/{Name}.zip";

    /// <summary>Parses a blob name inside the uploads container; anything but exactly two segments ending in .zip is not an upload.</summary>
    public static UploadRef? FromBlobName(string blobName)
    {
        var match = UploadPath().Match(blobName);
        return match.Success ? new UploadRef(match.Groups[1].Value, match.Groups[2].Value) : null;
    }

    public static bool IsValidSegment(string segment) => SegmentPattern().IsMatch(segment);

    /// <summary>A publisher name: what <see cref="FromBlobName"/> accepts as the first segment.</summary>
    public static bool IsValidPublisher(string publisher) => FromBlobName($"{publisher}/x.zip") is not null;

    [GeneratedRegex(@"^([A-Za-z0-9][A-Za-z0-9_.-]{0,63})/([A-Za-z0-9][A-Za-z0-9_.-]{0,127})\.zip\z")]
    private static partial Regex UploadPath();

    [GeneratedRegex(@"^[A-Za-z0-9][A-Za-z0-9_.-]{0,127}\z")]
    private static partial Regex SegmentPattern();
}

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
