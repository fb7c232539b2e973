using System.Text.Json.Nodes;
using Serverless.Platform.Discord;
using Serverless.Platform.Invocations;

namespace Serverless.Platform.Installs;

/// <summary>A command the guild should have: a plugin's (with its id) or the platform's own (no plugin id).</summary>
public sealed record DeclaredCommand(string? PluginId, string Name, string Description, JsonObject Definition);

public sealed record SyncResult(string Status, int Commands, string? Error)
{
    public JsonObject ToJson() => new() { ["status"] = Status, ["commands"] = Commands, ["error"] = Error };
}

/// <summary>
/// Keeps a guild's Discord commands equal to what its installed plugins declare. Discord allows 200
/// command creates a day per guild, so it overwrites only when the declared set differs from Discord's.
/// </summary>
public sealed class CommandSync(InstallStore installs, PluginFiles files, DiscordRestClient discord, ILogger<CommandSync> logger)
{
    /// <summary>The platform's built-in commands and every installed plugin's.</summary>
    public async Task<IReadOnlyList<DeclaredCommand>> DeclaredAsync(string guildId, CancellationToken cancellationToken)
    {
        var declared = Interactions.BuiltInCommands.Definitions
            .Select(d => new DeclaredCommand(null, d["name"]!.GetValue<string>(), d["description"]!.GetValue<string>(), (JsonObject)d.DeepClone()))
            .ToList();
        foreach (var install in await installs.ListAsync(guildId, cancellationToken))
        {
            var manifest = (await files.GetAsync(install.PluginId, install.Version, cancellationToken)).Manifest;
            declared.AddRange(manifest.SlashCommands.Select(c => new DeclaredCommand(install.PluginId, c.Name, c.Description, (JsonObject)JsonNode.Parse(c.DiscordJson.GetRawText())!)));
        }
        return declared;
    }

    /// <summary>Compares with what Discord holds and changes nothing: "in_sync", "out_of_sync", or "unknown" with the error.</summary>
    public async Task<(string Status, int? Registered, string? Error)> CompareAsync(IReadOnlyList<DeclaredCommand> declared, string guildId, CancellationToken cancellationToken)
    {
        try
        {
            var current = await discord.GetGuildCommandsAsync(guildId, cancellationToken);
            return (Same(declared.Select(d => d.Definition), current.Select(c => c.Definition)) ? "in_sync" : "out_of_sync", current.Count, null);
        }
        catch (DiscordApiException ex)
        {
            return ("unknown", null, ex.Message);
        }
    }

    public async Task<SyncResult> SyncAsync(string guildId, CancellationToken cancellationToken)
    {
        var desired = (await DeclaredAsync(guildId, cancellationToken)).Select(d => d.Definition).ToList();
        try
        {
            var current = await discord.GetGuildCommandsAsync(guildId, cancellationToken);
            if (Same(desired, current.Select(c => c.Definition)))
            {
                return new SyncResult("unchanged", desired.Count, null);
            }
            await discord.BulkOverwriteGuildCommandsAsync(guildId, desired, cancellationToken);
            return new SyncResult("updated", desired.Count, null);
        }
        catch (DiscordApiException ex)
        {
            logger.LogWarning("Command sync of guild {Guild} failed: {Message}", guildId, ex.Message);
            return new SyncResult("failed", desired.Count, ex.Message);
        }
    }

    /// <summary>Compares what matters to Discord, ignoring ids, versions and defaults Discord fills in.</summary>
    internal static bool Same(IEnumerable<JsonObject> desired, IEnumerable<JsonObject> current)
    {
        static string Key(IEnumerable<JsonObject> commands) =>
            new JsonArray(commands.Select(Normalize).OrderBy(c => c["name"]!.GetValue<string>(), StringComparer.Ordinal).Select(c => (JsonNode)c).ToArray()).ToJsonString();
        return Key(desired) == Key(current);
    }

    private static JsonObject Normalize(JsonObject command)
    {
        var normalized = new JsonObject
        {
            ["name"] = command["name"]?.DeepClone(),
            ["description"] = command["description"]?.DeepClone() ?? "",
            ["type"] = command["type"]?.DeepClone() ?? 1,
            ["options"] = new JsonArray((command["options"]?.AsArray() ?? []).OfType<JsonObject>().Select(o => (JsonNode)NormalizeOption(o)).ToArray()),
        };
        return normalized;
    }

    private static JsonObject NormalizeOption(JsonObject option) => new()
    {
        ["type"] = option["type"]?.DeepClone(),
        ["name"] = option["name"]?.DeepClone(),
        ["description"] = option["description"]?.DeepClone() ?? "",
        ["required"] = option["required"]?.GetValue<bool>() ?? false,
        ["autocomplete"] = option["autocomplete"]?.GetValue<bool>() ?? false,
        ["choices"] = option["choices"]?.DeepClone() ?? new JsonArray(),
        ["options"] = new JsonArray((option["options"]?.AsArray() ?? []).OfType<JsonObject>().Select(o => (JsonNode)NormalizeOption(o)).ToArray()),
    };
}
