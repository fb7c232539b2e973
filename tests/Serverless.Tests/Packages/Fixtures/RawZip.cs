using System.Buffers.Binary;
using System.IO.Compression;
using System.IO.Hashing;
using System.Text;

namespace Serverless.Tests.Packages.Fixtures;

/// <summary>One entry for <see cref="RawZip"/>; every field a hostile zip might lie about can be overridden.</summary>
public sealed record RawEntry(string Name, byte[] Data)
{
    public byte[]? RawName { get; init; }
    public string? LocalName { get; init; }
    public bool Deflate { get; init; } = true;
    public ushort Method { get; init; } = ushort.MaxValue; // MaxValue: 8 when Deflate, else 0
    public ushort Flags { get; init; } = 0x0800;
    public uint? Crc { get; init; }
    public long? DeclaredUncompressed { get; init; }
    public long? DeclaredCompressed { get; init; }
    public byte[]? Compressed { get; init; }
    public byte HostSystem { get; init; } = 3;
    public uint? UnixMode { get; init; }
    public uint DosAttributes { get; init; }
    /// <summary>Make the central record point at another entry's local header (by index).</summary>
    public int? LocalHeaderOf { get; init; }
}

/// <summary>
/// Writes zip bytes by hand, so tests can produce what no honest tool would: symlinks,
/// lying sizes, shared local headers, bad CRCs, encrypted flags, 100k entries (zip64 end records).
/// </summary>
public static class RawZip
{
    public static byte[] Write(IReadOnlyList<RawEntry> entries, bool appendGarbage = false)
    {
        using var output = new MemoryStream();
        var offsets = new long[entries.Count];
        var central = new MemoryStream();
        var compressedData = new byte[entries.Count][];
        for (var i = 0; i < entries.Count; i++)
        {
            var entry = entries[i];
            var method = entry.Method != ushort.MaxValue ? entry.Method : (ushort)(entry.Deflate ? 8 : 0);
            var compressed = entry.Compressed ?? (entry.Deflate ? Deflate(entry.Data) : entry.Data);
            compressedData[i] = compressed;
            var name = entry.RawName ?? Encoding.UTF8.GetBytes(entry.Name);
            var crc = entry.Crc ?? Crc(entry.Data);
            var uncompressedSize = entry.DeclaredUncompressed ?? entry.Data.Length;
            var compressedSize = entry.DeclaredCompressed ?? compressed.Length;
            if (entry.LocalHeaderOf is null)
            {
                offsets[i] = output.Position;
                var localName = entry.LocalName is null ? name : Encoding.UTF8.GetBytes(entry.LocalName);
                WriteLocalHeader(output, localName, method, entry.Flags, crc, compressedSize, uncompressedSize);
                output.Write(compressed);
            }
        }
        for (var i = 0; i < entries.Count; i++)
        {
            var entry = entries[i];
            var method = entry.Method != ushort.MaxValue ? entry.Method : (ushort)(entry.Deflate ? 8 : 0);
            var name = entry.RawName ?? Encoding.UTF8.GetBytes(entry.Name);
            var external = (entry.UnixMode ?? (entry.Name.EndsWith('/') ? 0x41EDu : 0x81A4u)) << 16 | entry.DosAttributes;
            WriteCentralRecord(central, name, entry.HostSystem, method, entry.Flags, entry.Crc ?? Crc(entry.Data),
                entry.DeclaredCompressed ?? compressedData[i].Length, entry.DeclaredUncompressed ?? entry.Data.Length,
                external, offsets[entry.LocalHeaderOf ?? i]);
        }
        var directoryOffset = output.Position;
        central.Position = 0;
        central.CopyTo(output);
        WriteEnd(output, entries.Count, central.Length, directoryOffset);
        if (appendGarbage)
        {
            output.Write("trailing"u8);
        }
        return output.ToArray();
    }

    public static byte[] Deflate(byte[] data)
    {
        using var buffer = new MemoryStream();
        using (var deflate = new DeflateStream(buffer, CompressionLevel.SmallestSize, leaveOpen: true))
        {
            deflate.Write(data);
        }
        return buffer.ToArray();
    }

    public static uint Crc(ReadOnlySpan<byte> data) => Crc32.HashToUInt32(data);

    public static void WriteLocalHeader(Stream output, byte[] name, ushort method, ushort flags, uint crc, long compressedSize, long uncompressedSize)
    {
        Span<byte> header = stackalloc byte[30];
        BinaryPrimitives.WriteUInt32LittleEndian(header, 0x04034b50);
        BinaryPrimitives.WriteUInt16LittleEndian(header[4..], 20);
        BinaryPrimitives.WriteUInt16LittleEndian(header[6..], flags);
        BinaryPrimitives.WriteUInt16LittleEndian(header[8..], method);
        BinaryPrimitives.WriteUInt32LittleEndian(header[10..], 0x5C210000); // 2026-01-01 00:00
        BinaryPrimitives.WriteUInt32LittleEndian(header[14..], crc);
        BinaryPrimitives.WriteUInt32LittleEndian(header[18..], (uint)compressedSize);
        BinaryPrimitives.WriteUInt32LittleEndian(header[22..], (uint)uncompressedSize);
        BinaryPrimitives.WriteUInt16LittleEndian(header[26..], (ushort)name.Length);
        BinaryPrimitives.WriteUInt16LittleEndian(header[28..], 0);
        output.Write(header);
        output.Write(name);
    }

    public static void WriteCentralRecord(Stream output, byte[] name, byte hostSystem, ushort method, ushort flags, uint crc,
        long compressedSize, long uncompressedSize, uint externalAttributes, long localHeaderOffset)
    {
        Span<byte> record = stackalloc byte[46];
        BinaryPrimitives.WriteUInt32LittleEndian(record, 0x02014b50);
        record[4] = 20;
        record[5] = hostSystem;
        BinaryPrimitives.WriteUInt16LittleEndian(record[6..], 20);
        BinaryPrimitives.WriteUInt16LittleEndian(record[8..], flags);
        BinaryPrimitives.WriteUInt16LittleEndian(record[10..], method);
        BinaryPrimitives.WriteUInt32LittleEndian(record[12..], 0x5C210000);
        BinaryPrimitives.WriteUInt32LittleEndian(record[16..], crc);
        BinaryPrimitives.WriteUInt32LittleEndian(record[20..], (uint)compressedSize);
        BinaryPrimitives.WriteUInt32LittleEndian(record[24..], (uint)uncompressedSize);
        BinaryPrimitives.WriteUInt16LittleEndian(record[28..], (ushort)name.Length);
        BinaryPrimitives.WriteUInt32LittleEndian(record[38..], externalAttributes);
        BinaryPrimitives.WriteUInt32LittleEndian(record[42..], (uint)localHeaderOffset);
        output.Write(record);
        output.Write(name);
    }

    /// <summary>The end records; zip64 ones too when the count does not fit 16 bits.</summary>
    public static void WriteEnd(Stream output, long count, long directorySize, long directoryOffset)
    {
        var zip64 = count >= 0xFFFF;
        if (zip64)
        {
            var zip64EndOffset = output.Position;
            Span<byte> record = stackalloc byte[56];
            BinaryPrimitives.WriteUInt32LittleEndian(record, 0x06064b50);
            BinaryPrimitives.WriteUInt64LittleEndian(record[4..], 44);
            BinaryPrimitives.WriteUInt16LittleEndian(record[12..], 45);
            BinaryPrimitives.WriteUInt16LittleEndian(record[14..], 45);
            BinaryPrimitives.WriteUInt64LittleEndian(record[24..], (ulong)count);
            BinaryPrimitives.WriteUInt64LittleEndian(record[32..], (ulong)count);
            BinaryPrimitives.WriteUInt64LittleEndian(record[40..], (ulong)directorySize);
            BinaryPrimitives.WriteUInt64LittleEndian(record[48..], (ulong)directoryOffset);
            output.Write(record);
            Span<byte> locator = stackalloc byte[20];
            BinaryPrimitives.WriteUInt32LittleEndian(locator, 0x07064b50);
            BinaryPrimitives.WriteUInt64LittleEndian(locator[8..], (ulong)zip64EndOffset);
            BinaryPrimitives.WriteUInt32LittleEndian(locator[16..], 1);
            output.Write(locator);
        }
        Span<byte> end = stackalloc byte[22];
        BinaryPrimitives.WriteUInt32LittleEndian(end, 0x06054b50);
        BinaryPrimitives.WriteUInt16LittleEndian(end[8..], (ushort)Math.Min(count, 0xFFFF));
        BinaryPrimitives.WriteUInt16LittleEndian(end[10..], (ushort)Math.Min(count, 0xFFFF));
        BinaryPrimitives.WriteUInt32LittleEndian(end[12..], (uint)directorySize);
        BinaryPrimitives.WriteUInt32LittleEndian(end[16..], (uint)directoryOffset);
        output.Write(end);
    }
}
