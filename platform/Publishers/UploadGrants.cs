using Azure.Storage.Blobs;
using Azure.Storage.Sas;
using Serverless.Platform.Hosting;
using Serverless.Platform.Packages;

namespace Serverless.Platform.Publishers;

/// <summary>
/// What a publisher gets for one upload: a SAS URL that may create and write exactly
/// <c>plugin-uploads/{publisher}/{name}.zip</c>, and one that may read its report.
/// </summary>
public sealed record UploadGrant(string Blob, Uri UploadUrl, DateTimeOffset UploadExpiresAt, string ReportBlob, Uri ReportUrl, DateTimeOffset ReportExpiresAt);

/// <summary>
/// Mints the SAS of an <see cref="UploadGrant"/> with the platform's own storage credential: the account
/// key where <c>AzureWebJobsStorage</c> has one (Azurite, key-based accounts), else a user delegation key
/// from the managed identity. Blob-scoped (<c>sr=b</c>), because a prefix-scoped SAS needs a
/// hierarchical-namespace account (and Azurite has none): the prefix is enforced by only ever signing
/// names under the key holder's own publisher.
/// </summary>
public sealed class UploadGrants(BlobServiceClient blobs, StorageConnection connection, TimeProvider clock)
{
    public static readonly TimeSpan UploadLifetime = TimeSpan.FromMinutes(15);
    public static readonly TimeSpan ReportLifetime = TimeSpan.FromHours(1);

    /// <summary>Clock skew between this app and storage: a SAS starts this much in the past.</summary>
    private static readonly TimeSpan Skew = TimeSpan.FromMinutes(5);

    /// <exception cref="PublisherKeyException">the platform's storage credential cannot sign (a SAS connection string).</exception>
    public async Task<UploadGrant> IssueAsync(UploadRef upload, CancellationToken cancellationToken)
    {
        var now = clock.GetUtcNow();
        var uploadBlob = blobs.GetBlobContainerClient(UploadRef.Container).GetBlobClient(upload.BlobName);
        var uploadSas = Builder(uploadBlob, BlobSasPermissions.Create | BlobSasPermissions.Write, now, now + UploadLifetime);
        var reportName = UploadProcessor.ReportBlobName(upload);
        var reportBlob = blobs.GetBlobContainerClient(UploadProcessor.ReportsContainer).GetBlobClient(reportName);
        var reportSas = Builder(reportBlob, BlobSasPermissions.Read, now, now + ReportLifetime);
        var sign = await SignerAsync(uploadBlob, now, now + ReportLifetime, cancellationToken);
        return new UploadGrant(
            $"{UploadRef.Container}/{upload.BlobName}", sign(uploadBlob, uploadSas), uploadSas.ExpiresOn,
            $"{UploadProcessor.ReportsContainer}/{reportName}", sign(reportBlob, reportSas), reportSas.ExpiresOn);
    }

    private static BlobSasBuilder Builder(BlobClient blob, BlobSasPermissions permissions, DateTimeOffset now, DateTimeOffset expires) =>
        new(permissions, expires)
        {
            BlobContainerName = blob.BlobContainerName,
            BlobName = blob.Name,
            Resource = "b",
            StartsOn = now - Skew,
            Protocol = blob.Uri.Scheme == Uri.UriSchemeHttps ? SasProtocol.Https : SasProtocol.HttpsAndHttp,
        };

    private async Task<Func<BlobClient, BlobSasBuilder, Uri>> SignerAsync(BlobClient anyBlob, DateTimeOffset now, DateTimeOffset until, CancellationToken cancellationToken)
    {
        if (anyBlob.CanGenerateSasUri)
        {
            return (blob, builder) => blob.GenerateSasUri(builder);
        }
        if (connection.IsIdentityBased)
        {
            var delegation = (await blobs.GetUserDelegationKeyAsync(now - Skew, until, cancellationToken)).Value;
            return (blob, builder) => blob.GenerateUserDelegationSasUri(builder, delegation);
        }
        throw new PublisherKeyException(503, "storage_cannot_sign",
            "the platform's storage connection is a SAS, which cannot sign upload grants; give AzureWebJobsStorage an account key or a managed identity");
    }
}
