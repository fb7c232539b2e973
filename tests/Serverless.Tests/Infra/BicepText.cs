using System.Text;
using System.Text.RegularExpressions;

namespace Serverless.Tests.Infra;

/// <summary>
/// A small reader for the parts of our Bicep the tests check: top-level <c>var</c> objects, arrays and
/// strings, parameter declarations and delimiter balance. Not a Bicep compiler (none can be installed
/// here); it understands exactly what it needs to not be fooled: comments, single-line strings with
/// escapes and <c>${…}</c> interpolation (which may nest strings and braces), and multi-line strings.
/// </summary>
internal static partial class BicepText
{
    /// <summary>
    /// The text with every comment turned into spaces and every string's content into '_' (quotes and
    /// newlines kept), so positions still match the original and delimiters can be counted safely.
    /// </summary>
    public static string Mask(string text) => Mask(text, maskStrings: true);

    /// <summary>The text with comments turned into spaces and strings left as they are.</summary>
    public static string WithoutComments(string text) => Mask(text, maskStrings: false);

    private static string Mask(string text, bool maskStrings)
    {
        var masked = new StringBuilder(text);
        var strings = new StringBuilder(text);
        var i = 0;
        while (i < text.Length)
        {
            i = SkipToken(text, i, masked, strings);
        }
        if (!maskStrings)
        {
            // Keep the string contents, take only the blanked comments.
            for (var k = 0; k < text.Length; k++)
            {
                if (strings[k] == '_' && masked[k] == '_') masked[k] = text[k];
            }
        }
        return masked.ToString();
    }

    private static int SkipToken(string text, int i, StringBuilder masked, StringBuilder strings)
    {
        if (At(text, i, "'''"))
        {
            var end = text.IndexOf("'''", i + 3, StringComparison.Ordinal);
            end = end < 0 ? text.Length : end;
            Blank(text, masked, i + 3, end, '_');
            Blank(text, strings, i + 3, end, '_');
            return Math.Min(text.Length, end + 3);
        }
        if (text[i] == '\'')
        {
            var end = SkipString(text, i, masked);
            Blank(text, strings, i + 1, end - 1, '_');
            return end;
        }
        if (At(text, i, "//"))
        {
            var end = text.IndexOf('\n', i);
            end = end < 0 ? text.Length : end;
            Blank(text, masked, i, end, ' ');
            return end;
        }
        if (At(text, i, "/*"))
        {
            var end = text.IndexOf("*/", i + 2, StringComparison.Ordinal);
            end = end < 0 ? text.Length : end + 2;
            Blank(text, masked, i, end, ' ');
            return end;
        }
        return i + 1;
    }

    // From an opening quote to just past the closing one; interpolations are masked whole.
    private static int SkipString(string text, int start, StringBuilder masked)
    {
        var i = start + 1;
        while (i < text.Length && text[i] != '\'' && text[i] != '\n')
        {
            if (text[i] == '\\')
            {
                i += 2;
            }
            else if (At(text, i, "${"))
            {
                i = SkipInterpolation(text, i + 2, masked);
            }
            else
            {
                i++;
            }
        }
        var end = Math.Min(i, text.Length);
        Blank(text, masked, start + 1, end, '_');
        return Math.Min(text.Length, end + 1);
    }

    private static int SkipInterpolation(string text, int i, StringBuilder masked)
    {
        var depth = 0;
        while (i < text.Length)
        {
            var c = text[i];
            if (c == '\'')
            {
                i = SkipString(text, i, masked);
                continue;
            }
            if (c == '{')
            {
                depth++;
            }
            else if (c == '}')
            {
                if (depth == 0)
                {
                    return i + 1;
                }
                depth--;
            }
            i++;
        }
        return i;
    }

    private static bool At(string text, int i, string token) => string.CompareOrdinal(text, i, token, 0, token.Length) == 0;

    private static void Blank(string text, StringBuilder masked, int from, int to, char with)
    {
        for (var k = from; k < Math.Min(to, text.Length); k++)
        {
            if (text[k] != '\n' && text[k] != '\r')
            {
                masked[k] = with;
            }
        }
    }

    /// <summary>Unbalanced or mismatched <c>{}</c>, <c>[]</c>, <c>()</c> outside strings and comments, with line numbers.</summary>
    public static IReadOnlyList<string> DelimiterErrors(string text)
    {
        var masked = Mask(text);
        var errors = new List<string>();
        var stack = new Stack<(char Open, int Line)>();
        var line = 1;
        foreach (var c in masked)
        {
            if (c == '\n') line++;
            if (c is '{' or '[' or '(')
            {
                stack.Push((c, line));
            }
            else if (c is '}' or ']' or ')')
            {
                var expected = c switch { '}' => '{', ']' => '[', _ => '(' };
                if (stack.Count == 0)
                {
                    errors.Add($"line {line}: '{c}' closes nothing");
                }
                else if (stack.Peek().Open != expected)
                {
                    var (open, openLine) = stack.Pop();
                    errors.Add($"line {line}: '{c}' closes '{open}' opened on line {openLine}");
                }
                else
                {
                    stack.Pop();
                }
            }
        }
        errors.AddRange(stack.Select(open => $"line {open.Line}: '{open.Open}' is never closed"));
        return errors;
    }

    /// <summary>The properties of <c>var {name} = { … }</c>: key (unquoted) to the raw value text, in order.</summary>
    public static IReadOnlyList<KeyValuePair<string, string>> ReadObjectVar(string text, string name) =>
        ReadObjectAt(text, OpeningOf(text, $@"\bvar\s+{Regex.Escape(name)}\s*=\s*\{{", name));

    /// <summary>The string items of <c>var {name} = [ … ]</c>.</summary>
    public static IReadOnlyList<string> ReadStringArrayVar(string text, string name)
    {
        var masked = Mask(text);
        var open = OpeningOf(text, $@"\bvar\s+{Regex.Escape(name)}\s*=\s*\[", name);
        var close = MatchingClose(masked, open);
        return ItemsBetween(WithoutComments(text), masked, open, close)
            .Select(item => StringValue(item) ?? throw new FormatException($"var {name}: '{item}' is not a plain string"))
            .ToArray();
    }

    /// <summary>The value of <c>var {name} = 'x'</c> or a number.</summary>
    public static string ReadScalarVar(string text, string name)
    {
        var match = Regex.Match(Mask(text), $@"(?m)^\s*var\s+{Regex.Escape(name)}\s*=\s*(?<value>[^\r\n]+)");
        if (!match.Success) throw new FormatException($"no var {name}");
        var raw = WithoutComments(text).Substring(match.Groups["value"].Index, match.Groups["value"].Length).Trim();
        return StringValue(raw) ?? raw;
    }

    /// <summary>The default of <c>param {name} type = value</c>, or null when it has none.</summary>
    public static string? ReadParamDefault(string text, string name)
    {
        var match = Regex.Match(Mask(text), $@"(?m)^\s*param\s+{Regex.Escape(name)}\s+\w+(\s*=\s*(?<value>[^\r\n]+))?");
        if (!match.Success) throw new FormatException($"no param {name}");
        if (!match.Groups["value"].Success) return null;
        var raw = WithoutComments(text).Substring(match.Groups["value"].Index, match.Groups["value"].Length).Trim();
        return StringValue(raw) ?? raw;
    }

    /// <summary>Every <c>param</c> declaration: its name, line, and the decorator text above it.</summary>
    public static IReadOnlyList<(string Name, int Line, string Decorators, bool HasDefault)> Params(string text)
    {
        var masked = Mask(text);
        var lines = masked.Split('\n');
        var originalLines = text.Split('\n');
        var result = new List<(string, int, string, bool)>();
        for (var n = 0; n < lines.Length; n++)
        {
            var match = ParamLine().Match(lines[n]);
            if (!match.Success) continue;
            // Decorators are the lines directly above, up to a blank line or another statement.
            var decorators = new List<string>();
            var depth = 0;
            for (var k = n - 1; k >= 0; k--)
            {
                var above = lines[k].Trim();
                depth += above.Count(c => c is '}' or ']' or ')') - above.Count(c => c is '{' or '[' or '(');
                if (above.Length == 0 && depth == 0) break;
                if (depth == 0 && !above.StartsWith('@') && above.Length > 0 && !originalLines[k].TrimStart().StartsWith('#')) break;
                decorators.Insert(0, originalLines[k]);
            }
            result.Add((match.Groups["name"].Value, n + 1, string.Join('\n', decorators), match.Groups["default"].Success));
        }
        return result;
    }

    [GeneratedRegex(@"^\s*param\s+(?<name>\w+)\s+[\w.]+(?<default>\s*=)?")]
    private static partial Regex ParamLine();

    /// <summary>Unquotes a plain Bicep string literal (no interpolation); null for anything else.</summary>
    public static string? StringValue(string raw)
    {
        raw = raw.Trim();
        if (raw.Length < 2 || raw[0] != '\'' || raw[^1] != '\'' || raw.Contains("${", StringComparison.Ordinal)) return null;
        var inner = raw[1..^1];
        if (Regex.IsMatch(inner, @"(?<!\\)'")) return null;
        return Regex.Replace(inner, @"\\(.)", "$1");
    }

    private static int OpeningOf(string text, string pattern, string name)
    {
        var match = Regex.Match(Mask(text), pattern);
        if (!match.Success) throw new FormatException($"no var {name} block");
        return match.Index + match.Length - 1;
    }

    private static int MatchingClose(string masked, int open)
    {
        var depth = 0;
        for (var i = open; i < masked.Length; i++)
        {
            if (masked[i] is '{' or '[' or '(') depth++;
            else if (masked[i] is '}' or ']' or ')' && --depth == 0) return i;
        }
        throw new FormatException($"'{masked[open]}' at offset {open} is never closed");
    }

    // Items of a block are separated by newlines or commas at the block's own depth.
    private static IEnumerable<string> ItemsBetween(string text, string masked, int open, int close)
    {
        var depth = 0;
        var start = open + 1;
        for (var i = open + 1; i <= close; i++)
        {
            var c = masked[i];
            if (i < close && c is '{' or '[' or '(') depth++;
            else if (i < close && c is '}' or ']' or ')') depth--;
            if (i == close || (depth == 0 && c is '\n' or ','))
            {
                var item = text[start..i].Trim();
                if (item.Length > 0 && masked[start..i].Trim().Length > 0) yield return item;
                start = i + 1;
            }
        }
    }

    private static IReadOnlyList<KeyValuePair<string, string>> ReadObjectAt(string text, int open)
    {
        var masked = Mask(text);
        var close = MatchingClose(masked, open);
        var properties = new List<KeyValuePair<string, string>>();
        foreach (var item in ItemsBetween(WithoutComments(text), masked, open, close))
        {
            var match = Regex.Match(item, @"^(?:(?<id>[A-Za-z_]\w*)|'(?<quoted>(?:[^'\\]|\\.)*)')\s*:\s*(?<value>[\s\S]*)$");
            if (!match.Success) throw new FormatException($"not a property: '{item}'");
            var key = match.Groups["id"].Success ? match.Groups["id"].Value : match.Groups["quoted"].Value;
            properties.Add(new(key, match.Groups["value"].Value.Trim()));
        }
        return properties;
    }
}
