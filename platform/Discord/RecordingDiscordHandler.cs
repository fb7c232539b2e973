using System.Net;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace Serverless.Platform.Discord;

/// <summary>
/// The transport <see cref="DiscordRestClient"/> uses when no bot token is configured: nothing
/// leaves the process. Each request is recorded in <see cref="DiscordRecorder"/> and answered the
/// way Discord answers that route (204 for callbacks, a message with a fresh snowflake for messages,
/// the stored set for guild commands), so the local loop runs offline and shows what would be sent.
/// </summary>
public sealed class RecordingDiscordHandler(DiscordRecorder recorder, DiscordOptions options, TimeProvider clock) : HttpMessageHandler
{
    private const string LocalChannelId = "0";
    private const int RememberedCallbacks = 10_000;

    private readonly string basePath = options.BaseUrl.AbsolutePath.TrimEnd('/');
    private readonly Lock gate = new();
    private readonly HashSet<string> acknowledged = [];
    private readonly Queue<string> acknowledgedOrder = new();

    protected override async Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken)
    {
        var body = request.Content is null ? null : await ReadBodyAsync(request.Content, cancellationToken);
        var path = request.RequestUri?.AbsolutePath ?? "/";
        var relative = path.StartsWith(basePath, StringComparison.Ordinal) ? path[basePath.Length..] : path;
        var segments = relative.Split('/', StringSplitOptions.RemoveEmptyEntries).Select(Uri.UnescapeDataString).ToArray();
        var now = clock.GetUtcNow();

        var (route, status, answer, interactionId, token) = Answer(request.Method, segments, body, now);
        recorder.Add(new RecordedCall(now, request.Method.Method, route, relative, body?.DeepClone(), (int)status, answer?.DeepClone(), interactionId, token));

        var response = new HttpResponseMessage(status) { RequestMessage = request };
        if (answer is not null)
        {
            response.Content = new StringContent(answer.ToJsonString(), Encoding.UTF8, "application/json");
        }
        return response;
    }

    private (string Route, HttpStatusCode Status, JsonNode? Answer, string? InteractionId, string? Token) Answer(HttpMethod method, string[] s, JsonNode? body, DateTimeOffset now)
    {
        var m = method.Method;
        switch (s)
        {
            case ["interactions", var id, var token, "callback"] when m == "POST":
                var first = Acknowledge(id);
                return ("/interactions/{interaction_id}/{token}/callback", first ? HttpStatusCode.NoContent : HttpStatusCode.BadRequest,
                    first ? null : Error(40060, "Interaction has already been acknowledged."), id, token);
            case ["webhooks", var app, var token] when m == "POST":
                return ("/webhooks/{application_id}/{token}", HttpStatusCode.OK, Message(Snowflake.Next(now), LocalChannelId, app, body, now), null, token);
            case ["webhooks", var app, var token, "messages", var messageId] when m == "PATCH":
                var id2 = messageId == "@original" ? Snowflake.Next(now) : messageId;
                return (WebhookMessageRoute(messageId), HttpStatusCode.OK, Message(id2, LocalChannelId, app, body, now), null, token);
            case ["webhooks", _, var token, "messages", var messageId] when m == "DELETE":
                return (WebhookMessageRoute(messageId), HttpStatusCode.NoContent, null, null, token);
            case ["channels", var channelId] when m == "GET":
                var known = recorder.GuildOfChannel(channelId);
                return ("/channels/{channel_id}", known is null ? HttpStatusCode.NotFound : HttpStatusCode.OK,
                    known is null ? Error(DiscordErrorCodes.UnknownChannel, "Unknown Channel") : Channel(channelId, known), null, null);
            case ["channels", var channelId, "messages"] when m == "POST":
                return ("/channels/{channel_id}/messages", HttpStatusCode.OK, Message(Snowflake.Next(now), channelId, options.ApplicationId ?? DiscordOptions.LocalApplicationId, body, now), null, null);
            case ["channels", _, "messages", _, "reactions", _, "@me"] when m is "PUT" or "DELETE":
                return ("/channels/{channel_id}/messages/{message_id}/reactions/{emoji}/@me", HttpStatusCode.NoContent, null, null, null);
            case ["guilds", _, "members", _, "roles", _] when m is "PUT" or "DELETE":
                return ("/guilds/{guild_id}/members/{user_id}/roles/{role_id}", HttpStatusCode.NoContent, null, null, null);
            case ["applications", _, "guilds", var guildId, "commands"] when m == "GET":
                return ("/applications/{application_id}/guilds/{guild_id}/commands", HttpStatusCode.OK, recorder.GetCommands(guildId), null, null);
            case ["applications", var app, "guilds", var guildId, "commands"] when m == "PUT" && body is JsonArray commands:
                var stored = new JsonArray();
                foreach (var command in commands.OfType<JsonObject>())
                {
                    var saved = command.DeepClone().AsObject();
                    saved["id"] = Snowflake.Next(now);
                    saved["application_id"] = app;
                    saved["guild_id"] = guildId;
                    saved["version"] = Snowflake.Next(now);
                    saved["type"] ??= 1;
                    stored.Add(saved);
                }
                recorder.SetCommands(guildId, stored);
                return ("/applications/{application_id}/guilds/{guild_id}/commands", HttpStatusCode.OK, stored.DeepClone(), null, null);
            default:
                return ("(unknown)", HttpStatusCode.NotFound, Error(0, "404: Not Found"), null, null);
        }
    }

    private static string WebhookMessageRoute(string messageId) =>
        messageId == "@original" ? "/webhooks/{application_id}/{token}/messages/@original" : "/webhooks/{application_id}/{token}/messages/{message_id}";

    /// <summary>Like Discord, a second initial response to one interaction is refused (40060).</summary>
    private bool Acknowledge(string interactionId)
    {
        lock (gate)
        {
            if (!acknowledged.Add(interactionId))
            {
                return false;
            }
            acknowledgedOrder.Enqueue(interactionId);
            while (acknowledgedOrder.Count > RememberedCallbacks)
            {
                acknowledged.Remove(acknowledgedOrder.Dequeue());
            }
            return true;
        }
    }

    private static JsonObject Message(string id, string channelId, string applicationId, JsonNode? body, DateTimeOffset now)
    {
        var message = new JsonObject
        {
            ["id"] = id,
            ["channel_id"] = channelId,
            ["type"] = 0,
            ["content"] = "",
            ["author"] = new JsonObject { ["id"] = applicationId, ["username"] = "local-recorder", ["bot"] = true },
            ["embeds"] = new JsonArray(),
            ["components"] = new JsonArray(),
            ["attachments"] = new JsonArray(),
            ["mentions"] = new JsonArray(),
            ["mention_roles"] = new JsonArray(),
            ["mention_everyone"] = false,
            ["pinned"] = false,
            ["tts"] = false,
            ["flags"] = 0,
            ["timestamp"] = now.ToString("O"),
            ["edited_timestamp"] = null,
        };
        if (body is JsonObject fields)
        {
            foreach (var name in new[] { "content", "embeds", "components", "flags", "tts" })
            {
                if (fields[name] is { } value)
                {
                    message[name] = value.DeepClone();
                }
            }
        }
        return message;
    }

    /// <summary>A guild text channel in Discord's shape.</summary>
    private static JsonObject Channel(string id, string guildId) => new()
    {
        ["id"] = id,
        ["type"] = 0,
        ["guild_id"] = guildId,
        ["name"] = "channel-" + id,
        ["position"] = 0,
        ["permission_overwrites"] = new JsonArray(),
        ["parent_id"] = null,
        ["topic"] = null,
        ["nsfw"] = false,
        ["last_message_id"] = null,
        ["rate_limit_per_user"] = 0,
        ["flags"] = 0,
    };

    private static JsonObject Error(int code, string message) => new() { ["message"] = message, ["code"] = code };

    private static async Task<JsonNode?> ReadBodyAsync(HttpContent content, CancellationToken cancellationToken)
    {
        var text = await content.ReadAsStringAsync(cancellationToken);
        if (text.Length == 0)
        {
            return null;
        }
        try
        {
            return JsonNode.Parse(text);
        }
        catch (JsonException)
        {
            return JsonValue.Create(text);
        }
    }
}

/// <summary>Discord-shaped ids: milliseconds since 2015-01-01 shifted left 22 bits, plus a counter.</summary>
internal static class Snowflake
{
    private const long DiscordEpochMs = 1_420_070_400_000;
    private static long counter;

    public static string Next(DateTimeOffset now)
    {
        var sequence = Interlocked.Increment(ref counter) & 0x3FFFFF;
        return (((now.ToUnixTimeMilliseconds() - DiscordEpochMs) << 22) | sequence).ToString(System.Globalization.CultureInfo.InvariantCulture);
    }
}
