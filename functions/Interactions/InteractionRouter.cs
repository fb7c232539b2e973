using System.Text.Json.Nodes;
using Serverless.Functions.Installs;
using Serverless.Functions.Invocations;
using Serverless.Functions.Packages;

namespace Serverless.Functions.Interactions;

/// <summary>An interaction matched to the plugin installed in its guild that handles it.</summary>
public sealed record RoutedInteraction(PluginInstall Install, PluginManifest Manifest, string Kind, string Name, JsonObject Event)
{
    /// <summary>The manifest's declaration of the command, for declared (sandbox-free) answers.</summary>
    public SlashCommand? Command => Kind is PluginInvocation.SlashCommand
        ? Manifest.SlashCommands.FirstOrDefault(c => c.Name == Name)
        : null;
}

/// <summary>
/// Finds which installed plugin an interaction is for: commands by name (install-time checks keep names
/// unique per guild), components and modals by the custom_id tag the platform added. Builds the event
/// the plugin's handler receives (docs/protocol.md §5), with the plugin's own custom_id.
/// </summary>
public sealed class InteractionRouter(InstallStore installs, PluginFiles files)
{
    public async Task<RoutedInteraction?> RouteAsync(JsonObject interaction, CancellationToken cancellationToken)
    {
        if (interaction["guild_id"]?.GetValue<string>() is not { } guildId)
        {
            return null;
        }
        var type = interaction["type"]?.GetValue<int>() ?? 0;
        var data = interaction["data"] as JsonObject ?? [];
        foreach (var install in await installs.ListRecentAsync(guildId, cancellationToken))
        {
            var manifest = (await files.GetAsync(install.PluginId, install.Version, cancellationToken)).Manifest;
            switch (type)
            {
                case InteractionsEndpoint.ApplicationCommand or InteractionsEndpoint.ApplicationCommandAutocomplete
                    when data["name"]?.GetValue<string>() is { } name && manifest.SlashCommands.Any(c => c.Name == name):
                    var kind = type == InteractionsEndpoint.ApplicationCommand ? PluginInvocation.SlashCommand : PluginInvocation.Autocomplete;
                    return new RoutedInteraction(install, manifest, kind, name, CommandEvent(interaction, data, name));
                case InteractionsEndpoint.MessageComponent or InteractionsEndpoint.ModalSubmit
                    when data["custom_id"]?.GetValue<string>() is { } wrapped && CustomIds.Unwrap(wrapped) is { } own && own.Tag == CustomIds.Tag(install.PluginId):
                    return type == InteractionsEndpoint.MessageComponent
                        ? new RoutedInteraction(install, manifest, PluginInvocation.Component, own.CustomId, ComponentEvent(interaction, data, own.CustomId))
                        : new RoutedInteraction(install, manifest, PluginInvocation.ModalSubmit, own.CustomId, ModalEvent(interaction, data, own.CustomId));
            }
        }
        return null;
    }

    private static JsonObject Common(JsonObject interaction) => new()
    {
        ["interaction_id"] = interaction["id"]?.DeepClone(),
        ["user_id"] = (interaction["member"]?["user"]?["id"] ?? interaction["user"]?["id"])?.DeepClone(),
        ["channel_id"] = (interaction["channel_id"] ?? interaction["channel"]?["id"])?.DeepClone(),
        ["guild_id"] = interaction["guild_id"]?.DeepClone(),
    };

    private static JsonObject CommandEvent(JsonObject interaction, JsonObject data, string name)
    {
        var @event = Common(interaction);
        @event["command_name"] = name;
        // Raw nesting: the SDK folds subcommand groups and subcommands into the handler path.
        @event["options"] = data["options"]?.DeepClone() ?? new JsonArray();
        if (data["resolved"] is JsonObject resolved)
        {
            @event["resolved"] = resolved.DeepClone();
        }
        return @event;
    }

    private static JsonObject ComponentEvent(JsonObject interaction, JsonObject data, string customId)
    {
        var @event = Common(interaction);
        @event["custom_id"] = customId;
        @event["component_type"] = data["component_type"]?.DeepClone();
        @event["values"] = data["values"]?.DeepClone() ?? new JsonArray();
        @event["message_id"] = interaction["message"]?["id"]?.DeepClone();
        return @event;
    }

    private static JsonObject ModalEvent(JsonObject interaction, JsonObject data, string customId)
    {
        var @event = Common(interaction);
        @event["custom_id"] = customId;
        var values = new JsonObject();
        foreach (var row in data["components"]?.AsArray() ?? [])
        {
            foreach (var input in row?["components"]?.AsArray() ?? [])
            {
                if (input?["custom_id"]?.GetValue<string>() is { } id)
                {
                    values[id] = input["value"]?.DeepClone();
                }
            }
        }
        @event["modal_values"] = values;
        return @event;
    }
}
