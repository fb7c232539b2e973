using System.Text.Json;

namespace Serverless.Cli;

/// <summary>
/// The storage connection string <c>upload</c> uses when none is given, resolved like <c>local/up</c>
/// resolves the app's: <c>AzureWebJobsStorage</c> from the environment, then from the <c>Values</c> of
/// local.settings.json, else the Azurite that <c>local/up</c> starts (ports from <c>AZURITE_*_PORT</c>).
/// </summary>
public static class StorageConnection
{
    public const string Setting = "AzureWebJobsStorage";

    public static (string ConnectionString, string From) Resolve(CliConsole console)
    {
        if (console.GetVariable(Setting) is { Length: > 0 } fromEnvironment)
        {
            return (fromEnvironment, $"${Setting}");
        }
        foreach (var path in SettingsFiles(console))
        {
            if (ReadValue(path, Setting) is { Length: > 0 } fromFile)
            {
                return (fromFile, path);
            }
        }
        return (Azurite(console), "Azurite (local/up's default)");
    }

    public static string Azurite(CliConsole console)
    {
        string Port(string variable, string fallback) => console.GetVariable(variable) is { Length: > 0 } value ? value : fallback;
        return Platform.Hosting.StorageConnection.Azurite(Port("AZURITE_BLOB_PORT", "10000"), Port("AZURITE_QUEUE_PORT", "10001"), Port("AZURITE_TABLE_PORT", "10002"));
    }

    /// <summary>A value from the <c>Values</c> of the first local.settings.json that has it, with the file's path.</summary>
    public static (string Value, string From)? ReadLocalSetting(CliConsole console, string name)
    {
        foreach (var path in SettingsFiles(console))
        {
            if (ReadValue(path, name) is { Length: > 0 } value)
            {
                return (value, path);
            }
        }
        return null;
    }

    /// <summary>LOCAL_SETTINGS_PATH (local/plugin sets it to the repo's), else the current folder's, else the repo root's.</summary>
    internal static IEnumerable<string> SettingsFiles(CliConsole console)
    {
        if (console.GetVariable("LOCAL_SETTINGS_PATH") is { Length: > 0 } configured)
        {
            yield return configured;
            yield break;
        }
        yield return Path.Combine(console.WorkingDirectory, "local.settings.json");
        if (CliOptions.RepoRoot(console) is { } repo)
        {
            yield return Path.Combine(repo, "local.settings.json");
        }
    }

    internal static string? ReadValue(string path, string name)
    {
        if (!File.Exists(path))
        {
            return null;
        }
        try
        {
            using var stream = File.OpenRead(path);
            using var document = JsonDocument.Parse(stream, new JsonDocumentOptions { CommentHandling = JsonCommentHandling.Skip, AllowTrailingCommas = true });
            return document.RootElement.TryGetProperty("Values", out var values) && values.ValueKind == JsonValueKind.Object
                && values.TryGetProperty(name, out var value) && value.ValueKind == JsonValueKind.String
                ? value.GetString()
                : null;
        }
        catch (Exception ex) when (ex is JsonException or IOException or UnauthorizedAccessException)
        {
            throw CliException.Usage($"cannot read {path}: {ex.Message}; fix it or pass --connection");
        }
    }
}
