using System.Text;
using System.Text.RegularExpressions;

namespace Serverless.Tests.Infra;

/// <summary>One configuration read found in the code: the setting name and where it is read.</summary>
internal sealed record SettingRead(string Name, string Source);

/// <summary>A read whose name the scanner could not work out, so a person must list it.</summary>
internal sealed record UnresolvedRead(string Expression, string Source);

internal sealed record CodeSettingsScan(IReadOnlyList<SettingRead> Reads, IReadOnlyList<UnresolvedRead> Unresolved)
{
    public IReadOnlySet<string> Names => Reads.Select(r => SettingNames.Normalize(r.Name)).ToHashSet(SettingNames.Comparer);
}

/// <summary>
/// Finds every setting name the C# code reads: indexers on an <c>IConfiguration</c>
/// (<c>configuration["X"]</c>), <c>GetValue</c>, sections (<c>GetSection("P")</c> then
/// <c>section.GetValue(nameof(Y))</c> is <c>P:Y</c>), <c>GetConnectionString</c> and
/// <c>Environment.GetEnvironmentVariable</c>. A name may be a literal, a <c>const string</c>, a
/// <c>nameof</c>, an interpolated string of those, or a parameter of the enclosing method or local
/// function, in which case every call site's argument is followed (<c>Number("SANDBOX_CPUS", …)</c>
/// into <c>configuration[key]</c>). Whatever is left is reported as unresolved, never dropped.
/// </summary>
internal static partial class CodeSettingsScanner
{
    private sealed record Source(string Path, string Code);

    /// <summary>The C# files under <paramref name="folders"/> of <paramref name="root"/>, each named by its path from the root.</summary>
    public static IEnumerable<(string Path, string Text)> SourceFiles(string root, IEnumerable<string> folders) =>
        folders.SelectMany(folder => Directory.EnumerateFiles(Path.Combine(root, folder), "*.cs", SearchOption.AllDirectories))
            .Where(path => !path.Split(Path.DirectorySeparatorChar).Any(part => part is "bin" or "obj"))
            .Select(path => (Path.GetRelativePath(root, path), File.ReadAllText(path)));

    public static CodeSettingsScan Scan(IEnumerable<(string Path, string Text)> files)
    {
        var sources = files.Select(f => new Source(f.Path.Replace('\\', '/'), StripComments(f.Text))).ToArray();
        var constants = ReadConstants(sources);
        var reads = new List<SettingRead>();
        var unresolved = new List<UnresolvedRead>();
        foreach (var source in sources)
        {
            var sections = new Dictionary<string, string>(StringComparer.Ordinal);
            foreach (var (expression, position, prefix) in Accesses(source, constants, sections))
            {
                var where = $"{source.Path}:{LineOf(source.Code, position)}";
                var names = Evaluate(expression, source, position, sources, constants, depth: 0);
                if (names is null || names.Count == 0)
                {
                    unresolved.Add(new UnresolvedRead(expression, where));
                    continue;
                }
                reads.AddRange(names.Select(name => new SettingRead(prefix + name, where)));
            }
        }
        return new CodeSettingsScan(reads, unresolved);
    }

    // (argument expression, its position, prefix to put before the evaluated name)
    private static IEnumerable<(string Expression, int Position, string Prefix)> Accesses(
        Source source, IReadOnlyDictionary<string, string> constants, Dictionary<string, string> sections)
    {
        var code = source.Code;
        var found = new List<(string, int, string)>();

        // var section = configuration.GetSection("Packages");  (sections may nest)
        foreach (Match match in SectionAssignment().Matches(code))
        {
            var receiver = match.Groups["recv"].Value;
            if (!IsConfiguration(receiver) && !sections.ContainsKey(receiver)) continue;
            var names = Evaluate(match.Groups["arg"].Value, source, match.Index, [source], constants, 0);
            if (names is { Count: 1 })
            {
                sections[match.Groups["var"].Value] = (sections.GetValueOrDefault(receiver) ?? "") + names[0] + ":";
            }
            else
            {
                found.Add((match.Groups["arg"].Value, match.Index, ""));
            }
        }

        string? PrefixOf(string receiver) =>
            sections.TryGetValue(LastSegment(receiver), out var prefix) ? prefix : IsConfiguration(receiver) ? "" : null;

        foreach (Match match in IndexerStart().Matches(code))
        {
            if (PrefixOf(match.Groups["recv"].Value) is not { } prefix) continue;
            var open = match.Index + match.Length - 1;
            var close = MatchingClose(code, open, '[', ']');
            if (close > open) found.Add((code[(open + 1)..close].Trim(), match.Index, prefix));
        }
        foreach (Match match in GetValueStart().Matches(code))
        {
            if (PrefixOf(match.Groups["recv"].Value) is not { } prefix) continue;
            var args = Arguments(code, match.Index + match.Length - 1);
            if (args.Count > 0) found.Add((args[0], match.Index, prefix));
        }
        foreach (Match match in ConnectionStringStart().Matches(code))
        {
            if (!IsConfiguration(match.Groups["recv"].Value)) continue;
            var args = Arguments(code, match.Index + match.Length - 1);
            if (args.Count > 0) found.Add((args[0], match.Index, "ConnectionStrings:"));
        }
        foreach (Match match in EnvironmentVariableStart().Matches(code))
        {
            var args = Arguments(code, match.Index + match.Length - 1);
            if (args.Count > 0) found.Add((args[0], match.Index, ""));
        }
        return found;
    }

    private static bool IsConfiguration(string receiver) => ConfigurationName().IsMatch(LastSegment(receiver));

    private static string LastSegment(string dotted) => dotted[(dotted.LastIndexOf('.') + 1)..];

    /// <summary>Every value the expression can have, or null when some part cannot be worked out.</summary>
    private static List<string>? Evaluate(string expression, Source source, int position, IReadOnlyList<Source> all,
        IReadOnlyDictionary<string, string> constants, int depth)
    {
        expression = expression.Trim();
        if (depth > 4) return null;

        if (PlainString().Match(expression) is { Success: true } plain)
        {
            return [Regex.Unescape(plain.Groups[1].Value)];
        }
        if (NameOf().Match(expression) is { Success: true } nameOf)
        {
            return [LastSegment(nameOf.Groups[1].Value)];
        }
        if (expression.StartsWith("$\"", StringComparison.Ordinal) && expression.EndsWith('"'))
        {
            return EvaluateInterpolation(expression[2..^1], source, position, all, constants, depth);
        }
        if (Dotted().IsMatch(expression))
        {
            // A bare name is the class's own constant first; only then one unique across the code.
            if (!expression.Contains('.') && ReadConstants([source]).TryGetValue(expression, out var own)) return [own];
            if (constants.TryGetValue(LastSegment(expression), out var constant)) return [constant];
            if (!expression.Contains('.')) return EvaluateParameter(expression, source, position, all, constants, depth);
        }
        return null;
    }

    private static List<string>? EvaluateInterpolation(string body, Source source, int position, IReadOnlyList<Source> all,
        IReadOnlyDictionary<string, string> constants, int depth)
    {
        List<string> results = [""];
        var i = 0;
        while (i < body.Length)
        {
            if (body[i] == '{' && i + 1 < body.Length && body[i + 1] != '{')
            {
                var close = MatchingClose(body, i, '{', '}');
                if (close < 0) return null;
                var values = Evaluate(body[(i + 1)..close], source, position, all, constants, depth + 1);
                if (values is null) return null;
                results = [.. results.SelectMany(prefix => values.Select(value => prefix + value))];
                i = close + 1;
                continue;
            }
            var doubled = body[i] is '{' or '}' && i + 1 < body.Length && body[i + 1] == body[i];
            var literal = body[i];
            i += doubled ? 2 : 1;
            results = [.. results.Select(prefix => prefix + literal)];
        }
        return results;
    }

    // The expression is a parameter of the enclosing method or local function: follow its call sites.
    private static List<string>? EvaluateParameter(string parameter, Source source, int position, IReadOnlyList<Source> all,
        IReadOnlyDictionary<string, string> constants, int depth)
    {
        var signature = new Regex($@"\b(?<name>[A-Za-z_]\w*)\s*\((?<params>[^()]*\bstring\??\s+{Regex.Escape(parameter)}\b[^()]*)\)\s*(?:=>|\{{)", RegexOptions.RightToLeft)
            .Match(source.Code, 0, position);
        if (!signature.Success) return null;

        var parameters = SplitTopLevel(signature.Groups["params"].Value);
        var index = parameters.FindIndex(p => Regex.IsMatch(p, $@"\b{Regex.Escape(parameter)}\s*(=.*)?$"));
        var isExtension = parameters.Count > 0 && parameters[0].TrimStart().StartsWith("this ", StringComparison.Ordinal);
        var name = signature.Groups["name"].Value;
        var lineStart = source.Code.LastIndexOf('\n', signature.Index) + 1;
        var declarationLine = source.Code[lineStart..signature.Index];
        IReadOnlyList<Source> searchIn = Regex.IsMatch(declarationLine, @"\b(public|internal)\b") ? all : [source];

        var values = new List<string>();
        foreach (var caller in searchIn)
        {
            foreach (Match call in new Regex($@"(?<dot>\.)?\b{Regex.Escape(name)}\s*\(").Matches(caller.Code))
            {
                if (caller == source && call.Index == signature.Groups["name"].Index) continue;
                var args = Arguments(caller.Code, call.Index + call.Length - 1);
                var at = index - (isExtension && call.Groups["dot"].Success ? 1 : 0);
                if (at < 0 || at >= args.Count) continue;
                // Calls of unrelated methods that happen to share the name pass something else: skip those.
                if (Evaluate(args[at], caller, call.Index, all, constants, depth + 1) is { } argValues) values.AddRange(argValues);
            }
        }
        return values.Count == 0 ? null : values.Distinct().ToList();
    }

    private static Dictionary<string, string> ReadConstants(IEnumerable<Source> sources)
    {
        var constants = new Dictionary<string, string>(StringComparer.Ordinal);
        var ambiguous = new HashSet<string>(StringComparer.Ordinal);
        foreach (var source in sources)
        {
            foreach (Match match in ConstString().Matches(source.Code))
            {
                var (name, value) = (match.Groups["name"].Value, Regex.Unescape(match.Groups["value"].Value));
                if (constants.TryGetValue(name, out var existing) && existing != value) ambiguous.Add(name);
                constants[name] = value;
            }
        }
        foreach (var name in ambiguous) constants.Remove(name);
        return constants;
    }

    private static List<string> Arguments(string code, int open)
    {
        var close = MatchingClose(code, open, '(', ')');
        return close < 0 ? [] : SplitTopLevel(code[(open + 1)..close]);
    }

    private static List<string> SplitTopLevel(string text)
    {
        var parts = new List<string>();
        var depth = 0;
        var inString = false;
        var start = 0;
        for (var i = 0; i < text.Length; i++)
        {
            var c = text[i];
            if (inString)
            {
                if (c == '\\') i++;
                else if (c == '"') inString = false;
                continue;
            }
            if (c == '"') inString = true;
            else if (c is '(' or '[' or '{' or '<') depth++;
            else if (c is ')' or ']' or '}' or '>') depth--;
            else if (c == ',' && depth == 0)
            {
                parts.Add(text[start..i].Trim());
                start = i + 1;
            }
        }
        if (text[start..].Trim().Length > 0) parts.Add(text[start..].Trim());
        return parts;
    }

    private static int MatchingClose(string text, int open, char opening, char closing)
    {
        var depth = 0;
        var inString = false;
        for (var i = open; i < text.Length; i++)
        {
            var c = text[i];
            if (inString)
            {
                if (c == '\\') i++;
                else if (c == '"') inString = false;
                continue;
            }
            if (c == '"') inString = true;
            else if (c == opening) depth++;
            else if (c == closing && --depth == 0) return i;
        }
        return -1;
    }

    private static int LineOf(string text, int position) => text.AsSpan(0, Math.Min(position, text.Length)).Count('\n') + 1;

    /// <summary>
    /// The code with comments blanked (newlines kept, so line numbers hold). Knows regular, verbatim,
    /// interpolated and raw strings and char literals, so "https://…" is not taken for a comment.
    /// </summary>
    internal static string StripComments(string code)
    {
        var result = new StringBuilder(code);
        var i = 0;
        while (i < code.Length)
        {
            i = SkipCode(code, i, result);
        }
        return result.ToString();
    }

    // Advances over one token of code (a comment, a literal or one character); returns the next position.
    private static int SkipCode(string code, int i, StringBuilder result)
    {
        var c = code[i];
        if (c == '/' && i + 1 < code.Length && code[i + 1] == '/')
        {
            var end = code.IndexOf('\n', i);
            end = end < 0 ? code.Length : end;
            for (var k = i; k < end; k++) result[k] = ' ';
            return end;
        }
        if (c == '/' && i + 1 < code.Length && code[i + 1] == '*')
        {
            var end = code.IndexOf("*/", i + 2, StringComparison.Ordinal);
            end = end < 0 ? code.Length : end + 2;
            for (var k = i; k < end; k++) if (code[k] != '\n') result[k] = ' ';
            return end;
        }
        if (c == '\'')
        {
            var k = i + 1;
            while (k < code.Length && code[k] != '\'' && code[k] != '\n') k += code[k] == '\\' ? 2 : 1;
            return Math.Min(code.Length, k + 1);
        }
        if (c is '$' or '@' or '"')
        {
            var k = i;
            var interpolated = false;
            var verbatim = false;
            while (k < code.Length && code[k] is '$' or '@')
            {
                interpolated |= code[k] == '$';
                verbatim |= code[k] == '@';
                k++;
            }
            if (k < code.Length && code[k] == '"') return SkipStringLiteral(code, k, interpolated, verbatim, result);
            return i + 1;
        }
        return i + 1;
    }

    private static int SkipStringLiteral(string code, int quote, bool interpolated, bool verbatim, StringBuilder result)
    {
        var quotes = 0;
        while (quote + quotes < code.Length && code[quote + quotes] == '"') quotes++;
        if (quotes >= 3)
        {
            var fence = new string('"', quotes);
            var end = code.IndexOf(fence, quote + quotes, StringComparison.Ordinal);
            return end < 0 ? code.Length : end + quotes;
        }
        var i = quote + 1;
        while (i < code.Length)
        {
            var c = code[i];
            if (!verbatim && c == '\\') { i += 2; continue; }
            if (verbatim && c == '"' && i + 1 < code.Length && code[i + 1] == '"') { i += 2; continue; }
            if (c == '"') return i + 1;
            if (!verbatim && c == '\n') return i;
            if (interpolated && c == '{')
            {
                if (i + 1 < code.Length && code[i + 1] == '{') { i += 2; continue; }
                i++;
                var depth = 0;
                while (i < code.Length)
                {
                    if (code[i] == '{') depth++;
                    if (code[i] == '}' && depth-- == 0) break;
                    i = SkipCode(code, i, result);
                }
                i++;
                continue;
            }
            i++;
        }
        return i;
    }

    [GeneratedRegex(@"\bvar\s+(?<var>[A-Za-z_]\w*)\s*=\s*(?<recv>[A-Za-z_][\w.]*)\.GetSection\(\s*(?<arg>[^()]*?)\s*\)")]
    private static partial Regex SectionAssignment();

    [GeneratedRegex(@"(?<recv>\b[A-Za-z_]\w*(?:\.[A-Za-z_]\w*)*)\s*\[")]
    private static partial Regex IndexerStart();

    [GeneratedRegex(@"(?<recv>\b[A-Za-z_]\w*(?:\.[A-Za-z_]\w*)*)\.GetValue\s*(?:<[^<>()]*>)?\s*\(")]
    private static partial Regex GetValueStart();

    [GeneratedRegex(@"(?<recv>\b[A-Za-z_]\w*(?:\.[A-Za-z_]\w*)*)\.GetConnectionString\s*\(")]
    private static partial Regex ConnectionStringStart();

    [GeneratedRegex(@"\bEnvironment\.GetEnvironmentVariable\s*\(")]
    private static partial Regex EnvironmentVariableStart();

    [GeneratedRegex(@"(?i)^_?(config|cfg)$|configuration$")]
    private static partial Regex ConfigurationName();

    [GeneratedRegex(@"^""((?:[^""\\]|\\.)*)""$")]
    private static partial Regex PlainString();

    [GeneratedRegex(@"^nameof\(\s*([\w.]+)\s*\)$")]
    private static partial Regex NameOf();

    [GeneratedRegex(@"^[A-Za-z_]\w*(?:\.[A-Za-z_]\w*)*$")]
    private static partial Regex Dotted();

    [GeneratedRegex(@"\bconst\s+string\s+(?<name>[A-Za-z_]\w*)\s*=\s*""(?<value>(?:[^""\\]|\\.)*)""\s*;")]
    private static partial Regex ConstString();
}

/// <summary>How names compare: configuration keys are case-insensitive and "A__b" (environment) is "A:b".</summary>
internal static class SettingNames
{
    public static StringComparer Comparer => StringComparer.OrdinalIgnoreCase;

    public static string Normalize(string name) => name.Replace("__", ":", StringComparison.Ordinal);
}
