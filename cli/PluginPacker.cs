using System.IO.Compression;
using Serverless.Platform.Packages;

namespace Serverless.Cli;

/// <summary>A packed plugin folder: the zip bytes, what went in, and what could not (each as a report error).</summary>
public sealed record PackedPlugin(byte[] Zip, IReadOnlyList<string> Files, IReadOnlyList<PackageIssue> Refused)
{
    /// <summary>The validator's report on the zip, with the packer's refusals added.</summary>
    /// <param name="fallbackId">the id of a manifest without one: the folder's name</param>
    public PackageReport Validate(PackageValidator validator, string? fallbackId = null)
    {
        using var stream = new MemoryStream(Zip, writable: false);
        return validator.Validate(stream, fallbackId).With(Refused);
    }
}

/// <summary>
/// Packs a plugin folder into a deterministic zip, the one format <c>pack</c>, <c>validate DIR</c> and
/// <c>upload DIR</c> all use: entries sorted by name (ordinal), no directory entries, every timestamp
/// 1980-01-01 00:00 (the zip format's epoch), modes 0644 or 0755 (when the owner could execute),
/// deflate. The same folder therefore always gives the same bytes and the same SHA-256.
///
/// Left out, because they never belong in a plugin and some leak secrets: every file or folder whose
/// name starts with '.' (.git, .env, .venv, .DS_Store, editor folders), <c>__pycache__/</c>,
/// <c>*.pyc</c>/<c>*.pyo</c>, and at the root <c>tests/</c> (the sandbox never runs them) and
/// <c>dist/</c> (where pack writes by default, so packing twice does not pack the first zip).
/// Symbolic links and special files are refused, not followed: nothing outside the folder gets in.
/// </summary>
public static class PluginPacker
{
    public static readonly DateTimeOffset Timestamp = new(1980, 1, 1, 0, 0, 0, TimeSpan.Zero);

    private const int RegularFile = 0x8000;
    private const int ReadWrite = 0b110_100_100;
    private const int Executable = 0b111_101_101;

    public static readonly IReadOnlyList<string> ExcludedAtRoot = ["tests", "dist"];

    /// <param name="directory">the plugin folder (manifest.json at its root)</param>
    /// <param name="limits">packing stops with a too_large or too_many_entries refusal past these, instead of reading a huge folder into memory</param>
    /// <param name="skip">one more file to leave out (the output zip when it is written inside the folder)</param>
    public static PackedPlugin Pack(string directory, PackageLimits limits, string? skip = null)
    {
        var root = new DirectoryInfo(directory);
        if (!root.Exists)
        {
            throw CliException.Usage($"'{directory}' is not a folder");
        }
        var files = new List<(string Name, FileInfo File)>();
        var refused = new List<PackageIssue>();
        Collect(root, "", files, refused, skip is null ? null : Path.GetFullPath(skip), SpecialFiles(root.FullName));
        files.Sort((a, b) => string.CompareOrdinal(a.Name, b.Name));

        if (files.Count > limits.MaxEntries)
        {
            return new PackedPlugin([], [], [new PackageIssue(IssueCodes.TooManyEntries, $"the folder holds {files.Count} files to pack; the limit is {limits.MaxEntries}", "")]);
        }
        var total = files.Sum(file => file.File.Length);
        if (total > limits.MaxUncompressedBytes)
        {
            return new PackedPlugin([], [], [new PackageIssue(IssueCodes.TooLarge, $"the folder holds {total} bytes to pack; the limit is {limits.MaxUncompressedBytes} (move data or build output out of it)", "")]);
        }

        using var buffer = new MemoryStream();
        // A seekable target: ZipArchive then writes sizes into the local headers, no data descriptors.
        using (var archive = new ZipArchive(buffer, ZipArchiveMode.Create, leaveOpen: true))
        {
            foreach (var (name, file) in files)
            {
                var entry = archive.CreateEntry(name, CompressionLevel.Optimal);
                entry.LastWriteTime = Timestamp;
                var mode = !OperatingSystem.IsWindows() && (file.UnixFileMode & UnixFileMode.UserExecute) != 0 ? Executable : ReadWrite;
                entry.ExternalAttributes = (RegularFile | mode) << 16;
                using var target = entry.Open();
                using var source = file.OpenRead();
                source.CopyTo(target);
            }
        }
        return new PackedPlugin(buffer.ToArray(), [.. files.Select(file => file.Name)], refused);
    }

    public static bool IsExcluded(string name, string parentPath, bool isDirectory) =>
        name.StartsWith('.')
        || (isDirectory && name == "__pycache__")
        || (!isDirectory && (name.EndsWith(".pyc", StringComparison.Ordinal) || name.EndsWith(".pyo", StringComparison.Ordinal)))
        || (isDirectory && parentPath.Length == 0 && ExcludedAtRoot.Contains(name));

    private static void Collect(DirectoryInfo directory, string prefix, List<(string, FileInfo)> files, List<PackageIssue> refused, string? skip, HashSet<string> special)
    {
        foreach (var info in directory.EnumerateFileSystemInfos())
        {
            var name = prefix + info.Name;
            var isDirectory = info is DirectoryInfo;
            if (IsExcluded(info.Name, prefix, isDirectory && info.LinkTarget is null))
            {
                continue;
            }
            if (info.LinkTarget is not null)
            {
                refused.Add(new PackageIssue(IssueCodes.NonRegularEntry, $"symbolic links are not packed (this one points to '{info.LinkTarget}'); copy the file in instead", name));
            }
            else if (info is DirectoryInfo subdirectory)
            {
                Collect(subdirectory, name + "/", files, refused, skip, special);
            }
            else if (info is FileInfo file && !special.Contains(file.FullName))
            {
                if (file.FullName != skip)
                {
                    files.Add((name, file));
                }
            }
            else
            {
                refused.Add(new PackageIssue(IssueCodes.NonRegularEntry, "only regular files are packed (this is a device, pipe or socket)", name));
            }
        }
    }

    /// <summary>
    /// FIFOs, sockets and devices: .NET reports them as ordinary files (it has no file-type query), and
    /// reading a FIFO blocks forever, so on Unix find(1) names them once per pack.
    /// </summary>
    private static HashSet<string> SpecialFiles(string root)
    {
        var special = new HashSet<string>(StringComparer.Ordinal);
        if (OperatingSystem.IsWindows())
        {
            return special;
        }
        try
        {
            var start = new System.Diagnostics.ProcessStartInfo("find", ["-H", root, "(", "-type", "p", "-o", "-type", "s", "-o", "-type", "c", "-o", "-type", "b", ")", "-print0"])
            {
                RedirectStandardOutput = true,
                RedirectStandardError = true,
                UseShellExecute = false,
            };
            using var find = System.Diagnostics.Process.Start(start)!;
            var output = find.StandardOutput.ReadToEnd();
            find.WaitForExit();
            foreach (var path in output.Split('\0', StringSplitOptions.RemoveEmptyEntries))
            {
                special.Add(Path.GetFullPath(path));
            }
        }
        catch (System.ComponentModel.Win32Exception)
        {
            // No find(1): then only a FIFO inside the folder could hang the pack, which is rare enough.
        }
        return special;
    }
}
