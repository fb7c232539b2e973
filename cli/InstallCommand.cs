using System.CommandLine;
using System.Net;
using System.Text.Json.Nodes;
using Serverless.Platform.Packages;

namespace Serverless.Cli;

/// <summary>
/// <c>install PLUGIN --guild G</c>: shows what the chosen version asks for (commands, capabilities),
/// asks for consent, then installs or upgrades through the admin API, which also syncs the guild's commands.
/// </summary>
public static class InstallCommand
{
    public static Command Create(CliConsole console)
    {
        var plugin = new Argument<string>("PLUGIN") { Description = "The plugin id (as published; see the portal's catalog or the upload report)" };
        var guild = GuildOption();
        var version = new Option<string?>("--version", "-v") { Description = "Version requirement, e.g. ^1.2 or =1.2.3 (default: the newest published)", HelpName = "REQUIREMENT" };
        var grant = new Option<string[]>("--grant") { Description = "Grant only these capabilities (repeatable; default: everything the version requests)", HelpName = "CAPABILITY", AllowMultipleArgumentsPerToken = true };
        var yes = new Option<bool>("--yes", "-y") { Description = "Consent without asking (needed when stdin is not a terminal)" };
        var url = UrlOption();
        var command = new Command("install", "Install or upgrade a plugin in a guild, after showing what it asks for")
        {
            plugin,
            guild,
            version,
            grant,
            yes,
            url,
        };
        command.WithDetails("""
            Picks the newest published version matching --version, prints its commands and the capabilities
            it requests, and asks before installing (y/N). The admin key comes from $ADMIN_API_KEY, then
            local.settings.json, then local/up's .local/dev-secrets.env.
            Then it prints what to try: a local/plugin invoke of its first command that works as printed
            (required options filled with examples of their type), or for a plugin without commands a
            local/plugin event line per event it listens to and when its schedules and crons run.
            Exit 0 installed, 1 refused (no such plugin or version, command collision), 2 no consent or
            bad arguments, 3 the app is not running (local/up).
            """);
        command.SetAction((parse, cancellationToken) => RunAsync(
            console,
            parse.GetRequiredValue(plugin),
            parse.GetRequiredValue(guild),
            parse.GetValue(version),
            parse.GetValue(grant),
            parse.GetValue(yes),
            parse.GetValue(url),
            parse.Json(),
            cancellationToken));
        return command;
    }

    public static Option<string> GuildOption() => new("--guild", "-g") { Description = "The guild (Discord server) id", Required = true, HelpName = "GUILD" };

    public static Option<string?> UrlOption() => new("--url") { Description = "The app's base URL (default: $APP_URL, else http://127.0.0.1:$APP_PORT, port 7071)", HelpName = "URL" };

    private static async Task<int> RunAsync(CliConsole console, string pluginId, string guildId, string? requirementText, string[]? grant, bool yes, string? url, bool json, CancellationToken cancellationToken)
    {
        if (!VersionRequirement.TryParse(string.IsNullOrWhiteSpace(requirementText) ? "*" : requirementText, out var requirement, out var requirementError))
        {
            throw CliException.Usage($"--version '{requirementText}' is not a version requirement: {requirementError}");
        }
        using var api = AdminApi.Create(console, url);
        var versions = (await api.GetAsync($"api/admin/plugins/{AdminApi.Escape(pluginId)}/versions", cancellationToken)).AsArray().OfType<JsonObject>().ToList();
        var matching = versions
            .Select(v => (Json: v, Version: PluginVersion.TryParse(v["version"]?.GetValue<string>(), out var parsed) ? parsed : null))
            .Where(v => v.Version is not null && requirement.IsSatisfiedBy(v.Version))
            .ToList();
        var chosen = matching.Count == 0 ? default : matching.MaxBy(v => v.Version);
        if (chosen.Json is null)
        {
            throw new CliException(ExitCodes.Failed, $"no published version of {pluginId} satisfies '{requirement.Text}' (published: {string.Join(", ", versions.Select(v => v["version"]))})");
        }
        var requested = Strings(chosen.Json["capabilities"]);
        var granted = grant is { Length: > 0 } ? grant.SelectMany(g => g.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries)).Distinct().ToList() : requested;
        var unasked = granted.Except(requested).ToList();
        if (unasked.Count > 0)
        {
            throw CliException.Usage($"{pluginId} {chosen.Version} does not request {string.Join(", ", unasked)}; it requests: {(requested.Count == 0 ? "nothing" : string.Join(", ", requested))}");
        }

        var colored = console.OutColored;
        var text = json ? console.Error : console.Out;
        text.WriteLine($"{Output.Bold($"{pluginId} {chosen.Version}", colored)}  by {chosen.Json["publisher"]}  → guild {guildId}");
        if (chosen.Json["description"]?.GetValue<string>() is { Length: > 0 } description)
        {
            text.WriteLine($"  {description}");
        }
        var commands = chosen.Json["commands"]?.AsArray().OfType<JsonObject>().ToList() ?? [];
        text.WriteLine(commands.Count == 0 ? "  commands: none" : "  commands:");
        foreach (var c in commands)
        {
            text.WriteLine($"    /{c["name"]}  {Output.Dim(c["description"]?.GetValue<string>() ?? "", colored)}");
        }
        text.WriteLine(requested.Count == 0 ? "  requests no capabilities" : "  requests capabilities:");
        foreach (var capability in requested)
        {
            var mark = granted.Contains(capability) ? Output.Green("grant", colored) : Output.Yellow("deny ", colored);
            text.WriteLine($"    {mark}  {capability}");
        }
        foreach (var warning in ConsentWarnings(chosen.Json))
        {
            text.WriteLine($"  {Output.Yellow("warning", colored)}  {warning}");
        }

        if (!yes)
        {
            if (!console.InIsTerminal)
            {
                throw CliException.Usage($"installing needs your consent to the capabilities above; rerun with --yes (stdin is not a terminal, so there is no one to ask)");
            }
            console.Error.Write($"Install {pluginId} {chosen.Version} in guild {guildId}{(granted.Count > 0 ? $" granting {string.Join(", ", granted)}" : "")}? [y/N] ");
            var answer = (await console.In.ReadLineAsync(cancellationToken))?.Trim().ToLowerInvariant();
            if (answer is not ("y" or "yes"))
            {
                throw CliException.Usage("not installed: no consent (answer y to install)");
            }
        }

        var body = new JsonObject
        {
            ["version"] = requirement.Text,
            ["capabilities"] = new JsonArray(granted.Select(c => (JsonNode)c).ToArray()),
        };
        var (status, result) = await api.SendAsync(HttpMethod.Put, $"api/admin/guilds/{AdminApi.Escape(guildId)}/plugins/{AdminApi.Escape(pluginId)}", body, cancellationToken);
        if (json)
        {
            Output.WriteJson(console.Out, result ?? new JsonObject());
            return ExitCodes.Ok;
        }
        var previous = result?["previous_version"]?.GetValue<string>();
        var verb = status == HttpStatusCode.Created ? "installed" : previous == result?["version"]?.GetValue<string>() ? "reinstalled" : $"upgraded from {previous} to";
        console.Out.WriteLine($"{Output.Green(verb, colored)} {pluginId} {result?["version"]} in guild {guildId}");
        PrintSync(console, result?["commands_sync"]);
        foreach (var line in TryIt(pluginId, guildId, chosen.Json))
        {
            console.Out.WriteLine(line);
        }
        return ExitCodes.Ok;
    }

    /// <summary>
    /// What to run next: an invocation of a command that works as printed (its required options filled), else
    /// for a plugin without commands how its events are sent and when its schedules and crons run.
    /// </summary>
    public static List<string> TryIt(string pluginId, string guildId, JsonObject version)
    {
        var origin = new InteractionOrigin(guildId, InvokeCommand.DefaultChannel, InvokeCommand.DefaultUser, "");
        var commands = version["commands"]?.AsArray().OfType<JsonObject>().ToList() ?? [];
        foreach (var command in commands)
        {
            if (InteractionPayload.ExampleWords(command, origin) is { } words)
            {
                return [$"try it: local/plugin invoke {string.Join(" ", words.Prepend("/" + command["name"]).Select(Quote))} --guild {guildId}"];
            }
        }
        if (commands.Count > 0)
        {
            return [$"try it in Discord: {string.Join(", ", commands.Select(c => "/" + c["name"]))} {(commands.Count == 1 ? "needs" : "each need")} an attachment, which local/plugin invoke cannot send"];
        }
        var registrations = version["registrations"] as JsonObject;
        var lines = new List<string>();
        var events = Strings(registrations?["events"]).Concat(Strings(version["events"])).Distinct().ToList();
        foreach (var name in events.Where(EventCommand.Fields.ContainsKey))
        {
            lines.Add($"try it: local/plugin event {name} --guild {guildId}");
        }
        var timed = new List<string>();
        foreach (var schedule in registrations?["schedules"]?.AsArray().OfType<JsonObject>() ?? [])
        {
            timed.Add($"schedule '{schedule["id"]}' runs every {schedule["seconds"]} s");
        }
        foreach (var cron in registrations?["crons"]?.AsArray().OfType<JsonObject>() ?? [])
        {
            timed.Add($"cron '{cron["id"]}' runs at '{cron["spec"]}' (UTC)");
        }
        if (timed.Count > 0)
        {
            lines.Add($"{pluginId} has no commands; its {string.Join(", ", timed)}: watch them with local/plugin logs {pluginId} --guild {guildId} --follow");
        }
        if (lines.Count == 0)
        {
            lines.Add(events.Count > 0
                ? $"{pluginId} has no commands; it listens to {string.Join(", ", events)}: see what it does with local/plugin logs {pluginId} --guild {guildId} --follow"
                : $"{pluginId} has no commands, events, schedules or crons: nothing in guild {guildId} will run it");
        }
        return lines;
    }

    /// <summary>A word as a POSIX shell reads it back: single-quoted unless it is plain.</summary>
    private static string Quote(string word) =>
        word.Length > 0 && word.All(c => char.IsAsciiLetterOrDigit(c) || "@#:/._-+,=".Contains(c)) ? word : "'" + word.Replace("'", "'\\''", StringComparison.Ordinal) + "'";

    /// <summary>
    /// The version's publish warnings an admin should read before consenting: what the plugin will not see
    /// (<c>content_without_capability</c>) and whether anything in it runs at all (<c>nothing_runs</c>).
    /// </summary>
    public static IEnumerable<string> ConsentWarnings(JsonObject version) =>
        (version["warnings"] as JsonArray ?? []).OfType<JsonObject>()
            .Where(w => w["code"]?.GetValue<string>() is IssueCodes.ContentWithoutCapability or IssueCodes.NothingRuns)
            .Select(w => w["message"]?.GetValue<string>() ?? "");

    public static void PrintSync(CliConsole console, JsonNode? sync)
    {
        if (sync is null)
        {
            return;
        }
        var status = sync["status"]?.GetValue<string>();
        var painted = status == "failed" ? Output.Red(status, console.OutColored) : status ?? "?";
        console.Out.WriteLine($"commands sync: {painted} ({sync["commands"]} commands){(sync["error"]?.GetValue<string>() is { } error ? ": " + error : "")}");
    }

    public static List<string> Strings(JsonNode? array) =>
        array is JsonArray items ? items.Select(i => i?.GetValue<string>()).OfType<string>().ToList() : [];
}
