using System.Runtime.CompilerServices;
using System.Xml.Linq;
using Azure;
using Azure.Core;

namespace Serverless.Functions.Storage;

public sealed class BlobContainerClient
{
    private readonly StoragePipeline _pipeline;

    internal BlobContainerClient(StoragePipeline pipeline, string name)
    {
        ArgumentException.ThrowIfNullOrEmpty(name);
        _pipeline = pipeline;
        Name = name;
        Uri = BlobServiceClient.Append(pipeline.Account.BlobEndpoint, Uri.EscapeDataString(name));
    }

    public string Name { get; }

    public Uri Uri { get; }

    public string AccountName => _pipeline.Account.AccountName;

    public BlobClient GetBlobClient(string blobName) => new(_pipeline, this, blobName);

    /// <summary>Creates the container; returns false when it already existed.</summary>
    public async Task<bool> CreateIfNotExistsAsync(CancellationToken cancellationToken = default)
    {
        using var message = _pipeline.CreateMessage(RequestMethod.Put, ContainerUri());
        var response = await _pipeline.SendAsync(message, cancellationToken).ConfigureAwait(false);
        if (response.Status == 201)
        {
            return true;
        }
        if (response.Status == 409 && response.Headers.TryGetValue("x-ms-error-code", out var code) && code == "ContainerAlreadyExists")
        {
            return false;
        }
        throw await StoragePipeline.FailureAsync(message, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>Deletes the container; returns false when it did not exist.</summary>
    public async Task<bool> DeleteIfExistsAsync(CancellationToken cancellationToken = default)
    {
        using var message = _pipeline.CreateMessage(RequestMethod.Delete, ContainerUri());
        var response = await _pipeline.SendExpectingAsync(message, cancellationToken, 202, 404).ConfigureAwait(false);
        return response.Status == 202;
    }

    public async Task<bool> ExistsAsync(CancellationToken cancellationToken = default)
    {
        using var message = _pipeline.CreateMessage(RequestMethod.Head, ContainerUri());
        var response = await _pipeline.SendExpectingAsync(message, cancellationToken, 200, 404).ConfigureAwait(false);
        return response.Status == 200;
    }

    /// <summary>Lists blobs (flat, in name order), following continuation markers until the end.</summary>
    public IAsyncEnumerable<BlobItem> GetBlobsAsync(string? prefix = null, CancellationToken cancellationToken = default) =>
        GetBlobsAsync(prefix, pageSize: 0, cancellationToken);

    /// <summary>As <see cref="GetBlobsAsync(string?, CancellationToken)"/> with at most <paramref name="pageSize"/> blobs per service call (0 = service default).</summary>
    public async IAsyncEnumerable<BlobItem> GetBlobsAsync(string? prefix, int pageSize, [EnumeratorCancellation] CancellationToken cancellationToken = default)
    {
        string? marker = null;
        do
        {
            var builder = new RequestUriBuilder();
            builder.Reset(Uri);
            builder.AppendQuery("restype", "container");
            builder.AppendQuery("comp", "list");
            if (!string.IsNullOrEmpty(prefix))
            {
                builder.AppendQuery("prefix", prefix);
            }
            if (!string.IsNullOrEmpty(marker))
            {
                builder.AppendQuery("marker", marker);
            }
            if (pageSize > 0)
            {
                builder.AppendQuery("maxresults", pageSize.ToString(System.Globalization.CultureInfo.InvariantCulture));
            }

            List<BlobItem> page;
            using (var message = _pipeline.CreateMessage(RequestMethod.Get, builder.ToUri()))
            {
                var response = await _pipeline.SendExpectingAsync(message, cancellationToken, 200).ConfigureAwait(false);
                (page, marker) = ParseListing(response.Content);
            }
            foreach (var item in page)
            {
                yield return item;
            }
        }
        while (!string.IsNullOrEmpty(marker));
    }

    internal static (List<BlobItem> Items, string? NextMarker) ParseListing(BinaryData xml)
    {
        var root = XDocument.Parse(xml.ToString()).Root!;
        var items = new List<BlobItem>();
        foreach (var blob in root.Element("Blobs")?.Elements("Blob") ?? [])
        {
            var properties = blob.Element("Properties");
            items.Add(new BlobItem(
                blob.Element("Name")!.Value,
                HeaderFormETag(properties?.Element("Etag")?.Value),
                long.TryParse(properties?.Element("Content-Length")?.Value, out var length) ? length : 0,
                DateTimeOffset.TryParse(properties?.Element("Last-Modified")?.Value, System.Globalization.CultureInfo.InvariantCulture, System.Globalization.DateTimeStyles.AssumeUniversal, out var modified) ? modified : default,
                properties?.Element("Content-Type")?.Value));
        }
        var next = root.Element("NextMarker")?.Value;
        return (items, string.IsNullOrEmpty(next) ? null : next);
    }

    // Azure.Core keeps strong ETags unquoted (as parsed from headers) and quotes them when sending;
    // listings may give them bare or quoted, so normalize to the header form for equality.
    private static ETag HeaderFormETag(string? value) =>
        string.IsNullOrEmpty(value) ? default
        : value.Length >= 2 && value[0] == '"' && value[^1] == '"' ? new ETag(value[1..^1])
        : new ETag(value);

    private Uri ContainerUri() => new(Uri + "?restype=container");
}
