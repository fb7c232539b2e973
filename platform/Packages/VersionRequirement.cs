using System.Diagnostics.CodeAnalysis;

namespace Serverless.Platform.Packages;

/// <summary>
/// A version requirement (docs/packages.md): space-separated criteria that must all hold, each an
/// operator (<c>&gt;= &gt; &lt;= &lt; = ^ ~</c>, none meaning <c>=</c>) and a base version that may
/// end in wildcards (<c>*</c>, <c>1.0.*</c>, <c>2.7.x</c>).
/// </summary>
/// <remarks>
/// Where semver and the operators alone leave it open, we chose plain ordering:
/// <list type="bullet">
/// <item>Prereleases are ordinary versions that sort just below their release. <c>^1.2.3</c> accepts
/// <c>1.3.0-beta</c> (it is ≥ 1.2.3 with major 1) and refuses <c>1.2.3-beta</c> (it is below 1.2.3);
/// <c>&lt;2.0</c> accepts <c>2.0.0-rc.1</c>. npm's rule of hiding prereleases is not applied.</item>
/// <item><c>^</c> pins the first core segment even when it is 0 (<c>^0.2.3</c> accepts <c>0.9.0</c>), and
/// <c>~</c> pins the first two, padding a one-segment base with 0 (<c>~1</c> means ≥ 1 and 1.0.x).</item>
/// <item>A wildcard segment, and everything after it, compares equal to anything, including a
/// prerelease: <c>1.0.*</c> accepts <c>1.0.7-beta</c>; <c>&lt;1.0.*</c> means below 1.0; <c>*</c> accepts all.
/// Wildcards may only end a base (<c>1.*.3</c> is refused) and a wildcard base has no prerelease.</item>
/// <item>Build metadata on a base is allowed and ignored; an empty requirement is refused.</item>
/// </list>
/// </remarks>
public sealed class VersionRequirement
{
    private readonly Criterion[] _criteria;

    private VersionRequirement(string text, Criterion[] criteria)
    {
        Text = text;
        _criteria = criteria;
    }

    public string Text { get; }

    public static VersionRequirement Any { get; } = Parse("*");

    public static VersionRequirement Parse(string text) =>
        TryParse(text, out var requirement, out var error) ? requirement : throw new FormatException(error);

    public static bool TryParse(string? text, [NotNullWhen(true)] out VersionRequirement? requirement, out string error)
    {
        requirement = null;
        if (string.IsNullOrWhiteSpace(text))
        {
            error = "a version requirement must not be empty (use * for any version)";
            return false;
        }
        if (text.Length > 256)
        {
            error = "a version requirement is at most 256 characters";
            return false;
        }
        if (text.Any(c => char.IsWhiteSpace(c) && c != ' '))
        {
            error = "a version requirement separates its criteria with spaces only (no tabs or newlines)";
            return false;
        }
        var criteria = new List<Criterion>();
        foreach (var part in text.Split(' ', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
        {
            if (!TryParseCriterion(part, out var criterion, out error))
            {
                return false;
            }
            criteria.Add(criterion);
        }
        requirement = new VersionRequirement(text, [.. criteria]);
        error = "";
        return true;
    }

    public bool IsSatisfiedBy(PluginVersion version) => _criteria.All(criterion => criterion.Accepts(version));

    public override string ToString() => Text;

    private static bool TryParseCriterion(string text, [NotNullWhen(true)] out Criterion? criterion, out string error)
    {
        criterion = null;
        var op = text switch
        {
            _ when text.StartsWith(">=", StringComparison.Ordinal) => ">=",
            _ when text.StartsWith("<=", StringComparison.Ordinal) => "<=",
            _ when text.StartsWith('>') => ">",
            _ when text.StartsWith('<') => "<",
            _ when text.StartsWith('=') => "=",
            _ when text.StartsWith('^') => "^",
            _ when text.StartsWith('~') => "~",
            _ => "",
        };
        var baseText = text[op.Length..];
        if (op.Length == 0)
        {
            op = "=";
        }
        if (baseText.Length == 0)
        {
            error = $"'{text}': the operator has no version";
            return false;
        }

        // Split a wildcard tail off; the rest must be a plain version.
        var segments = baseText.Split('.');
        var wildcardFrom = Array.FindIndex(segments, IsWildcard);
        if (wildcardFrom < 0)
        {
            if (!PluginVersion.TryParse(baseText, out var exact, out var versionError))
            {
                error = $"'{text}': {versionError}";
                return false;
            }
            criterion = new Criterion(op, exact, int.MaxValue);
            error = "";
            return true;
        }
        if (!segments.Skip(wildcardFrom).All(IsWildcard))
        {
            error = $"'{text}': a wildcard may only be followed by wildcards (write 1.* rather than 1.*.3)";
            return false;
        }
        var fixedPart = wildcardFrom == 0 ? "0" : string.Join('.', segments.Take(wildcardFrom));
        if (!PluginVersion.TryParse(fixedPart, out var pattern, out _) || pattern.IsPrerelease || pattern.Build is not null)
        {
            error = $"'{text}': a wildcard version is numbers followed by * or x, such as 1.0.* or 2.7.x";
            return false;
        }
        criterion = new Criterion(op, pattern, wildcardFrom);
        error = "";
        return true;
    }

    private static bool IsWildcard(string segment) => segment is "*" or "x" or "X";

    /// <param name="WildcardFrom">index of the first wildcard segment, int.MaxValue when none</param>
    private sealed record Criterion(string Operator, PluginVersion Base, int WildcardFrom)
    {
        public bool Accepts(PluginVersion target)
        {
            var order = Compare(target);
            return Operator switch
            {
                ">=" => order >= 0,
                ">" => order > 0,
                "<=" => order <= 0,
                "<" => order < 0,
                "=" => order == 0,
                "^" => order >= 0 && SegmentsEqual(target, 1),
                "~" => order >= 0 && SegmentsEqual(target, 2),
                _ => false,
            };
        }

        private int Compare(PluginVersion target)
        {
            var core = target.CompareCore(Base, WildcardFrom);
            if (core != 0 || WildcardFrom != int.MaxValue)
            {
                return core;
            }
            return PluginVersion.ComparePrerelease(target.PrereleaseIdentifiers, Base.PrereleaseIdentifiers);
        }

        private bool SegmentsEqual(PluginVersion target, int count)
        {
            for (var i = 0; i < Math.Min(count, WildcardFrom); i++)
            {
                if (target.Segment(i) != Base.Segment(i))
                {
                    return false;
                }
            }
            return true;
        }
    }
}
