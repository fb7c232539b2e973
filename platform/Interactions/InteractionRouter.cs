using System.Text.Json.Nodes;
using Serverless.Platform.Installs;
using Serverless.Platform.Invocations;
using Serverless.Platform.Packages;

namespace Serverless.Platform.Interactions;

/// <summary>An interaction matched to the plugin installed in its guild that handles it.</summary>
public sealed record RoutedInteraction(PluginInstall Install, PluginManifest Manifest, CustomIdNamespace CustomIds, string Kind, string Name, JsonObject Event)
{
    /// <summary>The manifest's declaration of the command, for declared (sandbox-free) answers.</summary>
    public SlashCommand? Command => Kind is PluginInvocation.SlashCommand
        ? Manifest.SlashCommands.FirstOrDefault(c => c.Name == Name)
        : null;
}

/// <summary>
/// Finds which installed plugin an interaction is for: commands by name (install-time checks keep names
/// unique per guild), components and modals by the custom_id prefix the platform added
/// (<see cref="CustomIdNamespace"/>; an id with no install's prefix routes nowhere). Builds the event the
/// plugin's handler receives (docs/protocol.md §5), with the plugin's own custom_ids.
/// </summary>
public sealed class InteractionRouter(InstallStore installs, PluginFiles files, CustomIds customIds)
{
    public async Task<RoutedInteraction?> RouteAsync(Interaction interaction, CancellationToken cancellationToken)
    {
        if (interaction.GuildId is not { } guildId)
        {
            return null;
        }
        foreach (var install in await installs.ListRecentAsync(guildId, cancellationToken))
        {
            var manifest = (await files.GetAsync(install.PluginId, install.Version, cancellationToken)).Manifest;
            var ids = await customIds.ForPluginAsync(install.PluginId, cancellationToken);
            switch (interaction.Type)
            {
                case InteractionsEndpoint.ApplicationCommand or InteractionsEndpoint.ApplicationCommandAutocomplete
                    when interaction.Name is { } name && manifest.SlashCommands.Any(c => c.Name == name):
                    var kind = interaction.Type == InteractionsEndpoint.ApplicationCommand ? PluginInvocation.SlashCommand : PluginInvocation.Autocomplete;
                    return new RoutedInteraction(install, manifest, ids, kind, name, CommandEvent(interaction, name));
                case InteractionsEndpoint.MessageComponent when interaction.CustomId is { } wrapped && ids.Unwrap(wrapped) is { } own:
                    return new RoutedInteraction(install, manifest, ids, PluginInvocation.Component, own, ComponentEvent(interaction, own));
                case InteractionsEndpoint.ModalSubmit when interaction.CustomId is { } wrapped && ids.Unwrap(wrapped) is { } own:
                    return new RoutedInteraction(install, manifest, ids, PluginInvocation.ModalSubmit, own, ModalEvent(interaction, own, ids));
            }
        }
        return null;
    }

    private static JsonObject Common(Interaction interaction) => new()
    {
        ["interaction_id"] = interaction.Id,
        ["user_id"] = interaction.UserId,
        ["channel_id"] = interaction.ChannelId,
        ["guild_id"] = interaction.GuildId,
    };

    private static JsonObject CommandEvent(Interaction interaction, string name)
    {
        var @event = Common(interaction);
        @event["command_name"] = name;
        // Raw nesting: the SDK folds subcommand groups and subcommands into the handler path.
        @event["options"] = CommandOption.ToJson(interaction.Options);
        if (interaction.Resolved is { } resolved)
        {
            @event["resolved"] = resolved.DeepClone();
        }
        return @event;
    }

    private static JsonObject ComponentEvent(Interaction interaction, string customId)
    {
        var @event = Common(interaction);
        @event["custom_id"] = customId;
        @event["component_type"] = interaction.ComponentType;
        @event["values"] = new JsonArray(interaction.Values.Select(v => (JsonNode)v).ToArray());
        @event["message_id"] = interaction.MessageId;
        return @event;
    }

    /// <summary>Input ids carry the plugin's prefix like every custom_id it sends; one without it was not sent by the platform and is left out.</summary>
    private static JsonObject ModalEvent(Interaction interaction, string customId, CustomIdNamespace ids)
    {
        var @event = Common(interaction);
        @event["custom_id"] = customId;
        var values = new JsonObject();
        foreach (var input in interaction.Inputs)
        {
            if (ids.Unwrap(input.CustomId) is { } id)
            {
                values[id] = input.Value is { } value ? value
                    : input.Values is { } selected ? new JsonArray(selected.Select(v => (JsonNode)v).ToArray())
                    : null;
            }
        }
        @event["modal_values"] = values;
        return @event;
    }
}
