namespace Serverless.Platform.Packages;

/// <summary>Bounds on an uploaded plugin zip. Every limit is checked against declared sizes up front and again against real bytes while inflating.</summary>
public sealed record PackageLimits
{
    private const long MiB = 1024 * 1024;

    public long MaxCompressedBytes { get; init; } = 50 * MiB;
    public long MaxUncompressedBytes { get; init; } = 250 * MiB;
    public int MaxEntries { get; init; } = 10_000;
    public long MaxFileBytes { get; init; } = 50 * MiB;

    /// <summary>Uncompressed:compressed, per entry and for the whole zip.</summary>
    public double MaxCompressionRatio { get; init; } = 100;

    /// <summary>
    /// Below this many uncompressed bytes the ratio is not checked: a small file of repeated
    /// characters legitimately deflates past 100:1 and can do no harm.
    /// </summary>
    public long RatioCheckMinBytes { get; init; } = 1 * MiB;

    public int MaxManifestBytes { get; init; } = (int)(1 * MiB);

    public static PackageLimits Default { get; } = new();

    /// <summary>Reads overrides from the <c>Packages</c> section (e.g. <c>Packages__MaxEntries</c> in the environment).</summary>
    public static PackageLimits FromConfiguration(IConfiguration configuration)
    {
        var section = configuration.GetSection("Packages");
        var defaults = Default;
        return new PackageLimits
        {
            MaxCompressedBytes = section.GetValue(nameof(MaxCompressedBytes), defaults.MaxCompressedBytes),
            MaxUncompressedBytes = section.GetValue(nameof(MaxUncompressedBytes), defaults.MaxUncompressedBytes),
            MaxEntries = section.GetValue(nameof(MaxEntries), defaults.MaxEntries),
            MaxFileBytes = section.GetValue(nameof(MaxFileBytes), defaults.MaxFileBytes),
            MaxCompressionRatio = section.GetValue(nameof(MaxCompressionRatio), defaults.MaxCompressionRatio),
            RatioCheckMinBytes = section.GetValue(nameof(RatioCheckMinBytes), defaults.RatioCheckMinBytes),
            MaxManifestBytes = section.GetValue(nameof(MaxManifestBytes), defaults.MaxManifestBytes),
        };
    }
}
