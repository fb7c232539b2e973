using System.Buffers.Binary;
using System.IO.Compression;
using System.IO.Hashing;
using System.Text;
using Serverless.Platform.Packages;
using Serverless.Tests.Packages.Fixtures;

namespace Serverless.Tests.Packages;

/// <summary>Generated bombs: each is rejected (or at least never recursed into) within 1 s and 100 MB.</summary>
public class ZipBombTests
{
    /// <summary>
    /// Fifield's "better zip bomb" (2019): N local headers, each file's data quotes the next
    /// header in a stored deflate block and then runs on into the next file's data, so every
    /// file ends with the same compressed kernel. A reader that trusts the directory inflates
    /// the kernel N times.
    /// </summary>
    internal static byte[] OverlappingBomb(int files, int kernelBytes)
    {
        var kernelContent = new byte[kernelBytes];
        Array.Fill(kernelContent, (byte)'a');
        var kernel = RawZip.Deflate(kernelContent);
        var names = Enumerable.Range(0, files).Select(i => Encoding.ASCII.GetBytes($"f{i:D4}")).ToArray();
        var headerLength = 30 + names[0].Length;

        // Work backwards: file i's content is header i+1 followed by file i+1's content.
        var headers = new byte[files][];
        var crcs = new uint[files];
        var sizes = new long[files];
        var compressedSizes = new long[files];
        var crc = Crc32.HashToUInt32(kernelContent);
        long size = kernelBytes;
        long compressed = kernel.Length;
        for (var i = files - 1; i >= 0; i--)
        {
            if (i < files - 1)
            {
                crc = Crc32Combine(Crc32.HashToUInt32(headers[i + 1]), crc, size);
                size += headerLength;
                compressed += 5 + headerLength;
            }
            crcs[i] = crc;
            sizes[i] = size;
            compressedSizes[i] = compressed;
            using var header = new MemoryStream();
            RawZip.WriteLocalHeader(header, names[i], 8, 0, crc, compressed, size);
            headers[i] = header.ToArray();
        }

        using var output = new MemoryStream();
        var offsets = new long[files];
        for (var i = 0; i < files; i++)
        {
            offsets[i] = output.Position;
            output.Write(headers[i]);
            if (i < files - 1)
            {
                // A non-final stored block whose payload is the next local header.
                output.WriteByte(0);
                var lengths = new byte[4];
                BinaryPrimitives.WriteUInt16LittleEndian(lengths, (ushort)headerLength);
                BinaryPrimitives.WriteUInt16LittleEndian(lengths.AsSpan(2), (ushort)~headerLength);
                output.Write(lengths);
            }
        }
        output.Write(kernel);
        var directoryOffset = output.Position;
        using var directory = new MemoryStream();
        for (var i = 0; i < files; i++)
        {
            RawZip.WriteCentralRecord(directory, names[i], 3, 8, 0, crcs[i], compressedSizes[i], sizes[i], 0x81A4u << 16, offsets[i]);
        }
        output.Write(directory.ToArray());
        RawZip.WriteEnd(output, files, directory.Length, directoryOffset);
        return output.ToArray();
    }

    /// <summary>zlib's crc32_combine: the CRC of A+B from the CRCs of A and B and B's length.</summary>
    private static uint Crc32Combine(uint crcA, uint crcB, long lengthB)
    {
        var odd = new uint[32];
        var even = new uint[32];
        odd[0] = 0xEDB88320;
        uint row = 1;
        for (var n = 1; n < 32; n++)
        {
            odd[n] = row;
            row <<= 1;
        }
        Square(even, odd);
        Square(odd, even);
        do
        {
            Square(even, odd);
            if ((lengthB & 1) != 0)
            {
                crcA = Times(even, crcA);
            }
            lengthB >>= 1;
            if (lengthB == 0)
            {
                break;
            }
            Square(odd, even);
            if ((lengthB & 1) != 0)
            {
                crcA = Times(odd, crcA);
            }
            lengthB >>= 1;
        }
        while (lengthB != 0);
        return crcA ^ crcB;

        static uint Times(uint[] matrix, uint vector)
        {
            uint sum = 0;
            for (var i = 0; vector != 0; i++, vector >>= 1)
            {
                if ((vector & 1) != 0)
                {
                    sum ^= matrix[i];
                }
            }
            return sum;
        }

        static void Square(uint[] square, uint[] matrix)
        {
            for (var n = 0; n < 32; n++)
            {
                square[n] = Times(matrix, matrix[n]);
            }
        }
    }

    [Fact]
    public void OverlappingBomb_IsARealBomb_ZipArchiveInflatesEveryFileInFull()
    {
        // Proves the fixture: a trusting reader sees 20 valid files sharing one kernel.
        var bomb = OverlappingBomb(files: 20, kernelBytes: 100_000);
        using var archive = new ZipArchive(new MemoryStream(bomb), ZipArchiveMode.Read);
        Assert.Equal(20, archive.Entries.Count);
        using var first = archive.Entries[0].Open();
        var total = 0L;
        var buffer = new byte[65536];
        int read;
        while ((read = first.Read(buffer)) > 0)
        {
            total += read;
        }
        Assert.Equal(archive.Entries[0].Length, total);
        Assert.True(total > 100_000);
    }

    [Fact]
    public void Validate_OverlappingBomb_OverlappingEntriesAndNothingInflated()
    {
        var bomb = OverlappingBomb(files: 250, kernelBytes: 4 * 1024 * 1024);
        var report = PackageValidatorTests.Measure(bomb);
        Assert.Contains(report.Errors, e => e.Code == IssueCodes.OverlappingEntries);
        Assert.Empty(report.Files);
    }

    /// <summary>42.zip's shape: layers of 16 copies of the layer below, zeros at the bottom.</summary>
    private static byte[] NestedBomb(int layers, int copies, int bottomBytes, bool withManifest)
    {
        var current = PluginZip.Build(new Dictionary<string, object> { ["0.bin"] = new byte[bottomBytes] });
        for (var layer = 1; layer <= layers; layer++)
        {
            var files = Enumerable.Range(0, copies).ToDictionary(i => $"layer{layer}_{i:D2}.zip", _ => (object)current);
            if (layer == layers && withManifest)
            {
                files["manifest.json"] = PluginZip.Manifest("nested_bomb");
            }
            current = PluginZip.Build(files);
        }
        return current;
    }

    [Fact]
    public async Task NestedBomb_ValidatedAndExtracted_NeverRecursesAndStaysBounded()
    {
        var bomb = NestedBomb(layers: 4, copies: 16, bottomBytes: 4 * 1024 * 1024, withManifest: true);
        var report = PackageValidatorTests.Measure(bomb);

        // Whatever the verdict, only the top layer is ever looked at; inner zips are opaque files.
        if (report.IsValid)
        {
            Assert.Equal(16, report.Warnings.Count(w => w.Code == IssueCodes.NestedArchive));
            var destination = Path.Combine(Path.GetTempPath(), "pkgbomb-" + Guid.NewGuid().ToString("N"));
            try
            {
                var extracted = await new PackageValidator().ExtractAsync(new MemoryStream(bomb), destination, cancellationToken: TestContext.Current.CancellationToken);
                Assert.True(extracted.IsValid);
                var written = Directory.EnumerateFiles(destination, "*", SearchOption.AllDirectories).ToList();
                Assert.Equal(17, written.Count);
                // Exactly the top layer's bytes, nothing inflated from inside the nested zips.
                Assert.Equal(extracted.Files.Sum(f => f.Size), written.Sum(f => new FileInfo(f).Length));
                Assert.True(written.Sum(f => new FileInfo(f).Length) < PackageLimits.Default.MaxUncompressedBytes);
            }
            finally
            {
                if (Directory.Exists(destination))
                {
                    Directory.Delete(destination, recursive: true);
                }
            }
        }
        else
        {
            Assert.Contains(report.Errors, e => e.Code == IssueCodes.CompressionRatio);
        }
    }

    [Fact]
    public void Validate_100kTinyEntries_TooManyEntriesAtOnce()
    {
        var entries = Enumerable.Range(0, 100_000).Select(i => new RawEntry($"f{i}", []) { Deflate = false }).ToArray();
        var zip = RawZip.Write(entries);
        var report = PackageValidatorTests.Measure(zip);
        Assert.Equal(IssueCodes.TooManyEntries, Assert.Single(report.Errors).Code);
    }

    [Fact]
    public void Validate_100kTinyEntriesWithLyingCount_TooManyEntries()
    {
        var entries = Enumerable.Range(0, 100_000).Select(i => new RawEntry($"f{i}", []) { Deflate = false }).ToArray();
        var zip = RawZip.Write(entries);
        // Rewrite the classic end record to claim 5 entries and drop the zip64 records' influence.
        var end = zip.Length - 22;
        BinaryPrimitives.WriteUInt16LittleEndian(zip.AsSpan(end + 8), 5);
        BinaryPrimitives.WriteUInt16LittleEndian(zip.AsSpan(end + 10), 5);
        zip.AsSpan(end - 20, 4).Clear(); // break the zip64 locator signature
        var report = PackageValidatorTests.Measure(zip);
        Assert.Contains(report.Errors, e => e.Code is IssueCodes.TooManyEntries or IssueCodes.BadZip);
        Assert.Empty(report.Files);
    }

    [Fact]
    public void Validate_ManyEntriesWithinLimit_ValidAndFast()
    {
        var entries = Enumerable.Range(0, 9_990).Select(i => new RawEntry($"assets/f{i}.txt", Encoding.ASCII.GetBytes($"file {i}"))).ToList();
        entries.Add(new RawEntry("manifest.json", PluginZip.Utf8(PluginZip.GreetManifest())));
        entries.Add(new RawEntry("plugin.py", Encoding.UTF8.GetBytes(PluginZip.GreetPlugin)));
        var report = PackageValidatorTests.Measure(RawZip.Write(entries));
        Assert.True(report.IsValid, string.Join("; ", report.Errors.Take(3)));
        Assert.Equal(9_992, report.Files.Count);
    }
}
