using System.Text.Json;

namespace Serverless.Platform.Packages;

/// <summary>
/// The parsed <c>manifest.json</c>: the plugin's metadata and dependencies, its hooks and its Discord
/// declarations, in one document. See docs/manifest.schema.json and docs/packages.md.
/// </summary>
public sealed record PluginManifest
{
    /// <summary>The dependency id that stands for the platform itself (docs/manifest.schema.json, <c>dependencies</c>).</summary>
    public const string PlatformId = "platform";

    /// <summary>The entrypoint of a package that holds this file, or whose manifest declares what code must handle, when the manifest names none.</summary>
    public const string DefaultEntrypoint = "plugin.py";

    /// <summary>The version of a manifest without one (docs/packages.md, "Manifest fields, their fallbacks and the entrypoint").</summary>
    public const string FallbackVersion = "0.0.0";

    public required string Id { get; init; }
    public required PluginVersion Version { get; init; }
    public string? Name { get; init; }
    public string? Description { get; init; }
    public IReadOnlyList<string> Authors { get; init; } = [];
    public string? Link { get; init; }
    public string? Help { get; init; }

    /// <summary>Plugin id → requirement, in manifest order; may contain <see cref="PlatformId"/>.</summary>
    public IReadOnlyDictionary<string, VersionRequirement> Dependencies { get; init; } = new Dictionary<string, VersionRequirement>();

    /// <summary>The minimum platform version, <c>platform_version</c> (docs/manifest.schema.json).</summary>
    public PluginVersion? PlatformVersion { get; init; }

    public IReadOnlyDictionary<string, HookHandler> Hooks { get; init; } = new Dictionary<string, HookHandler>();
    public IReadOnlyDictionary<string, string> Subcommands { get; init; } = new Dictionary<string, string>();
    public int ProtocolVersion { get; init; } = 1;
    public bool RawTransfer { get; init; }

    public IReadOnlyList<string> CapabilitiesRequired { get; init; } = [];
    public IReadOnlyList<SlashCommand> SlashCommands { get; init; } = [];
    public IReadOnlyList<ManifestCron> Crons { get; init; } = [];
    public bool Pool { get; init; }

    /// <summary>Relative path of the SDK entrypoint in the zip, or null for declarative and hook-only plugins.</summary>
    public string? Entrypoint { get; init; }

    public IReadOnlyList<string> Events { get; init; } = [];

    /// <summary>Declared capabilities plus <c>interaction:respond</c> when any slash command exists (docs/packages.md, "Capabilities").</summary>
    public IReadOnlySet<string> EffectiveCapabilities
    {
        get
        {
            var set = new SortedSet<string>(CapabilitiesRequired, StringComparer.Ordinal);
            if (SlashCommands.Count > 0)
            {
                set.Add(Capabilities.InteractionRespond);
            }
            return set;
        }
    }

    /// <summary>What the plugin demands of the platform: <c>dependencies.platform</c> and <c>platform_version</c> together.</summary>
    public IEnumerable<VersionRequirement> PlatformRequirements
    {
        get
        {
            if (Dependencies.TryGetValue(PlatformId, out var requirement))
            {
                yield return requirement;
            }
            if (PlatformVersion is not null)
            {
                yield return VersionRequirement.Parse(">=" + PlatformVersion.Text);
            }
        }
    }
}

/// <summary>A hook handler (docs/packages.md, "Hooks"): exactly one of a constant or an executable.</summary>
public abstract record HookHandler;

/// <summary>Answers every call with the same value, so the platform needs no sandbox for it.</summary>
public sealed record ConstantHook(JsonElement Value) : HookHandler;

/// <summary>Runs <see cref="Executable"/>; the token <c>${PLUGIN_DIR}</c> stands for the extracted plugin folder.</summary>
public sealed record ExecutableHook(string Executable, IReadOnlyList<string> Args) : HookHandler
{
    public const string PluginDirToken = "${PLUGIN_DIR}";

    /// <summary>The zip entry the executable names, or null when it is not under <c>${PLUGIN_DIR}/</c>.</summary>
    public string? PackagedPath =>
        Executable.StartsWith(PluginDirToken + "/", StringComparison.Ordinal) ? Executable[(PluginDirToken.Length + 1)..] : null;
}

/// <summary>
/// A Discord CHAT_INPUT command. <see cref="DiscordJson"/> is the command exactly as Discord's
/// API takes it (our own <c>response</c> field removed), ready for command sync.
/// </summary>
public sealed record SlashCommand(string Name, string Description, IReadOnlyList<CommandOption> Options, DeclaredResponse? Response, JsonElement DiscordJson);

public sealed record CommandOption(
    CommandOptionType Type,
    string Name,
    string Description,
    bool Required,
    bool Autocomplete,
    IReadOnlyList<CommandChoice> Choices,
    IReadOnlyList<CommandOption> Options);

public sealed record CommandChoice(string Name, JsonElement Value);

public enum CommandOptionType
{
    SubCommand = 1,
    SubCommandGroup = 2,
    String = 3,
    Integer = 4,
    Boolean = 5,
    User = 6,
    Channel = 7,
    Role = 8,
    Mentionable = 9,
    Number = 10,
    Attachment = 11,
}

/// <summary>A response the manifest declares, so the endpoint can answer without running the plugin.</summary>
public abstract record DeclaredResponse;

public sealed record MessageResponse(string? Content, bool Ephemeral, JsonElement? Components) : DeclaredResponse;

public sealed record ModalResponse(string Title, string CustomId, JsonElement Components) : DeclaredResponse;

public sealed record DeferResponse(bool Ephemeral) : DeclaredResponse;

/// <summary>A server-side cron (docs/protocol.md §6: pool workers cannot run <c>@plugin.cron</c>, so the manifest declares it).</summary>
public sealed record ManifestCron(string Id, string Spec, string Handler);

/// <summary>What an install can be granted; each gates something (the host API's method table, message content at fan-out).</summary>
public static class Capabilities
{
    public const string InteractionRespond = "interaction:respond";

    /// <summary>
    /// Once listed, but it never gated anything, and the SDK's own examples use <c>ctx.kv</c> without it: every install
    /// has its own store. A manifest may still list it (a warning); it is never requested, shown or granted.
    /// </summary>
    public const string Kv = "kv";

    public static IReadOnlySet<string> Known { get; } = new HashSet<string>(StringComparer.Ordinal)
    {
        InteractionRespond, "messages:send", "messages:read_content", "reactions:add", "reactions:remove",
        "roles:add", "roles:remove", "events:emit",
    };
}

public static class DiscordEvents
{
    /// <summary>The sixteen Discord events the platform dispatches (docs/events.md).</summary>
    public static IReadOnlySet<string> Known { get; } = new HashSet<string>(StringComparer.Ordinal)
    {
        "message_create", "message_edit", "message_delete", "member_join", "member_leave", "member_update",
        "reaction_add", "reaction_remove", "voice_state_update", "interaction_create", "channel_create",
        "channel_delete", "channel_update", "role_create", "role_delete", "role_update",
    };
}
