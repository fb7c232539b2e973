using System.Buffers.Binary;
using System.Text;

namespace Serverless.Platform.Packages;

/// <summary>One central directory record, as declared (nothing in it is trusted yet).</summary>
internal sealed record ZipEntry(
    int Index,
    string Name,
    byte[] RawName,
    int HostSystem,
    ushort Flags,
    ushort Method,
    uint Crc,
    long CompressedSize,
    long UncompressedSize,
    uint ExternalAttributes,
    long LocalHeaderOffset,
    bool Zip64)
{
    public bool IsDirectory => Name.EndsWith('/');

    /// <summary>Where the compressed bytes start, known after the local header is read.</summary>
    public long DataStart { get; set; } = -1;

    /// <summary>First byte after the entry (local header, data and data descriptor).</summary>
    public long End { get; set; } = -1;

    /// <summary>Unix file mode from the external attributes, 0 when the archive came from another system.</summary>
    public int UnixMode => HostSystem is 3 or 19 ? (int)(ExternalAttributes >> 16) : 0;
}

/// <summary>
/// Reads a zip's end records and central directory by hand. The layout decisions (where the
/// directory is, where each entry's bytes are) are exactly the ones an attacker controls, so
/// every offset and count is bounds-checked here rather than left to ZipArchive.
/// </summary>
internal static class ZipDirectory
{
    private const uint EndSignature = 0x06054b50;
    private const uint Zip64EndSignature = 0x06064b50;
    private const uint Zip64LocatorSignature = 0x07064b50;
    private const uint CentralSignature = 0x02014b50;
    private const uint LocalSignature = 0x04034b50;
    private const uint DescriptorSignature = 0x08074b50;
    private const int EndSize = 22;
    private const int CentralSize = 46;
    private const int LocalSize = 30;

    private static readonly UTF8Encoding StrictUtf8 = new(encoderShouldEmitUTF8Identifier: false, throwOnInvalidBytes: true);

    /// <summary>The entries, or null when the structure is too broken (or too big) to go on safely.</summary>
    public static (List<ZipEntry>? Entries, long DirectoryOffset) Read(Stream zip, PackageLimits limits, IssueList issues)
    {
        var length = zip.Length;
        if (length < EndSize)
        {
            issues.Error(IssueCodes.BadZip, "the file is too short to be a zip", "");
            return (null, 0);
        }
        var tail = ReadAt(zip, Math.Max(0, length - EndSize - ushort.MaxValue), (int)Math.Min(length, EndSize + ushort.MaxValue));
        var tailStart = length - tail.Length;

        // The end record is the one whose comment runs exactly to the end of the file; trailing bytes are refused.
        var endAt = -1;
        for (var i = tail.Length - EndSize; i >= 0; i--)
        {
            if (U32(tail, i) == EndSignature && i + EndSize + U16(tail, i + 20) == tail.Length)
            {
                endAt = i;
                break;
            }
        }
        if (endAt < 0)
        {
            issues.Error(IssueCodes.BadZip, "no end of central directory record at the end of the file (not a zip, or data appended after it)", "");
            return (null, 0);
        }

        long diskNumber = U16(tail, endAt + 4), directoryDisk = U16(tail, endAt + 6);
        long entriesOnDisk = U16(tail, endAt + 8), totalEntries = U16(tail, endAt + 10);
        long directorySize = U32(tail, endAt + 12), directoryOffset = U32(tail, endAt + 16);
        var directoryLimit = tailStart + endAt;

        if (endAt >= 20 && U32(tail, endAt - 20) == Zip64LocatorSignature)
        {
            var zip64EndOffset = (long)BinaryPrimitives.ReadUInt64LittleEndian(tail.AsSpan(endAt - 20 + 8));
            if (zip64EndOffset < 0 || zip64EndOffset > directoryLimit - 20 - 56)
            {
                issues.Error(IssueCodes.BadZip, "the zip64 end record points outside the file", "");
                return (null, 0);
            }
            var record = ReadAt(zip, zip64EndOffset, 56);
            if (U32(record, 0) != Zip64EndSignature)
            {
                issues.Error(IssueCodes.BadZip, "the zip64 end record is missing", "");
                return (null, 0);
            }
            diskNumber = U32(record, 16);
            directoryDisk = U32(record, 20);
            entriesOnDisk = U64(record, 24);
            totalEntries = U64(record, 32);
            directorySize = U64(record, 40);
            directoryOffset = U64(record, 48);
            directoryLimit = zip64EndOffset;
        }

        if (diskNumber != 0 || directoryDisk != 0 || entriesOnDisk != totalEntries)
        {
            issues.Error(IssueCodes.BadZip, "multi-disk (spanned) zips are not supported", "");
            return (null, 0);
        }
        if (totalEntries > limits.MaxEntries || totalEntries < 0)
        {
            issues.Error(IssueCodes.TooManyEntries, $"the zip declares {totalEntries} entries; the limit is {limits.MaxEntries}", "");
            return (null, 0);
        }
        if (directoryOffset < 0 || directorySize < 0 || directoryOffset + directorySize > directoryLimit)
        {
            issues.Error(IssueCodes.BadZip, "the central directory lies outside the file", "");
            return (null, 0);
        }
        if (directorySize < totalEntries * CentralSize)
        {
            issues.Error(IssueCodes.BadZip, "the central directory is too small for the entries it declares", "");
            return (null, 0);
        }

        var directory = ReadAt(zip, directoryOffset, (int)directorySize);
        var entries = new List<ZipEntry>();
        var at = 0;
        while (at < directory.Length)
        {
            if (entries.Count >= limits.MaxEntries)
            {
                issues.Error(IssueCodes.TooManyEntries, $"the central directory holds more than {limits.MaxEntries} entries", "");
                return (null, 0);
            }
            if (at + CentralSize > directory.Length || U32(directory, at) != CentralSignature)
            {
                issues.Error(IssueCodes.BadZip, $"central directory record {entries.Count} is damaged", "");
                return (null, 0);
            }
            int nameLength = U16(directory, at + 28), extraLength = U16(directory, at + 30), commentLength = U16(directory, at + 32);
            var next = at + CentralSize + nameLength + extraLength + commentLength;
            if (next > directory.Length)
            {
                issues.Error(IssueCodes.BadZip, $"central directory record {entries.Count} runs past the directory", "");
                return (null, 0);
            }
            var rawName = directory.AsSpan(at + CentralSize, nameLength).ToArray();
            long compressed = U32(directory, at + 20), uncompressed = U32(directory, at + 24), offset = U32(directory, at + 42);
            var zip64 = false;
            var extra = directory.AsSpan(at + CentralSize + nameLength, extraLength);
            if (compressed == uint.MaxValue || uncompressed == uint.MaxValue || offset == uint.MaxValue)
            {
                zip64 = true;
                if (!ReadZip64Extra(extra, ref uncompressed, ref compressed, ref offset))
                {
                    issues.Error(IssueCodes.BadZip, $"central directory record {entries.Count} lacks its zip64 sizes", "");
                    return (null, 0);
                }
            }
            var flags = U16(directory, at + 8);
            var name = DecodeName(rawName);
            entries.Add(new ZipEntry(
                entries.Count,
                name ?? $"<entry {entries.Count}: name is not UTF-8>",
                rawName,
                directory[at + 5],
                flags,
                U16(directory, at + 10),
                U32(directory, at + 16),
                compressed,
                uncompressed,
                U32(directory, at + 38),
                offset,
                zip64));
            if (name is null)
            {
                issues.Error(IssueCodes.BadName, "the entry name is not valid UTF-8", entries[^1].Name);
            }
            at = next;
        }
        if (entries.Count != totalEntries)
        {
            issues.Error(IssueCodes.BadZip, $"the end record declares {totalEntries} entries but the directory holds {entries.Count}", "");
            return (null, 0);
        }
        return (entries, directoryOffset);
    }

    /// <summary>
    /// Reads each entry's local header to learn where its data lies; the local name must repeat
    /// the central one, or two tools could see two different files.
    /// </summary>
    public static void ReadLocalHeaders(Stream zip, List<ZipEntry> entries, long directoryOffset, IssueList issues)
    {
        foreach (var entry in entries)
        {
            if (entry.LocalHeaderOffset < 0 || entry.LocalHeaderOffset + LocalSize > directoryOffset)
            {
                issues.Error(IssueCodes.BadZip, "the local header lies outside the entry area", entry.Name);
                continue;
            }
            var header = ReadAt(zip, entry.LocalHeaderOffset, LocalSize);
            if (U32(header, 0) != LocalSignature)
            {
                issues.Error(IssueCodes.BadZip, "the local header is missing", entry.Name);
                continue;
            }
            int flags = U16(header, 6), method = U16(header, 8), nameLength = U16(header, 26), extraLength = U16(header, 28);
            if ((flags & 0x41) != 0 && (entry.Flags & 0x41) == 0)
            {
                issues.Error(IssueCodes.EncryptedEntry, "the local header marks the entry as encrypted", entry.Name);
            }
            if (method != entry.Method)
            {
                issues.Error(IssueCodes.BadZip, "the local header and the central directory disagree on the compression method", entry.Name);
                continue;
            }
            var dataStart = entry.LocalHeaderOffset + LocalSize + nameLength + extraLength;
            var end = dataStart + entry.CompressedSize;
            if (end > directoryOffset || end < dataStart)
            {
                issues.Error(IssueCodes.BadZip, "the entry's data runs past the central directory", entry.Name);
                continue;
            }
            if (!ReadAt(zip, entry.LocalHeaderOffset + LocalSize, nameLength).AsSpan().SequenceEqual(entry.RawName))
            {
                // Still placed below, so that entries sharing one header are also reported as overlapping.
                issues.Error(IssueCodes.BadZip, "the local header names a different file than the central directory", entry.Name);
            }
            if ((entry.Flags & 0x08) != 0)
            {
                var sizes = entry.Zip64 ? 16 : 8;
                var signed = end + 4 <= directoryOffset && U32(ReadAt(zip, end, 4), 0) == DescriptorSignature;
                end = Math.Min(end + (signed ? 4 : 0) + 4 + sizes, directoryOffset);
            }
            entry.DataStart = dataStart;
            entry.End = end;
        }
    }

    private static bool ReadZip64Extra(ReadOnlySpan<byte> extra, ref long uncompressed, ref long compressed, ref long offset)
    {
        while (extra.Length >= 4)
        {
            int id = BinaryPrimitives.ReadUInt16LittleEndian(extra), size = BinaryPrimitives.ReadUInt16LittleEndian(extra[2..]);
            if (size > extra.Length - 4)
            {
                return false;
            }
            var data = extra.Slice(4, size);
            if (id == 0x0001)
            {
                foreach (var field in (int[])[0, 1, 2])
                {
                    ref var value = ref field == 0 ? ref uncompressed : ref field == 1 ? ref compressed : ref offset;
                    if (value != uint.MaxValue)
                    {
                        continue;
                    }
                    if (data.Length < 8)
                    {
                        return false;
                    }
                    var wide = BinaryPrimitives.ReadUInt64LittleEndian(data);
                    value = wide > long.MaxValue ? -1 : (long)wide;
                    data = data[8..];
                }
                return uncompressed >= 0 && compressed >= 0 && offset >= 0;
            }
            extra = extra[(4 + size)..];
        }
        return false;
    }

    private static string? DecodeName(byte[] raw)
    {
        // Without the UTF-8 flag the format says CP437, but in practice such names are ASCII or
        // UTF-8 from tools that forget the flag; anything else is refused rather than guessed.
        try
        {
            return StrictUtf8.GetString(raw);
        }
        catch (DecoderFallbackException)
        {
            return null;
        }
    }

    internal static byte[] ReadAt(Stream zip, long offset, int count)
    {
        var buffer = new byte[count];
        zip.Position = offset;
        zip.ReadExactly(buffer);
        return buffer;
    }

    private static ushort U16(byte[] data, int at) => BinaryPrimitives.ReadUInt16LittleEndian(data.AsSpan(at));

    private static uint U32(byte[] data, int at) => BinaryPrimitives.ReadUInt32LittleEndian(data.AsSpan(at));

    private static long U64(byte[] data, int at)
    {
        var value = BinaryPrimitives.ReadUInt64LittleEndian(data.AsSpan(at));
        return value > long.MaxValue ? -1 : (long)value;
    }
}
