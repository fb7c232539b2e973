using System.Globalization;
using System.Text.Json;

namespace Serverless.Gateway;

/// <summary>
/// The bridge's settings. Names are environment variables (docs/events.md); the timings are Discord's
/// recommendations and only tests shrink them.
/// </summary>
public sealed record GatewayOptions
{
    public const int MinimumSecretLength = 16;

    public required string BotToken { get; init; }

    /// <summary>An explicit gateway URL; when null the bridge asks <c>GET {ApiBaseUrl}/gateway/bot</c>.</summary>
    public Uri? GatewayUrl { get; init; }

    public Uri ApiBaseUrl { get; init; } = new("https://discord.com/api/v10");

    public required GatewayIntents Intents { get; init; }

    public required Uri EventsEndpoint { get; init; }

    public required string EventsSecret { get; init; }

    /// <summary>Discord allows one identify per 5 s per concurrency bucket; one bucket is enough for one shard.</summary>
    public TimeSpan IdentifyInterval { get; init; } = TimeSpan.FromSeconds(5);

    /// <summary>After op 9 Invalid Session Discord asks for a random wait of 1–5 s before identifying again.</summary>
    public TimeSpan InvalidSessionDelayMin { get; init; } = TimeSpan.FromSeconds(1);

    public TimeSpan InvalidSessionDelayMax { get; init; } = TimeSpan.FromSeconds(5);

    /// <summary>First wait after a connection that failed before READY/RESUMED; doubles up to the maximum.</summary>
    public TimeSpan ReconnectDelay { get; init; } = TimeSpan.FromSeconds(1);

    public TimeSpan MaxReconnectDelay { get; init; } = TimeSpan.FromMinutes(1);

    /// <summary>How long connecting, and waiting for Hello, may take.</summary>
    public TimeSpan ConnectTimeout { get; init; } = TimeSpan.FromSeconds(30);

    /// <summary>Events waiting for delivery; beyond this the oldest are dropped (and counted in the log).</summary>
    public int BufferCapacity { get; init; } = 10_000;

    public int DeliveryAttempts { get; init; } = 5;

    /// <summary>First wait between delivery attempts; doubles per attempt up to 30 s.</summary>
    public TimeSpan DeliveryBackoff { get; init; } = TimeSpan.FromMilliseconds(500);

    public TimeSpan DeliveryTimeout { get; init; } = TimeSpan.FromSeconds(10);

    /// <summary>
    /// Reads DISCORD_BOT_TOKEN, DISCORD_GATEWAY_URL, DISCORD_API_BASE_URL, GATEWAY_INTENTS,
    /// GATEWAY_MESSAGE_CONTENT, EVENTS_ENDPOINT_URL and EVENTS_SHARED_SECRET; reports every problem at once.
    /// </summary>
    public static GatewayOptions FromConfiguration(IConfiguration configuration)
    {
        var errors = new List<string>();
        string Value(string key) => configuration[key]?.Trim() ?? "";

        var token = Value("DISCORD_BOT_TOKEN");
        if (token.Length == 0)
        {
            errors.Add("DISCORD_BOT_TOKEN is required: the bot token the gateway identifies with");
        }
        else if (token.StartsWith("Bot ", StringComparison.OrdinalIgnoreCase))
        {
            // The gateway takes the bare token; "Bot " belongs only in REST Authorization headers.
            token = token[4..].Trim();
        }

        Uri? gatewayUrl = null;
        if (Value("DISCORD_GATEWAY_URL") is { Length: > 0 } gateway
            && (!Uri.TryCreate(gateway, UriKind.Absolute, out gatewayUrl) || gatewayUrl.Scheme is not ("wss" or "ws")))
        {
            errors.Add($"DISCORD_GATEWAY_URL must be a ws:// or wss:// URL, not '{gateway}'");
        }

        var apiBase = new Uri("https://discord.com/api/v10");
        if (Value("DISCORD_API_BASE_URL") is { Length: > 0 } api
            && (!Uri.TryCreate(api.TrimEnd('/'), UriKind.Absolute, out apiBase) || apiBase.Scheme is not ("https" or "http")))
        {
            errors.Add($"DISCORD_API_BASE_URL must be an http(s) URL, not '{api}'");
        }

        var messageContent = Value("GATEWAY_MESSAGE_CONTENT") switch
        {
            "" or "false" or "False" or "0" => false,
            "true" or "True" or "1" => true,
            var other => Invalid(errors, $"GATEWAY_MESSAGE_CONTENT must be true or false, not '{other}'"),
        };
        var intents = EventMap.RequiredIntents(messageContent);
        if (Value("GATEWAY_INTENTS") is { Length: > 0 } intentsText)
        {
            if (GatewayIntentsParser.Parse(intentsText) is { } parsed)
            {
                intents = parsed;
            }
            else
            {
                errors.Add($"GATEWAY_INTENTS must be a number or names such as GUILDS,GUILD_MESSAGES, not '{intentsText}'");
            }
        }

        Uri? events = null;
        var eventsText = Value("EVENTS_ENDPOINT_URL");
        if (eventsText.Length == 0)
        {
            errors.Add("EVENTS_ENDPOINT_URL is required: the function app's /api/events URL");
        }
        else if (!Uri.TryCreate(eventsText, UriKind.Absolute, out events) || events.Scheme is not ("https" or "http"))
        {
            errors.Add($"EVENTS_ENDPOINT_URL must be an http(s) URL, not '{eventsText}'");
        }

        var secret = configuration["EVENTS_SHARED_SECRET"] ?? "";
        if (secret.Length < MinimumSecretLength)
        {
            errors.Add($"EVENTS_SHARED_SECRET must be at least {MinimumSecretLength} characters (the HMAC key shared with /api/events)");
        }

        if (errors.Count > 0)
        {
            throw new InvalidOperationException("Gateway bridge settings are invalid:" + Environment.NewLine + "  " + string.Join(Environment.NewLine + "  ", errors));
        }
        return new GatewayOptions
        {
            BotToken = token,
            GatewayUrl = gatewayUrl,
            ApiBaseUrl = apiBase!,
            Intents = intents,
            EventsEndpoint = events!,
            EventsSecret = secret,
        };
    }

    private static bool Invalid(List<string> errors, string message)
    {
        errors.Add(message);
        return false;
    }

    /// <summary>
    /// Like the function app: environment variables win, then the <c>Values</c> of <c>local.settings.json</c>
    /// (from LOCAL_SETTINGS_PATH, or the working directory).
    /// </summary>
    public static void AddLocalSettings(IConfigurationManager configuration)
    {
        var path = Environment.GetEnvironmentVariable("LOCAL_SETTINGS_PATH") ?? Path.Combine(Directory.GetCurrentDirectory(), "local.settings.json");
        var values = new Dictionary<string, string?>(StringComparer.OrdinalIgnoreCase);
        if (File.Exists(path))
        {
            using var stream = File.OpenRead(path);
            using var document = JsonDocument.Parse(stream, new JsonDocumentOptions { CommentHandling = JsonCommentHandling.Skip, AllowTrailingCommas = true });
            if (document.RootElement.TryGetProperty("Values", out var section) && section.ValueKind == JsonValueKind.Object)
            {
                foreach (var property in section.EnumerateObject())
                {
                    values[property.Name] = property.Value.ValueKind == JsonValueKind.String
                        ? property.Value.GetString()
                        : property.Value.GetRawText();
                }
            }
        }
        // Sources added later win.
        configuration.AddInMemoryCollection(values);
        configuration.AddEnvironmentVariables();
    }

    internal static string Describe(TimeSpan span) => span.TotalSeconds.ToString("0.###", CultureInfo.InvariantCulture) + " s";
}
