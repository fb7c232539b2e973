using Microsoft.Extensions.Configuration;
using Serverless.Platform.Packages;

namespace Serverless.Cli;

/// <summary>
/// What <c>validate</c> and <c>upload</c> take: a zip file as it is, or a plugin folder packed in memory
/// by <see cref="PluginPacker"/>, exactly as <c>pack</c> would write it.
/// </summary>
public sealed class PackageSource
{
    private PackageSource(string path, PackedPlugin? packed)
    {
        Path = path;
        Packed = packed;
    }

    public string Path { get; }

    /// <summary>Set for a folder; null for a zip file.</summary>
    public PackedPlugin? Packed { get; }

    public bool IsDirectory => Packed is not null;

    /// <summary>The validator the platform runs, with the platform's limits (overridable the same way: Packages__MaxEntries, ...).</summary>
    public static PackageValidator Validator(CliConsole console)
    {
        var values = new Dictionary<string, string?>();
        foreach (var key in new[] { "MaxCompressedBytes", "MaxUncompressedBytes", "MaxEntries", "MaxFileBytes", "MaxCompressionRatio", "RatioCheckMinBytes", "MaxManifestBytes" })
        {
            if (console.GetVariable("Packages__" + key) is { Length: > 0 } value)
            {
                values["Packages:" + key] = value;
            }
        }
        return new PackageValidator(PackageLimits.FromConfiguration(new ConfigurationBuilder().AddInMemoryCollection(values).Build()));
    }

    public static PackageSource Open(CliConsole console, string path, PackageLimits limits)
    {
        var full = console.FullPath(path);
        if (Directory.Exists(full))
        {
            return new PackageSource(full, PluginPacker.Pack(full, limits));
        }
        if (File.Exists(full))
        {
            try
            {
                using (File.OpenRead(full))
                {
                }
            }
            catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
            {
                throw CliException.Usage($"cannot read '{full}': {ex.Message}");
            }
            return new PackageSource(full, null);
        }
        throw CliException.Usage($"'{path}' is neither a plugin folder nor a zip file (looked for {full})");
    }

    public long Length => Packed?.Zip.LongLength ?? new FileInfo(Path).Length;

    public Stream OpenZip() => Packed is { } packed ? new MemoryStream(packed.Zip, writable: false) : File.OpenRead(Path);

    /// <summary>The id of a manifest without one, as the platform takes it from the upload's name: the folder's or the zip's name.</summary>
    public string FallbackId => FallbackIdOf(Path);

    public static string FallbackIdOf(string path) => System.IO.Path.GetFileNameWithoutExtension(path.TrimEnd(System.IO.Path.DirectorySeparatorChar));

    public PackageReport Validate(PackageValidator validator)
    {
        if (Packed is { Zip.Length: 0, Refused.Count: > 0 } refused)
        {
            // The packer stopped before zipping (too large, too many files): nothing to validate.
            return new PackageReport(null, refused.Refused, [], []);
        }
        if (Packed is { } packed)
        {
            return packed.Validate(validator, FallbackId);
        }
        using var zip = File.OpenRead(Path);
        return validator.Validate(zip, FallbackId);
    }
}
