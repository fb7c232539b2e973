using System.Buffers.Binary;

namespace Serverless.Functions.Packages;

/// <summary>
/// The zip CRC-32 (IEEE, reflected), slicing-by-8: eight table lookups per 8 bytes instead of one per
/// byte, which keeps checksumming well below inflating. System.IO.Hashing is not in this machine's NuGet copy.
/// </summary>
internal static class Crc32
{
    private static readonly uint[][] Tables = BuildTables();

    private static uint[][] BuildTables()
    {
        var tables = new uint[8][];
        for (var t = 0; t < 8; t++)
        {
            tables[t] = new uint[256];
        }
        for (uint i = 0; i < 256; i++)
        {
            var c = i;
            for (var k = 0; k < 8; k++)
            {
                c = (c & 1) != 0 ? 0xEDB88320u ^ (c >> 1) : c >> 1;
            }
            tables[0][i] = c;
        }
        for (var i = 0; i < 256; i++)
        {
            for (var t = 1; t < 8; t++)
            {
                tables[t][i] = (tables[t - 1][i] >> 8) ^ tables[0][tables[t - 1][i] & 0xFF];
            }
        }
        return tables;
    }

    /// <summary>Continues <paramref name="crc"/> (start with 0) over <paramref name="data"/>.</summary>
    public static uint Append(uint crc, ReadOnlySpan<byte> data)
    {
        var c = ~crc;
        var t = Tables;
        while (data.Length >= 8)
        {
            var low = BinaryPrimitives.ReadUInt32LittleEndian(data) ^ c;
            var high = BinaryPrimitives.ReadUInt32LittleEndian(data[4..]);
            c = t[7][low & 0xFF] ^ t[6][(low >> 8) & 0xFF] ^ t[5][(low >> 16) & 0xFF] ^ t[4][low >> 24]
              ^ t[3][high & 0xFF] ^ t[2][(high >> 8) & 0xFF] ^ t[1][(high >> 16) & 0xFF] ^ t[0][high >> 24];
            data = data[8..];
        }
        foreach (var b in data)
        {
            c = t[0][(c ^ b) & 0xFF] ^ (c >> 8);
        }
        return ~c;
    }

    public static uint Compute(ReadOnlySpan<byte> data) => Append(0, data);
}
