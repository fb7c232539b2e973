using System.Security.Cryptography;
using System.Text.Json.Nodes;
using Azure;
using Azure.Storage.Blobs;
using Azure.Storage.Blobs.Models;
using Serverless.Platform.Hosting;
using Serverless.Platform.Installs;

namespace Serverless.Platform.Packages;

/// <summary>
/// Turns an upload into a published version or a report of everything wrong with it.
/// Steps, each safe to repeat after a crash: validate → check ownership, immutability and
/// dependencies → copy the zip to <c>plugins/{id}/{version}.zip</c> → record the version → upgrade
/// the installs that may take it (<see cref="Installer.UpgradeInstallsAsync"/>) → write the report.
/// The record is written after the copy and the report last, so a restart simply reprocesses the
/// upload, reaches the same verdict and finishes the upgrades; a rejected upload publishes nothing.
/// When the boot check cannot run (the sandbox is unavailable) the report says <c>pending</c>, nothing
/// is published, and <see cref="RecheckPendingAsync"/> judges the upload again later.
/// </summary>
/// <param name="installer">Upgrades the installs of a published version; absent in rigs that only publish.</param>
public sealed class UploadProcessor(
    BlobServiceClient blobs,
    PluginCatalog catalog,
    PackageValidator validator,
    BootCheck bootCheck,
    PendingUploads pending,
    TimeProvider clock,
    ILogger<UploadProcessor> logger,
    Installer? installer = null)
{
    public const string ReportsContainer = "plugin-reports";

    public static string ReportBlobName(UploadRef upload) => $"{upload.Publisher}/{upload.Name}.json";

    /// <summary>An ETag as reports carry it: the opaque value, without the quotes of a header (listings give it bare).</summary>
    public static string ReportETag(ETag etag) => etag.ToString().Trim('"');

    public async Task<JsonObject> ProcessAsync(UploadRef upload, CancellationToken cancellationToken)
    {
        var source = blobs.GetBlobContainerClient(UploadRef.Container).GetBlobClient(upload.BlobName);
        await using var zip = new FileStream(Path.GetTempFileName(), FileMode.Open, FileAccess.ReadWrite, FileShare.None, 81920, FileOptions.DeleteOnClose);
        ETag etag;
        string sha256;
        try
        {
            (etag, sha256) = await DownloadAsync(source, zip, cancellationToken);
        }
        catch (RequestFailedException ex) when (ex.Status == 404)
        {
            // Deleted between the trigger and now: nothing to judge, nothing to report.
            logger.LogInformation("Upload {Blob} disappeared before processing", upload.BlobName);
            await pending.DeleteAsync(upload, cancellationToken);
            return new JsonObject { ["status"] = "gone", ["upload"] = upload.BlobName };
        }

        PackageReport report;
        if (zip.Length > validator.Limits.MaxCompressedBytes)
        {
            report = new PackageReport(null, [new PackageIssue(IssueCodes.TooLarge, $"the upload is {zip.Length} bytes; the limit is {validator.Limits.MaxCompressedBytes}", upload.BlobName)], [], []);
        }
        else
        {
            zip.Position = 0;
            // A manifest without an id takes the upload's name: PUBLISHER/NAME.zip publishes NAME.
            report = await validator.ValidateAsync(zip, upload.Name, cancellationToken);
        }

        if (report.IsValid)
        {
            report = report.With(await CheckPublishingRulesAsync(upload, report.Manifest!, sha256, cancellationToken));
        }

        JsonObject? registrations = null;
        string? unavailable = null;
        if (report.IsValid && HasCode(report.Manifest!))
        {
            try
            {
                var boot = await bootCheck.RunAsync(zip, report.Manifest!, cancellationToken);
                report = report.With(boot.Errors, boot.Warnings);
                registrations = boot.Registrations;
            }
            catch (SandboxUnavailableException ex)
            {
                unavailable = ex.Message;
            }
        }

        var status = report.IsValid ? "published" : "rejected";
        if (unavailable is not null)
        {
            status = "pending";
        }
        else if (report.IsValid)
        {
            report = await PublishAsync(upload, report, zip, sha256, registrations, cancellationToken);
            status = report.IsValid ? "published" : "rejected";
        }
        if (report.IsValid && installer is not null)
        {
            await installer.UpgradeInstallsAsync(report.Manifest!.Id, report.Manifest.Version, cancellationToken);
        }

        var document = JsonNode.Parse(report.ToJson(status))!.AsObject();
        document["upload"] = new JsonObject
        {
            ["blob"] = $"{UploadRef.Container}/{upload.BlobName}",
            ["etag"] = ReportETag(etag),
            ["sha256"] = sha256,
        };
        var now = clock.GetUtcNow();
        document["processedAt"] = now.ToString("O");
        if (unavailable is not null)
        {
            // The row first: a crash before the report then costs one more try, never a forgotten upload.
            var attempts = await pending.AttemptsAsync(upload, cancellationToken) + 1;
            var next = now + PendingUploads.DelayAfter(attempts);
            await pending.SaveAsync(new PendingUpload(upload, attempts, next), cancellationToken);
            document["reason"] = $"the boot check could not run: {unavailable}. Nothing is published yet; the platform judges this upload again when the sandbox is back (attempt {attempts}, next at {next:O}), and this report then gives the verdict";
            document["nextAttemptAt"] = next.ToString("O");
        }
        await blobs.GetBlobContainerClient(ReportsContainer).GetBlobClient(ReportBlobName(upload))
            .UploadAsync(BinaryData.FromString(document.ToJsonString(new System.Text.Json.JsonSerializerOptions { WriteIndented = true })), new BlobUploadOptions { HttpHeaders = new BlobHttpHeaders { ContentType = "application/json" } }, cancellationToken);
        if (unavailable is null)
        {
            await pending.DeleteAsync(upload, cancellationToken);
        }
        logger.LogInformation("Upload {Blob}: {Status} with {Errors} errors", upload.BlobName, status, report.Errors.Count);
        return document;
    }

    /// <summary>
    /// Judges again every pending upload that is due (the timer calls this): the sandbox may be back. Each
    /// ends published, rejected, or pending once more with a longer wait.
    /// </summary>
    public async Task<int> RecheckPendingAsync(CancellationToken cancellationToken)
    {
        var due = await pending.DueAsync(clock.GetUtcNow(), cancellationToken);
        foreach (var item in due)
        {
            logger.LogInformation("Judging pending upload {Blob} again (attempt {Attempt})", item.Upload.BlobName, item.Attempts + 1);
            try
            {
                await ProcessAsync(item.Upload, cancellationToken);
            }
            catch (Exception ex) when (!cancellationToken.IsCancellationRequested)
            {
                // Its row stays: the next tick tries again, and the other pending uploads still get their turn.
                logger.LogError(ex, "Judging pending upload {Blob} again failed", item.Upload.BlobName);
            }
        }
        return due.Count;
    }

    /// <summary>Streams the upload to a temp file, hashing it, and stops one byte past the size limit.</summary>
    private async Task<(ETag ETag, string Sha256)> DownloadAsync(BlobClient source, FileStream destination, CancellationToken cancellationToken)
    {
        using var download = (await source.DownloadStreamingAsync(cancellationToken: cancellationToken)).Value;
        using var hash = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        var buffer = new byte[81920];
        long total = 0;
        int read;
        while ((read = await download.Content.ReadAsync(buffer, cancellationToken)) > 0)
        {
            var keep = (int)Math.Min(read, validator.Limits.MaxCompressedBytes + 1 - total);
            if (keep <= 0)
            {
                break;
            }
            hash.AppendData(buffer, 0, keep);
            await destination.WriteAsync(buffer.AsMemory(0, keep), cancellationToken);
            total += keep;
        }
        await destination.FlushAsync(cancellationToken);
        return (download.Details.ETag, Convert.ToHexStringLower(hash.GetHashAndReset()));
    }

    private async Task<List<PackageIssue>> CheckPublishingRulesAsync(UploadRef upload, PluginManifest manifest, string sha256, CancellationToken cancellationToken)
    {
        var errors = new List<PackageIssue>();
        var owner = await catalog.GetOwnerAsync(manifest.Id, cancellationToken);
        if (owner is not null && owner != upload.Publisher)
        {
            errors.Add(new PackageIssue(IssueCodes.PluginOwnedByOther, $"plugin id '{manifest.Id}' belongs to publisher '{owner}'; choose another id", "$.id"));
        }
        var existing = await catalog.GetVersionAsync(manifest.Id, manifest.Version, cancellationToken);
        if (existing is not null && existing.Sha256 != sha256)
        {
            errors.Add(VersionExists(manifest));
        }
        var resolution = DependencyResolver.Resolve(manifest, await catalog.GetDependencyGraphAsync(cancellationToken), PlatformInfo.Version);
        errors.AddRange(resolution.Errors);
        return errors;
    }

    /// <summary>A package with plugin.py (or a named entrypoint) has code; declarative and hook-only plugins have none to boot.</summary>
    public static bool HasCode(PluginManifest manifest) => manifest.Entrypoint is not null;

    private async Task<PackageReport> PublishAsync(UploadRef upload, PackageReport report, FileStream zip, string sha256, JsonObject? registrations, CancellationToken cancellationToken)
    {
        var manifest = report.Manifest!;
        if (await catalog.ClaimAsync(manifest.Id, upload.Publisher, cancellationToken) is var owner && owner != upload.Publisher)
        {
            return report.With([new PackageIssue(IssueCodes.PluginOwnedByOther, $"plugin id '{manifest.Id}' belongs to publisher '{owner}'; choose another id", "$.id")]);
        }

        var target = catalog.PackageBlob(manifest.Id, manifest.Version);
        zip.Position = 0;
        try
        {
            await target.UploadAsync(zip, new BlobUploadOptions
            {
                Conditions = new BlobRequestConditions { IfNoneMatch = ETag.All },
                HttpHeaders = new BlobHttpHeaders { ContentType = "application/zip" },
                Metadata = new Dictionary<string, string> { ["sha256"] = sha256, ["publisher"] = upload.Publisher },
            }, cancellationToken);
        }
        catch (RequestFailedException ex) when (ex.Status is 409 or 412)
        {
            // Already there: from an earlier run of this same upload (fine) or a racing different one (not).
            var properties = (await target.GetPropertiesAsync(cancellationToken: cancellationToken)).Value;
            if (properties.Metadata.TryGetValue("sha256", out var existing) && existing != sha256)
            {
                return report.With([VersionExists(manifest)]);
            }
        }

        var recorded = await catalog.TryRecordAsync(
            new PublishedPlugin(manifest.Id, manifest.Version, upload.Publisher, sha256, manifest.Dependencies, clock.GetUtcNow()) { Registrations = registrations, Warnings = report.Warnings },
            cancellationToken);
        return recorded
            ? report
            : report.With([VersionExists(manifest)]);
    }

    private static PackageIssue VersionExists(PluginManifest manifest) =>
        new(IssueCodes.VersionExists, $"{manifest.Id} {manifest.Version} is already published and versions are immutable; bump \"version\"", "$.version");
}
