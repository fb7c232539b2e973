using System.Text.Json;
using System.Text.Json.Nodes;

namespace Serverless.Gateway;

/// <summary>One of the sixteen events (docs/events.md) ready to deliver: its guild, name and payload fields.</summary>
public sealed record MappedEvent(string GuildId, string Name, JsonObject Payload);

/// <summary>
/// Discord's dispatch events → the sixteen events of docs/events.md with exactly the payload fields listed
/// there. Snowflakes stay strings (as Discord sends them); a field Discord leaves out is null. Events
/// without a guild (direct messages) are dropped: installs are per guild.
/// </summary>
public sealed class EventMap
{
    /// <summary>One row of the table: the dispatch name, the platform's event name, the intent it needs, the fields.</summary>
    public sealed record Entry(string DispatchName, string Name, GatewayIntents Intent, Func<JsonElement, EventMap, JsonObject> Payload);

    public static readonly IReadOnlyList<Entry> Entries =
    [
        new("MESSAGE_CREATE", "message_create", GatewayIntents.GuildMessages, (d, _) => new()
        {
            ["message_id"] = Text(d, "id"),
            ["channel_id"] = Text(d, "channel_id"),
            ["author_id"] = Text(d, "author", "id"),
            // Discord omits "bot" for people.
            ["author_bot"] = Flag(d, "author", "bot"),
            ["content"] = Text(d, "content"),
            ["timestamp"] = Text(d, "timestamp"),
        }),
        new("MESSAGE_UPDATE", "message_edit", GatewayIntents.GuildMessages, (d, _) => new()
        {
            ["message_id"] = Text(d, "id"),
            ["channel_id"] = Text(d, "channel_id"),
            ["content"] = Text(d, "content"),
        }),
        new("MESSAGE_DELETE", "message_delete", GatewayIntents.GuildMessages, (d, _) => new()
        {
            ["message_id"] = Text(d, "id"),
            ["channel_id"] = Text(d, "channel_id"),
        }),
        new("GUILD_MEMBER_ADD", "member_join", GatewayIntents.GuildMembers, (d, _) => Member(d)),
        new("GUILD_MEMBER_REMOVE", "member_leave", GatewayIntents.GuildMembers, (d, _) => Member(d)),
        new("GUILD_MEMBER_UPDATE", "member_update", GatewayIntents.GuildMembers, (d, _) => new()
        {
            ["user_id"] = Text(d, "user", "id"),
            ["roles"] = Strings(d, "roles"),
        }),
        new("MESSAGE_REACTION_ADD", "reaction_add", GatewayIntents.GuildMessageReactions, (d, _) => Reaction(d)),
        new("MESSAGE_REACTION_REMOVE", "reaction_remove", GatewayIntents.GuildMessageReactions, (d, _) => Reaction(d)),
        new("VOICE_STATE_UPDATE", "voice_state_update", GatewayIntents.GuildVoiceStates, (d, _) => new()
        {
            ["user_id"] = Text(d, "user_id"),
            // null when the member left voice.
            ["channel_id"] = Text(d, "channel_id"),
            ["self_mute"] = Flag(d, "self_mute"),
            ["self_deaf"] = Flag(d, "self_deaf"),
        }),
        // Needs no intent; Discord sends it over the gateway only while no interactions endpoint URL is set.
        new("INTERACTION_CREATE", "interaction_create", GatewayIntents.None, (d, _) => Interaction(d)),
        new("CHANNEL_CREATE", "channel_create", GatewayIntents.Guilds, (d, _) => new()
        {
            ["id"] = Text(d, "id"),
            ["name"] = Text(d, "name"),
            ["type"] = Number(d, "type"),
        }),
        new("CHANNEL_DELETE", "channel_delete", GatewayIntents.Guilds, (d, _) => Named(d)),
        new("CHANNEL_UPDATE", "channel_update", GatewayIntents.Guilds, (d, _) => Named(d)),
        new("GUILD_ROLE_CREATE", "role_create", GatewayIntents.Guilds, (d, _) => Role(d)),
        new("GUILD_ROLE_UPDATE", "role_update", GatewayIntents.Guilds, (d, _) => Role(d)),
        // Discord sends only {guild_id, role_id} here; the name comes from what this connection saw earlier.
        new("GUILD_ROLE_DELETE", "role_delete", GatewayIntents.Guilds, (d, map) => map.DeletedRole(d)),
    ];

    private static readonly Dictionary<string, Entry> ByDispatch = Entries.ToDictionary(e => e.DispatchName, StringComparer.Ordinal);

    // role id → name per guild, filled from GUILD_CREATE and role events, so role_delete can say which role went.
    private readonly Dictionary<string, Dictionary<string, string>> _roleNames = new(StringComparer.Ordinal);

    /// <summary>The intents every mapped event needs; message content only when asked for (it is privileged).</summary>
    public static GatewayIntents RequiredIntents(bool messageContent) =>
        Entries.Aggregate(GatewayIntents.None, (all, e) => all | e.Intent) | (messageContent ? GatewayIntents.MessageContent : GatewayIntents.None);

    /// <summary>The platform's event for one dispatch, or null when it is not one of the sixteen or has no guild.</summary>
    public MappedEvent? Map(string dispatchName, JsonElement data)
    {
        Remember(dispatchName, data);
        if (!ByDispatch.TryGetValue(dispatchName, out var entry) || data.ValueKind != JsonValueKind.Object)
        {
            return null;
        }
        var guildId = Text(data, "guild_id")?.GetValue<string>();
        if (string.IsNullOrEmpty(guildId))
        {
            return null;
        }
        var payload = entry.Payload(data, this);
        Forget(dispatchName, data);
        return new MappedEvent(guildId, entry.Name, payload);
    }

    private static JsonObject Member(JsonElement d) => new()
    {
        ["user_id"] = Text(d, "user", "id"),
        ["username"] = Text(d, "user", "username"),
        ["guild_id"] = Text(d, "guild_id"),
    };

    private static JsonObject Reaction(JsonElement d) => new()
    {
        ["message_id"] = Text(d, "message_id"),
        ["channel_id"] = Text(d, "channel_id"),
        ["user_id"] = Text(d, "user_id"),
        ["emoji"] = Emoji(d),
    };

    private static JsonObject Named(JsonElement d) => new()
    {
        ["id"] = Text(d, "id"),
        ["name"] = Text(d, "name"),
    };

    private static JsonObject Role(JsonElement d) => new()
    {
        ["id"] = Text(d, "role", "id"),
        ["name"] = Text(d, "role", "name"),
    };

    private JsonObject DeletedRole(JsonElement d)
    {
        var roleId = Text(d, "role_id")?.GetValue<string>();
        string? name = null;
        if (roleId is not null && Text(d, "guild_id")?.GetValue<string>() is { } guildId && _roleNames.TryGetValue(guildId, out var roles))
        {
            roles.TryGetValue(roleId, out name);
        }
        return new JsonObject { ["id"] = roleId, ["name"] = name };
    }

    /// <summary>
    /// A unicode emoji as itself ("👍"); a custom one as "name:id", the form Discord's reaction routes take,
    /// so a plugin can pass it straight back.
    /// </summary>
    private static JsonNode? Emoji(JsonElement d)
    {
        var name = Text(d, "emoji", "name")?.GetValue<string>();
        var id = Text(d, "emoji", "id")?.GetValue<string>();
        return id is null ? name : $"{name ?? "_"}:{id}";
    }

    private static JsonObject Interaction(JsonElement d)
    {
        var type = Number(d, "type");
        var kind = (int?)type;
        // 2 application command, 4 autocomplete: a command name; 3 component, 5 modal submit: a custom id.
        var isCommand = kind is 2 or 4;
        var hasCustomId = kind is 3 or 5;
        JsonObject? modalValues = null;
        if (kind == 5 && d.TryGetProperty("data", out var data) && data.TryGetProperty("components", out var components))
        {
            modalValues = [];
            CollectModalValues(components, modalValues);
        }
        return new JsonObject
        {
            ["interaction_id"] = Text(d, "id"),
            ["interaction_type"] = type,
            ["command_name"] = isCommand ? Text(d, "data", "name") : null,
            ["custom_id"] = hasCustomId ? Text(d, "data", "custom_id") : null,
            ["modal_values"] = modalValues,
        };
    }

    /// <summary>
    /// Modal submits nest inputs in action rows ("components") or labels ("component"); a text input has
    /// a "value", a select in a label has "values".
    /// </summary>
    private static void CollectModalValues(JsonElement node, JsonObject values)
    {
        if (node.ValueKind == JsonValueKind.Array)
        {
            foreach (var item in node.EnumerateArray())
            {
                CollectModalValues(item, values);
            }
            return;
        }
        if (node.ValueKind != JsonValueKind.Object)
        {
            return;
        }
        if (Text(node, "custom_id")?.GetValue<string>() is { } customId)
        {
            if (node.TryGetProperty("value", out var value) && value.ValueKind == JsonValueKind.String)
            {
                values[customId] = value.GetString();
            }
            else if (node.TryGetProperty("values", out var many) && many.ValueKind == JsonValueKind.Array)
            {
                values[customId] = JsonNode.Parse(many.GetRawText());
            }
        }
        foreach (var child in new[] { "components", "component" })
        {
            if (node.TryGetProperty(child, out var nested))
            {
                CollectModalValues(nested, values);
            }
        }
    }

    private void Remember(string dispatchName, JsonElement d)
    {
        var guildKey = dispatchName is "GUILD_CREATE" or "GUILD_DELETE" ? "id" : "guild_id";
        if (d.ValueKind != JsonValueKind.Object || Text(d, guildKey)?.GetValue<string>() is not { } guildId)
        {
            return;
        }
        switch (dispatchName)
        {
            case "GUILD_CREATE" when d.TryGetProperty("roles", out var roles) && roles.ValueKind == JsonValueKind.Array:
                var names = new Dictionary<string, string>(StringComparer.Ordinal);
                foreach (var role in roles.EnumerateArray())
                {
                    if (Text(role, "id")?.GetValue<string>() is { } id && Text(role, "name")?.GetValue<string>() is { } name)
                    {
                        names[id] = name;
                    }
                }
                _roleNames[guildId] = names;
                break;
            // "unavailable" means an outage, not that the bot left; the guild comes back with GUILD_CREATE.
            case "GUILD_DELETE" when !(Find(d, ["unavailable"]) is { ValueKind: JsonValueKind.True }):
                _roleNames.Remove(guildId);
                break;
            case "GUILD_ROLE_CREATE" or "GUILD_ROLE_UPDATE":
                if (Text(d, "role", "id")?.GetValue<string>() is { } roleId && Text(d, "role", "name")?.GetValue<string>() is { } roleName)
                {
                    if (!_roleNames.TryGetValue(guildId, out var known))
                    {
                        _roleNames[guildId] = known = new Dictionary<string, string>(StringComparer.Ordinal);
                    }
                    known[roleId] = roleName;
                }
                break;
        }
    }

    private void Forget(string dispatchName, JsonElement d)
    {
        if (dispatchName == "GUILD_ROLE_DELETE" && Text(d, "guild_id")?.GetValue<string>() is { } guildId
            && Text(d, "role_id")?.GetValue<string>() is { } roleId && _roleNames.TryGetValue(guildId, out var roles))
        {
            roles.Remove(roleId);
        }
    }

    private static JsonNode? Text(JsonElement d, params ReadOnlySpan<string> path) =>
        Find(d, path) is { ValueKind: JsonValueKind.String } value ? JsonValue.Create(value.GetString()) : null;

    private static JsonNode? Flag(JsonElement d, params ReadOnlySpan<string> path) =>
        Find(d, path) is { ValueKind: JsonValueKind.True or JsonValueKind.False } value ? JsonValue.Create(value.GetBoolean()) : JsonValue.Create(false);

    private static JsonNode? Number(JsonElement d, params ReadOnlySpan<string> path) =>
        Find(d, path) is { ValueKind: JsonValueKind.Number } value && value.TryGetInt32(out var number) ? JsonValue.Create(number) : null;

    private static JsonArray Strings(JsonElement d, params ReadOnlySpan<string> path)
    {
        var array = new JsonArray();
        if (Find(d, path) is { ValueKind: JsonValueKind.Array } items)
        {
            foreach (var item in items.EnumerateArray())
            {
                if (item.ValueKind == JsonValueKind.String)
                {
                    array.Add(item.GetString());
                }
            }
        }
        return array;
    }

    private static JsonElement? Find(JsonElement d, ReadOnlySpan<string> path)
    {
        var current = d;
        foreach (var name in path)
        {
            if (current.ValueKind != JsonValueKind.Object || !current.TryGetProperty(name, out current))
            {
                return null;
            }
        }
        return current;
    }
}
