using System.Text.Json;
using System.Text.Json.Nodes;
using System.Text.Json.Serialization;

namespace Serverless.Platform.Discord;

// Discord's wire shapes, kept apart from the records the rest of the app uses (DiscordModels.cs).
// Message bodies stay JsonObject: plugins build them, and Discord adds fields faster than we would.

/// <summary>The body of <c>POST /interactions/{id}/{token}/callback</c>.</summary>
internal sealed record InteractionCallbackWire
{
    [JsonPropertyName("type")]
    public int Type { get; init; }

    [JsonPropertyName("data")]
    public JsonObject? Data { get; init; }
}

/// <summary>The few message fields the platform reads back.</summary>
internal sealed record MessageWire
{
    [JsonPropertyName("id")]
    public string? Id { get; init; }

    [JsonPropertyName("channel_id")]
    public string? ChannelId { get; init; }
}

/// <summary>The channel fields the platform reads: <c>guild_id</c> is there for guild channels and threads, not for DMs.</summary>
internal sealed record ChannelWire
{
    [JsonPropertyName("id")]
    public string? Id { get; init; }

    [JsonPropertyName("type")]
    public int? Type { get; init; }

    [JsonPropertyName("guild_id")]
    public string? GuildId { get; init; }
}

/// <summary>
/// Discord's error body (<c>{"code":10062,"message":"Unknown interaction"}</c>, with <c>errors</c>
/// for form errors) and its rate-limit body (<c>{"message","retry_after","global","code"?}</c>).
/// </summary>
internal sealed record DiscordErrorWire
{
    [JsonPropertyName("code")]
    public int? Code { get; init; }

    [JsonPropertyName("message")]
    public string? Message { get; init; }

    [JsonPropertyName("errors")]
    public JsonElement? Errors { get; init; }

    [JsonPropertyName("retry_after")]
    public double? RetryAfter { get; init; }

    [JsonPropertyName("global")]
    public bool? Global { get; init; }
}

[JsonSourceGenerationOptions(DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull)]
[JsonSerializable(typeof(InteractionCallbackWire))]
[JsonSerializable(typeof(MessageWire))]
[JsonSerializable(typeof(ChannelWire))]
[JsonSerializable(typeof(DiscordErrorWire))]
[JsonSerializable(typeof(JsonObject))]
[JsonSerializable(typeof(JsonArray))]
[JsonSerializable(typeof(JsonNode))]
internal sealed partial class DiscordJsonContext : JsonSerializerContext;
