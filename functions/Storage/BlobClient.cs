using System.Buffers.Binary;
using System.Globalization;
using System.Xml.Linq;
using Azure;
using Azure.Core;

namespace Serverless.Functions.Storage;

/// <summary>One block blob.</summary>
public sealed class BlobClient
{
    private readonly StoragePipeline _pipeline;

    internal BlobClient(StoragePipeline pipeline, BlobContainerClient container, string name)
    {
        ArgumentException.ThrowIfNullOrEmpty(name);
        _pipeline = pipeline;
        Name = name;
        ContainerName = container.Name;
        // Keep '/' as a path separator, escape everything else.
        Uri = BlobServiceClient.Append(container.Uri, string.Join('/', name.Split('/').Select(Uri.EscapeDataString)));
    }

    public string Name { get; }

    public string ContainerName { get; }

    public Uri Uri { get; }

    public string AccountName => _pipeline.Account.AccountName;

    /// <summary>Uploads content in one Put Blob call (or in blocks beyond the transfer options' initial size).</summary>
    public Task<BlobContentInfo> UploadAsync(BinaryData content, BlobUploadOptions? options = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(content);
        options ??= new BlobUploadOptions();
        var memory = content.ToMemory();
        return memory.Length <= options.TransferOptions.InitialTransferSize
            ? PutBlobAsync(memory, options, cancellationToken)
            : UploadBlocksFromMemoryAsync(memory, options, cancellationToken);
    }

    /// <summary>Uploads without overwriting an existing blob unless <paramref name="overwrite"/> is true.</summary>
    public Task<BlobContentInfo> UploadAsync(BinaryData content, bool overwrite, CancellationToken cancellationToken = default) =>
        UploadAsync(content, new BlobUploadOptions { Conditions = overwrite ? null : new BlobRequestConditions { IfNoneMatch = ETag.All } }, cancellationToken);

    /// <summary>
    /// Uploads a stream of any length without buffering it whole: up to the initial transfer size it is
    /// one Put Blob; beyond that it is staged in blocks and committed with Put Block List, where the
    /// conditions apply.
    /// </summary>
    public async Task<BlobContentInfo> UploadAsync(Stream content, BlobUploadOptions? options = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(content);
        options ??= new BlobUploadOptions();
        var transfer = options.TransferOptions;
        if (transfer.MaximumTransferSize <= 0 || transfer.InitialTransferSize < 0)
        {
            throw new ArgumentException("Transfer sizes must be positive.", nameof(options));
        }

        // Hold what we read until we know whether the whole stream fits one Put Blob.
        using var held = new MemoryStream();
        var buffer = new byte[transfer.MaximumTransferSize];
        var blockIds = new List<string>();
        var blockPrefix = Guid.NewGuid();
        while (true)
        {
            var read = await ReadFullAsync(content, buffer, cancellationToken).ConfigureAwait(false);
            if (read == 0)
            {
                break;
            }
            if (blockIds.Count == 0 && held.Length + read <= transfer.InitialTransferSize)
            {
                held.Write(buffer, 0, read);
                continue;
            }
            if (blockIds.Count == 0 && held.Length > 0)
            {
                // Too big for one call after all: stage what was held, block by block.
                var heldMemory = held.GetBuffer().AsMemory(0, (int)held.Length);
                for (var offset = 0; offset < heldMemory.Length; offset += transfer.MaximumTransferSize)
                {
                    var slice = heldMemory.Slice(offset, Math.Min(transfer.MaximumTransferSize, heldMemory.Length - offset));
                    blockIds.Add(await PutBlockAsync(BlockId(blockPrefix, blockIds.Count), slice, options.Conditions?.LeaseId, cancellationToken).ConfigureAwait(false));
                }
                held.SetLength(0);
            }
            blockIds.Add(await PutBlockAsync(BlockId(blockPrefix, blockIds.Count), buffer.AsMemory(0, read), options.Conditions?.LeaseId, cancellationToken).ConfigureAwait(false));
        }

        return blockIds.Count == 0
            ? await PutBlobAsync(held.GetBuffer().AsMemory(0, (int)held.Length), options, cancellationToken).ConfigureAwait(false)
            : await PutBlockListAsync(blockIds, options, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>Reads the whole blob into memory. Throws with status 404 / <c>BlobNotFound</c> when it is missing.</summary>
    public async Task<BlobDownloadResult> DownloadContentAsync(CancellationToken cancellationToken = default)
    {
        using var message = _pipeline.CreateMessage(RequestMethod.Get, Uri);
        var response = await _pipeline.SendExpectingAsync(message, cancellationToken, 200).ConfigureAwait(false);
        return new BlobDownloadResult(
            response.Content,
            StoragePipeline.ReadETag(response),
            response.Headers.ContentType,
            StoragePipeline.ReadMetadata(response),
            StoragePipeline.ReadDate(response, "Last-Modified"));
    }

    /// <summary>Starts reading the blob and returns its details with the still-open network stream.</summary>
    public async Task<BlobDownloadStreamingResult> DownloadStreamingAsync(CancellationToken cancellationToken = default)
    {
        var message = _pipeline.CreateMessage(RequestMethod.Get, Uri);
        message.BufferResponse = false;
        try
        {
            var response = await _pipeline.SendExpectingAsync(message, cancellationToken, 200).ConfigureAwait(false);
            var stream = message.ExtractResponseContent() ?? new MemoryStream();
            return new BlobDownloadStreamingResult(
                stream,
                StoragePipeline.ReadETag(response),
                response.Headers.ContentType,
                response.Headers.ContentLength ?? -1,
                StoragePipeline.ReadMetadata(response),
                StoragePipeline.ReadDate(response, "Last-Modified"));
        }
        finally
        {
            message.Dispose();
        }
    }

    /// <summary>A forward-only stream over the blob's content.</summary>
    public async Task<Stream> OpenReadAsync(CancellationToken cancellationToken = default) =>
        (await DownloadStreamingAsync(cancellationToken).ConfigureAwait(false)).Content;

    public async Task<bool> ExistsAsync(CancellationToken cancellationToken = default)
    {
        using var message = _pipeline.CreateMessage(RequestMethod.Head, Uri);
        var response = await _pipeline.SendExpectingAsync(message, cancellationToken, 200, 404).ConfigureAwait(false);
        return response.Status == 200;
    }

    public async Task<BlobProperties> GetPropertiesAsync(CancellationToken cancellationToken = default)
    {
        using var message = _pipeline.CreateMessage(RequestMethod.Head, Uri);
        var response = await _pipeline.SendExpectingAsync(message, cancellationToken, 200).ConfigureAwait(false);
        response.Headers.TryGetValue("x-ms-lease-state", out var leaseState);
        response.Headers.TryGetValue("x-ms-lease-status", out var leaseStatus);
        return new BlobProperties(
            StoragePipeline.ReadETag(response),
            response.Headers.ContentLength ?? 0,
            response.Headers.ContentType,
            StoragePipeline.ReadMetadata(response),
            StoragePipeline.ReadDate(response, "Last-Modified"),
            leaseState,
            leaseStatus);
    }

    /// <summary>Deletes the blob; returns false when it (or its container) did not exist. Failed conditions throw (412).</summary>
    public async Task<bool> DeleteIfExistsAsync(BlobRequestConditions? conditions = null, CancellationToken cancellationToken = default)
    {
        using var message = _pipeline.CreateMessage(RequestMethod.Delete, Uri);
        ApplyConditions(message.Request, conditions);
        var response = await _pipeline.SendExpectingAsync(message, cancellationToken, 202, 404).ConfigureAwait(false);
        return response.Status == 202;
    }

    /// <summary>The blob's blocks (none for a blob written by one Put Blob call).</summary>
    public async Task<BlockList> GetBlockListAsync(CancellationToken cancellationToken = default)
    {
        using var message = _pipeline.CreateMessage(RequestMethod.Get, new Uri(Uri + "?comp=blocklist&blocklisttype=all"));
        var response = await _pipeline.SendExpectingAsync(message, cancellationToken, 200).ConfigureAwait(false);
        var root = XDocument.Parse(response.Content.ToString()).Root!;
        IReadOnlyList<BlobBlock> Blocks(string name) =>
            [.. root.Element(name)?.Elements("Block").Select(b => new BlobBlock(b.Element("Name")!.Value, long.Parse(b.Element("Size")!.Value, CultureInfo.InvariantCulture))) ?? []];
        return new BlockList(Blocks("CommittedBlocks"), Blocks("UncommittedBlocks"));
    }

    /// <summary>Acquires a lease for 15–60 s, or forever with <see cref="Timeout.InfiniteTimeSpan"/>. 409 <c>LeaseAlreadyPresent</c> when someone holds it.</summary>
    public async Task<BlobLease> AcquireLeaseAsync(TimeSpan duration, string? proposedLeaseId = null, RequestConditions? conditions = null, CancellationToken cancellationToken = default)
    {
        var seconds = duration < TimeSpan.Zero ? -1 : (int)duration.TotalSeconds;
        using var message = LeaseMessage("acquire", null);
        message.Request.Headers.SetValue("x-ms-lease-duration", seconds.ToString(CultureInfo.InvariantCulture));
        if (proposedLeaseId is not null)
        {
            message.Request.Headers.SetValue("x-ms-proposed-lease-id", proposedLeaseId);
        }
        StoragePipeline.ApplyConditions(message.Request, conditions);
        return ReadLease(await _pipeline.SendExpectingAsync(message, cancellationToken, 201).ConfigureAwait(false), proposedLeaseId);
    }

    public async Task<BlobLease> RenewLeaseAsync(string leaseId, CancellationToken cancellationToken = default)
    {
        using var message = LeaseMessage("renew", leaseId);
        return ReadLease(await _pipeline.SendExpectingAsync(message, cancellationToken, 200).ConfigureAwait(false), leaseId);
    }

    public async Task ReleaseLeaseAsync(string leaseId, CancellationToken cancellationToken = default)
    {
        using var message = LeaseMessage("release", leaseId);
        await _pipeline.SendExpectingAsync(message, cancellationToken, 200).ConfigureAwait(false);
    }

    /// <summary>Ends whoever's lease at once (break period 0), e.g. to recover from a crashed holder.</summary>
    public async Task BreakLeaseAsync(CancellationToken cancellationToken = default)
    {
        using var message = LeaseMessage("break", null);
        message.Request.Headers.SetValue("x-ms-lease-break-period", "0");
        await _pipeline.SendExpectingAsync(message, cancellationToken, 202).ConfigureAwait(false);
    }

    private HttpMessage LeaseMessage(string action, string? leaseId)
    {
        var message = _pipeline.CreateMessage(RequestMethod.Put, new Uri(Uri + "?comp=lease"));
        message.Request.Headers.SetValue("x-ms-lease-action", action);
        if (leaseId is not null)
        {
            message.Request.Headers.SetValue("x-ms-lease-id", leaseId);
        }
        return message;
    }

    private static BlobLease ReadLease(Response response, string? fallbackId) =>
        new(response.Headers.TryGetValue("x-ms-lease-id", out var id) ? id : fallbackId ?? "",
            StoragePipeline.ReadETag(response),
            StoragePipeline.ReadDate(response, "Last-Modified"));

    private async Task<BlobContentInfo> PutBlobAsync(ReadOnlyMemory<byte> content, BlobUploadOptions options, CancellationToken cancellationToken)
    {
        using var message = _pipeline.CreateMessage(RequestMethod.Put, Uri);
        var request = message.Request;
        request.Headers.SetValue("x-ms-blob-type", "BlockBlob");
        var contentType = options.ContentType ?? "application/octet-stream";
        request.Headers.SetValue("Content-Type", contentType);
        request.Headers.SetValue("x-ms-blob-content-type", contentType);
        StoragePipeline.ApplyMetadata(request, options.Metadata);
        ApplyConditions(request, options.Conditions);
        request.Content = RequestContent.Create(content);
        var response = await _pipeline.SendExpectingAsync(message, cancellationToken, 201).ConfigureAwait(false);
        return new BlobContentInfo(StoragePipeline.ReadETag(response), StoragePipeline.ReadDate(response, "Last-Modified"));
    }

    private async Task<BlobContentInfo> UploadBlocksFromMemoryAsync(ReadOnlyMemory<byte> content, BlobUploadOptions options, CancellationToken cancellationToken)
    {
        var blockSize = options.TransferOptions.MaximumTransferSize;
        var prefix = Guid.NewGuid();
        var blockIds = new List<string>();
        for (var offset = 0; offset < content.Length; offset += blockSize)
        {
            var slice = content.Slice(offset, Math.Min(blockSize, content.Length - offset));
            blockIds.Add(await PutBlockAsync(BlockId(prefix, blockIds.Count), slice, options.Conditions?.LeaseId, cancellationToken).ConfigureAwait(false));
        }
        return await PutBlockListAsync(blockIds, options, cancellationToken).ConfigureAwait(false);
    }

    private async Task<string> PutBlockAsync(string blockId, ReadOnlyMemory<byte> content, string? leaseId, CancellationToken cancellationToken)
    {
        using var message = _pipeline.CreateMessage(RequestMethod.Put, new Uri(Uri + "?comp=block&blockid=" + Uri.EscapeDataString(blockId)));
        if (leaseId is not null)
        {
            message.Request.Headers.SetValue("x-ms-lease-id", leaseId);
        }
        message.Request.Headers.SetValue("Content-Type", "application/octet-stream");
        message.Request.Content = RequestContent.Create(content);
        await _pipeline.SendExpectingAsync(message, cancellationToken, 201).ConfigureAwait(false);
        return blockId;
    }

    private async Task<BlobContentInfo> PutBlockListAsync(List<string> blockIds, BlobUploadOptions options, CancellationToken cancellationToken)
    {
        using var message = _pipeline.CreateMessage(RequestMethod.Put, new Uri(Uri + "?comp=blocklist"));
        var request = message.Request;
        request.Headers.SetValue("x-ms-blob-content-type", options.ContentType ?? "application/octet-stream");
        StoragePipeline.ApplyMetadata(request, options.Metadata);
        ApplyConditions(request, options.Conditions);
        var body = new XDocument(new XDeclaration("1.0", "utf-8", null), new XElement("BlockList", blockIds.Select(id => new XElement("Latest", id))));
        request.Headers.SetValue("Content-Type", "application/xml; charset=utf-8");
        request.Content = RequestContent.Create(BinaryData.FromString(body.Declaration + body.ToString(SaveOptions.DisableFormatting)));
        var response = await _pipeline.SendExpectingAsync(message, cancellationToken, 201).ConfigureAwait(false);
        return new BlobContentInfo(StoragePipeline.ReadETag(response), StoragePipeline.ReadDate(response, "Last-Modified"));
    }

    private static void ApplyConditions(Request request, BlobRequestConditions? conditions)
    {
        StoragePipeline.ApplyConditions(request, conditions);
        if (conditions?.LeaseId is { } leaseId)
        {
            request.Headers.SetValue("x-ms-lease-id", leaseId);
        }
    }

    /// <summary>Block ids must all have the same length within a blob; a per-upload prefix keeps retried uploads apart.</summary>
    private static string BlockId(Guid prefix, int index)
    {
        Span<byte> bytes = stackalloc byte[20];
        prefix.TryWriteBytes(bytes);
        BinaryPrimitives.WriteInt32BigEndian(bytes[16..], index);
        return Convert.ToBase64String(bytes);
    }

    private static async Task<int> ReadFullAsync(Stream stream, byte[] buffer, CancellationToken cancellationToken)
    {
        var total = 0;
        while (total < buffer.Length)
        {
            var read = await stream.ReadAsync(buffer.AsMemory(total), cancellationToken).ConfigureAwait(false);
            if (read == 0)
            {
                break;
            }
            total += read;
        }
        return total;
    }
}
