using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using Serverless.Functions.Hosting;

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
/// The blob-triggered function on <c>plugin-uploads/{publisher}/{name}.zip</c>. The blob's content is
/// read from storage by name rather than from the payload, so a 50 MB upload never travels as JSON.
/// </summary>
public sealed class PackagesFunction(UploadProcessor processor) : ITriggeredFunction
{
    public const string FunctionName = "packages";
    public const string UploadBinding = "upload";

    public string Name => FunctionName;

    public async Task<FunctionInvocationResponse> RunAsync(FunctionInvocationRequest request, CancellationToken cancellationToken)
    {
        var upload = ReadUpload(request);
        var report = await processor.ProcessAsync(upload, cancellationToken);
        return FunctionInvocationResponse.Done(report, $"{upload.BlobName}: {report["status"]}");
    }

    public static UploadRef ReadUpload(FunctionInvocationRequest request)
    {
        var publisher = request.MetadataString("publisher");
        var name = request.MetadataString("name");
        if (publisher is not null && name is not null)
        {
            if (!UploadRef.IsValidSegment(publisher) || !UploadRef.IsValidSegment(name))
            {
                throw new InvalidInvocationException($"\"{publisher}/{name}.zip\" is not a valid upload name");
            }
            return new UploadRef(publisher, name);
        }
        var trigger = request.MetadataString("BlobTrigger");
        var prefix = UploadRef.Container + "/";
        if (trigger is not null && trigger.StartsWith(prefix, StringComparison.Ordinal) && UploadRef.FromBlobName(trigger[prefix.Length..]) is { } parsed)
        {
            return parsed;
        }
        throw new InvalidInvocationException("the blob invocation names no upload: expected Metadata.publisher and Metadata.name, or Metadata.BlobTrigger = plugin-uploads/{publisher}/{name}.zip");
    }
}
