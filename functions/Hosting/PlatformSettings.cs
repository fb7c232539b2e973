using System.Text.Json;

namespace Serverless.Functions.Hosting;

/// <summary>
/// Settings resolve like a Functions app's: environment variables win, then the
/// <c>Values</c> of <c>local.settings.json</c> (the repo root's or the content root's).
/// </summary>
public static class PlatformSettings
{
    public const string LocalSettingsPathKey = "LOCAL_SETTINGS_PATH";

    public static IConfigurationBuilder AddPlatformSettings(this IConfigurationManager configuration, string contentRoot)
    {
        var path = Environment.GetEnvironmentVariable(LocalSettingsPathKey) ?? Path.Combine(contentRoot, "local.settings.json");
        var values = File.Exists(path) ? ReadValues(path) : new Dictionary<string, string?>();
        // Sources added later win: local.settings.json first, then the environment on top.
        configuration.AddInMemoryCollection(values);
        configuration.AddEnvironmentVariables();
        return configuration;
    }

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

    /// <summary>
    /// Under the Functions host the port comes from <c>FUNCTIONS_CUSTOMHANDLER_PORT</c>;
    /// locally the app serves <c>http://127.0.0.1:7071</c> like <c>func start</c> would.
    /// </summary>
    public static void ListenOnHandlerPort(this IWebHostBuilder webHost, IConfiguration configuration)
    {
        var handlerPort = configuration["FUNCTIONS_CUSTOMHANDLER_PORT"];
        if (!string.IsNullOrEmpty(handlerPort))
        {
            webHost.UseUrls($"http://127.0.0.1:{handlerPort}");
        }
        else if (string.IsNullOrEmpty(configuration["ASPNETCORE_URLS"]) && string.IsNullOrEmpty(configuration["urls"]))
        {
            webHost.UseUrls("http://127.0.0.1:7071");
        }
    }

    /// <summary>True when the Functions host owns the triggers; otherwise the app drives them itself.</summary>
    public static bool RunsUnderFunctionsHost(this IConfiguration configuration) =>
        !string.IsNullOrEmpty(configuration["FUNCTIONS_CUSTOMHANDLER_PORT"]);
}
