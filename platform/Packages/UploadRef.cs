using System.Text.RegularExpressions;

namespace Serverless.Platform.Packages;

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
