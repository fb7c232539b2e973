using System.Globalization;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;

namespace Serverless.Cli;

/// <summary>Who and where a simulated interaction comes from.</summary>
public sealed record InteractionOrigin(string GuildId, string ChannelId, string UserId, string ApplicationId);

/// <summary>
/// Builds Discord's interaction payloads (APPLICATION_COMMAND, MESSAGE_COMPONENT, MODAL_SUBMIT) the way Discord sends
/// them, from a command line such as <c>/greet user:@123 message:hi</c>. Option types come from the
/// command's declaration, so <c>user:@123</c> becomes a type-6 option with value "123" and a resolved user.
/// </summary>
public static partial class InteractionPayload
{
    /// <summary>Discord's epoch (2015-01-01), for snowflakes that sort by time like real ones.</summary>
    private const long DiscordEpochMs = 1420070400000;

    public static string NewSnowflake(DateTimeOffset now) =>
        (((now.ToUnixTimeMilliseconds() - DiscordEpochMs) << 22) | Random.Shared.NextInt64(0, 1 << 22)).ToString(CultureInfo.InvariantCulture);

    public static JsonObject Command(InteractionOrigin origin, JsonObject definition, IReadOnlyList<string> tokens, DateTimeOffset now)
    {
        var resolved = new JsonObject();
        var options = BuildOptions(definition["name"]!.GetValue<string>(), definition["options"] as JsonArray ?? [], tokens, resolved);
        var data = new JsonObject
        {
            ["id"] = definition["id"]?.DeepClone() ?? NewSnowflake(now),
            ["name"] = definition["name"]!.DeepClone(),
            ["type"] = definition["type"]?.DeepClone() ?? 1,
            ["guild_id"] = origin.GuildId,
            ["options"] = options,
        };
        if (resolved.Count > 0)
        {
            data["resolved"] = resolved;
        }
        return Envelope(origin, 2, data, now);
    }

    public static JsonObject Component(InteractionOrigin origin, string wrappedCustomId, IReadOnlyList<string> values, DateTimeOffset now)
    {
        var data = new JsonObject { ["custom_id"] = wrappedCustomId, ["component_type"] = values.Count > 0 ? 3 : 2 };
        if (values.Count > 0)
        {
            data["values"] = new JsonArray(values.Select(v => (JsonNode)v).ToArray());
        }
        var interaction = Envelope(origin, 3, data, now);
        interaction["message"] = new JsonObject
        {
            ["id"] = NewSnowflake(now.AddSeconds(-1)),
            ["channel_id"] = origin.ChannelId,
            ["content"] = "",
            ["author"] = new JsonObject { ["id"] = origin.ApplicationId, ["username"] = "platform", ["bot"] = true },
        };
        return interaction;
    }

    /// <summary>
    /// A MODAL_SUBMIT (type 5) in the legacy form: each text input (type 4) with its value in an action row
    /// (type 1) of its own, as Discord sends a modal the plugin built from text inputs.
    /// </summary>
    public static JsonObject ModalSubmit(InteractionOrigin origin, string wrappedCustomId, IReadOnlyList<(string WrappedId, string Value)> inputs, DateTimeOffset now)
    {
        var rows = inputs.Select(input => (JsonNode)new JsonObject
        {
            ["type"] = 1,
            ["components"] = new JsonArray(new JsonObject { ["type"] = 4, ["custom_id"] = input.WrappedId, ["value"] = input.Value }),
        });
        return Envelope(origin, 5, new JsonObject { ["custom_id"] = wrappedCustomId, ["components"] = new JsonArray(rows.ToArray()) }, now);
    }

    private static JsonObject Envelope(InteractionOrigin origin, int type, JsonObject data, DateTimeOffset now) => new()
    {
        ["id"] = NewSnowflake(now),
        ["application_id"] = origin.ApplicationId,
        ["type"] = type,
        // Discord's tokens are long URL-safe base64 strings; ours only need to be unique and of the same alphabet.
        ["token"] = "dev_" + System.Convert.ToHexStringLower(System.Security.Cryptography.RandomNumberGenerator.GetBytes(24)),
        ["version"] = 1,
        ["guild_id"] = origin.GuildId,
        ["channel_id"] = origin.ChannelId,
        ["channel"] = new JsonObject { ["id"] = origin.ChannelId, ["type"] = 0, ["guild_id"] = origin.GuildId },
        ["member"] = new JsonObject
        {
            ["user"] = User(origin.UserId),
            ["roles"] = new JsonArray(),
            ["permissions"] = "2248473465835073",
            ["joined_at"] = "2024-01-01T00:00:00.000000+00:00",
        },
        ["locale"] = "en-US",
        ["guild_locale"] = "en-US",
        ["app_permissions"] = "2248473465835073",
        ["data"] = data,
    };

    private static JsonObject User(string id) => new()
    {
        ["id"] = id,
        ["username"] = "user" + id[^Math.Min(4, id.Length)..],
        ["global_name"] = null,
        ["discriminator"] = "0",
        ["avatar"] = null,
    };

    /// <summary>
    /// The words after <c>/name</c> of an invocation of the declared command that works: its first
    /// subcommand (group) path, and each required option with an example of its type (its first choice, a
    /// text within its length limits, a number within its range, true, the invoking user, the channel, the
    /// guild's @everyone role, whose id is the guild's). Null when a required option cannot be given from the
    /// command line (an attachment).
    /// </summary>
    public static List<string>? ExampleWords(JsonObject definition, InteractionOrigin origin)
    {
        var words = new List<string>();
        var options = definition["options"] as JsonArray ?? [];
        while (options.OfType<JsonObject>().FirstOrDefault(o => o["type"]?.GetValue<int>() is 1 or 2) is { } nested)
        {
            words.Add(nested["name"]!.GetValue<string>());
            options = nested["options"] as JsonArray ?? [];
        }
        foreach (var option in options.OfType<JsonObject>().Where(o => o["required"]?.GetValue<bool>() == true))
        {
            if (ExampleValue(option, origin) is not { } value)
            {
                return null;
            }
            words.Add($"{option["name"]}:{value}");
        }
        return words;
    }

    private static string? ExampleValue(JsonObject option, InteractionOrigin origin)
    {
        if (option["choices"] is JsonArray { Count: > 0 } choices && choices[0]?["value"] is JsonValue choice)
        {
            return choice.GetValueKind() == System.Text.Json.JsonValueKind.String ? choice.GetValue<string>() : choice.ToJsonString();
        }
        var type = option["type"]?.GetValue<int>() ?? 3;
        return type switch
        {
            3 => ExampleText(option["min_length"]?.GetValue<int>() ?? 0, option["max_length"]?.GetValue<int>()),
            4 or 10 => ExampleNumber(option["min_value"]?.GetValue<double>(), option["max_value"]?.GetValue<double>(), integer: type == 4),
            5 => "true",
            6 or 9 => "@" + origin.UserId,
            7 => "#" + origin.ChannelId,
            8 => origin.GuildId,
            _ => null,
        };
    }

    private static string ExampleText(int min, int? max)
    {
        const string text = "example";
        return min > text.Length ? new string('x', min) : max < text.Length ? text[..Math.Max(1, max.Value)] : text;
    }

    private static string ExampleNumber(double? min, double? max, bool integer)
    {
        var value = min ?? (max < 1 ? max.Value : 1);
        if (integer)
        {
            value = Math.Ceiling(value);
        }
        return value.ToString(CultureInfo.InvariantCulture);
    }

    private static JsonArray BuildOptions(string path, JsonArray declared, IReadOnlyList<string> tokens, JsonObject resolved)
    {
        var result = new JsonArray();
        var declaredOptions = declared.OfType<JsonObject>().ToList();
        // A subcommand group or subcommand is named by a bare word; its options follow it.
        var nested = declaredOptions.Where(o => o["type"]?.GetValue<int>() is 1 or 2).ToList();
        if (nested.Count > 0)
        {
            if (tokens.Count == 0 || tokens[0].Contains(':'))
            {
                throw CliException.Usage($"/{path} needs a subcommand: {string.Join(", ", nested.Select(o => o["name"]))} (e.g. /{path} {nested[0]["name"]} ...)");
            }
            var chosen = nested.FirstOrDefault(o => o["name"]?.GetValue<string>() == tokens[0])
                ?? throw CliException.Usage($"/{path} has no subcommand '{tokens[0]}'; it has: {string.Join(", ", nested.Select(o => o["name"]))}");
            result.Add(new JsonObject
            {
                ["name"] = chosen["name"]!.DeepClone(),
                ["type"] = chosen["type"]!.DeepClone(),
                ["options"] = BuildOptions($"{path} {tokens[0]}", chosen["options"] as JsonArray ?? [], tokens.Skip(1).ToList(), resolved),
            });
            return result;
        }

        var given = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var token in tokens)
        {
            var colon = token.IndexOf(':', StringComparison.Ordinal);
            if (colon <= 0)
            {
                throw CliException.Usage($"'{token}' is not NAME:VALUE; /{path} takes {Describe(declaredOptions)}");
            }
            var name = token[..colon];
            if (!given.TryAdd(name, token[(colon + 1)..]))
            {
                throw CliException.Usage($"option '{name}' is given twice");
            }
        }
        var errors = new List<string>();
        foreach (var name in given.Keys.Where(n => declaredOptions.All(o => o["name"]?.GetValue<string>() != n)))
        {
            errors.Add($"/{path} has no option '{name}'");
        }
        foreach (var option in declaredOptions)
        {
            var name = option["name"]!.GetValue<string>();
            if (!given.TryGetValue(name, out var raw))
            {
                if (option["required"]?.GetValue<bool>() == true)
                {
                    errors.Add($"option '{name}' is required");
                }
                continue;
            }
            var type = option["type"]?.GetValue<int>() ?? 3;
            try
            {
                var value = Convert(type, raw, resolved);
                if (option["choices"] is JsonArray { Count: > 0 } choices && !choices.Any(c => JsonNode.DeepEquals(c?["value"], value)))
                {
                    errors.Add($"'{raw}' is not a choice of '{name}': {string.Join(", ", choices.Select(c => c?["value"]?.ToJsonString()))}");
                    continue;
                }
                result.Add(new JsonObject { ["name"] = name, ["type"] = type, ["value"] = value });
            }
            catch (FormatException ex)
            {
                errors.Add($"option '{name}': {ex.Message}");
            }
        }
        if (errors.Count > 0)
        {
            throw CliException.Usage($"{string.Join("; ", errors)} (/{path} takes {Describe(declaredOptions)})");
        }
        return result;
    }

    private static string Describe(List<JsonObject> options) =>
        options.Count == 0
            ? "no options"
            : string.Join(" ", options.Select(o => $"{(o["required"]?.GetValue<bool>() == true ? "" : "[")}{o["name"]}:{TypeName(o["type"]?.GetValue<int>() ?? 3)}{(o["required"]?.GetValue<bool>() == true ? "" : "]")}"));

    private static string TypeName(int type) => type switch
    {
        3 => "TEXT",
        4 => "INTEGER",
        5 => "true|false",
        6 => "@USER_ID",
        7 => "#CHANNEL_ID",
        8 => "@&ROLE_ID",
        9 => "@ID",
        10 => "NUMBER",
        11 => "ATTACHMENT",
        _ => "VALUE",
    };

    private static JsonNode Convert(int type, string raw, JsonObject resolved)
    {
        switch (type)
        {
            case 3:
                return raw;
            case 4:
                return long.TryParse(raw, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out var integer) ? integer : throw new FormatException($"'{raw}' is not an integer");
            case 5:
                return raw.ToLowerInvariant() switch
                {
                    "true" or "yes" or "1" => true,
                    "false" or "no" or "0" => false,
                    _ => throw new FormatException($"'{raw}' is not true or false"),
                };
            case 10:
                return double.TryParse(raw, NumberStyles.Float, CultureInfo.InvariantCulture, out var number) ? number : throw new FormatException($"'{raw}' is not a number");
            case 6 or 9:
                var user = Snowflake(raw, "a user id like @123 or <@123>");
                Resolved(resolved, "users")[user] = User(user);
                Resolved(resolved, "members")[user] = new JsonObject { ["roles"] = new JsonArray(), ["joined_at"] = "2024-01-01T00:00:00.000000+00:00", ["permissions"] = "0" };
                return user;
            case 7:
                var channel = Snowflake(raw, "a channel id like #123 or <#123>");
                Resolved(resolved, "channels")[channel] = new JsonObject { ["id"] = channel, ["type"] = 0, ["name"] = "channel-" + channel, ["permissions"] = "0" };
                return channel;
            case 8:
                var role = Snowflake(raw, "a role id like @&123 or <@&123>");
                Resolved(resolved, "roles")[role] = new JsonObject { ["id"] = role, ["name"] = "role-" + role, ["color"] = 0, ["position"] = 1, ["permissions"] = "0", ["managed"] = false, ["mentionable"] = true, ["hoist"] = false };
                return role;
            default:
                throw new FormatException($"option type {type} cannot be simulated from the command line");
        }
    }

    private static JsonObject Resolved(JsonObject resolved, string kind) =>
        resolved[kind] as JsonObject ?? (JsonObject)(resolved[kind] = new JsonObject());

    private static string Snowflake(string raw, string expected)
    {
        var match = MentionPattern().Match(raw.Trim());
        return match.Success ? match.Groups["id"].Value : throw new FormatException($"'{raw}' is not {expected}");
    }

    [GeneratedRegex(@"^(?:<(?:@!?|@&|#)(?<id>\d{1,20})>|(?:@&|@!|@|#)?(?<id>\d{1,20}))\z")]
    private static partial Regex MentionPattern();
}
