using System.CommandLine;
using System.Text.Json.Nodes;

namespace Serverless.Cli;

/// <summary><c>uninstall PLUGIN --guild G</c>: removes the install (and its stored data) and syncs the guild's commands.</summary>
public static class UninstallCommand
{
    public static Command Create(CliConsole console)
    {
        var plugin = new Argument<string>("PLUGIN") { Description = "The plugin id" };
        var guild = InstallCommand.GuildOption();
        var url = InstallCommand.UrlOption();
        var command = new Command("uninstall", "Remove a plugin from a guild (its commands and stored data go with it)")
        {
            plugin,
            guild,
            url,
        };
        command.WithDetails("""
            DELETE /api/admin/guilds/GUILD/plugins/PLUGIN, then the guild's commands are synced.
            Exit 0 removed, 1 it was not installed there, 3 the app is not running (local/up).
            """);
        command.SetAction((parse, cancellationToken) => RunAsync(console, parse.GetRequiredValue(plugin), parse.GetRequiredValue(guild), parse.GetValue(url), parse.Json(), cancellationToken));
        return command;
    }

    private static async Task<int> RunAsync(CliConsole console, string pluginId, string guildId, string? url, bool json, CancellationToken cancellationToken)
    {
        using var api = AdminApi.Create(console, url);
        var path = $"api/admin/guilds/{AdminApi.Escape(guildId)}/plugins/{AdminApi.Escape(pluginId)}";
        var (status, removed, text) = await api.TrySendAsync(HttpMethod.Delete, path, null, cancellationToken);
        if (status == System.Net.HttpStatusCode.NotFound && removed?["code"]?.GetValue<string>() == "not_installed")
        {
            throw new CliException(ExitCodes.Failed, $"{pluginId} is not installed in guild {guildId} (see the portal's installs page, or GET /api/admin/guilds/{guildId}/plugins)");
        }
        if ((int)status is < 200 or >= 300)
        {
            throw api.Failure(HttpMethod.Delete, path, status, removed, text);
        }
        if (json)
        {
            Output.WriteJson(console.Out, removed ?? new JsonObject());
            return ExitCodes.Ok;
        }
        console.Out.WriteLine($"{Output.Green("uninstalled", console.OutColored)} {pluginId} {removed?["version"]} from guild {guildId}");
        InstallCommand.PrintSync(console, removed?["commands_sync"]);
        return ExitCodes.Ok;
    }
}
