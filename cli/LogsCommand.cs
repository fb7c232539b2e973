using System.CommandLine;
using System.Text.Json.Nodes;

namespace Serverless.Cli;

/// <summary><c>logs PLUGIN [--guild G] [--follow]</c>: the plugin's log (ctx.log, stderr, platform verdicts), newest last.</summary>
public static class LogsCommand
{
    /// <summary>How many of the newest lines each poll of --follow reads.</summary>
    private const int FollowWindow = 200;

    public static Command Create(CliConsole console)
    {
        var plugin = new Argument<string>("PLUGIN") { Description = "The plugin id" };
        var guild = new Option<string?>("--guild", "-g") { Description = "The guild whose runs to show (without it: the plugin's guild-less log, e.g. boot checks)", HelpName = "GUILD" };
        var follow = new Option<bool>("--follow", "-f") { Description = "Keep printing new lines as they come (Ctrl-C stops)" };
        var limit = new Option<int>("--limit", "-n") { Description = "How many of the newest lines to show first", DefaultValueFactory = _ => 50, HelpName = "N" };
        var interval = new Option<double>("--interval") { Description = "Seconds between polls with --follow", DefaultValueFactory = _ => 1, HelpName = "SECONDS" };
        var url = InstallCommand.UrlOption();
        var command = new Command("logs", "Print a plugin's log lines, and with --follow keep printing new ones")
        {
            plugin,
            guild,
            follow,
            limit,
            interval,
            url,
        };
        command.WithDetails("""
            GET /api/admin/plugins/PLUGIN/logs?guild=GUILD. Each line: time, level, message, invocation id.
            Control characters in a message show as escapes (\x1b, \u009b); a message's further lines are
            indented under its first.
            With --follow: the newest --limit lines, then only lines that come after them, each once.
            With --json: one JSON array; with --json --follow: one JSON object per line as they come.
            Exit 0 done (or stopped with Ctrl-C while following), 1 no plugin of that id is published,
            3 the app is not running (local/up).
            """);
        command.SetAction((parse, cancellationToken) => RunAsync(
            console, parse.GetRequiredValue(plugin), parse.GetValue(guild), parse.GetValue(follow), parse.GetValue(limit), parse.GetValue(interval), parse.GetValue(url), parse.Json(), cancellationToken));
        return command;
    }

    private static async Task<int> RunAsync(CliConsole console, string pluginId, string? guild, bool follow, int limit, double interval, string? url, bool json, CancellationToken cancellationToken)
    {
        if (limit is < 1 or > 1000)
        {
            throw CliException.Usage("--limit takes 1 to 1000");
        }
        if (interval is < 0.1 or > 60)
        {
            throw CliException.Usage("--interval takes 0.1 to 60 seconds");
        }
        using var api = AdminApi.Create(console, url);
        var path = $"api/admin/plugins/{AdminApi.Escape(pluginId)}/logs?limit={{0}}{(guild is null ? "" : "&guild=" + AdminApi.Escape(guild))}";
        // Following reads the newest FollowWindow lines at every poll: the first read marks them all as seen
        // (printing only the newest --limit of them), so a later poll prints only lines that came since.
        var window = follow ? Math.Max(limit, FollowWindow) : limit;
        var first = string.Format(System.Globalization.CultureInfo.InvariantCulture, path, window);
        var (status, body, text) = await api.TrySendAsync(HttpMethod.Get, first, null, cancellationToken);
        if (status == System.Net.HttpStatusCode.NotFound && body?["code"]?.GetValue<string>() == "plugin_not_found")
        {
            throw new CliException(ExitCodes.Failed, $"no plugin '{pluginId}' is published: check the id (the upload report names it), or publish it first with local/plugin upload");
        }
        if (status != System.Net.HttpStatusCode.OK || body is not JsonArray read)
        {
            throw api.Failure(HttpMethod.Get, first, status, body, text);
        }
        var all = read.OfType<JsonObject>().ToList();
        var entries = all.Skip(Math.Max(0, all.Count - limit)).ToList();
        if (!follow)
        {
            if (json)
            {
                Output.WriteJson(console.Out, new JsonArray(entries.Select(e => e.DeepClone()).ToArray()));
            }
            else
            {
                foreach (var entry in entries)
                {
                    Print(console, entry, json: false);
                }
                if (entries.Count == 0)
                {
                    console.Error.WriteLine($"no log lines for {pluginId}{(guild is null ? " outside guilds (add --guild GUILD for a guild's runs)" : $" in guild {guild}")}");
                }
            }
            return ExitCodes.Ok;
        }

        // Lines are identified by time, message and invocation: a later poll repeats the ones it overlaps.
        var seen = new HashSet<string>(all.Select(Key), StringComparer.Ordinal);
        foreach (var entry in entries)
        {
            Print(console, entry, json);
        }
        try
        {
            while (true)
            {
                await Task.Delay(TimeSpan.FromSeconds(interval), cancellationToken);
                foreach (var entry in await ReadAsync(api, string.Format(System.Globalization.CultureInfo.InvariantCulture, path, window), cancellationToken))
                {
                    if (seen.Add(Key(entry)))
                    {
                        Print(console, entry, json);
                    }
                }
            }
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
            return ExitCodes.Ok;
        }
    }

    private static async Task<List<JsonObject>> ReadAsync(AdminApi api, string path, CancellationToken cancellationToken) =>
        (await api.GetAsync(path, cancellationToken)).AsArray().OfType<JsonObject>().ToList();

    private static string Key(JsonObject entry) => $"{entry["time"]}\u0000{entry["message"]}\u0000{entry["invocation"]}";

    private static void Print(CliConsole console, JsonObject entry, bool json)
    {
        if (json)
        {
            console.Out.WriteLine(entry.ToJsonString());
            console.Out.Flush();
            return;
        }
        var colored = console.OutColored;
        var level = Output.Printable(entry["level"]?.GetValue<string>() ?? "info").PadRight(7);
        var painted = level.TrimEnd() switch
        {
            "error" => Output.Red(level, colored),
            "warning" => Output.Yellow(level, colored),
            "debug" => Output.Dim(level, colored),
            _ => level,
        };
        var time = DateTimeOffset.TryParse(entry["time"]?.GetValue<string>(), System.Globalization.CultureInfo.InvariantCulture, System.Globalization.DateTimeStyles.AssumeUniversal, out var parsed)
            ? parsed.ToLocalTime().ToString("HH:mm:ss.fff", System.Globalization.CultureInfo.InvariantCulture)
            : "?";
        // The plugin's text with its control characters escaped; its further lines indented under the first.
        var message = Output.Printable(entry["message"]?.ToString() ?? "", new string(' ', time.Length + level.Length + 4));
        var invocation = entry["invocation"]?.GetValue<string>() is { } id ? Output.Printable(id) : null;
        console.Out.WriteLine($"{Output.Dim(time, colored)}  {painted}  {message}{(invocation is null ? "" : Output.Dim("  " + invocation, colored))}");
        console.Out.Flush();
    }
}
