using System.Globalization;
using System.Net;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.Features;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace Serverless.Tests.Discord;

/// <summary>
/// Discord's REST API for the routes the platform uses, on a loopback Kestrel port, built from
/// Discord's documented routes, payloads, error codes and rate-limit headers. Every request is
/// recorded; switches inject 429s (per route and global), 5xx and Discord error codes.
/// <code>
/// await using var discord = await FakeDiscord.StartAsync();
/// // DISCORD_API_BASE_URL = discord.BaseUrl, DISCORD_BOT_TOKEN = FakeDiscord.BotToken,
/// // DISCORD_APPLICATION_ID = FakeDiscord.ApplicationId
/// var followup = await discord.WaitForCallAsync(c => c.Route == FakeDiscord.Routes.FollowupCreate);
/// </code>
/// </summary>
public sealed class FakeDiscord : IAsyncDisposable
{
    public const string BotToken = "fake-bot-token.Gx1x2x.abcdefghijklmnopqrstuvwxyz0123456789";
    public const string ApplicationId = "1100000000000000001";
    public const string ApiPath = "/api/v10";

    /// <summary>Route names as recorded in <see cref="FakeDiscordCall.Route"/> and used to target faults.</summary>
    public static class Routes
    {
        public const string InteractionCallback = "POST /interactions/{interaction_id}/{token}/callback";
        public const string OriginalEdit = "PATCH /webhooks/{application_id}/{token}/messages/@original";
        public const string OriginalDelete = "DELETE /webhooks/{application_id}/{token}/messages/@original";
        public const string FollowupCreate = "POST /webhooks/{application_id}/{token}";
        public const string FollowupEdit = "PATCH /webhooks/{application_id}/{token}/messages/{message_id}";
        public const string FollowupDelete = "DELETE /webhooks/{application_id}/{token}/messages/{message_id}";
        public const string ChannelGet = "GET /channels/{channel_id}";
        public const string MessageCreate = "POST /channels/{channel_id}/messages";
        public const string ReactionAdd = "PUT /channels/{channel_id}/messages/{message_id}/reactions/{emoji}/@me";
        public const string ReactionRemove = "DELETE /channels/{channel_id}/messages/{message_id}/reactions/{emoji}/@me";
        public const string RoleAdd = "PUT /guilds/{guild_id}/members/{user_id}/roles/{role_id}";
        public const string RoleRemove = "DELETE /guilds/{guild_id}/members/{user_id}/roles/{role_id}";
        public const string CommandsGet = "GET /applications/{application_id}/guilds/{guild_id}/commands";
        public const string CommandsPut = "PUT /applications/{application_id}/guilds/{guild_id}/commands";
        public const string Unknown = "(unknown)";
    }

    private static readonly HashSet<int> CallbackTypes = [1, 4, 5, 6, 7, 8, 9, 10, 12];
    private static long snowflakeCounter;

    private readonly WebApplication app;
    private readonly Lock gate = new();
    private readonly List<FakeDiscordCall> calls = [];
    private readonly List<ArmedFault> faults = [];
    private readonly Dictionary<string, RouteLimit> routeLimits = [];
    private readonly Dictionary<string, Window> windows = [];
    private readonly HashSet<string> acknowledged = [];
    private readonly HashSet<string> expiredTokens = [];
    private readonly Dictionary<string, JsonObject> messages = [];
    private readonly Dictionary<string, string> followupTokens = [];
    private readonly Dictionary<string, JsonArray> commandsByGuild = [];
    private readonly Dictionary<string, JsonObject> channels = [];
    private TaskCompletionSource changed = NewSignal();
    private double? globalArmedRetryAfter;
    private DateTimeOffset globalUntil;

    private FakeDiscord(WebApplication app, string origin)
    {
        this.app = app;
        BaseUrl = origin + ApiPath;
    }

    /// <summary>For example <c>http://127.0.0.1:41234/api/v10</c>: the value for DISCORD_API_BASE_URL.</summary>
    public string BaseUrl { get; }

    public IReadOnlyList<FakeDiscordCall> Calls
    {
        get
        {
            lock (gate)
            {
                return calls.ToList();
            }
        }
    }

    public static async Task<FakeDiscord> StartAsync(CancellationToken cancellationToken = default)
    {
        var builder = WebApplication.CreateSlimBuilder(new WebApplicationOptions { ContentRootPath = AppContext.BaseDirectory });
        builder.WebHost.UseKestrel(kestrel => kestrel.Listen(IPAddress.Loopback, 0));
        builder.Logging.ClearProviders();
        var app = builder.Build();
        var address = "";
        FakeDiscord? fake = null;
        app.Run(context => fake!.HandleAsync(context));
        await app.StartAsync(cancellationToken);
        address = app.Services.GetRequiredService<IServer>().Features.GetRequiredFeature<IServerAddressesFeature>().Addresses.First();
        fake = new FakeDiscord(app, address.Replace("[::1]", "127.0.0.1", StringComparison.Ordinal).TrimEnd('/'));
        return fake;
    }

    /// <summary>The next <paramref name="times"/> requests to <paramref name="route"/> (any route when null) get <paramref name="fault"/>.</summary>
    public void Fail(string? route, FakeFault fault, int times = 1)
    {
        lock (gate)
        {
            faults.Add(new ArmedFault(route, fault) { Remaining = times });
        }
    }

    /// <summary>
    /// The next bot-authenticated request starts a global rate limit of <paramref name="retryAfter"/>
    /// seconds: it and every bot request until then get 429 with <c>"global": true</c>. Interaction
    /// routes are exempt, as Discord documents.
    /// </summary>
    public void RateLimitGlobally(double retryAfter)
    {
        lock (gate)
        {
            globalArmedRetryAfter = retryAfter;
        }
    }

    /// <summary>
    /// Enforce a per-route limit like Discord: <paramref name="limit"/> requests per
    /// <paramref name="resetAfter"/> seconds per top-level resource (channel, guild, webhook), with
    /// <c>X-RateLimit-*</c> headers on every answer and 429 beyond the limit.
    /// </summary>
    public void SetRateLimit(string route, int limit, double resetAfter, string? bucket = null)
    {
        lock (gate)
        {
            routeLimits[route] = new RouteLimit(limit, resetAfter, bucket ?? Convert.ToHexStringLower(Encoding.UTF8.GetBytes(route))[..16]);
        }
    }

    /// <summary>
    /// A channel of <paramref name="guildId"/> (type 0 text, 11 public thread, …) that <c>GET /channels/{id}</c>
    /// describes; a channel not added answers 404 code 10003 Unknown Channel.
    /// </summary>
    public void AddChannel(string channelId, string guildId, int type = 0)
    {
        lock (gate)
        {
            channels[channelId] = new JsonObject { ["id"] = channelId, ["type"] = type, ["guild_id"] = guildId, ["name"] = "channel-" + channelId, ["position"] = 0, ["permission_overwrites"] = new JsonArray(), ["nsfw"] = false, ["parent_id"] = null };
        }
    }

    /// <summary>A DM channel (type 1): Discord describes it with its recipients and no <c>guild_id</c>.</summary>
    public void AddDmChannel(string channelId, string recipientId)
    {
        lock (gate)
        {
            channels[channelId] = new JsonObject { ["id"] = channelId, ["type"] = 1, ["last_message_id"] = null, ["flags"] = 0, ["recipients"] = new JsonArray(new JsonObject { ["id"] = recipientId, ["username"] = "user" + recipientId, ["discriminator"] = "0" }) };
        }
    }

    /// <summary>Requests with this interaction token get 401 code 50027 (Invalid Webhook Token), as after its 15 minutes.</summary>
    public void ExpireToken(string token)
    {
        lock (gate)
        {
            expiredTokens.Add(token);
        }
    }

    /// <summary>The first recorded call matching <paramref name="predicate"/>, waiting for it if need be.</summary>
    public async Task<FakeDiscordCall> WaitForCallAsync(Func<FakeDiscordCall, bool> predicate, TimeSpan? timeout = null, CancellationToken cancellationToken = default)
    {
        var deadline = DateTime.UtcNow + (timeout ?? TimeSpan.FromSeconds(10));
        while (true)
        {
            Task signal;
            lock (gate)
            {
                var match = calls.FirstOrDefault(predicate);
                if (match is not null)
                {
                    return match;
                }
                signal = changed.Task;
            }
            var left = deadline - DateTime.UtcNow;
            if (left <= TimeSpan.Zero)
            {
                throw new TimeoutException($"no matching Discord call within {timeout ?? TimeSpan.FromSeconds(10)}; calls seen:{Environment.NewLine}{string.Join(Environment.NewLine, Calls)}");
            }
            try
            {
                await signal.WaitAsync(left, cancellationToken);
            }
            catch (TimeoutException)
            {
                // Checked once more at the top, then reported with the calls seen.
            }
        }
    }

    public IReadOnlyList<FakeDiscordCall> CallsTo(string route) => Calls.Where(c => c.Route == route).ToList();

    /// <summary>The guild's commands as the last bulk overwrite left them.</summary>
    public JsonArray GuildCommands(string guildId)
    {
        lock (gate)
        {
            return commandsByGuild.TryGetValue(guildId, out var commands) ? (JsonArray)commands.DeepClone() : [];
        }
    }

    /// <summary>A message as created or last edited (webhook messages, channel messages, an interaction's original by its token).</summary>
    public JsonObject? Message(string idOrOriginalToken)
    {
        lock (gate)
        {
            return messages.TryGetValue(idOrOriginalToken, out var message) ? (JsonObject)message.DeepClone() : null;
        }
    }

    public async ValueTask DisposeAsync()
    {
        await app.StopAsync();
        await app.DisposeAsync();
    }

    // ---- the server ----

    private async Task HandleAsync(HttpContext context)
    {
        var now = DateTimeOffset.UtcNow;
        var rawTarget = context.Features.GetRequiredFeature<IHttpRequestFeature>().RawTarget;
        var rawPath = rawTarget.Split('?')[0];
        var request = context.Request;
        using var reader = new StreamReader(request.Body, Encoding.UTF8);
        var text = await reader.ReadToEndAsync(context.RequestAborted);
        JsonNode? body = null;
        var bodyIsJson = true;
        if (text.Length > 0)
        {
            try
            {
                body = JsonNode.Parse(text);
            }
            catch (JsonException)
            {
                bodyIsJson = false;
                body = JsonValue.Create(text);
            }
        }

        var (route, values, major) = Match(request.Method, rawPath);
        var authorization = request.Headers.Authorization.Count > 0 ? request.Headers.Authorization.ToString() : null;
        var auditReason = request.Headers["X-Audit-Log-Reason"].Count > 0 ? Uri.UnescapeDataString(request.Headers["X-Audit-Log-Reason"].ToString()) : null;
        var headers = new Dictionary<string, string>();
        int status;
        JsonNode? answer;
        lock (gate)
        {
            (status, answer) = Decide(route, values, major, authorization, body, bodyIsJson, request.ContentType, now, headers);
            calls.Add(new FakeDiscordCall(now, request.Method, route, rawPath, values, authorization, auditReason, request.Headers.UserAgent.ToString(),
                request.ContentType, body?.DeepClone(), status, answer?.DeepClone()));
            var signal = changed;
            changed = NewSignal();
            signal.SetResult();
        }

        context.Response.StatusCode = status;
        foreach (var (name, value) in headers)
        {
            context.Response.Headers[name] = value;
        }
        if (answer is not null)
        {
            context.Response.ContentType = "application/json";
            await context.Response.WriteAsync(answer.ToJsonString(), context.RequestAborted);
        }
    }

    private static (string Route, IReadOnlyDictionary<string, string> Values, string Major) Match(string method, string rawPath)
    {
        var empty = new Dictionary<string, string>();
        if (!rawPath.StartsWith(ApiPath + "/", StringComparison.Ordinal))
        {
            return (Routes.Unknown, empty, "");
        }
        var s = rawPath[ApiPath.Length..].Split('/', StringSplitOptions.RemoveEmptyEntries).Select(Uri.UnescapeDataString).ToArray();
        switch (s)
        {
            case ["interactions", var id, var token, "callback"] when method == "POST":
                return (Routes.InteractionCallback, new Dictionary<string, string> { ["interaction_id"] = id, ["token"] = token }, "interaction:" + id);
            case ["webhooks", var app, var token]:
                return (method == "POST" ? Routes.FollowupCreate : Routes.Unknown, new Dictionary<string, string> { ["application_id"] = app, ["token"] = token }, $"webhook:{app}/{token}");
            case ["webhooks", var app, var token, "messages", var messageId]:
                var values = new Dictionary<string, string> { ["application_id"] = app, ["token"] = token, ["message_id"] = messageId };
                var original = messageId == "@original";
                var route = method switch
                {
                    "PATCH" => original ? Routes.OriginalEdit : Routes.FollowupEdit,
                    "DELETE" => original ? Routes.OriginalDelete : Routes.FollowupDelete,
                    _ => Routes.Unknown,
                };
                return (route, values, $"webhook:{app}/{token}");
            case ["channels", var channelId] when method == "GET":
                return (Routes.ChannelGet, new Dictionary<string, string> { ["channel_id"] = channelId }, "channel:" + channelId);
            case ["channels", var channelId, "messages"] when method == "POST":
                return (Routes.MessageCreate, new Dictionary<string, string> { ["channel_id"] = channelId }, "channel:" + channelId);
            case ["channels", var channelId, "messages", var messageId, "reactions", var emoji, "@me"] when method is "PUT" or "DELETE":
                return (method == "PUT" ? Routes.ReactionAdd : Routes.ReactionRemove,
                    new Dictionary<string, string> { ["channel_id"] = channelId, ["message_id"] = messageId, ["emoji"] = emoji }, "channel:" + channelId);
            case ["guilds", var guildId, "members", var userId, "roles", var roleId] when method is "PUT" or "DELETE":
                return (method == "PUT" ? Routes.RoleAdd : Routes.RoleRemove,
                    new Dictionary<string, string> { ["guild_id"] = guildId, ["user_id"] = userId, ["role_id"] = roleId }, "guild:" + guildId);
            case ["applications", var app, "guilds", var guildId, "commands"] when method is "GET" or "PUT":
                return (method == "GET" ? Routes.CommandsGet : Routes.CommandsPut,
                    new Dictionary<string, string> { ["application_id"] = app, ["guild_id"] = guildId }, "guild:" + guildId);
            default:
                return (Routes.Unknown, empty, "");
        }
    }

    private static bool IsBotRoute(string route) =>
        route is Routes.ChannelGet or Routes.MessageCreate or Routes.ReactionAdd or Routes.ReactionRemove or Routes.RoleAdd or Routes.RoleRemove or Routes.CommandsGet or Routes.CommandsPut;

    private (int Status, JsonNode? Answer) Decide(string route, IReadOnlyDictionary<string, string> values, string major, string? authorization,
        JsonNode? body, bool bodyIsJson, string? contentType, DateTimeOffset now, Dictionary<string, string> headers)
    {
        if (route == Routes.Unknown)
        {
            return (404, Error(0, "404: Not Found"));
        }
        var bot = IsBotRoute(route);
        if (bot && authorization != "Bot " + BotToken)
        {
            return (401, Error(0, "401: Unauthorized"));
        }

        // Global limit first: Discord checks it before anything route-specific.
        if (bot && globalArmedRetryAfter is { } armed)
        {
            globalUntil = now + TimeSpan.FromSeconds(armed);
            globalArmedRetryAfter = null;
        }
        if (bot && globalUntil > now)
        {
            var left = (globalUntil - now).TotalSeconds;
            headers["X-RateLimit-Global"] = "true";
            headers["X-RateLimit-Scope"] = "global";
            headers["Retry-After"] = Math.Ceiling(left).ToString(CultureInfo.InvariantCulture);
            return (429, RateLimitBody(left, global: true));
        }

        if (routeLimits.TryGetValue(route, out var limit))
        {
            var key = limit.Bucket + "|" + major;
            if (!windows.TryGetValue(key, out var window) || window.ResetAt <= now)
            {
                window = windows[key] = new Window { ResetAt = now + TimeSpan.FromSeconds(limit.ResetAfter) };
            }
            window.Used++;
            var resetAfter = Math.Max(0, (window.ResetAt - now).TotalSeconds);
            headers["X-RateLimit-Limit"] = limit.Limit.ToString(CultureInfo.InvariantCulture);
            headers["X-RateLimit-Remaining"] = Math.Max(0, limit.Limit - window.Used).ToString(CultureInfo.InvariantCulture);
            headers["X-RateLimit-Reset"] = (window.ResetAt.ToUnixTimeMilliseconds() / 1000.0).ToString("0.000", CultureInfo.InvariantCulture);
            headers["X-RateLimit-Reset-After"] = resetAfter.ToString("0.000", CultureInfo.InvariantCulture);
            headers["X-RateLimit-Bucket"] = limit.Bucket;
            if (window.Used > limit.Limit)
            {
                headers["X-RateLimit-Scope"] = "user";
                headers["Retry-After"] = Math.Ceiling(resetAfter).ToString(CultureInfo.InvariantCulture);
                return (429, RateLimitBody(resetAfter, global: false));
            }
        }

        var fault = faults.FirstOrDefault(f => f.Remaining > 0 && (f.Route is null || f.Route == route));
        if (fault is not null)
        {
            fault.Remaining--;
            foreach (var (name, value) in fault.Fault.Headers)
            {
                headers[name] = value;
            }
            return (fault.Fault.Status, fault.Fault.Body?.DeepClone());
        }

        if (values.TryGetValue("token", out var token) && expiredTokens.Contains(token))
        {
            return (401, Error(50027, "Invalid Webhook Token"));
        }
        if (body is not null && (!bodyIsJson || contentType?.StartsWith("application/json", StringComparison.OrdinalIgnoreCase) != true))
        {
            return (400, Error(50109, "The request body contains invalid JSON."));
        }
        return Serve(route, values, body, now);
    }

    private (int Status, JsonNode? Answer) Serve(string route, IReadOnlyDictionary<string, string> values, JsonNode? body, DateTimeOffset now)
    {
        switch (route)
        {
            case Routes.InteractionCallback:
            {
                if (body is not JsonObject callback || callback["type"] is not JsonValue typeValue || !typeValue.TryGetValue<int>(out var type) || !CallbackTypes.Contains(type))
                {
                    return (400, FormError("type", "BASE_TYPE_CHOICES", "Value must be one of {1, 4, 5, 6, 7, 8, 9, 10, 12}."));
                }
                var data = callback["data"] as JsonObject;
                if (type is 4 or 7 && MessageProblem(data, requireContent: type == 4) is { } problem)
                {
                    return problem;
                }
                if (type == 9 && (data?["custom_id"] is null || data["title"] is null || data["components"] is not JsonArray))
                {
                    return (400, FormError("data", "MODAL_REQUIRED", "A modal needs custom_id, title and components."));
                }
                if (!acknowledged.Add(values["interaction_id"]))
                {
                    return (400, Error(40060, "Interaction has already been acknowledged."));
                }
                if (type is 4 or 5)
                {
                    messages[values["token"]] = NewMessage(NextSnowflake(now), "0", data, now, values["token"]);
                }
                return (204, null);
            }
            case Routes.OriginalEdit:
            {
                if (MessageProblem(body as JsonObject, requireContent: false) is { } problem)
                {
                    return problem;
                }
                var original = messages.TryGetValue(values["token"], out var existing) ? existing : NewMessage(NextSnowflake(now), "0", null, now, values["token"]);
                Apply(original, (JsonObject)body!, now);
                messages[values["token"]] = original;
                return (200, original.DeepClone());
            }
            case Routes.OriginalDelete:
                return messages.Remove(values["token"]) ? (204, null) : (404, Error(10008, "Unknown Message"));
            case Routes.ChannelGet:
                return channels.TryGetValue(values["channel_id"], out var described) ? (200, described.DeepClone()) : (404, Error(10003, "Unknown Channel"));
            case Routes.FollowupCreate:
            case Routes.MessageCreate:
            {
                if (MessageProblem(body as JsonObject, requireContent: true) is { } problem)
                {
                    return problem;
                }
                var channel = values.GetValueOrDefault("channel_id", "0");
                var token = values.GetValueOrDefault("token");
                var message = NewMessage(NextSnowflake(now), channel, (JsonObject)body!, now, token);
                var id = message["id"]!.GetValue<string>();
                messages[id] = message;
                if (token is not null)
                {
                    followupTokens[id] = token;
                }
                return (200, message.DeepClone());
            }
            case Routes.FollowupEdit:
            {
                if (!messages.TryGetValue(values["message_id"], out var message) || followupTokens.GetValueOrDefault(values["message_id"]) != values["token"])
                {
                    return (404, Error(10008, "Unknown Message"));
                }
                if (MessageProblem(body as JsonObject, requireContent: false) is { } problem)
                {
                    return problem;
                }
                Apply(message, (JsonObject)body!, now);
                return (200, message.DeepClone());
            }
            case Routes.FollowupDelete:
                return followupTokens.GetValueOrDefault(values["message_id"]) == values["token"] && messages.Remove(values["message_id"])
                    ? (204, null)
                    : (404, Error(10008, "Unknown Message"));
            case Routes.ReactionAdd:
            case Routes.ReactionRemove:
            case Routes.RoleAdd:
            case Routes.RoleRemove:
                return (204, null);
            case Routes.CommandsGet:
                return (200, commandsByGuild.TryGetValue(values["guild_id"], out var current) ? current.DeepClone() : new JsonArray());
            case Routes.CommandsPut:
            {
                if (body is not JsonArray commands)
                {
                    return (400, FormError("_root", "BASE_TYPE_ARRAY", "Must be an array."));
                }
                if (commands.Count > 100)
                {
                    return (400, FormError("_root", "BASE_TYPE_MAX_LENGTH", "Must be 100 or fewer in length."));
                }
                var stored = new JsonArray();
                var previous = commandsByGuild.TryGetValue(values["guild_id"], out var old) ? old : [];
                for (var i = 0; i < commands.Count; i++)
                {
                    if (commands[i] is not JsonObject command || command["name"]?.GetValueKind() != JsonValueKind.String
                        || ((command["type"]?.GetValue<int>() ?? 1) == 1 && command["description"]?.GetValueKind() != JsonValueKind.String))
                    {
                        return (400, FormError(i.ToString(CultureInfo.InvariantCulture), "BASE_TYPE_REQUIRED", "A chat input command needs a name and a description."));
                    }
                    var saved = (JsonObject)command.DeepClone();
                    var name = command["name"]!.GetValue<string>();
                    // An overwrite keeps the id of a command whose name stays; a new name is a new command.
                    var kept = previous.OfType<JsonObject>().FirstOrDefault(p => p["name"]?.GetValue<string>() == name);
                    saved["id"] = kept?["id"]?.GetValue<string>() ?? NextSnowflake(now);
                    saved["application_id"] = values["application_id"];
                    saved["guild_id"] = values["guild_id"];
                    saved["version"] = NextSnowflake(now);
                    saved["type"] = command["type"]?.GetValue<int>() ?? 1;
                    saved["default_member_permissions"] ??= null;
                    saved["nsfw"] ??= false;
                    stored.Add(saved);
                }
                commandsByGuild[values["guild_id"]] = stored;
                return (200, stored.DeepClone());
            }
            default:
                return (404, Error(0, "404: Not Found"));
        }
    }

    /// <summary>Discord refuses an empty message (50006) and content over 2000 characters (50035).</summary>
    private static (int, JsonNode?)? MessageProblem(JsonObject? message, bool requireContent)
    {
        if (message is null)
        {
            return requireContent ? (400, Error(50006, "Cannot send an empty message")) : (400, FormError("_root", "BASE_TYPE_REQUIRED", "This field is required"));
        }
        var content = message["content"]?.GetValueKind() == JsonValueKind.String ? message["content"]!.GetValue<string>() : "";
        if (content.Length > 2000)
        {
            return (400, FormError("content", "BASE_TYPE_MAX_LENGTH", "Must be 2000 or fewer in length."));
        }
        var hasSomething = content.Length > 0
            || message["embeds"] is JsonArray { Count: > 0 }
            || message["components"] is JsonArray { Count: > 0 }
            || message["attachments"] is JsonArray { Count: > 0 }
            || message["sticker_ids"] is JsonArray { Count: > 0 }
            || message["poll"] is JsonObject;
        if (requireContent && !hasSomething)
        {
            return (400, Error(50006, "Cannot send an empty message"));
        }
        return null;
    }

    private static JsonObject NewMessage(string id, string channelId, JsonObject? fields, DateTimeOffset now, string? token)
    {
        var message = new JsonObject
        {
            ["id"] = id,
            ["channel_id"] = channelId,
            ["type"] = token is null ? 0 : 20,
            ["content"] = "",
            ["author"] = new JsonObject { ["id"] = ApplicationId, ["username"] = "fake-bot", ["discriminator"] = "0000", ["bot"] = true },
            ["embeds"] = new JsonArray(),
            ["components"] = new JsonArray(),
            ["attachments"] = new JsonArray(),
            ["mentions"] = new JsonArray(),
            ["mention_roles"] = new JsonArray(),
            ["mention_everyone"] = false,
            ["pinned"] = false,
            ["tts"] = false,
            ["flags"] = 0,
            ["timestamp"] = now.ToString("O", CultureInfo.InvariantCulture),
            ["edited_timestamp"] = null,
        };
        if (token is not null)
        {
            message["webhook_id"] = ApplicationId;
            message["application_id"] = ApplicationId;
        }
        if (fields is not null)
        {
            Apply(message, fields, null);
        }
        return message;
    }

    private static void Apply(JsonObject message, JsonObject fields, DateTimeOffset? editedAt)
    {
        foreach (var name in new[] { "content", "embeds", "components", "flags", "tts", "allowed_mentions" })
        {
            if (fields[name] is { } value)
            {
                message[name] = value.DeepClone();
            }
        }
        if (editedAt is { } time)
        {
            message["edited_timestamp"] = time.ToString("O", CultureInfo.InvariantCulture);
        }
    }

    private static JsonObject Error(int code, string message) => new() { ["message"] = message, ["code"] = code };

    private static JsonObject FormError(string field, string code, string message) => new()
    {
        ["message"] = "Invalid Form Body",
        ["code"] = 50035,
        ["errors"] = new JsonObject { [field] = new JsonObject { ["_errors"] = new JsonArray(new JsonObject { ["code"] = code, ["message"] = message }) } },
    };

    private static JsonObject RateLimitBody(double retryAfter, bool global) => new()
    {
        ["message"] = "You are being rate limited.",
        ["retry_after"] = Math.Round(retryAfter, 3),
        ["global"] = global,
    };

    public static string NextSnowflake(DateTimeOffset now) =>
        (((now.ToUnixTimeMilliseconds() - 1_420_070_400_000) << 22) | (Interlocked.Increment(ref snowflakeCounter) & 0x3FFFFF)).ToString(CultureInfo.InvariantCulture);

    private static TaskCompletionSource NewSignal() => new(TaskCreationOptions.RunContinuationsAsynchronously);

    private sealed record RouteLimit(int Limit, double ResetAfter, string Bucket);

    private sealed class Window
    {
        public int Used { get; set; }
        public DateTimeOffset ResetAt { get; init; }
    }

    private sealed record ArmedFault(string? Route, FakeFault Fault)
    {
        public int Remaining { get; set; }
    }
}

/// <summary>One request as the fake received it and answered it. <see cref="RawPath"/> is as sent (still percent-encoded).</summary>
public sealed record FakeDiscordCall(
    DateTimeOffset Time,
    string Method,
    string Route,
    string RawPath,
    IReadOnlyDictionary<string, string> Values,
    string? Authorization,
    string? AuditLogReason,
    string? UserAgent,
    string? ContentType,
    JsonNode? Body,
    int Status,
    JsonNode? Response)
{
    public override string ToString() => $"{Time:HH:mm:ss.fff} {Method} {RawPath} -> {Status}";
}

/// <summary>An injected answer, in Discord's error format.</summary>
public sealed record FakeFault(int Status, JsonObject? Body, IReadOnlyDictionary<string, string> Headers)
{
    public static FakeFault RateLimited(double retryAfter, bool global = false)
    {
        var headers = new Dictionary<string, string>
        {
            ["Retry-After"] = Math.Ceiling(retryAfter).ToString(CultureInfo.InvariantCulture),
            ["X-RateLimit-Scope"] = global ? "global" : "user",
        };
        if (global)
        {
            headers["X-RateLimit-Global"] = "true";
        }
        return new FakeFault(429, new JsonObject { ["message"] = "You are being rate limited.", ["retry_after"] = retryAfter, ["global"] = global }, headers);
    }

    public static FakeFault ServerError(int status = 500) =>
        new(status, new JsonObject { ["message"] = $"{status}: Internal Server Error", ["code"] = 0 }, new Dictionary<string, string>());

    public static FakeFault Error(int status, int code, string message) =>
        new(status, new JsonObject { ["message"] = message, ["code"] = code }, new Dictionary<string, string>());

    /// <summary>404 code 10062: the interaction's 3 seconds are over, or it was never Discord's.</summary>
    public static FakeFault UnknownInteraction() => Error(404, 10062, "Unknown interaction");

    /// <summary>404 code 10015: the interaction token's webhook is gone.</summary>
    public static FakeFault UnknownWebhook() => Error(404, 10015, "Unknown Webhook");

    /// <summary>403 code 50001: the bot cannot see the channel or guild.</summary>
    public static FakeFault MissingAccess() => Error(403, 50001, "Missing Access");
}
