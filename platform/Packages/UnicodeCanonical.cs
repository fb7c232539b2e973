using System.Globalization;
using System.Text;

namespace Serverless.Platform.Packages;

/// <summary>
/// Canonical caseless matching of names (Unicode §3.13: NFD(fold(NFD(x)))). Two names with the
/// same key are the same file on a case-insensitive or normalizing file system. NFC-equal means
/// NFD-equal, so decomposition alone suffices and no composition table is needed. The tables are
/// generated because the app runs with InvariantGlobalization, where string.Normalize is a no-op.
/// </summary>
internal static partial class UnicodeCanonical
{
    private static readonly Lazy<Dictionary<int, int[]>> Decompositions = new(() =>
    {
        var map = new Dictionary<int, int[]>();
        foreach (var entry in DecompositionData.Split(';', StringSplitOptions.RemoveEmptyEntries))
        {
            var colon = entry.IndexOf(':');
            map[Hex(entry[..colon])] = [.. entry[(colon + 1)..].Split(' ').Select(Hex)];
        }
        return map;
    });

    private static readonly Lazy<(int First, int Last, int Class)[]> CombiningClasses = new(() =>
    [
        .. CombiningClassData.Split(';', StringSplitOptions.RemoveEmptyEntries).Select(entry =>
        {
            var dash = entry.IndexOf('-');
            var colon = entry.IndexOf(':');
            return (Hex(entry[..dash]), Hex(entry[(dash + 1)..colon]), int.Parse(entry[(colon + 1)..], CultureInfo.InvariantCulture));
        }),
    ]);

    public static string CaselessKey(string text)
    {
        if (Ascii.IsValid(text))
        {
            return text.ToLowerInvariant();
        }
        // Upper then lower folds pairs that lowercasing alone keeps apart (final sigma, Kelvin sign).
        return Decompose(Decompose(text).ToUpperInvariant().ToLowerInvariant());
    }

    public static string Decompose(string text)
    {
        var runes = new List<int>(text.Length);
        foreach (var rune in text.EnumerateRunes())
        {
            AppendDecomposed(rune.Value, runes);
        }
        // Canonical ordering: marks in a run of non-starters sort stably by combining class.
        for (var i = 1; i < runes.Count; i++)
        {
            var cls = ClassOf(runes[i]);
            for (var j = i; cls != 0 && j > 0 && ClassOf(runes[j - 1]) > cls; j--)
            {
                (runes[j - 1], runes[j]) = (runes[j], runes[j - 1]);
            }
        }
        var builder = new StringBuilder(runes.Count);
        foreach (var value in runes)
        {
            builder.Append(new Rune(value).ToString());
        }
        return builder.ToString();
    }

    private static void AppendDecomposed(int codePoint, List<int> output)
    {
        const int hangulBase = 0xAC00, leadBase = 0x1100, vowelBase = 0x1161, trailBase = 0x11A7, vowels = 21, trails = 28, syllables = 11172;
        var index = codePoint - hangulBase;
        if (index is >= 0 and < syllables)
        {
            output.Add(leadBase + index / (vowels * trails));
            output.Add(vowelBase + index % (vowels * trails) / trails);
            if (index % trails != 0)
            {
                output.Add(trailBase + index % trails);
            }
            return;
        }
        if (Decompositions.Value.TryGetValue(codePoint, out var mapping))
        {
            output.AddRange(mapping);
        }
        else
        {
            output.Add(codePoint);
        }
    }

    private static int ClassOf(int codePoint)
    {
        var ranges = CombiningClasses.Value;
        int low = 0, high = ranges.Length - 1;
        while (low <= high)
        {
            var middle = (low + high) / 2;
            if (codePoint < ranges[middle].First)
            {
                high = middle - 1;
            }
            else if (codePoint > ranges[middle].Last)
            {
                low = middle + 1;
            }
            else
            {
                return ranges[middle].Class;
            }
        }
        return 0;
    }

    private static int Hex(string text) => int.Parse(text, NumberStyles.HexNumber, CultureInfo.InvariantCulture);
}
