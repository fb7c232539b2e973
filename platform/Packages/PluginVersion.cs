using System.Diagnostics.CodeAnalysis;

namespace Serverless.Platform.Packages;

/// <summary>
/// A plugin version (docs/packages.md): semver, except that the core may have any
/// number of numeric segments (<c>2.0</c>, <c>1.2.3.4</c>). Missing core segments compare
/// as 0, a prerelease sorts before its release, and build metadata never takes part in
/// comparison or equality (as in semver).
/// </summary>
public sealed class PluginVersion : IComparable<PluginVersion>, IEquatable<PluginVersion>
{
    private readonly int[] _core;
    private readonly string[] _prerelease;

    private PluginVersion(string text, int[] core, string[] prerelease, string? build)
    {
        Text = text;
        _core = core;
        _prerelease = prerelease;
        Build = build;
    }

    /// <summary>The string as written in the manifest.</summary>
    public string Text { get; }

    public IReadOnlyList<int> Core => _core;

    /// <summary>Dot-separated prerelease identifiers; empty for a release.</summary>
    public IReadOnlyList<string> Prerelease => _prerelease;

    public string? Build { get; }

    public bool IsPrerelease => _prerelease.Length > 0;

    public static PluginVersion Parse(string text) =>
        TryParse(text, out var version, out var error) ? version : throw new FormatException(error);

    public static bool TryParse(string? text, [NotNullWhen(true)] out PluginVersion? version) => TryParse(text, out version, out _);

    public static bool TryParse(string? text, [NotNullWhen(true)] out PluginVersion? version, out string error)
    {
        version = null;
        if (string.IsNullOrEmpty(text))
        {
            error = "a version must not be empty";
            return false;
        }
        if (text.Length > 128)
        {
            error = "a version is at most 128 characters";
            return false;
        }

        var rest = text.AsSpan();
        string? build = null;
        var plus = rest.IndexOf('+');
        if (plus >= 0)
        {
            build = rest[(plus + 1)..].ToString();
            if (!IdentifiersValid(build, numericLeadingZeroAllowed: true))
            {
                error = $"'{text}': build metadata must be dot-separated identifiers of [0-9A-Za-z-]";
                return false;
            }
            rest = rest[..plus];
        }

        string[] prerelease = [];
        var dash = rest.IndexOf('-');
        if (dash >= 0)
        {
            var pre = rest[(dash + 1)..].ToString();
            if (!IdentifiersValid(pre, numericLeadingZeroAllowed: false))
            {
                error = $"'{text}': the prerelease must be dot-separated identifiers of [0-9A-Za-z-], numeric ones without leading zeros";
                return false;
            }
            prerelease = pre.Split('.');
            rest = rest[..dash];
        }

        if (!TryParseCore(rest, out var core))
        {
            error = $"'{text}': the core must be dot-separated numbers such as 1.0.0 or 2.0";
            return false;
        }

        version = new PluginVersion(text, core, prerelease, build);
        error = "";
        return true;
    }

    internal static bool TryParseCore(ReadOnlySpan<char> text, out int[] core)
    {
        core = [];
        if (text.IsEmpty)
        {
            return false;
        }
        var segments = new List<int>();
        foreach (var range in text.Split('.'))
        {
            if (!TryParseSegment(text[range], out var value))
            {
                return false;
            }
            segments.Add(value);
        }
        core = [.. segments];
        return true;
    }

    internal static bool TryParseSegment(ReadOnlySpan<char> segment, out int value)
    {
        value = 0;
        if (segment.IsEmpty || segment.Length > 9)
        {
            return false;
        }
        foreach (var c in segment)
        {
            if (!char.IsAsciiDigit(c))
            {
                return false;
            }
            value = value * 10 + (c - '0');
        }
        return true;
    }

    private static bool IdentifiersValid(string text, bool numericLeadingZeroAllowed)
    {
        if (text.Length == 0)
        {
            return false;
        }
        foreach (var identifier in text.Split('.'))
        {
            if (identifier.Length == 0)
            {
                return false;
            }
            foreach (var c in identifier)
            {
                if (!char.IsAsciiLetterOrDigit(c) && c != '-')
                {
                    return false;
                }
            }
            if (!numericLeadingZeroAllowed && identifier.Length > 1 && identifier[0] == '0' && identifier.All(char.IsAsciiDigit))
            {
                return false;
            }
        }
        return true;
    }

    /// <summary>Segment <paramref name="index"/> of the core, 0 when the version is shorter.</summary>
    public int Segment(int index) => index < _core.Length ? _core[index] : 0;

    public int CompareTo(PluginVersion? other)
    {
        if (other is null)
        {
            return 1;
        }
        var coreOrder = CompareCore(other, wildcardFrom: int.MaxValue);
        return coreOrder != 0 ? coreOrder : ComparePrerelease(_prerelease, other._prerelease);
    }

    /// <summary>
    /// Compares the cores; segments from <paramref name="wildcardFrom"/> on are treated as equal,
    /// which is how a wildcard base such as <c>1.0.*</c> matches.
    /// </summary>
    internal int CompareCore(PluginVersion other, int wildcardFrom)
    {
        var length = Math.Min(Math.Max(_core.Length, other._core.Length), wildcardFrom);
        for (var i = 0; i < length; i++)
        {
            var order = Segment(i).CompareTo(other.Segment(i));
            if (order != 0)
            {
                return order;
            }
        }
        return 0;
    }

    internal static int ComparePrerelease(string[] left, string[] right)
    {
        // A release outranks any of its prereleases.
        if (left.Length == 0 || right.Length == 0)
        {
            return right.Length.CompareTo(left.Length);
        }
        for (var i = 0; i < Math.Min(left.Length, right.Length); i++)
        {
            var leftNumeric = left[i].All(char.IsAsciiDigit);
            var rightNumeric = right[i].All(char.IsAsciiDigit);
            var order = (leftNumeric, rightNumeric) switch
            {
                // Numeric identifiers have no leading zeros, so the longer one is the larger number.
                (true, true) => left[i].Length != right[i].Length ? left[i].Length.CompareTo(right[i].Length) : string.CompareOrdinal(left[i], right[i]),
                (true, false) => -1,
                (false, true) => 1,
                _ => string.CompareOrdinal(left[i], right[i]),
            };
            if (order != 0)
            {
                return Math.Sign(order);
            }
        }
        return left.Length.CompareTo(right.Length);
    }

    internal string[] PrereleaseIdentifiers => _prerelease;

    public bool Equals(PluginVersion? other) => other is not null && CompareTo(other) == 0;

    public override bool Equals(object? obj) => obj is PluginVersion other && Equals(other);

    public override int GetHashCode()
    {
        // Trailing zero segments do not change a version (2.0 == 2.0.0), so they must not change the hash.
        var significant = _core.Length;
        while (significant > 0 && _core[significant - 1] == 0)
        {
            significant--;
        }
        var hash = new HashCode();
        for (var i = 0; i < significant; i++)
        {
            hash.Add(_core[i]);
        }
        foreach (var identifier in _prerelease)
        {
            hash.Add(identifier, StringComparer.Ordinal);
        }
        return hash.ToHashCode();
    }

    public override string ToString() => Text;

    public static bool operator ==(PluginVersion? left, PluginVersion? right) => left is null ? right is null : left.Equals(right);
    public static bool operator !=(PluginVersion? left, PluginVersion? right) => !(left == right);
    public static bool operator <(PluginVersion left, PluginVersion right) => left.CompareTo(right) < 0;
    public static bool operator >(PluginVersion left, PluginVersion right) => left.CompareTo(right) > 0;
    public static bool operator <=(PluginVersion left, PluginVersion right) => left.CompareTo(right) <= 0;
    public static bool operator >=(PluginVersion left, PluginVersion right) => left.CompareTo(right) >= 0;
}
