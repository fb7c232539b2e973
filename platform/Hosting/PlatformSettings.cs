using System.Text.Json;

namespace Serverless.Platform.Hosting;

/// <summary>
/// Settings resolve like a Functions app's: environment variables win over the <c>Values</c> of
/// <c>local.settings.json</c> (the repo root's or the content root's), and command-line arguments
/// (<c>--NAME=value</c>) win over both.
/// </summary>
public static class PlatformSettings
{
    public const string LocalSettingsPathKey = "LOCAL_SETTINGS_PATH";

    /// <summary>
    /// Command-line switch (<c>--SETTINGS_FROM_COMMAND_LINE_ONLY=true</c>) for hosts that must not see the
    /// machine's settings: every other source, the environment and local.settings.json included, is dropped.
    /// Test hosts set it, so a developer's exported <c>AzureWebJobsStorage</c> or stack name never reaches a test.
    /// </summary>
    public const string CommandLineOnlySwitch = "SETTINGS_FROM_COMMAND_LINE_ONLY";

    /// <summary>The stack's name: the label on its sandbox containers and the folder of its default plugin cache.</summary>
    public const string StackNameKey = "SANDBOX_PLATFORM_NAME";

    public const string DefaultStackName = "serverless";

    public static IConfigurationBuilder AddPlatformSettings(this IConfigurationManager configuration, string contentRoot, string[] args)
    {
        if (string.Equals(new ConfigurationBuilder().AddCommandLine(args).Build()[CommandLineOnlySwitch], "true", StringComparison.OrdinalIgnoreCase))
        {
            configuration.Sources.Clear();
            configuration.AddCommandLine(args);
            return configuration;
        }
        var path = Environment.GetEnvironmentVariable(LocalSettingsPathKey) ?? Path.Combine(contentRoot, "local.settings.json");
        var values = File.Exists(path) ? ReadValues(path) : new Dictionary<string, string?>();
        // Sources added later win: local.settings.json first, then the environment, then the command line.
        configuration.AddInMemoryCollection(values);
        configuration.AddEnvironmentVariables();
        configuration.AddCommandLine(args);
        return configuration;
    }

    /// <summary>This stack's name (<see cref="StackNameKey"/>), <c>serverless</c> unless set.</summary>
    public static string StackName(this IConfiguration configuration) =>
        configuration[StackNameKey] is { Length: > 0 } name ? name : DefaultStackName;

    internal static Dictionary<string, string?> ReadValues(string path)
    {
        using var stream = File.OpenRead(path);
        using var document = JsonDocument.Parse(stream, new JsonDocumentOptions { CommentHandling = JsonCommentHandling.Skip, AllowTrailingCommas = true });
        var values = new Dictionary<string, string?>(StringComparer.OrdinalIgnoreCase);
        if (document.RootElement.TryGetProperty("Values", out var section) && section.ValueKind == JsonValueKind.Object)
        {
            foreach (var property in section.EnumerateObject())
            {
                // Same key mapping as environment variables: "A__b" is the configuration key "A:b".
                values[property.Name.Replace("__", ":", StringComparison.Ordinal)] = property.Value.ValueKind == JsonValueKind.String ? property.Value.GetString() : property.Value.GetRawText();
            }
        }
        return values;
    }
}
