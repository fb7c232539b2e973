using System.Text.Json.Nodes;
using Serverless.Functions.Discord;
using Serverless.Functions.Sandbox;

namespace Serverless.Functions.Interactions;

/// <summary>
/// Turns a plugin's message or modal into Discord's JSON: custom_ids get the plugin's tag, mentions are
/// limited to users (a plugin cannot ping @everyone or roles), and <c>ephemeral</c> becomes the flag.
/// </summary>
public static class PluginMessages
{
    public static JsonObject Message(string pluginId, JsonObject parameters, bool allowEphemeral = true)
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
            message["components"] = WrapCustomIds(pluginId, (JsonArray)components.DeepClone());
        }
        if (allowEphemeral && parameters["ephemeral"] is JsonValue ephemeral && ephemeral.TryGetValue<bool>(out var isEphemeral) && isEphemeral)
        {
            message["flags"] = MessageFlags.Ephemeral;
        }
        message["allowed_mentions"] = new JsonObject { ["parse"] = new JsonArray("users") };
        return message;
    }

    public static JsonObject Modal(string pluginId, JsonObject parameters)
    {
        var customId = parameters["custom_id"]?.GetValue<string>() ?? throw Invalid("send_modal needs a custom_id");
        return new JsonObject
        {
            ["custom_id"] = Wrap(pluginId, customId),
            ["title"] = parameters["title"]?.GetValue<string>() ?? throw Invalid("send_modal needs a title"),
            // Text inputs keep their own ids: they come back as keys of modal_values.
            ["components"] = parameters["components"]?.DeepClone() ?? throw Invalid("send_modal needs fields"),
        };
    }

    private static JsonArray WrapCustomIds(string pluginId, JsonArray components)
    {
        foreach (var node in components)
        {
            if (node is not JsonObject component)
            {
                continue;
            }
            if (component["custom_id"] is JsonValue id && id.TryGetValue<string>(out var customId))
            {
                component["custom_id"] = Wrap(pluginId, customId);
            }
            if (component["components"] is JsonArray children)
            {
                WrapCustomIds(pluginId, children);
            }
        }
        return components;
    }

    private static string Wrap(string pluginId, string customId)
    {
        try
        {
            return CustomIds.Wrap(pluginId, customId);
        }
        catch (ArgumentException ex)
        {
            throw Invalid(ex.Message);
        }
    }

    private static JsonRpcException Invalid(string message) => new(JsonRpcException.InvalidParams, message);
}
