using System.CommandLine;
using System.Text.Json.Nodes;

namespace Serverless.Cli;

/// <summary>
/// <c>installs --guild G</c>: the guild's installs, each with its version, requirement and grant, and the newer
/// version its requirement allows but it has not taken (awaiting consent, blocked) with what to do.
/// </summary>
public static class InstallsCommand
{
    public static Command Create(CliConsole console)
    {
        var guild = InstallCommand.GuildOption();
        var url = InstallCommand.UrlOption();
        var command = new Command("installs", "List a guild's installs and the updates they are waiting for")
        {
            guild,
            url,
        };
        command.WithDetails("""
            GET /api/admin/guilds/GUILD/plugins. A published version reaches every install whose requirement
            allows it, unless it asks for capabilities not granted (awaiting consent: local/plugin install grants
            them) or one of its commands is another plugin's in the guild (blocked); both are shown here.
            Exit 0 listed, 3 the app is not running (local/up).
            """);
        command.SetAction((parse, cancellationToken) => RunAsync(console, parse.GetRequiredValue(guild), parse.GetValue(url), parse.Json(), cancellationToken));
        return command;
    }

    private static async Task<int> RunAsync(CliConsole console, string guildId, string? url, bool json, CancellationToken cancellationToken)
    {
        using var api = AdminApi.Create(console, url);
        var installs = (await api.GetAsync($"api/admin/guilds/{AdminApi.Escape(guildId)}/plugins", cancellationToken)).AsArray();
        if (json)
        {
            Output.WriteJson(console.Out, installs);
            return ExitCodes.Ok;
        }
        var colored = console.OutColored;
        if (installs.Count == 0)
        {
            console.Out.WriteLine($"nothing is installed in guild {guildId} (local/plugin install PLUGIN --guild {guildId})");
            return ExitCodes.Ok;
        }
        console.Out.WriteLine($"guild {guildId}: {installs.Count} install(s)");
        foreach (var install in installs.OfType<JsonObject>())
        {
            var granted = InstallCommand.Strings(install["capabilities"]?["granted"]);
            console.Out.WriteLine($"  {Output.Bold($"{install["plugin_id"]} {install["version"]}", colored)}  requirement {install["requirement"]}  granted {(granted.Count == 0 ? "nothing" : string.Join(", ", granted))}");
            if (install["update"] is JsonObject update)
            {
                var status = update["status"]?.GetValue<string>() ?? "";
                var painted = status == "available" ? Output.Green("update available", colored) : Output.Yellow($"update {status.Replace('_', ' ')}", colored);
                console.Out.WriteLine($"    {painted} {update["version"]}: {update["reason"]}");
            }
        }
        return ExitCodes.Ok;
    }
}
