using Azure;

namespace Serverless.Functions.Storage;

/// <summary>One entry of a container listing.</summary>
public sealed record BlobItem(string Name, ETag ETag, long ContentLength, DateTimeOffset LastModified, string? ContentType = null);

/// <summary>What a successful upload returns.</summary>
public sealed record BlobContentInfo(ETag ETag, DateTimeOffset LastModified);

/// <summary>A whole blob read into memory.</summary>
public sealed record BlobDownloadResult(BinaryData Content, ETag ETag, string? ContentType, IDictionary<string, string> Metadata, DateTimeOffset LastModified);

/// <summary>A blob being read from the network; dispose it (or its <see cref="Content"/>) when done.</summary>
public sealed record BlobDownloadStreamingResult(Stream Content, ETag ETag, string? ContentType, long ContentLength, IDictionary<string, string> Metadata, DateTimeOffset LastModified) : IDisposable, IAsyncDisposable
{
    public void Dispose() => Content.Dispose();

    public ValueTask DisposeAsync() => Content.DisposeAsync();
}

public sealed record BlobProperties(ETag ETag, long ContentLength, string? ContentType, IDictionary<string, string> Metadata, DateTimeOffset LastModified, string? LeaseState, string? LeaseStatus);

/// <summary>
/// Conditions for a blob request. <c>IfNoneMatch = ETag.All</c> makes an upload create-only;
/// <c>IfMatch = etag</c> makes it an optimistic update; <see cref="LeaseId"/> is needed to write
/// or delete a leased blob.
/// </summary>
public sealed class BlobRequestConditions : RequestConditions
{
    public string? LeaseId { get; set; }
}

/// <summary>How big uploads are split: one Put Blob up to <see cref="InitialTransferSize"/>, blocks of <see cref="MaximumTransferSize"/> beyond.</summary>
public sealed record StorageTransferOptions
{
    public const long DefaultInitialTransferSize = 8 * 1024 * 1024;
    public const int DefaultMaximumTransferSize = 8 * 1024 * 1024;

    public long InitialTransferSize { get; init; } = DefaultInitialTransferSize;
    public int MaximumTransferSize { get; init; } = DefaultMaximumTransferSize;
}

public sealed class BlobUploadOptions
{
    public BlobRequestConditions? Conditions { get; set; }
    public string? ContentType { get; set; }
    public IDictionary<string, string>? Metadata { get; set; }
    public StorageTransferOptions TransferOptions { get; set; } = new();
}

/// <summary>A lease on a blob. Converts to its lease id, so it can be used where a string id is wanted.</summary>
public sealed record BlobLease(string LeaseId, ETag ETag, DateTimeOffset LastModified)
{
    public static implicit operator string(BlobLease lease) => lease.LeaseId;

    public override string ToString() => LeaseId;
}

public sealed record BlobBlock(string Name, long SizeLong);

public sealed record BlockList(IReadOnlyList<BlobBlock> CommittedBlocks, IReadOnlyList<BlobBlock> UncommittedBlocks);
