using Azure.Storage;
using Azure.Storage.Sas;
using Serverless.Functions.Packages;
using Serverless.Functions.Storage;
using SdkBlobServiceClient = Azure.Storage.Blobs.BlobServiceClient;

namespace Serverless.Functions.Publishers;

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
public sealed class UploadGrants(StorageAccount account, TimeProvider clock)
{
    public static readonly TimeSpan UploadLifetime = TimeSpan.FromMinutes(15);
    public static readonly TimeSpan ReportLifetime = TimeSpan.FromHours(1);

    /// <summary>Clock skew between this app and storage: a SAS starts this much in the past.</summary>
    private static readonly TimeSpan Skew = TimeSpan.FromMinutes(5);

    /// <exception cref="PublisherKeyException">the platform's storage credential cannot sign (a SAS connection string).</exception>
    public async Task<UploadGrant> IssueAsync(UploadRef upload, CancellationToken cancellationToken)
    {
        var now = clock.GetUtcNow();
        var uploadSas = Builder(UploadRef.Container, upload.BlobName, BlobSasPermissions.Create | BlobSasPermissions.Write, now, now + UploadLifetime);
        var reportName = UploadProcessor.ReportBlobName(upload);
        var reportSas = Builder(UploadProcessor.ReportsContainer, reportName, BlobSasPermissions.Read, now, now + ReportLifetime);
        var sign = await SignerAsync(now, now + ReportLifetime, cancellationToken);
        return new UploadGrant(
            $"{UploadRef.Container}/{upload.BlobName}", Url(UploadRef.Container, upload.BlobName, sign(uploadSas)), uploadSas.ExpiresOn,
            $"{UploadProcessor.ReportsContainer}/{reportName}", Url(UploadProcessor.ReportsContainer, reportName, sign(reportSas)), reportSas.ExpiresOn);
    }

    private BlobSasBuilder Builder(string container, string blob, BlobSasPermissions permissions, DateTimeOffset now, DateTimeOffset expires)
    {
        var builder = new BlobSasBuilder(permissions, expires)
        {
            BlobContainerName = container,
            BlobName = blob,
            Resource = "b",
            StartsOn = now - Skew,
            Protocol = account.BlobEndpoint.Scheme == Uri.UriSchemeHttps ? SasProtocol.Https : SasProtocol.HttpsAndHttp,
        };
        return builder;
    }

    private async Task<Func<BlobSasBuilder, string>> SignerAsync(DateTimeOffset now, DateTimeOffset until, CancellationToken cancellationToken)
    {
        if (account.AccountKey is { } key)
        {
            var credential = new StorageSharedKeyCredential(account.AccountName, Convert.ToBase64String(key));
            return builder => builder.ToSasQueryParameters(credential).ToString();
        }
        if (account.Credential is { } identity)
        {
            var service = new SdkBlobServiceClient(account.BlobEndpoint, identity);
            var delegation = (await service.GetUserDelegationKeyAsync(now - Skew, until, cancellationToken)).Value;
            return builder => builder.ToSasQueryParameters(delegation, account.AccountName).ToString();
        }
        throw new PublisherKeyException(503, "storage_cannot_sign",
            "the platform's storage connection is a SAS, which cannot sign upload grants; give AzureWebJobsStorage an account key or a managed identity");
    }

    private Uri Url(string container, string blob, string sas) =>
        new($"{account.BlobEndpoint.AbsoluteUri.TrimEnd('/')}/{container}/{string.Join('/', blob.Split('/').Select(Uri.EscapeDataString))}?{sas}");
}
