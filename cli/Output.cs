using System.Globalization;
using System.Text;
using System.Text.Encodings.Web;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace Serverless.Cli;

/// <summary>Small formatting pieces shared by the verbs.</summary>
public static class Output
{
    /// <summary>Relaxed escaping: the output is read by people and JSON parsers, never embedded in HTML.</summary>
    public static readonly JsonSerializerOptions Indented = new() { WriteIndented = true, Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping };

    public static string Red(string text, bool colored) => Paint(text, "31", colored);

    public static string Yellow(string text, bool colored) => Paint(text, "33", colored);

    public static string Green(string text, bool colored) => Paint(text, "32", colored);

    public static string Bold(string text, bool colored) => Paint(text, "1", colored);

    public static string Dim(string text, bool colored) => Paint(text, "2", colored);

    private static string Paint(string text, string code, bool colored) => colored ? $"\e[{code}m{text}\e[0m" : text;

    /// <summary>
    /// Untrusted text (a plugin's log line, what it answered) made safe to print on a terminal: every control
    /// character but tab and newline (C0, DEL, C1) and the Unicode line and paragraph separators become a
    /// visible escape (<c>\x1b</c>, <c>\u009b</c>), so nothing the plugin wrote moves the cursor, clears the
    /// screen or rings the bell. A newline becomes <c>\n</c>, or with <paramref name="continuation"/> a
    /// newline followed by that indent, so a second line never passes for an entry of its own.
    /// </summary>
    public static string Printable(string text, string? continuation = null)
    {
        StringBuilder? escaped = null;
        for (var i = 0; i < text.Length; i++)
        {
            var c = text[i];
            var replacement = c switch
            {
                '\t' => null,
                '\n' => continuation is null ? "\\n" : "\n" + continuation,
                < ' ' or '\u007f' => $"\\x{(int)c:x2}",
                (>= '\u0080' and <= '\u009f') or '\u2028' or '\u2029' => $"\\u{(int)c:x4}",
                _ => null,
            };
            if (replacement is null)
            {
                escaped?.Append(c);
                continue;
            }
            escaped ??= new StringBuilder(text.Length + 16).Append(text, 0, i);
            escaped.Append(replacement);
        }
        return escaped?.ToString() ?? text;
    }

    public static string Size(long bytes) => bytes switch
    {
        < 1024 => $"{bytes} B",
        < 1024 * 1024 => (bytes / 1024.0).ToString("0.0", CultureInfo.InvariantCulture) + " KiB",
        _ => (bytes / (1024.0 * 1024)).ToString("0.0", CultureInfo.InvariantCulture) + " MiB",
    };

    public static void WriteJson(TextWriter writer, JsonNode node) => writer.WriteLine(node.ToJsonString(Indented));

    /// <summary>The --json shape of a failure that has no report: what went wrong and the exit code it ends with.</summary>
    public static JsonObject ErrorDocument(string message, int exitCode) => new()
    {
        ["status"] = "error",
        ["exitCode"] = exitCode,
        ["message"] = message,
    };
}
