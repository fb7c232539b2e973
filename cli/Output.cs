using System.Globalization;
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
