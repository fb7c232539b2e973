using System.Text.Json.Nodes;
using Azure;
using Azure.Storage.Blobs;
using Azure.Storage.Blobs.Models;
using Serverless.Functions.Hosting;

namespace Serverless.Functions.Packages;

/// <summary>
/// Locally nothing fires the blob trigger, so this watcher polls <c>plugin-uploads</c> and calls the
/// <c>packages</c> function for every new or changed zip, once per ETag. The report is the receipt: an
/// upload whose report names its ETag was judged already, whoever judged it (a <c>pending</c> one is
/// judged again by the timer, <see cref="UploadProcessor.RecheckPendingAsync"/>, not here).
/// </summary>
public sealed class LocalUploadWatcher(
    BlobServiceClient blobs,
    PackagesFunction packages,
    ILogger<LocalUploadWatcher> logger) : BackgroundService
{
    private const int MaxAttempts = 5;
    private static readonly TimeSpan Poll = TimeSpan.FromSeconds(1);

    private readonly Dictionary<string, int> _failures = [];

    /// <summary>Blob name → the ETag last judged, so a poll reads each report once, not every second.</summary>
    private readonly Dictionary<string, string> _judged = [];

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        var uploads = blobs.GetBlobContainerClient(UploadRef.Container);
        var reports = blobs.GetBlobContainerClient(UploadProcessor.ReportsContainer);
        while (!stoppingToken.IsCancellationRequested)
        {
            try
            {
                await uploads.CreateIfNotExistsAsync(cancellationToken: stoppingToken);
                await reports.CreateIfNotExistsAsync(cancellationToken: stoppingToken);
                await foreach (var blob in uploads.GetBlobsAsync(cancellationToken: stoppingToken))
                {
                    await ProcessIfNewAsync(uploads, reports, blob, stoppingToken);
                }
            }
            catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
            {
                break;
            }
            catch (Exception ex)
            {
                logger.LogWarning("Upload watcher could not list {Container}: {Message}", UploadRef.Container, ex.Message);
            }
            try
            {
                await Task.Delay(Poll, stoppingToken);
            }
            catch (OperationCanceledException)
            {
                break;
            }
        }
    }

    private async Task ProcessIfNewAsync(BlobContainerClient uploads, BlobContainerClient reports, BlobItem blob, CancellationToken cancellationToken)
    {
        var upload = UploadRef.FromBlobName(blob.Name);
        var etag = UploadProcessor.ReportETag(blob.Properties.ETag.GetValueOrDefault());
        if (upload is null || _judged.GetValueOrDefault(blob.Name) == etag)
        {
            return;
        }
        if (await ReportedEtagAsync(reports.GetBlobClient(UploadProcessor.ReportBlobName(upload)), cancellationToken) == etag)
        {
            _judged[blob.Name] = etag;
            return;
        }

        var key = blob.Name + "@" + etag;
        try
        {
            await packages.RunAsync(BlobPayload(uploads, blob, upload), cancellationToken);
        }
        catch (Exception ex) when (!cancellationToken.IsCancellationRequested)
        {
            var failures = _failures[key] = _failures.GetValueOrDefault(key) + 1;
            logger.LogError(ex, "Processing upload {Blob} failed (attempt {Attempt} of {Max})", blob.Name, failures, MaxAttempts);
            if (failures < MaxAttempts)
            {
                return;
            }
        }
        _failures.Remove(key);
        _judged[blob.Name] = etag;
    }

    private static async Task<string?> ReportedEtagAsync(BlobClient report, CancellationToken cancellationToken)
    {
        try
        {
            var content = await report.DownloadContentAsync(cancellationToken);
            return JsonNode.Parse(content.Value.Content.ToMemory().Span)?["upload"]?["etag"]?.GetValue<string>();
        }
        catch (RequestFailedException ex) when (ex.Status == 404)
        {
            return null;
        }
        catch (System.Text.Json.JsonException)
        {
            return null;
        }
    }

    /// <summary>The host's blob-trigger payload; the content is left out because the function reads the blob itself.</summary>
    public static FunctionInvocationRequest BlobPayload(BlobContainerClient uploads, BlobItem blob, UploadRef upload) => new(
        new JsonObject { [PackagesFunction.UploadBinding] = null },
        new JsonObject
        {
            ["publisher"] = upload.Publisher,
            ["name"] = upload.Name,
            ["BlobTrigger"] = $"{UploadRef.Container}/{blob.Name}",
            ["Uri"] = uploads.GetBlobClient(blob.Name).Uri.ToString(),
            ["Properties"] = new JsonObject { ["ETag"] = UploadProcessor.ReportETag(blob.Properties.ETag.GetValueOrDefault()), ["Length"] = blob.Properties.ContentLength },
        });
}
