using System.CommandLine;
using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Text;
using System.Text.Json.Nodes;
using Serverless.Platform.Interactions;

namespace Serverless.Cli;

/// <summary>
/// <c>invoke /greet user:@123 message:hi --guild G</c> (or a click with <c>--component</c>, a modal submit
/// with <c>--modal</c>, a built-in such as <c>/help</c>): a real, signed interaction posted to the local app,
/// then everything the plugin made Discord do for it (from the app's local recorder), with timings.
/// </summary>
public static class InvokeCommand
{
    /// <summary>Who invokes, and where, unless --user and --channel say otherwise.</summary>
    public const string DefaultUser = "100000000000000001";

    public const string DefaultChannel = "100000000000000002";

    private static readonly TimeSpan Poll = TimeSpan.FromMilliseconds(200);

    /// <summary>How long after the run ended to keep listening for its last calls.</summary>
    private static readonly TimeSpan Settle = TimeSpan.FromMilliseconds(600);

    public static Command Create(CliConsole console)
    {
        var words = new Argument<string[]>("/COMMAND [SUBCOMMAND] [NAME:VALUE...]") { Description = "The slash command and its options, e.g. /greet user:@123 message:hi, or a built-in: /help, /plugins list, /plugins info plugin:ID (omit with --component or --modal)", Arity = ArgumentArity.ZeroOrMore };
        var guild = InstallCommand.GuildOption();
        var component = new Option<string?>("--component") { Description = "Click a button (or pick in a select menu, with --value) by the plugin's own custom_id instead", HelpName = "CUSTOM_ID" };
        var values = new Option<string[]>("--value") { Description = "Selected value(s) of a select menu, with --component (repeatable)", HelpName = "VALUE" };
        var modal = new Option<string?>("--modal") { Description = "Submit a modal by the plugin's own custom_id instead (its text inputs with --field)", HelpName = "CUSTOM_ID" };
        var fields = new Option<string[]>("--field") { Description = "A text input of the --modal: its own custom_id and what the user typed (repeatable)", HelpName = "ID=VALUE" };
        var plugin = new Option<string?>("--plugin", "-p") { Description = "Which installed plugin a --component or --modal belongs to (default: the only one in the guild)", HelpName = "PLUGIN" };
        var user = new Option<string>("--user") { Description = "The invoking user's id", DefaultValueFactory = _ => DefaultUser, HelpName = "USER_ID" };
        var channel = new Option<string>("--channel") { Description = "The channel the interaction comes from", DefaultValueFactory = _ => DefaultChannel, HelpName = "CHANNEL_ID" };
        var key = new Option<string?>("--key") { Description = "PEM Ed25519 private key to sign with (default: local/up's .local/discord-dev-key.pem)", HelpName = "FILE" };
        var wait = new Option<int>("--wait", "-w") { Description = "Seconds to follow the plugin's calls at most", DefaultValueFactory = _ => 30, HelpName = "SECONDS" };
        var url = InstallCommand.UrlOption();
        var command = new Command("invoke", "Send a signed simulated interaction and print the answer and every follow-up, with timings")
        {
            words,
            guild,
            component,
            values,
            modal,
            fields,
            plugin,
            user,
            channel,
            key,
            wait,
            url,
        };
        command.WithDetails("""
            Builds the interaction Discord would send (option types from the installed plugin's declared
            command, so user:@123 is a type-6 option "123" with a resolved user), signs it with the dev key
            local/up made, posts it to /api/interactions and prints the initial response. Then it follows
            what the plugin made Discord do (edits, follow-ups) through the app's local Discord recorder
            until the run ends, and prints its status, duration and deadline margin.

              local/plugin invoke /greet user:@123 message:hi --guild 1
              local/plugin invoke /config set key:color value:blue --guild 1
              local/plugin invoke --component yes --guild 1
              local/plugin invoke --modal feedback --field text="great plugin" --guild 1
              local/plugin invoke /help --guild 1

            --component and --modal take the custom_id as the plugin wrote it (the platform adds its
            per-plugin tag, as it does for every custom_id the plugin sends); so do a modal's --field
            ids. A modal submit is Discord's type-5 interaction with one action row per text input.
            /help and /plugins (list, info plugin:ID) are the platform's own commands: their answer is
            printed whole, with no run to follow.

            Exit 0 answered, 1 the plugin failed, timed out or did not finish within --wait, 2 bad
            arguments (unknown command, option or modal custom_id, a --field without '=', no dev key),
            3 the app is not running (local/up).
            """);
        command.SetAction((parse, cancellationToken) => RunAsync(
            console,
            new Request(
                parse.GetValue(words) ?? [],
                parse.GetRequiredValue(guild),
                parse.GetValue(component),
                parse.GetValue(values) ?? [],
                parse.GetValue(modal),
                parse.GetValue(fields) ?? [],
                parse.GetValue(plugin),
                parse.GetRequiredValue(user),
                parse.GetRequiredValue(channel),
                parse.GetValue(key),
                parse.GetValue(wait),
                parse.GetValue(url),
                parse.Json()),
            cancellationToken));
        return command;
    }

    private sealed record Request(string[] Words, string Guild, string? Component, string[] Values, string? Modal, string[] Fields, string? Plugin, string User, string Channel, string? Key, int WaitSeconds, string? Url, bool Json);

    /// <summary>An installed plugin (with one of its commands), and what its code registered when that is known.</summary>
    private sealed record Target(string PluginId, string Version, JsonObject? Definition, string CustomIdPrefix, JsonObject? Registrations);

    private static async Task<int> RunAsync(CliConsole console, Request request, CancellationToken cancellationToken)
    {
        if (request.WaitSeconds < 0)
        {
            throw CliException.Usage("--wait takes a number of seconds, 0 or more");
        }
        if (request.Values.Length > 0 && request.Component is null)
        {
            throw CliException.Usage("--value is what a select menu's --component picked; pass --component CUSTOM_ID with it");
        }
        if (request.Fields.Length > 0 && request.Modal is null)
        {
            throw CliException.Usage("--field is a text input of a modal; pass --modal CUSTOM_ID with it");
        }
        var given = (request.Words.Length > 0 ? 1 : 0) + (request.Component is null ? 0 : 1) + (request.Modal is null ? 0 : 1);
        if (given == 0)
        {
            throw CliException.Usage("name a command (e.g. local/plugin invoke /greet --guild 1, or /help), or pass --component CUSTOM_ID or --modal CUSTOM_ID");
        }
        if (given > 1)
        {
            throw CliException.Usage("give one of a command, --component or --modal, not several");
        }
        var inputs = request.Modal is null ? [] : ModalFields(request.Fields);
        using var signingKey = DevSigningKey.Load(console, request.Key);
        using var api = AdminApi.Create(console, request.Url);
        var origin = new InteractionOrigin(request.Guild, request.Channel, request.User, ApplicationId(console));
        var (interaction, target, label) = request.Component is { } customId ? await ComponentAsync(api, request, origin, customId, cancellationToken)
            : request.Modal is { } modalId ? await ModalAsync(api, request, origin, modalId, inputs, cancellationToken)
            : BuiltInCommands.Names.Contains(request.Words[0].TrimStart('/')) ? BuiltIn(request, origin)
            : await CommandAsync(api, request, origin, cancellationToken);

        var id = interaction["id"]!.GetValue<string>();
        var token = interaction["token"]!.GetValue<string>();
        var human = !request.Json;
        var colored = console.OutColored;
        if (human)
        {
            var who = target is null ? "the platform's built-in command" : $"{target.PluginId} {target.Version}";
            console.Out.WriteLine($"{Output.Bold(label, colored)}  {Output.Dim($"{who}, guild {request.Guild}, interaction {id}", colored)}");
        }

        var body = Encoding.UTF8.GetBytes(interaction.ToJsonString());
        var timestamp = DateTimeOffset.UtcNow.ToUnixTimeSeconds().ToString(CultureInfo.InvariantCulture);
        using var post = api.NewRequest(HttpMethod.Post, "api/interactions", body, "application/json");
        post.Headers.Add("X-Signature-Ed25519", signingKey.Sign(timestamp, body));
        post.Headers.Add("X-Signature-Timestamp", timestamp);
        var clock = Stopwatch.StartNew();
        var (status, answer, text) = await api.SendRawAsync(post, cancellationToken);
        var ackMs = clock.Elapsed.TotalMilliseconds;
        switch (status)
        {
            case HttpStatusCode.Unauthorized:
                throw CliException.Usage($"the app refused the signature: its DISCORD_PUBLIC_KEY is not the public key of {signingKey.Path} ({signingKey.PublicKeyHex}). Unset DISCORD_PUBLIC_KEY so local/up uses its dev key, or pass --key with the matching private key");
            case HttpStatusCode.ServiceUnavailable:
                throw CliException.Unavailable($"the app cannot verify interactions: {answer?["error"] ?? text}");
            case not (HttpStatusCode.OK or HttpStatusCode.Accepted):
                throw new CliException(ExitCodes.Failed, $"POST /api/interactions answered {(int)status}: {answer?["error"] ?? text}");
        }

        var initial = new JsonObject
        {
            ["status"] = (int)status,
            ["ms"] = Math.Round(ackMs, 1),
            ["body"] = answer?.DeepClone(),
        };
        if (human)
        {
            console.Out.WriteLine(status == HttpStatusCode.Accepted
                ? $"{Ms(ackMs)}  202 Accepted: the plugin made the initial response itself (below)"
                : $"{Ms(ackMs)}  initial response  {Describe(answer)}");
        }
        if (target is null)
        {
            // The platform answered from its own state: no plugin ran, nothing follows.
            if (request.Json)
            {
                Output.WriteJson(console.Out, new JsonObject { ["status"] = "answered", ["plugin"] = null, ["interaction"] = interaction, ["initial"] = initial, ["calls"] = new JsonArray(), ["invocation"] = null });
            }
            else if (answer?["data"]?["content"]?.GetValue<string>() is { } content)
            {
                var indent = new string(' ', 12);
                console.Out.WriteLine(indent + Output.Printable(content.TrimEnd(), indent));
            }
            return ExitCodes.Ok;
        }

        var (calls, record, following) = await FollowAsync(console, api, request, target.PluginId, id, token, clock, human, cancellationToken);
        var final = record?["status"]?.GetValue<string>();
        var ok = final is InvocationHistory.Responded or InvocationHistory.Deferred;
        if (request.Json)
        {
            Output.WriteJson(console.Out, new JsonObject
            {
                ["status"] = final ?? (following ? "unfinished" : "sent"),
                ["plugin"] = new JsonObject { ["id"] = target.PluginId, ["version"] = target.Version },
                ["interaction"] = interaction,
                ["initial"] = initial,
                ["calls"] = calls,
                ["invocation"] = record?.DeepClone(),
            });
        }
        else if (record is not null)
        {
            var margin = record["margin_ms"]?.GetValue<double>();
            var parts = new List<string>();
            if (record["ack_ms"] is { } ack)
            {
                parts.Add($"initial response after {ack.GetValue<double>():0} ms");
            }
            if (margin is not null)
            {
                parts.Add($"deadline margin {margin:0} ms");
            }
            if (record["duration_ms"] is { } duration)
            {
                parts.Add($"run {duration.GetValue<double>():0} ms");
            }
            var painted = ok ? Output.Green(final!, colored) : Output.Red(final ?? "pending", colored);
            console.Out.WriteLine($"{Output.Bold(painted, colored)}  {string.Join(", ", parts)}{(record["error"]?.GetValue<string>() is { } error ? $"  ({Output.Printable(error)})" : "")}");
            if (!ok)
            {
                console.Out.WriteLine($"see why: local/plugin logs {target.PluginId} --guild {request.Guild}");
            }
        }
        else if (following)
        {
            console.Out.WriteLine($"the run had not finished after {request.WaitSeconds} s; follow it with: local/plugin logs {target.PluginId} --guild {request.Guild} --follow");
        }
        if (!following)
        {
            return ExitCodes.Ok;
        }
        return ok ? ExitCodes.Ok : ExitCodes.Failed;
    }

    /// <summary>
    /// Polls the recorder (by the interaction's token) and the invocation's row until the run has ended
    /// and a moment has passed without new calls, or --wait is up.
    /// </summary>
    private static async Task<(JsonArray Calls, JsonObject? Record, bool Following)> FollowAsync(
        CliConsole console, AdminApi api, Request request, string pluginId, string id, string token, Stopwatch clock, bool human, CancellationToken cancellationToken)
    {
        var calls = new JsonArray();
        var start = DateTimeOffset.UtcNow - clock.Elapsed;
        var deadline = TimeSpan.FromSeconds(request.WaitSeconds) + clock.Elapsed;
        TimeSpan? endedAt = null;
        JsonObject? record = null;
        var seen = 0;
        var lastCall = clock.Elapsed;
        while (true)
        {
            var (status, recorded, _) = await api.TrySendAsync(HttpMethod.Get, $"api/admin/discord/recorded?interaction={AdminApi.Escape(token)}", null, cancellationToken);
            if (status == HttpStatusCode.NotFound)
            {
                if (human)
                {
                    console.Out.WriteLine(Output.Dim("(DISCORD_BOT_TOKEN is set: Discord calls go to Discord, not to the local recorder, so they cannot be shown here)", console.OutColored));
                }
                return (calls, await RecordAsync(api, pluginId, id, cancellationToken), false);
            }
            if (status == HttpStatusCode.OK && recorded is JsonArray all)
            {
                foreach (var call in all.OfType<JsonObject>().Skip(seen))
                {
                    var at = DateTimeOffset.Parse(call["time"]!.GetValue<string>(), CultureInfo.InvariantCulture) - start;
                    var entry = new JsonObject
                    {
                        ["ms"] = Math.Round(at.TotalMilliseconds, 1),
                        ["method"] = call["method"]?.DeepClone(),
                        ["route"] = call["route"]?.DeepClone(),
                        ["status"] = call["status"]?.DeepClone(),
                        ["body"] = call["body"]?.DeepClone(),
                    };
                    calls.Add(entry);
                    lastCall = clock.Elapsed;
                    if (human)
                    {
                        console.Out.WriteLine($"{Ms(at.TotalMilliseconds)}  {RouteName(call)}  {Describe(call["body"])}{((call["status"]?.GetValue<int>() ?? 200) >= 400 ? Output.Red($"  → {call["status"]} {Output.Printable(call["response"]?["message"]?.ToString() ?? "")}", console.OutColored) : "")}");
                    }
                }
                seen = all.Count;
            }
            if (endedAt is null)
            {
                record = await RecordAsync(api, pluginId, id, cancellationToken);
                if (record?["status"]?.GetValue<string>() is { } final && final != InvocationHistory.Pending)
                {
                    endedAt = clock.Elapsed;
                }
            }
            if (endedAt is { } ended && clock.Elapsed - ended >= Settle && clock.Elapsed - lastCall >= Settle)
            {
                // The endpoint writes its half of the row off the response path: read it once more.
                return (calls, await RecordAsync(api, pluginId, id, cancellationToken) ?? record, true);
            }
            if (clock.Elapsed >= deadline)
            {
                return (calls, endedAt is null ? null : record, true);
            }
            await Task.Delay(Poll, cancellationToken);
        }
    }

    private static async Task<JsonObject?> RecordAsync(AdminApi api, string pluginId, string id, CancellationToken cancellationToken)
    {
        var (status, rows, _) = await api.TrySendAsync(HttpMethod.Get, $"api/admin/invocations?plugin={AdminApi.Escape(pluginId)}&interaction={AdminApi.Escape(id)}", null, cancellationToken);
        return status == HttpStatusCode.OK && rows is JsonArray array ? array.OfType<JsonObject>().FirstOrDefault() : null;
    }

    private static async Task<(JsonObject Interaction, Target? Target, string Label)> CommandAsync(AdminApi api, Request request, InteractionOrigin origin, CancellationToken cancellationToken)
    {
        var name = request.Words[0].TrimStart('/');
        var installed = await InstalledAsync(api, request.Guild, cancellationToken);
        var target = installed.FirstOrDefault(t => t.Definition?["name"]?.GetValue<string>() == name);
        if (target is null)
        {
            var available = installed.Where(t => t.Definition is not null).Select(t => $"/{t.Definition!["name"]} ({t.PluginId})").ToList();
            throw new CliException(ExitCodes.Failed, available.Count == 0
                ? $"nothing installed in guild {request.Guild} declares /{name}; install a plugin first: local/plugin install PLUGIN --guild {request.Guild}"
                : $"no plugin installed in guild {request.Guild} declares /{name}; its commands: {string.Join(", ", available)}");
        }
        var interaction = InteractionPayload.Command(origin, target.Definition!, request.Words.Skip(1).ToList(), DateTimeOffset.UtcNow);
        return (interaction, target, Label(request.Words));
    }

    /// <summary>/help or /plugins: the platform's own declaration, no install needed.</summary>
    private static (JsonObject Interaction, Target? Target, string Label) BuiltIn(Request request, InteractionOrigin origin)
    {
        var name = request.Words[0].TrimStart('/');
        var definition = BuiltInCommands.Definitions.First(d => d["name"]!.GetValue<string>() == name);
        return (InteractionPayload.Command(origin, definition, request.Words.Skip(1).ToList(), DateTimeOffset.UtcNow), null, Label(request.Words));
    }

    private static string Label(string[] words) => "/" + string.Join(" ", words.Select(w => w.TrimStart('/')).Take(1).Concat(words.Skip(1)));

    private static async Task<(JsonObject Interaction, Target? Target, string Label)> ComponentAsync(AdminApi api, Request request, InteractionOrigin origin, string customId, CancellationToken cancellationToken)
    {
        var target = await OwnerAsync(api, request, "component", cancellationToken);
        CheckLength("custom_id", customId);
        // The prefix is keyed with the deployment's secret: the app says what it is for this plugin.
        return (InteractionPayload.Component(origin, target.CustomIdPrefix + customId, request.Values, DateTimeOffset.UtcNow), target, $"click {customId}");
    }

    private static async Task<(JsonObject Interaction, Target? Target, string Label)> ModalAsync(AdminApi api, Request request, InteractionOrigin origin, string customId, IReadOnlyList<(string Id, string Value)> inputs, CancellationToken cancellationToken)
    {
        var target = await OwnerAsync(api, request, "modal", cancellationToken);
        CheckLength("custom_id", customId);
        // What the code registered at publish, when the app says: a custom_id no handler matches is refused here.
        if (target.Registrations?["modals"] is JsonArray registered)
        {
            var patterns = registered.Select(m => m?.GetValue<string>()).OfType<string>().ToList();
            if (!patterns.Any(p => p == customId || (p.EndsWith('*') && customId.StartsWith(p[..^1], StringComparison.Ordinal))))
            {
                throw CliException.Usage(patterns.Count == 0
                    ? $"{target.PluginId} {target.Version} handles no modal submit (its code has no @plugin.on_modal_submit), so nothing answers --modal {customId}"
                    : $"{target.PluginId} {target.Version} has no modal handler for custom_id '{customId}'; its @plugin.on_modal_submit custom_ids: {string.Join(", ", patterns)}");
            }
        }
        var wrapped = inputs.Select(i => (target.CustomIdPrefix + i.Id, i.Value)).ToList();
        return (InteractionPayload.ModalSubmit(origin, target.CustomIdPrefix + customId, wrapped, DateTimeOffset.UtcNow), target, $"submit {customId}");
    }

    /// <summary>Each --field as (id, value), split at its first '='.</summary>
    private static List<(string Id, string Value)> ModalFields(string[] fields)
    {
        var inputs = new List<(string Id, string Value)>();
        foreach (var field in fields)
        {
            var equals = field.IndexOf('=', StringComparison.Ordinal);
            if (equals < 0)
            {
                throw CliException.Usage($"--field '{field}' is not ID=VALUE: give the text input's custom_id, '=', and what was typed (e.g. --field {(field.Length == 0 ? "text" : field)}=hello)");
            }
            var id = field[..equals];
            CheckLength("--field custom_id", id);
            if (inputs.Any(i => i.Id == id))
            {
                throw CliException.Usage($"--field {id} is given twice; a modal has one value per text input");
            }
            inputs.Add((id, field[(equals + 1)..]));
        }
        return inputs;
    }

    private static void CheckLength(string what, string customId)
    {
        if (customId.Length is 0 or > CustomIds.MaxPluginLength)
        {
            throw CliException.Usage($"{what} '{customId}' is {customId.Length} characters; plugins may use 1 to {CustomIds.MaxPluginLength}");
        }
    }

    /// <summary>The install a --component or --modal goes to: --plugin, else the only one in the guild.</summary>
    private static async Task<Target> OwnerAsync(AdminApi api, Request request, string what, CancellationToken cancellationToken)
    {
        var plugins = (await InstalledAsync(api, request.Guild, cancellationToken)).GroupBy(t => t.PluginId).Select(g => g.First()).ToList();
        return request.Plugin is { } wanted
            ? plugins.FirstOrDefault(p => p.PluginId == wanted) ?? throw new CliException(ExitCodes.Failed, $"{wanted} is not installed in guild {request.Guild}; installed: {(plugins.Count == 0 ? "nothing" : string.Join(", ", plugins.Select(p => p.PluginId)))}")
            : plugins.Count == 1 ? plugins[0]
            : throw CliException.Usage(plugins.Count == 0
                ? $"nothing is installed in guild {request.Guild}; install a plugin first: local/plugin install PLUGIN --guild {request.Guild}"
                : $"several plugins are installed in guild {request.Guild}; say whose {what} this is with --plugin ({string.Join(", ", plugins.Select(p => p.PluginId))})");
    }

    /// <summary>The guild's installs, one entry per declared command (or one without, for a plugin with none).</summary>
    private static async Task<List<Target>> InstalledAsync(AdminApi api, string guild, CancellationToken cancellationToken)
    {
        var targets = new List<Target>();
        var installs = (await api.GetAsync($"api/admin/guilds/{AdminApi.Escape(guild)}/plugins", cancellationToken)).AsArray().OfType<JsonObject>();
        foreach (var install in installs)
        {
            var pluginId = install["plugin_id"]!.GetValue<string>();
            var version = install["version"]!.GetValue<string>();
            var prefix = install["custom_id_prefix"]!.GetValue<string>();
            var versions = (await api.GetAsync($"api/admin/plugins/{AdminApi.Escape(pluginId)}/versions", cancellationToken)).AsArray().OfType<JsonObject>();
            var installed = versions.FirstOrDefault(v => v["version"]?.GetValue<string>() == version);
            var commands = installed?["commands"]?.AsArray().OfType<JsonObject>().ToList() ?? [];
            var registrations = installed?["registrations"] as JsonObject;
            targets.AddRange(commands.Count == 0 ? [new Target(pluginId, version, null, prefix, registrations)] : commands.Select(c => new Target(pluginId, version, c, prefix, registrations)));
        }
        return targets;
    }

    /// <summary>DISCORD_APPLICATION_ID as the app resolves it, else a stand-in (the recorder accepts any).</summary>
    private static string ApplicationId(CliConsole console) =>
        console.GetVariable("DISCORD_APPLICATION_ID") is { Length: > 0 } fromEnvironment ? fromEnvironment
        : StorageConnection.ReadLocalSetting(console, "DISCORD_APPLICATION_ID")?.Value ?? "100000000000000000";

    private static string Ms(double ms) => $"{ms,7:0} ms";

    private static string RouteName(JsonObject call) => (call["method"]?.GetValue<string>(), call["route"]?.GetValue<string>()) switch
    {
        (_, { } route) when route.EndsWith("/callback", StringComparison.Ordinal) => "callback",
        ("PATCH", { } route) when route.EndsWith("@original", StringComparison.Ordinal) => "edit original",
        ("DELETE", { } route) when route.EndsWith("@original", StringComparison.Ordinal) => "delete original",
        ("POST", "/webhooks/{application_id}/{token}") => "follow-up",
        ("PATCH", _) => "edit follow-up",
        ("DELETE", _) => "delete follow-up",
        var (method, route) => $"{method} {route}",
    };

    /// <summary>
    /// One line for a callback or message body: its type and content, a modal's title, components. The
    /// plugin wrote it: control characters and newlines show as escapes.
    /// </summary>
    public static string Describe(JsonNode? body)
    {
        if (body is not JsonObject json)
        {
            return "";
        }
        var parts = new List<string>();
        if (json["type"] is JsonValue typeValue && typeValue.TryGetValue<int>(out var type))
        {
            parts.Add(type switch
            {
                1 => "PONG",
                4 => "message",
                5 => "deferred (thinking…)",
                6 => "deferred update",
                7 => "update message",
                8 => "autocomplete",
                9 => "modal",
                _ => $"type {type}",
            });
            json = json["data"] as JsonObject ?? [];
        }
        if (json["title"]?.GetValue<string>() is { } title)
        {
            parts.Add($"\"{title}\"");
        }
        if (json["content"]?.GetValue<string>() is { Length: > 0 } content)
        {
            parts.Add($"\"{(content.Length > 120 ? content[..120] + "…" : content)}\"");
        }
        if (json["embeds"] is JsonArray { Count: > 0 } embeds)
        {
            parts.Add($"{embeds.Count} embed(s)");
        }
        if (json["components"] is JsonArray { Count: > 0 } rows)
        {
            var ids = rows.SelectMany(r => r?["components"]?.AsArray() ?? []).Select(c => c?["label"]?.GetValue<string>() ?? c?["custom_id"]?.GetValue<string>()).OfType<string>();
            parts.Add($"components [{string.Join(", ", ids)}]");
        }
        if ((json["flags"]?.GetValue<int>() & 64) == 64)
        {
            parts.Add("(ephemeral)");
        }
        return Output.Printable(string.Join("  ", parts));
    }
}
