using System.Globalization;
using System.Net;
using System.Net.Http.Headers;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using Microsoft.Extensions.Logging.Abstractions;

namespace Serverless.Platform.Discord;

/// <summary>
/// The one error type of <see cref="DiscordRestClient"/>. <see cref="Code"/> is Discord's JSON error
/// code (10062 Unknown interaction, 10015 Unknown webhook, 50001 Missing access, …); status 0 means
/// Discord was not reached.
/// </summary>
public class DiscordApiException(int status, int? code, string message, Exception? innerException = null)
    : Exception(message, innerException)
{
    public int Status { get; } = status;

    public int? Code { get; } = code;
}

/// <summary>
/// A value the client will not put into a Discord path: an id that is not a snowflake, a token outside
/// Discord's token alphabet, an emoji that is neither Unicode nor <c>name:id</c>. Thrown before any request
/// exists (status 0: Discord was not reached). <see cref="Parameter"/> is Discord's name for the value
/// (<c>channel_id</c>, <c>emoji</c>, …), which is also what the host API calls it.
/// </summary>
public sealed class DiscordArgumentException(string parameter, string message) : DiscordApiException(0, null, message)
{
    public string Parameter { get; } = parameter;
}

/// <summary>Discord's JSON error codes the platform acts on.</summary>
public static class DiscordErrorCodes
{
    public const int UnknownChannel = 10003;
    public const int UnknownMessage = 10008;
    public const int UnknownWebhook = 10015;
    public const int UnknownInteraction = 10062;
    public const int InteractionAlreadyAcknowledged = 40060;
    public const int MissingAccess = 50001;
    public const int CannotSendEmptyMessage = 50006;
    public const int InvalidWebhookToken = 50027;
    public const int InvalidFormBody = 50035;
}

/// <summary>
/// Discord's REST API for the routes the platform uses (Discord.Net is not restorable here). Every URL
/// is <see cref="DiscordOptions.BaseUrl"/> + Discord's documented path, and every value put into a path
/// is checked first (<see cref="DiscordArgumentException"/>): <c>.</c> and <c>..</c> survive percent-encoding
/// and <see cref="Uri"/> folds them, so an unchecked <c>user_id=".."</c> would reach another route. Bot routes carry
/// <c>Authorization: Bot …</c>; the interaction routes authenticate by their token in the path.
/// Message bodies are passed through as JSON; when one has no <c>allowed_mentions</c> it gets
/// <c>{"parse":["users"]}</c>, so nothing the platform sends pings @everyone, @here or a role unless
/// the caller says so explicitly.
/// </summary>
public sealed class DiscordRestClient
{
    /// <summary>Discord asks for <c>DiscordBot ($url, $versionNumber)</c>; that is not a valid product token, so it is added unparsed.</summary>
    private const string UserAgent = "DiscordBot (https://github.com/serverless-discord-plugins, 1.0)";

    private readonly HttpClient http;
    private readonly DiscordOptions options;
    private readonly TimeProvider clock;
    private readonly ILogger logger;
    private readonly DiscordRateLimiter limiter;
    private readonly string baseUrl;

    public DiscordRestClient(HttpClient http, DiscordOptions options, TimeProvider? clock = null, ILogger<DiscordRestClient>? logger = null)
    {
        this.http = http;
        this.options = options;
        this.clock = clock ?? TimeProvider.System;
        this.logger = logger ?? (ILogger)NullLogger.Instance;
        limiter = new DiscordRateLimiter(this.clock);
        baseUrl = options.BaseUrl.AbsoluteUri.TrimEnd('/');
    }

    public DiscordOptions Options => options;

    // ---- interactions: authenticated by the interaction token, not bound to the bot's global limit ----

    /// <summary><c>POST /interactions/{id}/{token}/callback</c>: the initial response (exactly one per interaction).</summary>
    public async Task CreateInteractionResponseAsync(InteractionRef interaction, InteractionCallback callback, CancellationToken cancellationToken = default)
    {
        var data = callback.CarriesMessage && callback.Data is not null ? WithDefaultMentions(callback.Data) : callback.Data?.DeepClone().AsObject();
        var wire = new InteractionCallbackWire { Type = (int)callback.Type, Data = data };
        var body = JsonSerializer.SerializeToNode(wire, DiscordJsonContext.Default.InteractionCallbackWire);
        var route = new DiscordRoute(HttpMethod.Post, "/interactions/{interaction_id}/{token}/callback",
            $"/interactions/{Id(interaction.Id, "interaction_id")}/{Token(interaction.Token)}/callback", $"interaction:{interaction.Id}", BotAuth: false);
        using var response = await SendAsync(route, body, null, cancellationToken);
    }

    /// <summary><c>PATCH /webhooks/{application_id}/{token}/messages/@original</c>: after a deferral this is how the answer arrives.</summary>
    public Task<DiscordMessage> EditOriginalResponseAsync(InteractionRef interaction, JsonObject message, CancellationToken cancellationToken = default) =>
        SendForMessageAsync(WebhookRoute(HttpMethod.Patch, interaction, "/messages/@original"), WithDefaultMentions(message), cancellationToken);

    /// <summary><c>DELETE /webhooks/{application_id}/{token}/messages/@original</c>.</summary>
    public async Task DeleteOriginalResponseAsync(InteractionRef interaction, CancellationToken cancellationToken = default)
    {
        using var response = await SendAsync(WebhookRoute(HttpMethod.Delete, interaction, "/messages/@original"), null, null, cancellationToken);
    }

    /// <summary><c>POST /webhooks/{application_id}/{token}</c>: a follow-up (Discord always waits for and returns the message).</summary>
    public Task<DiscordMessage> CreateFollowupMessageAsync(InteractionRef interaction, JsonObject message, CancellationToken cancellationToken = default) =>
        SendForMessageAsync(WebhookRoute(HttpMethod.Post, interaction, ""), WithDefaultMentions(message), cancellationToken);

    /// <summary><c>PATCH /webhooks/{application_id}/{token}/messages/{message_id}</c>.</summary>
    public Task<DiscordMessage> EditFollowupMessageAsync(InteractionRef interaction, string messageId, JsonObject message, CancellationToken cancellationToken = default) =>
        SendForMessageAsync(WebhookRoute(HttpMethod.Patch, interaction, $"/messages/{Id(messageId, "message_id")}"), WithDefaultMentions(message), cancellationToken);

    /// <summary><c>DELETE /webhooks/{application_id}/{token}/messages/{message_id}</c>.</summary>
    public async Task DeleteFollowupMessageAsync(InteractionRef interaction, string messageId, CancellationToken cancellationToken = default)
    {
        using var response = await SendAsync(WebhookRoute(HttpMethod.Delete, interaction, $"/messages/{Id(messageId, "message_id")}"), null, null, cancellationToken);
    }

    // ---- bot routes ----

    /// <summary><c>GET /channels/{channel_id}</c>: a channel or thread, with the guild it is in (none for a DM).</summary>
    public async Task<DiscordChannel> GetChannelAsync(string channelId, CancellationToken cancellationToken = default)
    {
        var route = new DiscordRoute(HttpMethod.Get, "/channels/{channel_id}", $"/channels/{Id(channelId, "channel_id")}", $"channel:{channelId}", BotAuth: true);
        using var response = await SendAsync(route, null, null, cancellationToken);
        var channel = await ReadJsonAsync(response, DiscordJsonContext.Default.ChannelWire, cancellationToken);
        return new DiscordChannel(channel?.Id ?? channelId, channel?.Type ?? 0, channel?.GuildId);
    }

    /// <summary><c>POST /channels/{channel_id}/messages</c>.</summary>
    public Task<DiscordMessage> CreateMessageAsync(string channelId, JsonObject message, CancellationToken cancellationToken = default) =>
        SendForMessageAsync(
            new DiscordRoute(HttpMethod.Post, "/channels/{channel_id}/messages", $"/channels/{Id(channelId, "channel_id")}/messages", $"channel:{channelId}", BotAuth: true),
            WithDefaultMentions(message),
            cancellationToken);

    /// <summary>
    /// <c>PUT /channels/{channel_id}/messages/{message_id}/reactions/{emoji}/@me</c>. <paramref name="emoji"/>
    /// is a Unicode emoji, a custom one as <c>name:id</c>, or as written in a message (<c>&lt;:name:id&gt;</c>).
    /// </summary>
    public async Task AddReactionAsync(string channelId, string messageId, string emoji, CancellationToken cancellationToken = default)
    {
        using var response = await SendAsync(ReactionRoute(HttpMethod.Put, channelId, messageId, emoji), null, null, cancellationToken);
    }

    /// <summary><c>DELETE /channels/{channel_id}/messages/{message_id}/reactions/{emoji}/@me</c>.</summary>
    public async Task RemoveOwnReactionAsync(string channelId, string messageId, string emoji, CancellationToken cancellationToken = default)
    {
        using var response = await SendAsync(ReactionRoute(HttpMethod.Delete, channelId, messageId, emoji), null, null, cancellationToken);
    }

    /// <summary><c>PUT /guilds/{guild_id}/members/{user_id}/roles/{role_id}</c>; <paramref name="reason"/> goes to the audit log.</summary>
    public async Task AddMemberRoleAsync(string guildId, string userId, string roleId, string? reason = null, CancellationToken cancellationToken = default)
    {
        using var response = await SendAsync(RoleRoute(HttpMethod.Put, guildId, userId, roleId), null, reason, cancellationToken);
    }

    /// <summary><c>DELETE /guilds/{guild_id}/members/{user_id}/roles/{role_id}</c>.</summary>
    public async Task RemoveMemberRoleAsync(string guildId, string userId, string roleId, string? reason = null, CancellationToken cancellationToken = default)
    {
        using var response = await SendAsync(RoleRoute(HttpMethod.Delete, guildId, userId, roleId), null, reason, cancellationToken);
    }

    /// <summary><c>GET /applications/{application_id}/guilds/{guild_id}/commands</c>.</summary>
    public async Task<IReadOnlyList<GuildCommand>> GetGuildCommandsAsync(string guildId, CancellationToken cancellationToken = default)
    {
        using var response = await SendAsync(CommandsRoute(HttpMethod.Get, guildId), null, null, cancellationToken);
        return await ReadCommandsAsync(response, cancellationToken);
    }

    /// <summary>
    /// <c>PUT /applications/{application_id}/guilds/{guild_id}/commands</c>: replaces the guild's whole
    /// command set. Discord counts new names against a daily create limit, so callers diff first.
    /// </summary>
    public async Task<IReadOnlyList<GuildCommand>> BulkOverwriteGuildCommandsAsync(string guildId, IEnumerable<JsonObject> commands, CancellationToken cancellationToken = default)
    {
        var body = new JsonArray(commands.Select(c => (JsonNode?)c.DeepClone()).ToArray());
        using var response = await SendAsync(CommandsRoute(HttpMethod.Put, guildId), body, null, cancellationToken);
        return await ReadCommandsAsync(response, cancellationToken);
    }

    // ---- routes ----

    private static DiscordRoute WebhookRoute(HttpMethod method, InteractionRef interaction, string rest)
    {
        var template = "/webhooks/{application_id}/{token}" + (rest.Length == 0 ? "" : rest.StartsWith("/messages/@", StringComparison.Ordinal) ? rest : "/messages/{message_id}");
        return new DiscordRoute(method, template, $"/webhooks/{Id(interaction.ApplicationId, "application_id")}/{Token(interaction.Token)}{rest}",
            $"webhook:{interaction.ApplicationId}/{interaction.Token}", BotAuth: false);
    }

    private static DiscordRoute ReactionRoute(HttpMethod method, string channelId, string messageId, string emoji) =>
        new(method, "/channels/{channel_id}/messages/{message_id}/reactions/{emoji}/@me",
            $"/channels/{Id(channelId, "channel_id")}/messages/{Id(messageId, "message_id")}/reactions/{EncodeEmoji(emoji)}/@me", $"channel:{channelId}", BotAuth: true);

    private static DiscordRoute RoleRoute(HttpMethod method, string guildId, string userId, string roleId) =>
        new(method, "/guilds/{guild_id}/members/{user_id}/roles/{role_id}",
            $"/guilds/{Id(guildId, "guild_id")}/members/{Id(userId, "user_id")}/roles/{Id(roleId, "role_id")}", $"guild:{guildId}", BotAuth: true);

    private DiscordRoute CommandsRoute(HttpMethod method, string guildId)
    {
        var applicationId = options.ApplicationId ?? (options.UsesRecorder
            ? DiscordOptions.LocalApplicationId
            : throw new DiscordApiException(0, null, "DISCORD_APPLICATION_ID is not set; guild commands cannot be read or written"));
        return new DiscordRoute(method, "/applications/{application_id}/guilds/{guild_id}/commands",
            $"/applications/{Id(applicationId, "application_id")}/guilds/{Id(guildId, "guild_id")}/commands", $"guild:{guildId}", BotAuth: true);
    }

    // ---- what may go into a path ----

    /// <summary>Longer than any interaction token Discord issues (a few hundred characters).</summary>
    private const int MaxTokenLength = 1000;

    /// <summary>Longer than any emoji sequence (the longest ZWJ sequences are about 20 UTF-16 units).</summary>
    private const int MaxEmojiLength = 64;

    /// <summary>A Discord id: 1–20 ASCII digits that fit in an unsigned 64-bit integer. No sign, space, dot, or another script's digits.</summary>
    private static bool IsSnowflake(string? value) =>
        value is { Length: >= 1 and <= 20 } && value.All(char.IsAsciiDigit) && ulong.TryParse(value, NumberStyles.None, CultureInfo.InvariantCulture, out _);

    private static string Id(string? value, string parameter) =>
        IsSnowflake(value) ? value! : throw new DiscordArgumentException(parameter, $"'{parameter}' must be a Discord id (digits only), got {Show(value)}");

    /// <summary>
    /// Discord's interaction tokens are URL-safe base64: ASCII letters, digits, <c>-</c> and <c>_</c>. The token is
    /// not echoed in the error: it opens the interaction's webhook for 15 minutes.
    /// </summary>
    private static string Token(string? value) =>
        value is { Length: >= 1 and <= MaxTokenLength } && value.All(c => char.IsAsciiLetterOrDigit(c) || c is '-' or '_')
            ? value
            : throw new DiscordArgumentException("token", "'token' must be a Discord interaction token (ASCII letters, digits, '-' and '_')");

    /// <summary>
    /// The emoji as Discord's reaction routes take it: a Unicode emoji as UTF-8 percent escapes, or a custom one as
    /// <c>name:id</c> (a name of 2–32 letters, digits and <c>_</c>, a snowflake id). The form a message shows,
    /// <c>&lt;:name:id&gt;</c> or <c>&lt;a:name:id&gt;</c>, is accepted too.
    /// </summary>
    internal static string EncodeEmoji(string? emoji)
    {
        var value = emoji ?? "";
        if (value.Length > 2 && value[0] == '<' && value[^1] == '>' && value[1..^1].Split(':') is ["" or "a", var mentionName, var mentionId])
        {
            value = $"{mentionName}:{mentionId}";
        }
        var valid = value.Split(':') is [var name, var id]
            ? name.Length is >= 2 and <= 32 && name.All(c => char.IsAsciiLetterOrDigit(c) || c == '_') && IsSnowflake(id)
            : IsUnicodeEmoji(value);
        return valid
            ? Uri.EscapeDataString(value)
            : throw new DiscordArgumentException("emoji", $"'emoji' must be a Unicode emoji or a custom emoji as name:id (or <:name:id>), got {Show(emoji)}");
    }

    /// <summary>
    /// What emoji are made of: symbols, the few punctuation marks and the one letter (ℹ) Unicode lists as emoji,
    /// joined by ZWJ, variation selectors, skin tones and tag characters; code points newer than this runtime's
    /// Unicode tables are let through. No ASCII, except the digit, <c>#</c> or <c>*</c> that starts a keycap (1️⃣).
    /// Discord answers 10014 Unknown Emoji for a symbol that is no emoji; nothing accepted here can change the route.
    /// </summary>
    private static bool IsUnicodeEmoji(string value)
    {
        if (value.Length is 0 or > MaxEmojiLength)
        {
            return false;
        }
        var runes = value.EnumerateRunes().ToArray();
        for (var i = 0; i < runes.Length; i++)
        {
            var rune = runes[i];
            var allowed = rune.IsAscii
                ? i == 0 && runes.Length > 1 && (char.IsAsciiDigit((char)rune.Value) || rune.Value is '#' or '*') && runes[1].Value is 0xFE0F or 0x20E3
                : rune != Rune.ReplacementChar && (rune.Value == 0x2139 || Rune.GetUnicodeCategory(rune) switch
                {
                    UnicodeCategory.OtherSymbol or UnicodeCategory.MathSymbol or UnicodeCategory.ModifierSymbol
                        or UnicodeCategory.NonSpacingMark or UnicodeCategory.EnclosingMark
                        or UnicodeCategory.OtherPunctuation or UnicodeCategory.DashPunctuation or UnicodeCategory.OtherNotAssigned => true,
                    UnicodeCategory.Format => rune.Value is 0x200D or (>= 0xE0020 and <= 0xE007F),
                    _ => false,
                });
            if (!allowed)
            {
                return false;
            }
        }
        return true;
    }

    /// <summary>A refused value as the error shows it: quoted, control characters escaped, long ones cut.</summary>
    private static string Show(string? value)
    {
        if (value is null)
        {
            return "nothing";
        }
        var text = new StringBuilder("'");
        foreach (var c in value.Length > 40 ? value[..40] : value)
        {
            text.Append(c switch
            {
                '\n' => "\\n",
                '\r' => "\\r",
                '\t' => "\\t",
                _ when char.IsControl(c) || char.GetUnicodeCategory(c) == UnicodeCategory.Format => $"\\u{(int)c:x4}",
                _ => c.ToString(),
            });
        }
        return text.Append(value.Length > 40 ? "'…" : "'").ToString();
    }

    /// <summary>A copy of <paramref name="message"/> that says whom it may ping; the caller's object is left alone.</summary>
    internal static JsonObject WithDefaultMentions(JsonObject message)
    {
        var copy = message.DeepClone().AsObject();
        if (!copy.ContainsKey("allowed_mentions"))
        {
            copy["allowed_mentions"] = new JsonObject { ["parse"] = new JsonArray("users") };
        }
        return copy;
    }

    // ---- transport ----

    private async Task<DiscordMessage> SendForMessageAsync(DiscordRoute route, JsonNode body, CancellationToken cancellationToken)
    {
        using var response = await SendAsync(route, body, null, cancellationToken);
        var message = await ReadJsonAsync(response, DiscordJsonContext.Default.MessageWire, cancellationToken);
        return new DiscordMessage(message?.Id ?? "", message?.ChannelId ?? "");
    }

    private static async Task<IReadOnlyList<GuildCommand>> ReadCommandsAsync(HttpResponseMessage response, CancellationToken cancellationToken)
    {
        var array = await ReadJsonAsync(response, DiscordJsonContext.Default.JsonArray, cancellationToken) ?? [];
        return array.OfType<JsonObject>()
            .Select(c => new GuildCommand(c["id"]?.ToString() ?? "", c["name"]?.ToString() ?? "", c))
            .ToList();
    }

    private static async Task<T?> ReadJsonAsync<T>(HttpResponseMessage response, System.Text.Json.Serialization.Metadata.JsonTypeInfo<T> type, CancellationToken cancellationToken)
    {
        try
        {
            await using var stream = await response.Content.ReadAsStreamAsync(cancellationToken);
            return await JsonSerializer.DeserializeAsync(stream, type, cancellationToken);
        }
        catch (JsonException e)
        {
            throw new DiscordApiException((int)response.StatusCode, null, $"Discord answered {(int)response.StatusCode} with a body that is not the expected JSON: {e.Message}", e);
        }
    }

    /// <summary>
    /// Sends with the rate limits honoured. A 429 is waited out and retried (bounded); 5xx and
    /// transport failures are retried with backoff; any other 4xx is final, because repeating it
    /// cannot succeed and Discord bans IPs that send too many invalid requests.
    /// </summary>
    private async Task<HttpResponseMessage> SendAsync(DiscordRoute route, JsonNode? body, string? auditLogReason, CancellationToken cancellationToken)
    {
        var rateLimited = 0;
        var failures = 0;
        while (true)
        {
            await limiter.WaitTurnAsync(route, cancellationToken);
            HttpResponseMessage response;
            using (var request = BuildRequest(route, body, auditLogReason))
            using (var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken))
            {
                timeout.CancelAfter(options.RequestTimeout);
                try
                {
                    response = await http.SendAsync(request, HttpCompletionOption.ResponseContentRead, timeout.Token);
                }
                catch (Exception e) when (e is HttpRequestException || (e is OperationCanceledException && !cancellationToken.IsCancellationRequested))
                {
                    var what = e is HttpRequestException ? e.Message : $"no answer within {options.RequestTimeout.TotalSeconds:0.#} s";
                    if (++failures > options.MaxServerErrorRetries)
                    {
                        throw new DiscordApiException(0, null, $"{route.Method} {route.Template}: Discord not reached: {what}", e);
                    }
                    logger.LogWarning("Discord {Route} failed ({What}); retry {Attempt}", route.Key, what, failures);
                    await BackoffAsync(failures, cancellationToken);
                    continue;
                }
            }

            limiter.Observe(route, response);
            var status = (int)response.StatusCode;
            if (response.IsSuccessStatusCode)
            {
                return response;
            }

            DiscordErrorWire? error;
            using (response)
            {
                error = await ReadErrorAsync(response, cancellationToken);
            }
            if (response.StatusCode == HttpStatusCode.TooManyRequests)
            {
                var retryAfter = RetryAfter(response, error);
                var global = error?.Global == true || string.Equals(Header(response, "X-RateLimit-Global"), "true", StringComparison.OrdinalIgnoreCase);
                if (++rateLimited > options.MaxRateLimitRetries || retryAfter > options.MaxRateLimitWait)
                {
                    throw new DiscordApiException(status, error?.Code,
                        $"{route.Method} {route.Template}: rate limited{(global ? " (global)" : "")} for {retryAfter.TotalSeconds:0.###} s after {rateLimited} tries: {error?.Message}");
                }
                limiter.OnRateLimited(route, retryAfter, global);
                logger.LogInformation("Discord {Route} rate limited{Global}; waiting {Seconds} s", route.Key, global ? " (global)" : "", retryAfter.TotalSeconds);
                continue;
            }
            if (status >= 500 && ++failures <= options.MaxServerErrorRetries)
            {
                logger.LogWarning("Discord {Route} answered {Status}; retry {Attempt}", route.Key, status, failures);
                await BackoffAsync(failures, cancellationToken);
                continue;
            }
            throw new DiscordApiException(status, error?.Code, Describe(route, status, error));
        }
    }

    private HttpRequestMessage BuildRequest(DiscordRoute route, JsonNode? body, string? auditLogReason)
    {
        var request = new HttpRequestMessage(route.Method, baseUrl + route.Path);
        request.Headers.TryAddWithoutValidation("User-Agent", UserAgent);
        if (route.BotAuth && !options.UsesRecorder)
        {
            request.Headers.Authorization = new AuthenticationHeaderValue("Bot", options.BotToken);
        }
        if (!string.IsNullOrEmpty(auditLogReason))
        {
            // Discord documents the audit log reason as URL-encoded.
            request.Headers.TryAddWithoutValidation("X-Audit-Log-Reason", Uri.EscapeDataString(auditLogReason));
        }
        if (body is not null)
        {
            var content = new ByteArrayContent(JsonSerializer.SerializeToUtf8Bytes(body, DiscordJsonContext.Default.JsonNode));
            content.Headers.ContentType = new MediaTypeHeaderValue("application/json");
            request.Content = content;
        }
        return request;
    }

    private Task BackoffAsync(int attempt, CancellationToken cancellationToken) =>
        Task.Delay(options.ServerErrorBackoff * Math.Pow(2, attempt - 1), clock, cancellationToken);

    private static TimeSpan RetryAfter(HttpResponseMessage response, DiscordErrorWire? error)
    {
        // The body's retry_after is the precise one (float seconds); the Retry-After header is rounded up.
        var seconds = error?.RetryAfter
            ?? (double.TryParse(Header(response, "Retry-After"), NumberStyles.Float, CultureInfo.InvariantCulture, out var header) ? header : (double?)null)
            ?? (double.TryParse(Header(response, "X-RateLimit-Reset-After"), NumberStyles.Float, CultureInfo.InvariantCulture, out var resetAfter) ? resetAfter : 1);
        return TimeSpan.FromSeconds(Math.Clamp(seconds, 0, TimeSpan.FromDays(1).TotalSeconds));
    }

    private static async Task<DiscordErrorWire?> ReadErrorAsync(HttpResponseMessage response, CancellationToken cancellationToken)
    {
        var text = await response.Content.ReadAsStringAsync(cancellationToken);
        if (string.IsNullOrWhiteSpace(text))
        {
            return null;
        }
        try
        {
            return JsonSerializer.Deserialize(text, DiscordJsonContext.Default.DiscordErrorWire);
        }
        catch (JsonException)
        {
            // Cloudflare and proxies answer HTML; keep a little of it for the message.
            return new DiscordErrorWire { Message = text.Length > 200 ? text[..200] : text };
        }
    }

    private static string Describe(DiscordRoute route, int status, DiscordErrorWire? error)
    {
        var text = $"{route.Method} {route.Template}: Discord answered {status}";
        if (error?.Code is { } code)
        {
            text += $" (code {code})";
        }
        if (!string.IsNullOrEmpty(error?.Message))
        {
            text += $": {error.Message}";
        }
        if (error?.Errors is { } errors)
        {
            var raw = errors.GetRawText();
            text += " " + (raw.Length > 500 ? raw[..500] + "…" : raw);
        }
        return text;
    }

    private static string? Header(HttpResponseMessage response, string name) =>
        response.Headers.TryGetValues(name, out var values) ? values.FirstOrDefault() : null;
}
