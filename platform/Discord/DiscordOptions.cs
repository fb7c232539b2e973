namespace Serverless.Platform.Discord;

/// <summary>
/// Settings of <see cref="DiscordRestClient"/>. Without a bot token every call goes to the in-process
/// <see cref="RecordingDiscordHandler"/> instead of the network, so the local loop works offline.
/// </summary>
public sealed record DiscordOptions
{
    public const string DefaultBaseUrl = "https://discord.com/api/v10";

    /// <summary>Stands in for <c>DISCORD_APPLICATION_ID</c> with the recorder, where no real application exists.</summary>
    public const string LocalApplicationId = "0";

    /// <summary><c>DISCORD_API_BASE_URL</c>; routes are appended to it.</summary>
    public Uri BaseUrl { get; init; } = new(DefaultBaseUrl);

    /// <summary><c>DISCORD_BOT_TOKEN</c>: sent as <c>Authorization: Bot …</c> on bot routes only.</summary>
    public string? BotToken { get; init; }

    /// <summary><c>DISCORD_APPLICATION_ID</c>: the guild command routes need it.</summary>
    public string? ApplicationId { get; init; }

    /// <summary>
    /// A 429 asking for a longer wait is reported instead of waited out: the daily command-create
    /// limit answers with hours, and no caller should hang that long.
    /// </summary>
    public TimeSpan MaxRateLimitWait { get; init; } = TimeSpan.FromSeconds(30);

    /// <summary>How many 429s one call sits out before it gives up.</summary>
    public int MaxRateLimitRetries { get; init; } = 5;

    /// <summary>Retries after a 5xx or a transport failure, with <see cref="ServerErrorBackoff"/> doubling.</summary>
    public int MaxServerErrorRetries { get; init; } = 3;

    public TimeSpan ServerErrorBackoff { get; init; } = TimeSpan.FromMilliseconds(250);

    public TimeSpan RequestTimeout { get; init; } = TimeSpan.FromSeconds(15);

    public bool UsesRecorder => string.IsNullOrWhiteSpace(BotToken);

    public static DiscordOptions FromConfiguration(IConfiguration configuration)
    {
        var baseUrl = configuration["DISCORD_API_BASE_URL"];
        var token = configuration["DISCORD_BOT_TOKEN"];
        var applicationId = configuration["DISCORD_APPLICATION_ID"];
        return new DiscordOptions
        {
            BaseUrl = string.IsNullOrWhiteSpace(baseUrl) ? new Uri(DefaultBaseUrl) : ParseBaseUrl(baseUrl),
            BotToken = string.IsNullOrWhiteSpace(token) ? null : token.Trim(),
            ApplicationId = string.IsNullOrWhiteSpace(applicationId) ? null : applicationId.Trim(),
        };
    }

    private static Uri ParseBaseUrl(string value)
    {
        if (!Uri.TryCreate(value.Trim(), UriKind.Absolute, out var uri) || (uri.Scheme != Uri.UriSchemeHttps && uri.Scheme != Uri.UriSchemeHttp))
        {
            throw new InvalidOperationException($"DISCORD_API_BASE_URL must be an absolute http(s) URL, not '{value}'");
        }
        return uri;
    }
}
