using System.Security.Cryptography;
using Azure;
using Serverless.Functions.Storage;
using Serverless.Tests.Infrastructure;

namespace Serverless.Tests.Storage;

public class BlobClientTests(Azurite azurite)
{
    private async Task<BlobContainerClient> NewContainerAsync()
    {
        var container = new BlobServiceClient(azurite.Account).GetBlobContainerClient(Azurite.UniqueName("blobs"));
        Assert.True(await container.CreateIfNotExistsAsync(TestContext.Current.CancellationToken));
        return container;
    }

    [Fact]
    public async Task CreateIfNotExists_Twice_SecondReturnsFalse()
    {
        var container = await NewContainerAsync();

        Assert.False(await container.CreateIfNotExistsAsync(TestContext.Current.CancellationToken));
        Assert.True(await container.ExistsAsync(TestContext.Current.CancellationToken));
        Assert.True(await container.DeleteIfExistsAsync(TestContext.Current.CancellationToken));
        Assert.False(await container.DeleteIfExistsAsync(TestContext.Current.CancellationToken));
    }

    [Fact]
    public async Task UploadThenDownload_WithTypeAndMetadata_RoundTrips()
    {
        var ct = TestContext.Current.CancellationToken;
        var blob = (await NewContainerAsync()).GetBlobClient("reports/acme/some plugin+ü.json");

        var info = await blob.UploadAsync(BinaryData.FromString("""{"status":"published"}"""), new BlobUploadOptions
        {
            ContentType = "application/json",
            Metadata = new Dictionary<string, string> { ["publisher"] = "acme" },
        }, ct);
        var download = await blob.DownloadContentAsync(ct);
        var properties = await blob.GetPropertiesAsync(ct);

        Assert.Equal("""{"status":"published"}""", download.Content.ToString());
        Assert.Equal("application/json", download.ContentType);
        Assert.Equal("acme", download.Metadata["publisher"]);
        Assert.Equal(info.ETag, download.ETag);
        Assert.Equal(info.ETag, properties.ETag);
        Assert.Equal(22, properties.ContentLength);
        Assert.Equal("acme", properties.Metadata["publisher"]);
        Assert.True(properties.LastModified > DateTimeOffset.UtcNow.AddMinutes(-5));
        Assert.True(await blob.ExistsAsync(ct));
        Assert.Equal("reports/acme/some plugin+ü.json", blob.Name);
    }

    [Fact]
    public async Task DownloadContent_MissingBlob_Throws404BlobNotFound()
    {
        var blob = (await NewContainerAsync()).GetBlobClient("missing.txt");

        var ex = await Assert.ThrowsAsync<StorageRequestFailedException>(() => blob.DownloadContentAsync(TestContext.Current.CancellationToken));

        Assert.Equal(404, ex.Status);
        Assert.Equal("BlobNotFound", ex.ErrorCode);
        Assert.False(await blob.ExistsAsync(TestContext.Current.CancellationToken));
    }

    [Fact]
    public async Task GetProperties_MissingBlob_Throws404WithHeaderCode()
    {
        var blob = (await NewContainerAsync()).GetBlobClient("missing.txt");

        var ex = await Assert.ThrowsAsync<StorageRequestFailedException>(() => blob.GetPropertiesAsync(TestContext.Current.CancellationToken));

        Assert.Equal(404, ex.Status);
        Assert.Equal("BlobNotFound", ex.ErrorCode);
    }

    [Fact]
    public async Task GetBlobs_SmallPages_FollowsMarkersAndReturnsEachOnce()
    {
        var ct = TestContext.Current.CancellationToken;
        var container = await NewContainerAsync();
        var names = Enumerable.Range(0, 11).Select(i => $"plugins/p{i:D2}.zip").Append("other/x.zip").ToList();
        var etags = new Dictionary<string, ETag>();
        foreach (var name in names)
        {
            etags[name] = (await container.GetBlobClient(name).UploadAsync(BinaryData.FromString(name), cancellationToken: ct)).ETag;
        }

        var all = await container.GetBlobsAsync(null, pageSize: 3, ct).ToListAsync(ct);
        var plugins = await container.GetBlobsAsync("plugins/", pageSize: 2, ct).ToListAsync(ct);
        var defaultPaging = await container.GetBlobsAsync("other/", ct).ToListAsync(ct);

        Assert.Equal(names.Order(StringComparer.Ordinal), all.Select(b => b.Name));
        Assert.Equal(11, plugins.Count);
        Assert.Equal(11, plugins.Select(b => b.Name).Distinct().Count());
        Assert.All(plugins, b => Assert.Equal(b.Name.Length, b.ContentLength));
        Assert.All(all, b => Assert.Equal(etags[b.Name], b.ETag));
        Assert.Equal("other/x.zip", Assert.Single(defaultPaging).Name);
    }

    [Fact]
    public async Task DeleteIfExists_ExistingThenMissing_ReturnsTrueThenFalse()
    {
        var ct = TestContext.Current.CancellationToken;
        var blob = (await NewContainerAsync()).GetBlobClient("a.txt");
        await blob.UploadAsync(BinaryData.FromString("a"), cancellationToken: ct);

        Assert.True(await blob.DeleteIfExistsAsync(cancellationToken: ct));
        Assert.False(await blob.DeleteIfExistsAsync(cancellationToken: ct));
        Assert.False(await blob.ExistsAsync(ct));
    }

    [Fact]
    public async Task Upload_IfNoneMatchAllTwice_SecondFailsWithConflict()
    {
        var ct = TestContext.Current.CancellationToken;
        var blob = (await NewContainerAsync()).GetBlobClient("claim");
        var createOnly = new BlobUploadOptions { Conditions = new BlobRequestConditions { IfNoneMatch = ETag.All } };

        await blob.UploadAsync(BinaryData.FromString("first"), createOnly, ct);
        var ex = await Assert.ThrowsAsync<StorageRequestFailedException>(() => blob.UploadAsync(BinaryData.FromString("second"), createOnly, ct));
        var overwrite = await Assert.ThrowsAsync<StorageRequestFailedException>(() => blob.UploadAsync(BinaryData.FromString("third"), overwrite: false, ct));

        // The service answers 409 BlobAlreadyExists; 412 is what a plain HTTP server would say.
        Assert.Contains(ex.Status, new[] { 409, 412 });
        Assert.Contains(overwrite.Status, new[] { 409, 412 });
        Assert.Equal("first", (await blob.DownloadContentAsync(ct)).Content.ToString());
    }

    [Fact]
    public async Task Upload_IfMatchStaleETag_Throws412()
    {
        var ct = TestContext.Current.CancellationToken;
        var blob = (await NewContainerAsync()).GetBlobClient("state.json");
        var first = await blob.UploadAsync(BinaryData.FromString("v1"), cancellationToken: ct);
        var second = await blob.UploadAsync(BinaryData.FromString("v2"), new BlobUploadOptions { Conditions = new BlobRequestConditions { IfMatch = first.ETag } }, ct);

        var ex = await Assert.ThrowsAsync<StorageRequestFailedException>(() =>
            blob.UploadAsync(BinaryData.FromString("v3"), new BlobUploadOptions { Conditions = new BlobRequestConditions { IfMatch = first.ETag } }, ct));
        var delete = await Assert.ThrowsAsync<StorageRequestFailedException>(() =>
            blob.DeleteIfExistsAsync(new BlobRequestConditions { IfMatch = first.ETag }, ct));

        Assert.NotEqual(first.ETag, second.ETag);
        Assert.Equal(412, ex.Status);
        Assert.Equal("ConditionNotMet", ex.ErrorCode);
        Assert.Equal(412, delete.Status);
        Assert.Equal("v2", (await blob.DownloadContentAsync(ct)).Content.ToString());
    }

    [Fact]
    public async Task Lease_WriteWithoutAndWithLeaseId_OnlyHolderWrites()
    {
        var ct = TestContext.Current.CancellationToken;
        var blob = (await NewContainerAsync()).GetBlobClient("lock");
        await blob.UploadAsync(BinaryData.FromString("free"), cancellationToken: ct);

        var lease = await blob.AcquireLeaseAsync(TimeSpan.FromSeconds(15), cancellationToken: ct);
        var second = await Assert.ThrowsAsync<StorageRequestFailedException>(() => blob.AcquireLeaseAsync(TimeSpan.FromSeconds(15), cancellationToken: ct));
        var withoutLease = await Assert.ThrowsAsync<StorageRequestFailedException>(() => blob.UploadAsync(BinaryData.FromString("intruder"), cancellationToken: ct));
        var deleteWithoutLease = await Assert.ThrowsAsync<StorageRequestFailedException>(() => blob.DeleteIfExistsAsync(cancellationToken: ct));
        await blob.UploadAsync(BinaryData.FromString("holder"), new BlobUploadOptions { Conditions = new BlobRequestConditions { LeaseId = lease.LeaseId } }, ct);
        var renewed = await blob.RenewLeaseAsync(lease, ct);
        var leased = await blob.GetPropertiesAsync(ct);
        await blob.ReleaseLeaseAsync(lease.LeaseId, ct);
        await blob.UploadAsync(BinaryData.FromString("after"), cancellationToken: ct);

        Assert.False(string.IsNullOrEmpty(lease.LeaseId));
        Assert.Equal(lease.LeaseId, renewed.LeaseId);
        Assert.Equal(409, second.Status);
        Assert.Equal("LeaseAlreadyPresent", second.ErrorCode);
        Assert.Equal(412, withoutLease.Status);
        Assert.Equal("LeaseIdMissing", withoutLease.ErrorCode);
        Assert.Equal(412, deleteWithoutLease.Status);
        Assert.Equal("leased", leased.LeaseState);
        Assert.Equal("after", (await blob.DownloadContentAsync(ct)).Content.ToString());
    }

    [Fact]
    public async Task Lease_ProposedIdAndBreak_AllowsTakeover()
    {
        var ct = TestContext.Current.CancellationToken;
        var blob = (await NewContainerAsync()).GetBlobClient("lock");
        await blob.UploadAsync(BinaryData.FromString("x"), cancellationToken: ct);
        var proposed = Guid.NewGuid().ToString();

        string leaseId = await blob.AcquireLeaseAsync(Timeout.InfiniteTimeSpan, proposed, cancellationToken: ct);
        await blob.BreakLeaseAsync(ct);
        var next = await blob.AcquireLeaseAsync(TimeSpan.FromSeconds(20), cancellationToken: ct);

        Assert.Equal(proposed, leaseId);
        Assert.NotEqual(proposed, next.LeaseId);
    }

    [Fact]
    public async Task UploadStream_MultiMegabyte_StagesBlocksAndRoundTrips()
    {
        var ct = TestContext.Current.CancellationToken;
        var blob = (await NewContainerAsync()).GetBlobClient("big.bin");
        var content = RandomNumberGenerator.GetBytes(5 * 1024 * 1024 + 123);
        var options = new BlobUploadOptions
        {
            ContentType = "application/zip",
            Metadata = new Dictionary<string, string> { ["kind"] = "big" },
            Conditions = new BlobRequestConditions { IfNoneMatch = ETag.All },
            TransferOptions = new StorageTransferOptions { InitialTransferSize = 1024 * 1024, MaximumTransferSize = 1024 * 1024 },
        };

        // A non-seekable stream, as a request body would be.
        await using var source = new ForwardOnlyStream(new MemoryStream(content));
        var info = await blob.UploadAsync(source, options, ct);
        var download = await blob.DownloadContentAsync(ct);
        var blocks = await BlockCountAsync(blob, ct);
        await using var streamed = await blob.OpenReadAsync(ct);
        using var copy = new MemoryStream();
        await streamed.CopyToAsync(copy, ct);

        Assert.Equal(info.ETag, download.ETag);
        Assert.Equal(SHA256.HashData(content), SHA256.HashData(download.Content.ToArray()));
        Assert.Equal(SHA256.HashData(content), SHA256.HashData(copy.ToArray()));
        Assert.Equal("application/zip", download.ContentType);
        Assert.Equal("big", download.Metadata["kind"]);
        Assert.Equal(6, blocks);
        var again = await Assert.ThrowsAsync<StorageRequestFailedException>(() => blob.UploadAsync(new MemoryStream(content), options, ct));
        Assert.Contains(again.Status, new[] { 409, 412 });
    }

    [Fact]
    public async Task UploadStream_SmallerThanInitialSize_IsOnePutBlob()
    {
        var ct = TestContext.Current.CancellationToken;
        var blob = (await NewContainerAsync()).GetBlobClient("small.bin");
        var content = RandomNumberGenerator.GetBytes(300_000);

        await blob.UploadAsync(new ForwardOnlyStream(new MemoryStream(content)), new BlobUploadOptions
        {
            TransferOptions = new StorageTransferOptions { InitialTransferSize = 300_000, MaximumTransferSize = 64 * 1024 },
        }, ct);

        Assert.Equal(content, (await blob.DownloadContentAsync(ct)).Content.ToArray());
        Assert.Equal(0, await BlockCountAsync(blob, ct));
    }

    [Fact]
    public async Task UploadBinaryData_LargerThanInitialSize_UsesBlocks()
    {
        var ct = TestContext.Current.CancellationToken;
        var blob = (await NewContainerAsync()).GetBlobClient("mid.bin");
        var content = RandomNumberGenerator.GetBytes(200_000);

        await blob.UploadAsync(new BinaryData(content), new BlobUploadOptions
        {
            TransferOptions = new StorageTransferOptions { InitialTransferSize = 100_000, MaximumTransferSize = 64 * 1024 },
        }, ct);

        Assert.Equal(content, (await blob.DownloadContentAsync(ct)).Content.ToArray());
        Assert.Equal(4, await BlockCountAsync(blob, ct));
    }

    [Fact]
    public async Task DownloadStreaming_ReportsDetailsAndStreams()
    {
        var ct = TestContext.Current.CancellationToken;
        var blob = (await NewContainerAsync()).GetBlobClient("s.txt");
        var info = await blob.UploadAsync(BinaryData.FromString("streamed"), new BlobUploadOptions { ContentType = "text/plain" }, ct);

        await using var result = await blob.DownloadStreamingAsync(ct);
        using var reader = new StreamReader(result.Content);

        Assert.Equal("streamed", await reader.ReadToEndAsync(ct));
        Assert.Equal(8, result.ContentLength);
        Assert.Equal("text/plain", result.ContentType);
        Assert.Equal(info.ETag, result.ETag);
    }

    private static async Task<int> BlockCountAsync(BlobClient blob, CancellationToken ct) =>
        (await blob.GetBlockListAsync(ct)).CommittedBlocks.Count;

    private sealed class ForwardOnlyStream(Stream inner) : Stream
    {
        public override bool CanRead => true;
        public override bool CanSeek => false;
        public override bool CanWrite => false;
        public override long Length => throw new NotSupportedException();
        public override long Position { get => throw new NotSupportedException(); set => throw new NotSupportedException(); }
        public override void Flush() { }
        public override int Read(byte[] buffer, int offset, int count) => inner.Read(buffer, offset, Math.Min(count, 70_000));
        public override ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default) =>
            inner.ReadAsync(buffer[..Math.Min(buffer.Length, 70_000)], cancellationToken);
        public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();
        public override void SetLength(long value) => throw new NotSupportedException();
        public override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException();
    }
}
