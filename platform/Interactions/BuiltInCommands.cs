using System.Text;
using System.Text.Json.Nodes;
using Serverless.Platform.Discord;
using Serverless.Platform.Installs;
using Serverless.Platform.Invocations;

namespace Serverless.Platform.Interactions;

/// <summary>
/// Commands the platform owns in every guild: <c>/plugins list</c>, <c>/plugins info</c> and <c>/help</c>
/// (every installed plugin's commands and its manifest's <c>help</c> message, docs/manifest.schema.json). Answered from the manifests, no sandbox.
/// <c>/plugins</c> also shows a newer version an install has not taken, and why (<see cref="PendingUpdate"/>).
/// </summary>
public sealed class BuiltInCommands(InstallStore installs, PluginFiles files, Installer installer)
{
    public static readonly IReadOnlySet<string> Names = new HashSet<string>(StringComparer.Ordinal) { "plugins", "help" };

    public static IReadOnlyList<JsonObject> Definitions { get; } =
    [
        (JsonObject)JsonNode.Parse("""
            {"name":"plugins","description":"Plugins installed in this server","type":1,"options":[
              {"type":1,"name":"list","description":"List the installed plugins"},
              {"type":1,"name":"info","description":"About one installed plugin","options":[
                {"type":3,"name":"plugin","description":"The plugin's id","required":true}]}]}
            """)!,
        (JsonObject)JsonNode.Parse("""{"name":"help","description":"Every plugin command in this server","type":1}""")!,
    ];

    /// <summary>The answer for a built-in command, or null when the interaction is not one.</summary>
    public async Task<JsonObject?> TryAnswerAsync(Interaction interaction, CancellationToken cancellationToken)
    {
        if (interaction.Type != InteractionsEndpoint.ApplicationCommand
            || interaction.Name is not { } name || !Names.Contains(name)
            || interaction.GuildId is not { } guildId)
        {
            return null;
        }
        var plugins = new List<Installed>();
        foreach (var install in (await installs.ListAsync(guildId, cancellationToken)).OrderBy(i => i.PluginId, StringComparer.Ordinal))
        {
            plugins.Add(new((await files.GetAsync(install.PluginId, install.Version, cancellationToken)).Manifest, install,
                name == "plugins" ? await installer.PendingUpdateAsync(install, cancellationToken) : null));
        }
        var text = new StringBuilder();
        var subcommand = interaction.Options.FirstOrDefault();
        if (name == "help")
        {
            Help(text, plugins);
        }
        else if (subcommand?.Name == "info")
        {
            var wanted = subcommand.Options?.FirstOrDefault()?.Value is { } value && value.TryGetValue<string>(out var id) ? id : null;
            Info(text, plugins.FirstOrDefault(p => p.Install.PluginId == wanted), wanted);
        }
        else
        {
            List(text, plugins);
        }
        var content = text.Length > 2000 ? text.ToString(0, 1990) + "\n…" : text.ToString();
        return new JsonObject
        {
            ["type"] = (int)InteractionCallbackType.ChannelMessageWithSource,
            ["data"] = new JsonObject { ["content"] = content, ["flags"] = MessageFlags.Ephemeral, ["allowed_mentions"] = new JsonObject { ["parse"] = new JsonArray() } },
        };
    }

    private sealed record Installed(Packages.PluginManifest Manifest, PluginInstall Install, PendingUpdate? Update);

    private static void List(StringBuilder text, List<Installed> plugins)
    {
        if (plugins.Count == 0)
        {
            text.Append("No plugins are installed in this server.");
            return;
        }
        text.AppendLine($"{plugins.Count} plugin(s) installed:");
        foreach (var (manifest, install, update) in plugins)
        {
            text.AppendLine($"• **{manifest.Name ?? manifest.Id}** (`{manifest.Id}` {install.Version})" + (manifest.Description is { } d ? $" — {d}" : "") + UpdateNote(update, manifest.Id));
        }
    }

    /// <summary>The list's short note on an update; <c>/plugins info</c> gives its whole reason.</summary>
    private static string UpdateNote(PendingUpdate? update, string pluginId) => update?.Status switch
    {
        null => "",
        PendingUpdate.AwaitingConsent => $" · update {update.Version} awaits an admin's consent to {string.Join(", ", update.NewCapabilities)}",
        PendingUpdate.Blocked => $" · update {update.Version} blocked (`/plugins info {pluginId}` says why)",
        _ => $" · update {update.Version} available",
    };

    private static void Info(StringBuilder text, Installed? plugin, string? wanted)
    {
        if (plugin is null)
        {
            text.Append($"No plugin `{wanted}` is installed here. `/plugins list` shows what is.");
            return;
        }
        var (manifest, install, update) = plugin;
        text.AppendLine($"**{manifest.Name ?? manifest.Id}** `{manifest.Id}` {install.Version}");
        if (manifest.Description is { } description)
        {
            text.AppendLine(description);
        }
        if (manifest.Authors.Count > 0)
        {
            text.AppendLine($"By {string.Join(", ", manifest.Authors)}");
        }
        if (manifest.Link is { } link)
        {
            text.AppendLine(link);
        }
        text.AppendLine($"Commands: {(manifest.SlashCommands.Count == 0 ? "none" : string.Join(", ", manifest.SlashCommands.Select(c => "/" + c.Name)))}");
        text.AppendLine($"Granted: {(install.Capabilities.Count == 0 ? "nothing" : string.Join(", ", install.Capabilities))}");
        if (update is not null)
        {
            text.AppendLine($"Update: {update.Reason}");
        }
    }

    private static void Help(StringBuilder text, List<Installed> plugins)
    {
        text.AppendLine("`/plugins list`, `/plugins info` — what is installed here");
        foreach (var (manifest, _, _) in plugins)
        {
            text.AppendLine($"**{manifest.Name ?? manifest.Id}**");
            foreach (var command in manifest.SlashCommands)
            {
                text.AppendLine($"  `/{command.Name}` — {command.Description}");
            }
            if (manifest.Help is { } help)
            {
                text.AppendLine($"  {help}");
            }
        }
    }
}
