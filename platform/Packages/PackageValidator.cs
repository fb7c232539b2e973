using System.IO.Compression;
using System.IO.Hashing;

namespace Serverless.Platform.Packages;

/// <summary>
/// Validates an uploaded plugin zip (untrusted) and its manifest, collecting every error.
/// The central directory and local headers are parsed by hand (<see cref="ZipDirectory"/>);
/// only DeflateStream is borrowed, and it is fed a bounded window and read under a hard cap.
/// Nested archives are ordinary files: nothing is ever extracted recursively.
/// </summary>
public sealed class PackageValidator(PackageLimits limits)
{
    public const string ManifestName = "manifest.json";

    private static readonly string[] ArchiveExtensions = [".zip", ".jar", ".whl", ".egg", ".tar", ".gz", ".tgz", ".bz2", ".xz", ".7z", ".rar", ".zst"];

    public PackageValidator()
        : this(PackageLimits.Default)
    {
    }

    public PackageLimits Limits { get; } = limits;

    /// <summary>Validates without writing anything. A non-seekable stream is buffered first, up to the compressed limit.</summary>
    /// <param name="fallbackId">the id of a manifest without one: the upload's name (<c>PUBLISHER/NAME.zip</c>), or the zip's or folder's</param>
    public PackageReport Validate(Stream zip, string? fallbackId = null)
    {
        if (!zip.CanSeek)
        {
            using var buffered = Buffer(zip);
            return buffered is null ? TooLarge() : Inspect(buffered, fallbackId, sinks: null);
        }
        return Inspect(zip, fallbackId, sinks: null);
    }

    public async Task<PackageReport> ValidateAsync(Stream zip, string? fallbackId = null, CancellationToken cancellationToken = default)
    {
        if (zip.CanSeek)
        {
            return Inspect(zip, fallbackId, sinks: null, cancellationToken);
        }
        await using var buffered = await BufferAsync(zip, cancellationToken);
        return buffered is null ? TooLarge() : Inspect(buffered, fallbackId, sinks: null, cancellationToken);
    }

    /// <summary>
    /// Validates and extracts into <paramref name="destinationDirectory"/>, which must not exist yet:
    /// it is created here, so nothing else (no symlink, no earlier file) can be inside it. Every limit
    /// is checked again against the bytes actually written. On any error the folder is removed and
    /// the report says why.
    /// </summary>
    public async Task<PackageReport> ExtractAsync(Stream zip, string destinationDirectory, string? fallbackId = null, CancellationToken cancellationToken = default)
    {
        var root = Path.GetFullPath(destinationDirectory);
        if (Directory.Exists(root) || File.Exists(root))
        {
            throw new IOException($"'{root}' already exists; extraction only writes into a folder it creates");
        }
        Stream source = zip;
        if (!zip.CanSeek)
        {
            var buffered = await BufferAsync(zip, cancellationToken);
            if (buffered is null)
            {
                return TooLarge();
            }
            source = buffered;
        }
        try
        {
            Directory.CreateDirectory(root);
            var rootPrefix = root.EndsWith(Path.DirectorySeparatorChar) ? root : root + Path.DirectorySeparatorChar;
            var report = Inspect(source, fallbackId, entry => OpenSink(rootPrefix, entry), cancellationToken);
            if (!report.IsValid)
            {
                Directory.Delete(root, recursive: true);
                return report;
            }
            SetModes(rootPrefix, report.Manifest!);
            return report;
        }
        catch
        {
            if (Directory.Exists(root))
            {
                Directory.Delete(root, recursive: true);
            }
            throw;
        }
        finally
        {
            if (!ReferenceEquals(source, zip))
            {
                await source.DisposeAsync();
            }
        }
    }

    private static Stream? OpenSink(string rootPrefix, ZipEntry entry)
    {
        var path = Path.GetFullPath(Path.Combine(rootPrefix, entry.Name));
        // The name checks already refuse every way out; this is the last line should one be missed.
        if (!path.StartsWith(rootPrefix, StringComparison.Ordinal))
        {
            throw new InvalidOperationException($"'{entry.Name}' resolves outside the extraction folder");
        }
        if (entry.IsDirectory)
        {
            Directory.CreateDirectory(path);
            return null;
        }
        Directory.CreateDirectory(Path.GetDirectoryName(path)!);
        return new FileStream(path, FileMode.CreateNew, FileAccess.Write, FileShare.None);
    }

    /// <summary>Owner-only permissions are meaningless in a sandbox; what matters is that hook executables can run.</summary>
    private static void SetModes(string rootPrefix, PluginManifest manifest)
    {
        if (OperatingSystem.IsWindows())
        {
            return;
        }
        foreach (var hook in manifest.Hooks.Values.OfType<ExecutableHook>())
        {
            if (hook.PackagedPath is { } packaged && File.Exists(Path.Combine(rootPrefix, packaged)))
            {
                File.SetUnixFileMode(Path.Combine(rootPrefix, packaged),
                    UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute |
                    UnixFileMode.GroupRead | UnixFileMode.GroupExecute | UnixFileMode.OtherRead | UnixFileMode.OtherExecute);
            }
        }
    }

    private PackageReport TooLarge() => new(null,
        [new PackageIssue(IssueCodes.TooLarge, $"the zip is larger than {Limits.MaxCompressedBytes} bytes", "")], [], []);

    private MemoryStream? Buffer(Stream zip)
    {
        var buffer = new MemoryStream();
        var chunk = new byte[81920];
        int read;
        while ((read = zip.Read(chunk)) > 0)
        {
            if (buffer.Length + read > Limits.MaxCompressedBytes)
            {
                buffer.Dispose();
                return null;
            }
            buffer.Write(chunk, 0, read);
        }
        buffer.Position = 0;
        return buffer;
    }

    private async Task<MemoryStream?> BufferAsync(Stream zip, CancellationToken cancellationToken)
    {
        var buffer = new MemoryStream();
        var chunk = new byte[81920];
        int read;
        while ((read = await zip.ReadAsync(chunk, cancellationToken)) > 0)
        {
            if (buffer.Length + read > Limits.MaxCompressedBytes)
            {
                await buffer.DisposeAsync();
                return null;
            }
            buffer.Write(chunk, 0, read);
        }
        buffer.Position = 0;
        return buffer;
    }

    private PackageReport Inspect(Stream zip, string? fallbackId, Func<ZipEntry, Stream?>? sinks, CancellationToken cancellationToken = default)
    {
        var issues = new IssueList();
        if (zip.Length > Limits.MaxCompressedBytes)
        {
            return TooLarge();
        }
        var (entries, directoryOffset) = ZipDirectory.Read(zip, Limits, issues);
        if (entries is null)
        {
            return Finish(issues, null, []);
        }

        var refused = CheckEntries(entries, issues);
        CheckDuplicates(entries, refused, issues);
        var files = entries.Where(entry => !entry.IsDirectory).ToList();
        var declaredTotal = files.Sum(entry => entry.UncompressedSize);
        if (declaredTotal > Limits.MaxUncompressedBytes)
        {
            issues.Error(IssueCodes.TooLarge, $"the entries declare {declaredTotal} bytes in all; the limit is {Limits.MaxUncompressedBytes}", "");
        }
        var overallRatioTooHigh = declaredTotal >= Limits.RatioCheckMinBytes && declaredTotal > Limits.MaxCompressionRatio * zip.Length;
        if (overallRatioTooHigh)
        {
            issues.Error(IssueCodes.CompressionRatio, $"the zip inflates {declaredTotal / (double)zip.Length:F0}:1 overall; the limit is {Limits.MaxCompressionRatio}:1", "");
        }
        ZipDirectory.ReadLocalHeaders(zip, entries, directoryOffset, issues);
        CheckOverlaps(entries, issues);

        // Past any of these the bytes cannot be trusted to be what they claim; inflating them is the attack.
        var unsafeToInflate = issues.Has(IssueCodes.BadZip) || issues.Has(IssueCodes.OverlappingEntries)
            || issues.Has(IssueCodes.TooLarge) || overallRatioTooHigh;

        byte[]? manifestBytes = null;
        var inflated = new List<PackageFile>();
        if (!unsafeToInflate)
        {
            var buffer = new byte[64 * 1024];
            long totalInflated = 0;
            foreach (var entry in entries)
            {
                cancellationToken.ThrowIfCancellationRequested();
                if (refused.Contains(entry.Index))
                {
                    continue;
                }
                var isManifest = entry.Name == ManifestName;
                if (isManifest && entry.UncompressedSize > Limits.MaxManifestBytes)
                {
                    issues.Error(IssueCodes.ManifestTooLarge, $"manifest.json declares {entry.UncompressedSize} bytes; the limit is {Limits.MaxManifestBytes}", entry.Name);
                    continue;
                }
                using var sink = sinks?.Invoke(entry);
                if (entry.IsDirectory)
                {
                    continue;
                }
                using var capture = isManifest ? new MemoryStream() : null;
                var head = new byte[4];
                if (Inflate(zip, entry, sink, capture, head, buffer, ref totalInflated, issues))
                {
                    inflated.Add(new PackageFile(entry.Name, entry.UncompressedSize));
                    manifestBytes = isManifest ? capture!.ToArray() : manifestBytes;
                    if (LooksLikeArchive(entry.Name, head))
                    {
                        issues.Warning(IssueCodes.NestedArchive, "a nested archive is kept as a file and never extracted", entry.Name);
                    }
                }
            }
        }

        PluginManifest? manifest = null;
        if (!unsafeToInflate && !entries.Any(entry => entry.Name == ManifestName && !entry.IsDirectory))
        {
            var nested = entries.FirstOrDefault(entry => entry.Name.EndsWith("/" + ManifestName, StringComparison.OrdinalIgnoreCase)
                || entry.Name.Equals(ManifestName, StringComparison.OrdinalIgnoreCase));
            var hint = nested is null ? "" : $" (found '{nested.Name}': the manifest must be named exactly manifest.json and sit at the root; zip the folder's contents, not the folder)";
            issues.Error(IssueCodes.ManifestMissing, "the zip has no manifest.json at its root" + hint, ManifestName);
        }
        else if (manifestBytes is not null)
        {
            var hasDefaultEntrypoint = entries.Any(entry => entry.Name == PluginManifest.DefaultEntrypoint && !entry.IsDirectory);
            var parsed = ManifestParser.Parse(manifestBytes, fallbackId, hasDefaultEntrypoint);
            issues.AddRange(parsed.Errors, parsed.Warnings);
            manifest = parsed.Manifest;
            if (manifest is not null)
            {
                CheckReferencedFiles(manifest, entries, issues);
                if (ContentGate.Warning(manifest, manifest.Events, "$.events") is { } warning)
                {
                    issues.Warning(warning.Code, warning.Message, warning.Path);
                }
            }
        }
        return Finish(issues, manifest, inflated);
    }

    private static PackageReport Finish(IssueList issues, PluginManifest? manifest, List<PackageFile> files)
    {
        var (errors, warnings) = issues.Finish();
        return new PackageReport(manifest, errors, warnings, files);
    }

    /// <summary>Per-entry checks; returns the indexes of entries that must not be inflated.</summary>
    private HashSet<int> CheckEntries(List<ZipEntry> entries, IssueList issues)
    {
        var refused = new HashSet<int>();
        foreach (var entry in entries)
        {
            var before = issues.Errors.Count;
            if (PackagePaths.Problem(entry.Name, entry.IsDirectory) is { } problem)
            {
                issues.Error(problem.Code, problem.Reason, entry.Name);
            }
            var type = entry.UnixMode & 0xF000;
            if (type is not (0 or 0x8000 or 0x4000))
            {
                issues.Error(IssueCodes.NonRegularEntry, type == 0xA000 ? "symbolic links are not allowed" : "only regular files and directories are allowed (this is a device, pipe or socket)", entry.Name);
            }
            else if ((type == 0x4000) != entry.IsDirectory && type != 0)
            {
                issues.Error(IssueCodes.NonRegularEntry, "the file type in the attributes disagrees with the name (directories end in '/')", entry.Name);
            }
            else if ((entry.ExternalAttributes & 0x400) != 0)
            {
                issues.Error(IssueCodes.NonRegularEntry, "reparse points (Windows links) are not allowed", entry.Name);
            }
            else if (entry.IsDirectory && entry.UncompressedSize > 0)
            {
                issues.Error(IssueCodes.NonRegularEntry, "a directory entry carries data", entry.Name);
            }
            if ((entry.Flags & 0x2041) != 0 || entry.Method == 99)
            {
                issues.Error(IssueCodes.EncryptedEntry, "encrypted entries are not allowed", entry.Name);
            }
            else if (entry.Method is not (0 or 8))
            {
                issues.Error(IssueCodes.UnsupportedCompression, $"compression method {entry.Method} is not supported; use stored (0) or deflate (8)", entry.Name);
            }
            else if (entry.Method == 0 && entry.CompressedSize != entry.UncompressedSize)
            {
                issues.Error(IssueCodes.SizeMismatch, "a stored entry declares different compressed and uncompressed sizes", entry.Name);
            }
            if (entry.UncompressedSize > Limits.MaxFileBytes)
            {
                issues.Error(IssueCodes.FileTooLarge, $"the entry declares {entry.UncompressedSize} bytes; the per-file limit is {Limits.MaxFileBytes}", entry.Name);
            }
            if (entry.UncompressedSize >= Limits.RatioCheckMinBytes && entry.UncompressedSize > Limits.MaxCompressionRatio * entry.CompressedSize)
            {
                issues.Error(IssueCodes.CompressionRatio, $"the entry inflates {entry.UncompressedSize / Math.Max(1.0, entry.CompressedSize):F0}:1; the limit is {Limits.MaxCompressionRatio}:1", entry.Name);
            }
            if (issues.Errors.Count != before || entry.Name.StartsWith("<entry ", StringComparison.Ordinal))
            {
                refused.Add(entry.Index);
            }
        }
        return refused;
    }

    private static void CheckDuplicates(List<ZipEntry> entries, HashSet<int> refused, IssueList issues)
    {
        var byKey = new Dictionary<string, ZipEntry>(StringComparer.Ordinal);
        var fileKeys = new Dictionary<string, ZipEntry>(StringComparer.Ordinal);
        var directoryKeys = new HashSet<string>(StringComparer.Ordinal);
        var reported = new HashSet<string>(StringComparer.Ordinal);
        foreach (var entry in entries)
        {
            if (refused.Contains(entry.Index) && PackagePaths.Problem(entry.Name, entry.IsDirectory) is not null)
            {
                continue;
            }
            var key = UnicodeCanonical.CaselessKey(entry.Name.TrimEnd('/'));
            if (byKey.TryGetValue(key, out var first))
            {
                var message = first.Name == entry.Name
                    ? "the name appears more than once"
                    : $"'{entry.Name}' and '{first.Name}' are the same name after Unicode normalization and case folding";
                issues.Error(IssueCodes.DuplicateEntry, message, entry.Name);
                refused.Add(entry.Index);
                reported.Add(key);
                continue;
            }
            byKey[key] = entry;
            if (entry.IsDirectory)
            {
                directoryKeys.Add(key);
            }
            else
            {
                fileKeys[key] = entry;
            }
            for (var slash = key.LastIndexOf('/'); slash > 0; slash = key.LastIndexOf('/', slash - 1))
            {
                directoryKeys.Add(key[..slash]);
            }
        }
        foreach (var (key, file) in fileKeys)
        {
            if (directoryKeys.Contains(key) && !reported.Contains(key))
            {
                issues.Error(IssueCodes.DuplicateEntry, $"'{file.Name}' is both a file and a directory", file.Name);
                refused.Add(file.Index);
            }
        }
    }

    /// <summary>
    /// Entries whose byte ranges overlap are the "better zip bomb" (Fifield 2019): many files
    /// sharing one compressed kernel. Honest zips never share bytes between entries.
    /// </summary>
    private static void CheckOverlaps(List<ZipEntry> entries, IssueList issues)
    {
        var placed = entries.Where(entry => entry.End >= 0).OrderBy(entry => entry.LocalHeaderOffset).ThenBy(entry => entry.Index).ToList();
        for (var i = 1; i < placed.Count; i++)
        {
            if (placed[i].LocalHeaderOffset < placed[i - 1].End)
            {
                issues.Error(IssueCodes.OverlappingEntries, $"the entry's bytes overlap those of '{placed[i - 1].Name}'", placed[i].Name);
            }
        }
    }

    /// <summary>
    /// Inflates one entry under a hard cap of its declared size: a stream that yields more is
    /// cut off at once, so declared sizes are never trusted. False when the entry is bad.
    /// </summary>
    private bool Inflate(Stream zip, ZipEntry entry, Stream? sink, MemoryStream? capture, byte[] head, byte[] buffer, ref long totalInflated, IssueList issues)
    {
        var window = new WindowStream(zip, entry.DataStart, entry.CompressedSize);
        using var content = entry.Method == 8 ? new DeflateStream(window, CompressionMode.Decompress, leaveOpen: true) : (Stream)window;
        long size = 0;
        var crc = new Crc32();
        try
        {
            int read;
            while ((read = content.Read(buffer, 0, (int)Math.Min(buffer.Length, entry.UncompressedSize - size + 1))) > 0)
            {
                if (size < head.Length)
                {
                    buffer.AsSpan(0, Math.Min(read, head.Length - (int)size)).CopyTo(head.AsSpan((int)size));
                }
                size += read;
                totalInflated += read;
                if (size > entry.UncompressedSize)
                {
                    issues.Error(IssueCodes.SizeMismatch, $"the entry inflates to more than the {entry.UncompressedSize} bytes it declares", entry.Name);
                    return false;
                }
                if (size > Limits.MaxFileBytes || totalInflated > Limits.MaxUncompressedBytes)
                {
                    issues.Error(size > Limits.MaxFileBytes ? IssueCodes.FileTooLarge : IssueCodes.TooLarge, "the inflated bytes exceed the limit", entry.Name);
                    return false;
                }
                crc.Append(buffer.AsSpan(0, read));
                sink?.Write(buffer, 0, read);
                capture?.Write(buffer, 0, read);
            }
        }
        catch (InvalidDataException)
        {
            issues.Error(IssueCodes.BadZip, "the compressed data is corrupt", entry.Name);
            return false;
        }
        if (size != entry.UncompressedSize)
        {
            issues.Error(IssueCodes.SizeMismatch, $"the entry inflates to {size} bytes but declares {entry.UncompressedSize}", entry.Name);
            return false;
        }
        var actual = crc.GetCurrentHashAsUInt32();
        if (actual != entry.Crc)
        {
            issues.Error(IssueCodes.CrcMismatch, $"CRC-32 is {actual:x8} but the zip declares {entry.Crc:x8}", entry.Name);
            return false;
        }
        return true;
    }

    private static bool LooksLikeArchive(string name, byte[] head) =>
        ArchiveExtensions.Any(extension => name.EndsWith(extension, StringComparison.OrdinalIgnoreCase))
        || head is [0x50, 0x4B, 0x03, 0x04] or [0x1F, 0x8B, _, _] or [0x37, 0x7A, 0xBC, 0xAF] or [0x52, 0x61, 0x72, 0x21];

    private static void CheckReferencedFiles(PluginManifest manifest, List<ZipEntry> entries, IssueList issues)
    {
        var present = entries.Where(entry => !entry.IsDirectory).Select(entry => entry.Name).ToHashSet(StringComparer.Ordinal);
        if (manifest.Entrypoint is { } entrypoint && !present.Contains(entrypoint))
        {
            issues.Error(IssueCodes.EntrypointMissing, $"the entrypoint '{entrypoint}' is not in the zip", "$.entrypoint");
        }
        foreach (var (id, hook) in manifest.Hooks)
        {
            if (hook is ExecutableHook { PackagedPath: { } packaged } && !present.Contains(packaged))
            {
                issues.Error(IssueCodes.HookExecutableMissing, $"hook '{id}' runs '{packaged}', which is not in the zip", ManifestParser.Child(ManifestParser.Child("$.hooks", id), "executable"));
            }
        }
    }

    /// <summary>A read-only window on the zip, so a decoder can never read past an entry's declared compressed bytes.</summary>
    private sealed class WindowStream(Stream inner, long start, long length) : Stream
    {
        private long _position;

        public override bool CanRead => true;
        public override bool CanSeek => false;
        public override bool CanWrite => false;
        public override long Length => length;

        public override long Position
        {
            get => _position;
            set => throw new NotSupportedException();
        }

        public override int Read(byte[] buffer, int offset, int count) => Read(buffer.AsSpan(offset, count));

        public override int Read(Span<byte> buffer)
        {
            var wanted = (int)Math.Min(buffer.Length, length - _position);
            if (wanted <= 0)
            {
                return 0;
            }
            inner.Position = start + _position;
            var read = inner.Read(buffer[..wanted]);
            _position += read;
            return read;
        }

        public override void Flush()
        {
        }

        public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();
        public override void SetLength(long value) => throw new NotSupportedException();
        public override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException();
    }
}
