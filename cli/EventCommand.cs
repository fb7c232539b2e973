using System.CommandLine;
using System.Globalization;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using Serverless.Platform.Events;

namespace Serverless.Cli;

/// <summary>
/// <c>event NAME --guild G [--FIELD VALUE ...]</c>: injects a gateway event into the running app the way the
/// gateway bridge does (docs/events.md): the payload docs/events.md lists for that event, signed with
/// <c>EVENTS_SHARED_SECRET</c>, posted to <c>/api/events</c>; prints how many installs it went to.
/// </summary>
public static class EventCommand
{
    public const string SecretSetting = EventsOptions.SecretSetting;

    private enum FieldKind { Text, Snowflake, Bool, Int, List, Json }

    /// <summary>Every payload field of the sixteen events (docs/events.md), with how a command-line value becomes JSON.</summary>
    private static readonly Dictionary<string, FieldKind> FieldKinds = new(StringComparer.Ordinal)
    {
        ["message_id"] = FieldKind.Snowflake, ["channel_id"] = FieldKind.Snowflake, ["author_id"] = FieldKind.Snowflake,
        ["author_bot"] = FieldKind.Bool, ["content"] = FieldKind.Text, ["timestamp"] = FieldKind.Text,
        ["user_id"] = FieldKind.Snowflake, ["username"] = FieldKind.Text, ["guild_id"] = FieldKind.Snowflake,
        ["roles"] = FieldKind.List, ["emoji"] = FieldKind.Text, ["self_mute"] = FieldKind.Bool, ["self_deaf"] = FieldKind.Bool,
        ["interaction_id"] = FieldKind.Snowflake, ["interaction_type"] = FieldKind.Int, ["command_name"] = FieldKind.Text,
        ["custom_id"] = FieldKind.Text, ["modal_values"] = FieldKind.Json, ["id"] = FieldKind.Snowflake, ["name"] = FieldKind.Text,
        ["type"] = FieldKind.Int,
    };

    /// <summary>docs/events.md's table: each event's payload fields, in order.</summary>
    public static readonly IReadOnlyDictionary<string, string[]> Fields = new Dictionary<string, string[]>(StringComparer.Ordinal)
    {
        ["message_create"] = ["message_id", "channel_id", "author_id", "author_bot", "content", "timestamp"],
        ["message_edit"] = ["message_id", "channel_id", "content"],
        ["message_delete"] = ["message_id", "channel_id"],
        ["member_join"] = ["user_id", "username", "guild_id"],
        ["member_leave"] = ["user_id", "username", "guild_id"],
        ["member_update"] = ["user_id", "roles"],
        ["reaction_add"] = ["message_id", "channel_id", "user_id", "emoji"],
        ["reaction_remove"] = ["message_id", "channel_id", "user_id", "emoji"],
        ["voice_state_update"] = ["user_id", "channel_id", "self_mute", "self_deaf"],
        ["interaction_create"] = ["interaction_id", "interaction_type", "command_name", "custom_id", "modal_values"],
        ["channel_create"] = ["id", "name", "type"],
        ["channel_delete"] = ["id", "name"],
        ["channel_update"] = ["id", "name"],
        ["role_create"] = ["id", "name"],
        ["role_delete"] = ["id", "name"],
        ["role_update"] = ["id", "name"],
    };

    public static Command Create(CliConsole console)
    {
        var name = new Argument<string>("EVENT") { Description = "One of the sixteen events: " + string.Join(", ", Fields.Keys) };
        var guild = new Option<string>("--guild", "-g") { Description = "The guild (snowflake) the event happens in", Required = true, HelpName = "GUILD" };
        var id = new Option<string?>("--event-id") { Description = "The event's own id (default: a fresh one); send the same id twice to see de-duplication", HelpName = "ID" };
        var url = new Option<string?>("--url") { Description = "The app's base URL (default: $APP_URL, else http://127.0.0.1:$APP_PORT, port 7071)", HelpName = "URL" };
        var timeout = new Option<int>("--timeout") { Description = "Seconds to wait for an answer", DefaultValueFactory = _ => 10, HelpName = "SECONDS" };
        var command = new Command("event", "Inject a signed gateway event (message_create, member_join, ...) into the local platform")
        {
            name,
            guild,
            id,
            url,
            timeout,
        };
        var fieldOptions = FieldKinds.Keys.Where(f => f != "guild_id").Order(StringComparer.Ordinal).ToDictionary(
            f => f,
            f => new Option<string?>("--" + f.Replace('_', '-')) { Description = FieldHelp(f), HelpName = FieldKinds[f].ToString().ToUpperInvariant() });
        foreach (var option in fieldOptions.Values)
        {
            command.Options.Add(option);
        }
        command.WithDetails("""
            Builds the payload docs/events.md lists for EVENT, filling the fields you do not give
            (fresh snowflakes, author_bot false, timestamp now, content ""), signs it with EVENTS_SHARED_SECRET
            ($EVENTS_SHARED_SECRET, then local.settings.json, then the dev secret local/up keeps in
            .local/dev-secrets.env) and posts it to /api/events, as the gateway bridge would.
            Only options naming a field of EVENT are accepted. Examples:
              local/plugin event message_create --guild 123 --content hi
              local/plugin event reaction_add --guild 123 --emoji 🔥 --message-id 42
              local/plugin event member_update --guild 123 --user-id 7 --roles 1,2
            Exit 0 accepted (the count of installs it went to is printed), 1 refused (bad signature: do the
            app and the CLI share EVENTS_SHARED_SECRET?), 3 the app did not answer.
            """);
        command.SetAction((parse, cancellationToken) =>
        {
            var given = fieldOptions.Where(o => parse.GetValue(o.Value) is not null).ToDictionary(o => o.Key, o => parse.GetValue(o.Value)!, StringComparer.Ordinal);
            return RunAsync(console, parse.GetRequiredValue(name), parse.GetRequiredValue(guild), parse.GetValue(id), given, parse.GetValue(url), parse.GetValue(timeout), parse.Json(), cancellationToken);
        });
        return command;
    }

    private static string FieldHelp(string field)
    {
        var events = Fields.Where(e => e.Value.Contains(field)).Select(e => e.Key).ToList();
        var kind = FieldKinds[field] switch
        {
            FieldKind.Bool => "true|false",
            FieldKind.Int => "a number",
            FieldKind.List => "comma-separated ids",
            FieldKind.Json => "a JSON object",
            FieldKind.Snowflake => "a snowflake",
            _ => "text",
        };
        return $"{field} ({kind}) of {string.Join(", ", events)}";
    }

    /// <summary>The payload of <paramref name="eventName"/> (docs/events.md): the given fields, plausible values for the rest.</summary>
    public static JsonObject BuildPayload(string eventName, string guildId, IReadOnlyDictionary<string, string> given, DateTimeOffset now)
    {
        if (!Fields.TryGetValue(eventName, out var fields))
        {
            throw CliException.Usage($"'{eventName}' is not an event; use one of {string.Join(", ", Fields.Keys)}");
        }
        var foreign = given.Keys.Where(f => !fields.Contains(f)).Select(f => "--" + f.Replace('_', '-')).ToList();
        if (foreign.Count > 0)
        {
            throw CliException.Usage($"{string.Join(", ", foreign)} {(foreign.Count == 1 ? "is not a field" : "are not fields")} of {eventName}; its fields: {string.Join(", ", fields.Select(f => "--" + f.Replace('_', '-')))}");
        }
        var payload = new JsonObject();
        foreach (var field in fields)
        {
            payload[field] = given.TryGetValue(field, out var value) ? Convert(field, value) : Default(eventName, field, guildId, now);
        }
        return payload;
    }

    private static JsonNode? Convert(string field, string value)
    {
        var option = "--" + field.Replace('_', '-');
        switch (FieldKinds[field])
        {
            case FieldKind.Bool:
                return bool.TryParse(value, out var flag) ? flag : throw CliException.Usage($"{option} takes true or false, got '{value}'");
            case FieldKind.Int:
                return int.TryParse(value, NumberStyles.Integer, CultureInfo.InvariantCulture, out var number) ? number : throw CliException.Usage($"{option} takes a number, got '{value}'");
            case FieldKind.Snowflake:
                return value.Length is > 0 and <= 20 && value.All(char.IsAsciiDigit) ? value : throw CliException.Usage($"{option} takes a snowflake (digits), got '{value}'");
            case FieldKind.List:
                return new JsonArray(value.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries).Select(v => (JsonNode)v).ToArray());
            case FieldKind.Json:
                try
                {
                    return JsonNode.Parse(value) as JsonObject ?? throw new JsonException();
                }
                catch (JsonException)
                {
                    throw CliException.Usage($"{option} takes a JSON object such as '{{\"subject\":\"hi\"}}', got '{value}'");
                }
            default:
                return value;
        }
    }

    private static JsonNode? Default(string eventName, string field, string guildId, DateTimeOffset now) => field switch
    {
        "guild_id" => guildId,
        "author_bot" or "self_mute" or "self_deaf" => false,
        "content" => "",
        "timestamp" => now.UtcDateTime.ToString("yyyy-MM-dd'T'HH:mm:ss.fff'+00:00'", CultureInfo.InvariantCulture),
        "username" => "tester",
        "roles" => new JsonArray(),
        "emoji" => "👍",
        "interaction_type" => 2,
        "command_name" => "hello",
        "custom_id" or "modal_values" => null,
        "name" => eventName.StartsWith("role_", StringComparison.Ordinal) ? "members" : "general",
        "type" => 0,
        _ => Snowflake(now),
    };

    // A snowflake of this instant (Discord's epoch 2015), so made-up ids sort like real ones.
    private static string Snowflake(DateTimeOffset now) =>
        (((now.ToUnixTimeMilliseconds() - 1420070400000L) << 22) | Random.Shared.NextInt64(0, 1 << 22)).ToString(CultureInfo.InvariantCulture);

    /// <summary>$EVENTS_SHARED_SECRET, then local.settings.json, then local/up's dev secret.</summary>
    public static (string Secret, string From)? ResolveSecret(CliConsole console)
    {
        if (console.GetVariable(SecretSetting) is { Length: > 0 } fromEnvironment)
        {
            return (fromEnvironment, "$" + SecretSetting);
        }
        foreach (var path in StorageConnection.SettingsFiles(console))
        {
            if (StorageConnection.ReadValue(path, SecretSetting) is { Length: > 0 } fromFile)
            {
                return (fromFile, path);
            }
        }
        var stateDir = console.GetVariable("LOCAL_STATE_DIR") is { Length: > 0 } state ? state
            : CliOptions.RepoRoot(console) is { } repo ? Path.Combine(repo, ".local") : null;
        var secrets = stateDir is null ? null : Path.Combine(stateDir, "dev-secrets.env");
        if (secrets is not null && File.Exists(secrets))
        {
            foreach (var line in File.ReadLines(secrets))
            {
                if (line.StartsWith("DEV_" + SecretSetting + "=", StringComparison.Ordinal) && line[(SecretSetting.Length + 5)..].Trim() is { Length: > 0 } dev)
                {
                    return (dev, secrets);
                }
            }
        }
        return null;
    }

    private static async Task<int> RunAsync(CliConsole console, string eventName, string guildId, string? id, IReadOnlyDictionary<string, string> given, string? url, int timeoutSeconds, bool json, CancellationToken cancellationToken)
    {
        if (guildId.Length is 0 or > 20 || !guildId.All(char.IsAsciiDigit))
        {
            throw CliException.Usage($"--guild takes a guild id (a snowflake: digits), got '{guildId}'");
        }
        if (timeoutSeconds <= 0)
        {
            throw CliException.Usage("--timeout takes a positive number of seconds");
        }
        var now = DateTimeOffset.UtcNow;
        var payload = BuildPayload(eventName, guildId, given, now);
        var (secret, _) = ResolveSecret(console)
            ?? throw CliException.Usage($"no {SecretSetting}: set it (the same value as the app's), put it in local.settings.json, or run local/up once so it generates a dev secret");
        var baseUrl = StatusCommand.BaseUrl(console, url);
        if (!Uri.TryCreate(baseUrl + "/api/events", UriKind.Absolute, out var endpoint) || endpoint.Scheme is not ("http" or "https"))
        {
            throw CliException.Usage($"'{baseUrl}' is not an http(s) URL");
        }

        var body = new JsonObject
        {
            ["id"] = id ?? $"cli-{Guid.NewGuid():N}:1",
            ["guild_id"] = guildId,
            ["event"] = eventName,
            ["payload"] = payload,
            ["occurred_at"] = now.UtcDateTime.ToString("yyyy-MM-dd'T'HH:mm:ss.fff'Z'", CultureInfo.InvariantCulture),
        };
        var bytes = Encoding.UTF8.GetBytes(body.ToJsonString());
        var timestamp = now.ToUnixTimeSeconds();
        using var request = new HttpRequestMessage(HttpMethod.Post, endpoint) { Content = new ByteArrayContent(bytes) };
        request.Content.Headers.ContentType = new("application/json");
        request.Headers.Add(EventSignature.TimestampHeader, timestamp.ToString(CultureInfo.InvariantCulture));
        request.Headers.Add(EventSignature.SignatureHeader, EventSignature.Sign(secret, timestamp, bytes));

        using var http = new HttpClient { Timeout = TimeSpan.FromSeconds(timeoutSeconds) };
        int status;
        JsonObject? answer;
        try
        {
            using var response = await http.SendAsync(request, cancellationToken);
            status = (int)response.StatusCode;
            var text = await response.Content.ReadAsStringAsync(cancellationToken);
            try
            {
                answer = text.Length == 0 ? null : JsonNode.Parse(text) as JsonObject;
            }
            catch (JsonException)
            {
                answer = null;
            }
        }
        catch (Exception ex) when (ex is HttpRequestException or TaskCanceledException && !cancellationToken.IsCancellationRequested)
        {
            throw CliException.Unavailable($"nothing answers at {endpoint} ({ex.Message}); start the platform with local/up (or pass --url / set APP_URL)");
        }

        var error = answer?["error"]?.GetValue<string>();
        if (status == 202 && answer is not null)
        {
            var fannedOut = answer["fanned_out"]?.GetValue<int>() ?? 0;
            var duplicate = answer["duplicate"]?.GetValue<bool>() == true;
            var reason = answer["reason"]?.GetValue<string>();
            if (json)
            {
                Output.WriteJson(console.Out, new JsonObject
                {
                    ["status"] = "accepted",
                    ["url"] = endpoint.ToString(),
                    ["event"] = body.DeepClone(),
                    ["duplicate"] = duplicate,
                    ["fanned_out"] = fannedOut,
                    ["reason"] = reason,
                });
                return ExitCodes.Ok;
            }
            console.Out.WriteLine(duplicate
                ? $"{eventName} {body["id"]}: already accepted before (same id), not fanned out again"
                : $"{eventName} in guild {guildId}: fanned out to {fannedOut} install{(fannedOut == 1 ? "" : "s")}{(reason is null ? "" : ": " + reason)}");
            return ExitCodes.Ok;
        }
        var message = status switch
        {
            401 => $"{endpoint} refused the signature (401): the app's {SecretSetting} differs from the CLI's",
            503 => $"{endpoint} is not ready (503): {error ?? "no detail"}",
            _ => $"{endpoint} answered {status}: {error ?? "no detail"}{(answer?["errors"] is JsonArray errors ? " (" + string.Join("; ", errors.Select(e => e?.GetValue<string>())) + ")" : "")}",
        };
        throw new CliException(status is 503 or >= 500 ? ExitCodes.Unavailable : ExitCodes.Failed, message);
    }
}
