using System.Text.Json.Nodes;
using Serverless.Platform.Discord;
using Serverless.Platform.Sandbox;

namespace Serverless.Platform.Interactions;

/// <summary>
/// Turns a plugin's message or modal into Discord's JSON: every custom_id gets the plugin's prefix,
/// mentions are limited to users (a plugin cannot ping @everyone or roles), and <c>ephemeral</c> becomes
/// the flag. Every message and modal a plugin makes reaches Discord through here.
/// </summary>
public static class PluginMessages
{
    public static JsonObject Message(CustomIdNamespace customIds, JsonObject parameters, bool allowEphemeral = true)
    {
        var message = new JsonObject();
        if (parameters["content"] is JsonValue content && content.TryGetValue<string>(out var text))
        {
            message["content"] = text;
        }
        if (parameters["embeds"] is JsonArray embeds)
        {
            message["embeds"] = embeds.DeepClone();
        }
        if (parameters["components"] is JsonArray components)
        {
            message["components"] = components.DeepClone();
        }
        NamespaceCustomIds(customIds, message, "");
        if (allowEphemeral && parameters["ephemeral"] is JsonValue ephemeral && ephemeral.TryGetValue<bool>(out var isEphemeral) && isEphemeral)
        {
            message["flags"] = MessageFlags.Ephemeral;
        }
        message["allowed_mentions"] = new JsonObject { ["parse"] = new JsonArray("users") };
        return message;
    }

    /// <summary>
    /// The modal's own custom_id routes its submission; its inputs' ids are prefixed like any other, so
    /// every custom_id a plugin sends follows one rule, and <see cref="InteractionRouter"/> removes the
    /// prefix again when it builds <c>modal_values</c>.
    /// </summary>
    public static JsonObject Modal(CustomIdNamespace customIds, JsonObject parameters)
    {
        var modal = new JsonObject
        {
            ["custom_id"] = Text(parameters, "custom_id") ?? throw Invalid("send_modal needs a custom_id (a string)"),
            ["title"] = Text(parameters, "title") ?? throw Invalid("send_modal needs a title (a string)"),
            ["components"] = parameters["components"] is JsonArray components ? components.DeepClone() : throw Invalid("send_modal needs fields (a list of components)"),
        };
        NamespaceCustomIds(customIds, modal, "");
        return modal;
    }

    /// <summary>
    /// Every <c>custom_id</c> at any depth, under any key: action rows, a Section's <c>accessory</c>, a
    /// Container's or Label's children, and whatever layout Discord adds next. One that is not a string
    /// cannot be prefixed and is refused.
    /// </summary>
    private static void NamespaceCustomIds(CustomIdNamespace customIds, JsonNode? node, string path)
    {
        switch (node)
        {
            case JsonArray array:
                for (var i = 0; i < array.Count; i++)
                {
                    NamespaceCustomIds(customIds, array[i], $"{path}[{i}]");
                }
                break;
            case JsonObject json:
                foreach (var (name, value) in json.ToList())
                {
                    var at = path.Length == 0 ? name : $"{path}.{name}";
                    if (name != "custom_id")
                    {
                        NamespaceCustomIds(customIds, value, at);
                    }
                    else if (value is JsonValue id && id.TryGetValue<string>(out var customId))
                    {
                        json[name] = Wrap(customIds, customId, at);
                    }
                    else if (value is not null)
                    {
                        throw Invalid($"{at} must be a string, got {value.GetValueKind().ToString().ToLowerInvariant()}");
                    }
                }
                break;
        }
    }

    private static string Wrap(CustomIdNamespace customIds, string customId, string path)
    {
        try
        {
            return customIds.Wrap(customId);
        }
        catch (ArgumentException ex)
        {
            throw Invalid($"{path}: {ex.Message}");
        }
    }

    private static string? Text(JsonObject parameters, string name) =>
        parameters[name] is JsonValue value && value.TryGetValue<string>(out var text) ? text : null;

    private static JsonRpcException Invalid(string message) => new(JsonRpcException.InvalidParams, message);
}
