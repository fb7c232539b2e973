using System.Text.Json.Nodes;

namespace Serverless.Cli;

/// <summary>
/// Prints a report in the shape of docs/packages.md's "Upload reports"
/// (<c>{"status","plugin":{"id","version"},"errors":[{"code","message","path"}],"warnings":[...]}</c>)
/// for people: a headline, then every error and warning with its code, path and message.
/// </summary>
public static class ReportPrinter
{
    private static readonly HashSet<string> GoodStatuses = ["valid", "packed", "published"];

    public static void Print(CliConsole console, JsonObject report, string source)
    {
        var colored = console.OutColored;
        var status = report["status"]?.GetValue<string>() ?? "unknown";
        var plugin = report["plugin"] is JsonObject p
            ? $"{p["id"]?.GetValue<string>()} {p["version"]?.GetValue<string>()}"
            : "(no readable manifest)";
        var headline = GoodStatuses.Contains(status) ? Output.Green(status, colored)
            : status == "pending" ? Output.Yellow(status, colored)
            : Output.Red(status, colored);
        console.Out.WriteLine($"{Output.Bold(headline, colored)}  {plugin}  {Output.Dim(source, colored)}");
        if (report["reason"]?.GetValue<string>() is { } reason)
        {
            // Why a pending report has no verdict yet.
            console.Out.WriteLine($"  {reason}");
        }

        var errors = Issues(report, "errors");
        var warnings = Issues(report, "warnings");
        var all = errors.Select(issue => (Kind: "error", Issue: issue)).Concat(warnings.Select(issue => (Kind: "warning", Issue: issue))).ToList();
        if (all.Count > 0)
        {
            var codeWidth = all.Max(item => item.Issue.Code.Length);
            var pathWidth = Math.Min(40, all.Max(item => item.Issue.Path.Length));
            foreach (var (kind, issue) in all)
            {
                var label = kind == "error" ? Output.Red("error  ", colored) : Output.Yellow("warning", colored);
                var path = issue.Path.Length == 0 ? "-" : issue.Path;
                console.Out.WriteLine($"  {label}  {issue.Code.PadRight(codeWidth)}  {path.PadRight(pathWidth)}  {issue.Message}");
            }
        }
        console.Out.WriteLine($"{Count(errors.Count, "error")}, {Count(warnings.Count, "warning")}");
    }

    public static int ErrorCount(JsonObject report) => report["errors"] is JsonArray errors ? errors.Count : 0;

    private static string Count(int count, string noun) => count == 1 ? $"1 {noun}" : $"{count} {noun}s";

    private static List<(string Code, string Path, string Message)> Issues(JsonObject report, string name) =>
        report[name] is JsonArray array
            ? array.OfType<JsonObject>().Select(issue => (
                issue["code"]?.GetValue<string>() ?? "",
                issue["path"]?.GetValue<string>() ?? "",
                issue["message"]?.GetValue<string>() ?? "")).ToList()
            : [];
}
