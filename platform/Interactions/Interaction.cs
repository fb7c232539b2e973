using System.Text.Json;
using System.Text.Json.Nodes;
using Serverless.Platform.Discord;

namespace Serverless.Platform.Interactions;

/// <summary>
/// The fields of a signed interaction that the platform reads or hands to the plugin's handler, read and
/// checked once by <see cref="Read(byte[])"/> where the body arrives. A body of the wrong shape (a number
/// where Discord sends a string, <c>data</c> an array, …) is refused there with the field and what was
/// expected, so nothing after it can fail on shape.
/// </summary>
/// <param name="MessageId">The message a clicked component is on.</param>
/// <param name="Name">The command's name (application commands and autocomplete).</param>
/// <param name="CustomId">The component's or modal's custom_id as Discord sent it, platform prefix included.</param>
/// <param name="Inputs">A submitted modal's inputs at any depth (action rows, labels), custom_ids as sent.</param>
/// <param name="Json">The checked body, for the queue.</param>
public sealed record Interaction(
    int Type,
    string Id,
    string ApplicationId,
    string Token,
    string? GuildId,
    string? ChannelId,
    string? UserId,
    string? MessageId,
    string? Name,
    IReadOnlyList<CommandOption> Options,
    JsonObject? Resolved,
    string? CustomId,
    int? ComponentType,
    IReadOnlyList<string> Values,
    IReadOnlyList<ModalInput> Inputs,
    JsonObject Json)
{
    private const int Ping = InteractionsEndpoint.Ping;

    private static readonly JsonDocumentOptions Strict = new() { AllowDuplicateProperties = false };

    public InteractionRef Ref => new(Id, ApplicationId, Token);

    /// <summary>The body as it arrived; <see cref="InteractionFormatException"/> says what is wrong with it.</summary>
    public static Interaction Read(byte[] body)
    {
        JsonNode? json;
        try
        {
            json = JsonNode.Parse(body, documentOptions: Strict);
        }
        catch (JsonException ex)
        {
            throw new InteractionFormatException($"the interaction is not valid JSON: {ex.Message}");
        }
        return Read(json as JsonObject ?? throw new InteractionFormatException($"the interaction must be a JSON object, got {Describe(json)}"));
    }

    public static Interaction Read(JsonObject json)
    {
        var type = Integer(json, "type", "type") ?? throw Missing("type", "an integer");
        if (type is < Ping or > InteractionsEndpoint.ModalSubmit)
        {
            throw new InteractionFormatException($"\"type\" {type} is not an interaction type the platform serves (1 to 5)");
        }
        var id = Snowflake(json, "id", "id") ?? throw Missing("id", "a snowflake");
        var applicationId = Snowflake(json, "application_id", "application_id") ?? throw Missing("application_id", "a snowflake");
        var token = Text(json, "token", "token") is { Length: > 0 } t ? t : throw Missing("token", "a non-empty string");
        var guildId = Snowflake(json, "guild_id", "guild_id");
        // Every field is checked, also where another wins: channel_id over channel.id, member.user over user.
        var channelId = Snowflake(json, "channel_id", "channel_id");
        var channelObjectId = Child(json, "channel", "channel") is { } channel ? Snowflake(channel, "id", "channel.id") : null;
        var memberUserId = Child(json, "member", "member") is { } member && Child(member, "user", "member.user") is { } memberUser ? Snowflake(memberUser, "id", "member.user.id") : null;
        var userId = Child(json, "user", "user") is { } user ? Snowflake(user, "id", "user.id") : null;
        var messageId = Child(json, "message", "message") is { } message ? Snowflake(message, "id", "message.id") : null;
        var interaction = new Interaction(type, id, applicationId, token, guildId, channelId ?? channelObjectId, memberUserId ?? userId, messageId, null, [], null, null, null, [], [], json);
        if (type == Ping)
        {
            return interaction;
        }

        var data = Child(json, "data", "data") ?? throw Missing("data", "an object");
        return type switch
        {
            InteractionsEndpoint.ApplicationCommand or InteractionsEndpoint.ApplicationCommandAutocomplete => interaction with
            {
                Name = Text(data, "name", "data.name") is { Length: > 0 } name ? name : throw Missing("data.name", "a non-empty string"),
                Options = ReadOptions(data, "data.options") ?? [],
                Resolved = Child(data, "resolved", "data.resolved"),
            },
            InteractionsEndpoint.MessageComponent => interaction with
            {
                CustomId = Text(data, "custom_id", "data.custom_id") ?? throw Missing("data.custom_id", "a string"),
                ComponentType = Integer(data, "component_type", "data.component_type") ?? throw Missing("data.component_type", "an integer"),
                Values = Strings(data, "values", "data.values") ?? [],
            },
            _ => interaction with
            {
                CustomId = Text(data, "custom_id", "data.custom_id") ?? throw Missing("data.custom_id", "a string"),
                Inputs = ReadInputs(data, "data", []),
            },
        };
    }

    private static List<CommandOption>? ReadOptions(JsonObject owner, string path)
    {
        if (Items(owner, "options", path) is not { } array)
        {
            return null;
        }
        var options = new List<CommandOption>(array.Count);
        for (var i = 0; i < array.Count; i++)
        {
            var at = $"{path}[{i}]";
            var option = array[i] as JsonObject ?? throw Wrong(at, "an object", array[i]);
            JsonValue? value = null;
            if (option["value"] is { } v)
            {
                value = v is JsonValue scalar && scalar.GetValueKind() is JsonValueKind.String or JsonValueKind.Number or JsonValueKind.True or JsonValueKind.False
                    ? scalar
                    : throw Wrong(at + ".value", "a string, number or boolean", v);
            }
            options.Add(new CommandOption(
                Text(option, "name", at + ".name") ?? throw Missing(at + ".name", "a string"),
                Integer(option, "type", at + ".type") ?? throw Missing(at + ".type", "an integer"),
                value,
                Flag(option, "focused", at + ".focused"),
                ReadOptions(option, at + ".options")));
        }
        return options;
    }

    /// <summary>Modal inputs sit in action rows (<c>components</c>) or labels (<c>component</c>).</summary>
    private static List<ModalInput> ReadInputs(JsonObject parent, string path, List<ModalInput> inputs)
    {
        if (Items(parent, "components", path + ".components") is { } children)
        {
            for (var i = 0; i < children.Count; i++)
            {
                var at = $"{path}.components[{i}]";
                ReadInput(children[i] as JsonObject ?? throw Wrong(at, "an object", children[i]), at, inputs);
            }
        }
        if (Child(parent, "component", path + ".component") is { } only)
        {
            ReadInput(only, path + ".component", inputs);
        }
        return inputs;
    }

    private static void ReadInput(JsonObject node, string path, List<ModalInput> inputs)
    {
        if (Text(node, "custom_id", path + ".custom_id") is { } customId)
        {
            inputs.Add(new ModalInput(customId, Text(node, "value", path + ".value"), Strings(node, "values", path + ".values")));
        }
        ReadInputs(node, path, inputs);
    }

    private static string? Text(JsonObject owner, string name, string path) => owner[name] switch
    {
        null => null,
        JsonValue value when value.GetValueKind() == JsonValueKind.String => value.GetValue<string>(),
        var other => throw Wrong(path, "a string", other),
    };

    private static string? Snowflake(JsonObject owner, string name, string path) => Text(owner, name, path) switch
    {
        null => null,
        { Length: > 0 and <= 20 } text when text.All(char.IsAsciiDigit) => text,
        var text => throw new InteractionFormatException($"\"{path}\" must be a snowflake (a string of up to 20 digits), got \"{Shorten(text)}\""),
    };

    private static int? Integer(JsonObject owner, string name, string path) => owner[name] switch
    {
        null => null,
        JsonValue value when value.GetValueKind() == JsonValueKind.Number && value.TryGetValue<int>(out var number) => number,
        var other => throw Wrong(path, "an integer", other),
    };

    private static bool? Flag(JsonObject owner, string name, string path) => owner[name] switch
    {
        null => null,
        JsonValue value when value.GetValueKind() is JsonValueKind.True or JsonValueKind.False => value.GetValue<bool>(),
        var other => throw Wrong(path, "a boolean", other),
    };

    private static JsonObject? Child(JsonObject owner, string name, string path) => owner[name] switch
    {
        null => null,
        JsonObject value => value,
        var other => throw Wrong(path, "an object", other),
    };

    private static JsonArray? Items(JsonObject owner, string name, string path) => owner[name] switch
    {
        null => null,
        JsonArray value => value,
        var other => throw Wrong(path, "an array", other),
    };

    private static List<string>? Strings(JsonObject owner, string name, string path)
    {
        if (Items(owner, name, path) is not { } array)
        {
            return null;
        }
        return array.Select((item, i) => item is JsonValue value && value.GetValueKind() == JsonValueKind.String
            ? value.GetValue<string>()
            : throw Wrong($"{path}[{i}]", "a string", item)).ToList();
    }

    private static InteractionFormatException Missing(string path, string expected) => new($"\"{path}\" is required: {expected}");

    private static InteractionFormatException Wrong(string path, string expected, JsonNode? actual) =>
        new($"\"{path}\" must be {expected}, got {Describe(actual)}");

    private static string Describe(JsonNode? node) => node?.GetValueKind() switch
    {
        null or JsonValueKind.Null => "null",
        JsonValueKind.Object => "an object",
        JsonValueKind.Array => "an array",
        JsonValueKind.String => "a string",
        JsonValueKind.Number => $"the number {Shorten(node.ToJsonString())}",
        _ => node.ToJsonString(),
    };

    private static string Shorten(string text) => text.Length > 40 ? text[..40] + "…" : text;
}

/// <summary>A command option as Discord nests it: subcommand groups and subcommands hold their own options.</summary>
public sealed record CommandOption(string Name, int Type, JsonValue? Value, bool? Focused, IReadOnlyList<CommandOption>? Options)
{
    /// <summary>Discord's shape, for the plugin's event.</summary>
    public static JsonArray ToJson(IReadOnlyList<CommandOption> options) => new(options.Select(o =>
    {
        var json = new JsonObject { ["name"] = o.Name, ["type"] = o.Type };
        if (o.Value is not null)
        {
            json["value"] = o.Value.DeepClone();
        }
        if (o.Focused is { } focused)
        {
            json["focused"] = focused;
        }
        if (o.Options is { } children)
        {
            json["options"] = ToJson(children);
        }
        return (JsonNode)json;
    }).ToArray());
}

/// <summary>One input of a submitted modal: a text input's <c>value</c>, or a select's <c>values</c>.</summary>
public sealed record ModalInput(string CustomId, string? Value, IReadOnlyList<string>? Values);

/// <summary>A signed interaction the platform cannot read; the message names the field and what was expected.</summary>
public sealed class InteractionFormatException(string message) : Exception(message);
