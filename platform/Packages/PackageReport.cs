using System.Text.Json;

namespace Serverless.Platform.Packages;

/// <summary>A regular file in a package, with its real (inflated) size.</summary>
public sealed record PackageFile(string Path, long Size);

/// <summary>
/// The validator's verdict on an upload. Whether it is then "published" or "rejected" is the
/// publisher's call (it also checks ownership, immutability and dependencies).
/// </summary>
public sealed record PackageReport(
    PluginManifest? Manifest,
    IReadOnlyList<PackageIssue> Errors,
    IReadOnlyList<PackageIssue> Warnings,
    IReadOnlyList<PackageFile> Files)
{
    public bool IsValid => Manifest is not null && Errors.Count == 0;

    /// <summary>A copy with more findings, e.g. the publisher's dependency check.</summary>
    public PackageReport With(IEnumerable<PackageIssue> errors, IEnumerable<PackageIssue>? warnings = null) =>
        this with { Errors = [.. Errors, .. errors], Warnings = [.. Warnings, .. warnings ?? []] };

    /// <summary>The report document of docs/packages.md's "Upload reports".</summary>
    public byte[] ToJson(string status)
    {
        using var buffer = new MemoryStream();
        using (var writer = new Utf8JsonWriter(buffer, new JsonWriterOptions { Indented = true }))
        {
            writer.WriteStartObject();
            writer.WriteString("status", status);
            if (Manifest is null)
            {
                writer.WriteNull("plugin");
            }
            else
            {
                writer.WriteStartObject("plugin");
                writer.WriteString("id", Manifest.Id);
                writer.WriteString("version", Manifest.Version.Text);
                writer.WriteEndObject();
            }
            WriteIssues(writer, "errors", Errors);
            WriteIssues(writer, "warnings", Warnings);
            writer.WriteEndObject();
        }
        return buffer.ToArray();
    }

    private static void WriteIssues(Utf8JsonWriter writer, string name, IReadOnlyList<PackageIssue> issues)
    {
        writer.WriteStartArray(name);
        foreach (var issue in issues)
        {
            writer.WriteStartObject();
            writer.WriteString("code", issue.Code);
            writer.WriteString("message", issue.Message);
            writer.WriteString("path", issue.Path);
            writer.WriteEndObject();
        }
        writer.WriteEndArray();
    }
}

/// <summary>
/// Collects findings, at most <see cref="MaxPerCode"/> of each code: a hostile zip with ten
/// thousand bad entries should get a readable report, not a ten-thousand-line one.
/// </summary>
internal sealed class IssueList
{
    public const int MaxPerCode = 20;

    private readonly List<PackageIssue> _errors = [];
    private readonly List<PackageIssue> _warnings = [];
    private readonly Dictionary<string, int> _counts = [];

    public IReadOnlyList<PackageIssue> Errors => _errors;
    public IReadOnlyList<PackageIssue> Warnings => _warnings;

    public bool Has(string code) => _errors.Any(issue => issue.Code == code);

    public void Error(string code, string message, string path) => Add(_errors, code, message, path, "e");

    public void Warning(string code, string message, string path) => Add(_warnings, code, message, path, "w");

    public void AddRange(IEnumerable<PackageIssue> errors, IEnumerable<PackageIssue> warnings)
    {
        foreach (var issue in errors)
        {
            Error(issue.Code, issue.Message, issue.Path);
        }
        foreach (var issue in warnings)
        {
            Warning(issue.Code, issue.Message, issue.Path);
        }
    }

    private void Add(List<PackageIssue> list, string code, string message, string path, string kind)
    {
        var key = kind + code;
        _counts[key] = _counts.GetValueOrDefault(key) + 1;
        if (_counts[key] <= MaxPerCode)
        {
            list.Add(new PackageIssue(code, message, path));
        }
    }

    /// <summary>Appends one "and N more" line per truncated code.</summary>
    public (List<PackageIssue> Errors, List<PackageIssue> Warnings) Finish()
    {
        List<PackageIssue> errors = [.. _errors], warnings = [.. _warnings];
        foreach (var (key, count) in _counts.Where(pair => pair.Value > MaxPerCode))
        {
            var summary = new PackageIssue(key[1..], $"and {count - MaxPerCode} more of the same", "");
            (key[0] == 'e' ? errors : warnings).Add(summary);
        }
        return (errors, warnings);
    }
}
