using System.Text.Json.Nodes;

namespace Serverless.Platform.Discord;

/// <summary>
/// What the REST routes of one interaction need: the callback takes its id and token, the webhook
/// routes (original response, follow-ups) the application id and token.
/// </summary>
public sealed record InteractionRef(string Id, string ApplicationId, string Token);

/// <summary>Discord's interaction callback types (the initial response).</summary>
public enum InteractionCallbackType
{
    Pong = 1,
    ChannelMessageWithSource = 4,
    DeferredChannelMessageWithSource = 5,
    DeferredUpdateMessage = 6,
    UpdateMessage = 7,
    ApplicationCommandAutocompleteResult = 8,
    Modal = 9,
}

/// <summary>An initial response: a callback type and its <c>data</c> (a message, choices or a modal).</summary>
public sealed record InteractionCallback(InteractionCallbackType Type, JsonObject? Data = null)
{
    public static InteractionCallback Pong() => new(InteractionCallbackType.Pong);

    public static InteractionCallback Message(JsonObject message) => new(InteractionCallbackType.ChannelMessageWithSource, message);

    /// <summary>"Thinking…": the answer comes later as an edit of <c>@original</c>.</summary>
    public static InteractionCallback DeferredMessage(bool ephemeral = false) =>
        new(InteractionCallbackType.DeferredChannelMessageWithSource, ephemeral ? new JsonObject { ["flags"] = MessageFlags.Ephemeral } : null);

    /// <summary>For components: acknowledge now, edit the message that holds the component later.</summary>
    public static InteractionCallback DeferredUpdate() => new(InteractionCallbackType.DeferredUpdateMessage);

    public static InteractionCallback UpdateMessage(JsonObject message) => new(InteractionCallbackType.UpdateMessage, message);

    public static InteractionCallback AutocompleteResult(JsonArray choices) =>
        new(InteractionCallbackType.ApplicationCommandAutocompleteResult, new JsonObject { ["choices"] = choices });

    /// <summary><paramref name="modal"/> holds <c>custom_id</c>, <c>title</c> and <c>components</c>.</summary>
    public static InteractionCallback Modal(JsonObject modal) => new(InteractionCallbackType.Modal, modal);

    /// <summary>Types 4 and 7 carry a message, so they get the default <c>allowed_mentions</c>.</summary>
    internal bool CarriesMessage => Type is InteractionCallbackType.ChannelMessageWithSource or InteractionCallbackType.UpdateMessage;
}

public static class MessageFlags
{
    /// <summary>Only the invoking user sees the message.</summary>
    public const int Ephemeral = 1 << 6;
}

/// <summary>A channel or thread as <c>GET /channels/{id}</c> describes it; <see cref="GuildId"/> is null for a DM.</summary>
public sealed record DiscordChannel(string Id, int Type, string? GuildId);

/// <summary>A message Discord created or edited.</summary>
public sealed record DiscordMessage(string Id, string ChannelId);

/// <summary>
/// A guild application command as Discord holds it. <see cref="Definition"/> is Discord's whole
/// object (ids, version and all), so command sync can diff it against what the plugins declare.
/// </summary>
public sealed record GuildCommand(string Id, string Name, JsonObject Definition);
