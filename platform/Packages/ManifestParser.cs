using System.Buffers;
using System.Globalization;
using System.Text;
using System.Text.Json;
using System.Text.RegularExpressions;
using System.Text.Unicode;
using Serverless.Platform.Schedules;

namespace Serverless.Platform.Packages;

/// <summary>The outcome of parsing a manifest: the manifest whenever its id and version are usable, and every finding.</summary>
public sealed record ManifestParseResult(PluginManifest? Manifest, IReadOnlyList<PackageIssue> Errors, IReadOnlyList<PackageIssue> Warnings)
{
    public bool IsValid => Manifest is not null && Errors.Count == 0;
}

/// <summary>
/// Parses and validates <c>manifest.json</c>, collecting every error rather than stopping at the first.
/// A manifest comes back even with errors (as long as id and version parse) so a report can name
/// the plugin; only <see cref="ManifestParseResult.IsValid"/> says it may be published.
/// </summary>
public static partial class ManifestParser
{
    public const int MaxDepth = 64;
    public const int MaxCommands = 100;
    public const int MaxOptions = 25;
    public const int MaxChoices = 25;

    /// <summary>Every top-level field the parser understands; docs/manifest.schema.json must list the same.</summary>
    public static IReadOnlyList<string> KnownFields { get; } =
    [
        "$schema", "id", "version", "name", "description", "author", "link", "help", "dependencies", "platform_version",
        "hooks", "subcommands", "protocol_version", "raw_transfer",
        "capabilities_required", "slash_commands", "crons", "pool", "entrypoint", "events",
    ];

    internal static readonly string[] CommandFields =
    [
        "name", "description", "type", "options", "default_member_permissions", "dm_permission", "nsfw",
        "name_localizations", "description_localizations", "contexts", "integration_types", "response",
    ];

    internal static readonly string[] OptionFields =
    [
        "type", "name", "description", "required", "choices", "options", "autocomplete", "min_value", "max_value",
        "min_length", "max_length", "channel_types", "name_localizations", "description_localizations",
    ];

    [GeneratedRegex(@"^[a-z0-9_]{1,64}\z")]
    internal static partial Regex IdPattern();

    [GeneratedRegex(@"^[-_\p{L}\p{N}]{1,32}\z")]
    private static partial Regex CommandNamePattern();

    [GeneratedRegex(@"^[a-z0-9_]+(\.[a-z0-9_]+)+\z")]
    private static partial Regex CustomEventPattern();

    [GeneratedRegex(@"^[A-Za-z_][A-Za-z0-9_]*\z")]
    private static partial Regex SimpleKeyPattern();

    [GeneratedRegex(@"^[A-Za-z_][A-Za-z0-9_.]{0,127}\z")]
    private static partial Regex HandlerPattern();

    /// <param name="utf8Json">the bytes of manifest.json</param>
    /// <param name="fallbackId">the id when the manifest has none: the name of the upload (<c>PUBLISHER/NAME.zip</c>), zip or folder</param>
    /// <param name="hasDefaultEntrypoint">the package holds <see cref="PluginManifest.DefaultEntrypoint"/>, so it has code to run unless the manifest says otherwise</param>
    public static ManifestParseResult Parse(ReadOnlySpan<byte> utf8Json, string? fallbackId = null, bool hasDefaultEntrypoint = false)
    {
        var issues = new Issues();
        if (utf8Json.StartsWith((ReadOnlySpan<byte>)[0xEF, 0xBB, 0xBF]))
        {
            utf8Json = utf8Json[3..];
        }
        if (utf8Json.StartsWith((ReadOnlySpan<byte>)[0xFF, 0xFE]) || utf8Json.StartsWith((ReadOnlySpan<byte>)[0xFE, 0xFF]) || !Utf8.IsValid(utf8Json))
        {
            issues.Error(IssueCodes.ManifestEncoding, "manifest.json must be UTF-8", "$");
            return issues.Result(null);
        }

        if (!FindDuplicateKeys(utf8Json, issues))
        {
            return issues.Result(null);
        }

        using var document = JsonDocument.Parse(utf8Json.ToArray(), new JsonDocumentOptions { MaxDepth = MaxDepth });
        var root = document.RootElement;
        if (root.ValueKind != JsonValueKind.Object)
        {
            issues.Error(IssueCodes.WrongType, $"the manifest must be a JSON object, not {Describe(root)}", "$");
            return issues.Result(null);
        }
        return issues.Result(ReadManifest(root, fallbackId, hasDefaultEntrypoint, issues));
    }

    /// <summary>
    /// JsonDocument keeps both values of a repeated key and lookups would silently pick one; a
    /// reader pass reports each repetition with its path instead. False when the JSON is invalid.
    /// </summary>
    private static bool FindDuplicateKeys(ReadOnlySpan<byte> utf8Json, Issues issues)
    {
        var reader = new Utf8JsonReader(utf8Json, new JsonReaderOptions { MaxDepth = MaxDepth });
        var frames = new List<Frame>();
        try
        {
            while (reader.Read())
            {
                switch (reader.TokenType)
                {
                    case JsonTokenType.StartObject:
                    case JsonTokenType.StartArray:
                        if (frames.Count > 0 && frames[^1].Keys is null)
                        {
                            frames[^1].Index++;
                        }
                        frames.Add(new Frame(reader.TokenType == JsonTokenType.StartObject ? new HashSet<string>(StringComparer.Ordinal) : null));
                        break;
                    case JsonTokenType.EndObject:
                    case JsonTokenType.EndArray:
                        frames.RemoveAt(frames.Count - 1);
                        break;
                    case JsonTokenType.PropertyName:
                        var top = frames[^1];
                        top.Property = reader.GetString()!;
                        if (!top.Keys!.Add(top.Property))
                        {
                            issues.Error(IssueCodes.DuplicateKey, $"the key '{top.Property}' appears more than once in the same object", FramePath(frames));
                        }
                        break;
                    default:
                        if (frames.Count > 0 && frames[^1].Keys is null)
                        {
                            frames[^1].Index++;
                        }
                        break;
                }
            }
            return true;
        }
        catch (JsonException e)
        {
            issues.Error(IssueCodes.ManifestJson, $"manifest.json is not valid JSON: line {e.LineNumber + 1}, byte {e.BytePositionInLine + 1}", FramePath(frames));
            return false;
        }
    }

    private sealed class Frame(HashSet<string>? keys)
    {
        public HashSet<string>? Keys { get; } = keys;
        public string Property { get; set; } = "";
        public int Index { get; set; } = -1;
    }

    private static string FramePath(List<Frame> frames)
    {
        var path = "$";
        foreach (var frame in frames)
        {
            if (frame.Keys is not null && frame.Property.Length > 0)
            {
                path = Child(path, frame.Property);
            }
            else if (frame.Keys is null && frame.Index >= 0)
            {
                path = Index(path, frame.Index);
            }
        }
        return path;
    }

    internal static string Child(string path, string name) =>
        SimpleKeyPattern().IsMatch(name) ? $"{path}.{name}" : $"{path}[{JsonSerializer.Serialize(name)}]";

    internal static string Index(string path, int index) => $"{path}[{index.ToString(CultureInfo.InvariantCulture)}]";

    private static PluginManifest? ReadManifest(JsonElement root, string? fallbackId, bool hasDefaultEntrypoint, Issues issues)
    {
        foreach (var property in root.EnumerateObject())
        {
            if (!KnownFields.Contains(property.Name))
            {
                issues.Warning(IssueCodes.UnknownField, $"unknown field '{property.Name}' is ignored", Child("$", property.Name));
            }
        }

        var id = ReadId(root, fallbackId, issues);
        var version = ReadVersion(root, "version", issues, fallback: true);
        var name = ReadString(root, "$", "name", issues, maxLength: 100);
        if (id is not null && !root.TryGetProperty("name", out _))
        {
            name = id;
            issues.Warning(IssueCodes.FieldFallback, $"the manifest has no 'name'; '{id}' (the id) is shown instead. Add \"name\": \"…\" for a display name", "$.name");
        }
        var description = ReadString(root, "$", "description", issues, maxLength: 4000);
        var authors = ReadAuthors(root, issues);
        var link = ReadLink(root, issues);
        var help = ReadString(root, "$", "help", issues, maxLength: 4000);
        var dependencies = ReadDependencies(root, issues);
        var platformVersion = ReadVersion(root, "platform_version", issues, fallback: false);
        var hooks = ReadHooks(root, issues);
        var subcommands = ReadSubcommands(root, issues);
        var protocolVersion = ReadProtocolVersion(root, issues);
        var rawTransfer = ReadBool(root, "$", "raw_transfer", issues) ?? false;
        var capabilities = ReadCapabilities(root, issues);
        var commands = ReadCommands(root, issues);
        var crons = ReadCrons(root, issues);
        var pool = ReadBool(root, "$", "pool", issues) ?? false;
        var events = ReadEvents(root, issues);
        // Code runs whenever there is code: plugin.py is the entrypoint unless a hook runs it as a script.
        var hookRunsDefault = hooks.Values.OfType<ExecutableHook>().Any(h => h.PackagedPath == PluginManifest.DefaultEntrypoint
            || h.Args.Contains(ExecutableHook.PluginDirToken + "/" + PluginManifest.DefaultEntrypoint));
        var entrypoint = ReadEntrypoint(root, issues, needsCode: (hasDefaultEntrypoint && !hookRunsDefault)
            || (hooks.Count == 0 && (commands.Count > 0 || crons.Count > 0 || events.Count > 0)));

        if (id is null || version is null)
        {
            return null;
        }
        return new PluginManifest
        {
            Id = id,
            Version = version,
            Name = name,
            Description = description,
            Authors = authors,
            Link = link,
            Help = help,
            Dependencies = dependencies,
            PlatformVersion = platformVersion,
            Hooks = hooks,
            Subcommands = subcommands,
            ProtocolVersion = protocolVersion,
            RawTransfer = rawTransfer,
            CapabilitiesRequired = capabilities,
            SlashCommands = commands,
            Crons = crons,
            Pool = pool,
            Entrypoint = entrypoint,
            Events = events,
        };
    }

    private static string? ReadId(JsonElement root, string? fallbackId, Issues issues)
    {
        if (!root.TryGetProperty("id", out _))
        {
            switch (fallbackId)
            {
                case null:
                    issues.Error(IssueCodes.MissingField, "the manifest needs an 'id'", "$.id");
                    return null;
                case PluginManifest.PlatformId:
                    issues.Error(IssueCodes.InvalidId, $"the manifest has no 'id' and the file name '{fallbackId}' is reserved for the platform itself: add \"id\" to manifest.json", "$.id");
                    return null;
                case var name when !IdPattern().IsMatch(name):
                    issues.Error(IssueCodes.InvalidId, $"the manifest has no 'id' and the file name '{name}' is not a plugin id (1 to 64 lowercase letters, digits and underscores): add \"id\" to manifest.json, or rename the zip or folder to the id", "$.id");
                    return null;
                default:
                    issues.Warning(IssueCodes.FieldFallback, $"the manifest has no 'id'; '{fallbackId}' is taken from the file name. Add \"id\": \"{fallbackId}\" so renaming the file cannot change it", "$.id");
                    return fallbackId;
            }
        }
        var id = ReadString(root, "$", "id", issues);
        if (id is null)
        {
            return null;
        }
        if (!IdPattern().IsMatch(id))
        {
            issues.Error(IssueCodes.InvalidId, $"'{id}' is not a plugin id: use 1 to 64 lowercase letters, digits and underscores", "$.id");
            return null;
        }
        if (id == PluginManifest.PlatformId)
        {
            issues.Error(IssueCodes.InvalidId, $"'{id}' is reserved for the platform itself", "$.id");
            return null;
        }
        return id;
    }

    private static PluginVersion? ReadVersion(JsonElement root, string field, Issues issues, bool fallback)
    {
        var path = Child("$", field);
        if (!root.TryGetProperty(field, out _))
        {
            if (fallback)
            {
                issues.Warning(IssueCodes.FieldFallback, $"the manifest has no '{field}'; it is {PluginManifest.FallbackVersion}. Versions are immutable, so add \"{field}\": \"1.0.0\" and raise it with every change you publish", path);
                return PluginVersion.Parse(PluginManifest.FallbackVersion);
            }
            return null;
        }
        var text = ReadString(root, "$", field, issues);
        if (text is null)
        {
            return null;
        }
        if (!PluginVersion.TryParse(text, out var version, out var error))
        {
            issues.Error(IssueCodes.InvalidVersion, error, path);
        }
        return version;
    }

    private static List<string> ReadAuthors(JsonElement root, Issues issues)
    {
        if (!root.TryGetProperty("author", out var value))
        {
            return [];
        }
        if (value.ValueKind == JsonValueKind.String)
        {
            return [value.GetString()!];
        }
        return ReadStringArray(value, "$.author", issues, "a string or a list of strings") ?? [];
    }

    private static string? ReadLink(JsonElement root, Issues issues)
    {
        var link = ReadString(root, "$", "link", issues);
        if (link is not null && !(Uri.TryCreate(link, UriKind.Absolute, out var uri) && (uri.Scheme == Uri.UriSchemeHttps || uri.Scheme == Uri.UriSchemeHttp)))
        {
            issues.Error(IssueCodes.InvalidValue, $"'{link}' is not an http(s) URL", "$.link");
            return null;
        }
        return link;
    }

    private static Dictionary<string, VersionRequirement> ReadDependencies(JsonElement root, Issues issues)
    {
        var dependencies = new Dictionary<string, VersionRequirement>(StringComparer.Ordinal);
        if (!root.TryGetProperty("dependencies", out var value) || value.ValueKind == JsonValueKind.Null)
        {
            return dependencies;
        }
        const string path = "$.dependencies";
        if (value.ValueKind == JsonValueKind.Array)
        {
            // A list of bare ids: each means "any version" (docs/manifest.schema.json, dependencies).
            var index = 0;
            foreach (var item in value.EnumerateArray())
            {
                var itemPath = Index(path, index++);
                if (item.ValueKind != JsonValueKind.String)
                {
                    issues.Error(IssueCodes.WrongType, $"a dependency id must be a string, not {Describe(item)}", itemPath);
                }
                else if (CheckDependencyId(item.GetString()!, itemPath, issues) is { } id && !dependencies.TryAdd(id, VersionRequirement.Any))
                {
                    issues.Warning(IssueCodes.DuplicateValue, $"'{id}' is listed twice", itemPath);
                }
            }
            return dependencies;
        }
        if (value.ValueKind != JsonValueKind.Object)
        {
            issues.Error(IssueCodes.WrongType, $"'dependencies' must map plugin ids to version requirements, not be {Describe(value)}", path);
            return dependencies;
        }
        foreach (var property in value.EnumerateObject())
        {
            var itemPath = Child(path, property.Name);
            var id = CheckDependencyId(property.Name, itemPath, issues);
            if (property.Value.ValueKind != JsonValueKind.String)
            {
                issues.Error(IssueCodes.WrongType, $"a version requirement must be a string such as \">=1.0.0\", not {Describe(property.Value)}", itemPath);
                continue;
            }
            if (!VersionRequirement.TryParse(property.Value.GetString(), out var requirement, out var error))
            {
                issues.Error(IssueCodes.InvalidRequirement, error, itemPath);
                continue;
            }
            if (id is not null)
            {
                dependencies[id] = requirement;
            }
        }
        return dependencies;
    }

    private static string? CheckDependencyId(string id, string path, Issues issues)
    {
        if (IdPattern().IsMatch(id))
        {
            return id;
        }
        issues.Error(IssueCodes.InvalidId, $"'{id}' is not a plugin id: use 1 to 64 lowercase letters, digits and underscores", path);
        return null;
    }

    private static Dictionary<string, HookHandler> ReadHooks(JsonElement root, Issues issues)
    {
        var hooks = new Dictionary<string, HookHandler>(StringComparer.Ordinal);
        if (ReadObject(root, "$", "hooks", issues) is not { } value)
        {
            return hooks;
        }
        foreach (var property in value.EnumerateObject())
        {
            var path = Child("$.hooks", property.Name);
            if (!IdPattern().IsMatch(property.Name))
            {
                issues.Error(IssueCodes.InvalidHook, $"'{property.Name}' is not a hook id: use 1 to 64 lowercase letters, digits and underscores", path);
            }
            if (ReadHook(property.Value, path, issues) is { } hook && IdPattern().IsMatch(property.Name))
            {
                hooks[property.Name] = hook;
            }
        }
        return hooks;
    }

    private static HookHandler? ReadHook(JsonElement value, string path, Issues issues)
    {
        if (value.ValueKind != JsonValueKind.Object)
        {
            issues.Error(IssueCodes.WrongType, $"a hook handler must be an object, not {Describe(value)}", path);
            return null;
        }
        WarnUnknown(value, path, ["constant", "executable", "args"], issues);
        var hasConstant = value.TryGetProperty("constant", out var constant);
        var hasExecutable = value.TryGetProperty("executable", out _);
        if (hasConstant == hasExecutable)
        {
            issues.Error(IssueCodes.InvalidHook, "a hook handler has exactly one of 'constant' or 'executable'", path);
            return null;
        }
        if (hasConstant)
        {
            if (value.TryGetProperty("args", out _))
            {
                issues.Error(IssueCodes.InvalidHook, "'args' belongs to executable handlers, not constant ones", Child(path, "args"));
            }
            return new ConstantHook(constant.Clone());
        }

        var executable = ReadString(value, path, "executable", issues, minLength: 1, maxLength: 1024);
        List<string> args = [];
        if (value.TryGetProperty("args", out var argsValue))
        {
            args = ReadStringArray(argsValue, Child(path, "args"), issues, "a list of strings") ?? [];
        }
        if (executable is null)
        {
            return null;
        }
        var hook = new ExecutableHook(executable, args);
        if (executable.Contains(ExecutableHook.PluginDirToken, StringComparison.Ordinal))
        {
            if (hook.PackagedPath is not { } packaged)
            {
                issues.Error(IssueCodes.InvalidHook, "${PLUGIN_DIR} may only start the executable, followed by /", Child(path, "executable"));
                return null;
            }
            if (PackagePaths.Problem(packaged) is { } problem)
            {
                issues.Error(problem.Code == IssueCodes.PathTraversal ? IssueCodes.PathTraversal : IssueCodes.InvalidHook, $"'{executable}': {problem.Reason}", Child(path, "executable"));
                return null;
            }
        }
        return hook;
    }

    private static Dictionary<string, string> ReadSubcommands(JsonElement root, Issues issues)
    {
        var subcommands = new Dictionary<string, string>(StringComparer.Ordinal);
        if (ReadObject(root, "$", "subcommands", issues) is not { } value)
        {
            return subcommands;
        }
        foreach (var property in value.EnumerateObject())
        {
            var path = Child("$.subcommands", property.Name);
            if (property.Name.Length == 0 || property.Name.Any(char.IsWhiteSpace) || property.Name.Length > 64)
            {
                issues.Error(IssueCodes.InvalidValue, $"'{property.Name}' is not a subcommand name: 1 to 64 characters without spaces", path);
            }
            else if (property.Value.ValueKind != JsonValueKind.String)
            {
                issues.Error(IssueCodes.WrongType, $"a subcommand maps to its description string, not {Describe(property.Value)}", path);
            }
            else
            {
                subcommands[property.Name] = property.Value.GetString()!;
            }
        }
        return subcommands;
    }

    private static int ReadProtocolVersion(JsonElement root, Issues issues)
    {
        if (!root.TryGetProperty("protocol_version", out var value))
        {
            return 1;
        }
        if (value.ValueKind != JsonValueKind.Number || !value.TryGetInt32(out var version))
        {
            issues.Error(IssueCodes.WrongType, $"'protocol_version' must be an integer, not {Describe(value)}", "$.protocol_version");
            return 1;
        }
        if (version != 1)
        {
            issues.Error(IssueCodes.UnsupportedProtocolVersion, $"hook protocol version {version} is unknown; this platform speaks version 1", "$.protocol_version");
        }
        return version;
    }

    private static List<string> ReadCapabilities(JsonElement root, Issues issues)
    {
        var result = new List<string>();
        if (!root.TryGetProperty("capabilities_required", out var value))
        {
            return result;
        }
        var items = ReadStringArray(value, "$.capabilities_required", issues, "a list of capability strings");
        for (var i = 0; i < (items?.Count ?? 0); i++)
        {
            var capability = items![i];
            var path = Index("$.capabilities_required", i);
            if (capability == Capabilities.Kv)
            {
                issues.Warning(IssueCodes.KvNeedsNoCapability, "kv needs no capability; every install has its own store. Remove it from capabilities_required", path);
            }
            else if (!Capabilities.Known.Contains(capability))
            {
                issues.Error(IssueCodes.UnknownCapability, $"unknown capability '{capability}'; known: {string.Join(", ", Capabilities.Known.Order(StringComparer.Ordinal))}", path);
            }
            else if (result.Contains(capability))
            {
                issues.Warning(IssueCodes.DuplicateValue, $"capability '{capability}' is listed twice", path);
            }
            else
            {
                result.Add(capability);
            }
        }
        return result;
    }

    private static List<string> ReadEvents(JsonElement root, Issues issues)
    {
        var result = new List<string>();
        if (!root.TryGetProperty("events", out var value))
        {
            return result;
        }
        var items = ReadStringArray(value, "$.events", issues, "a list of event names");
        for (var i = 0; i < (items?.Count ?? 0); i++)
        {
            var name = items![i];
            var path = Index("$.events", i);
            if (!DiscordEvents.Known.Contains(name) && !(name.Length <= 128 && CustomEventPattern().IsMatch(name)))
            {
                issues.Error(IssueCodes.UnknownEvent, $"'{name}' is neither a Discord event ({string.Join(", ", DiscordEvents.Known)}) nor a dotted custom event such as my_plugin.task_done", path);
            }
            else if (result.Contains(name))
            {
                issues.Warning(IssueCodes.DuplicateValue, $"event '{name}' is listed twice", path);
            }
            else
            {
                result.Add(name);
            }
        }
        return result;
    }

    private static string? ReadEntrypoint(JsonElement root, Issues issues, bool needsCode)
    {
        if (!root.TryGetProperty("entrypoint", out var value))
        {
            return needsCode ? PluginManifest.DefaultEntrypoint : null;
        }
        if (value.ValueKind == JsonValueKind.Null)
        {
            return null;
        }
        var entrypoint = ReadString(root, "$", "entrypoint", issues);
        if (entrypoint is not null && PackagePaths.Problem(entrypoint) is { } problem)
        {
            issues.Error(problem.Code == IssueCodes.PathTraversal ? IssueCodes.PathTraversal : IssueCodes.InvalidEntrypoint,
                $"the entrypoint must be a relative path inside the zip: {problem.Reason}", "$.entrypoint");
            return null;
        }
        return entrypoint;
    }

    private static List<ManifestCron> ReadCrons(JsonElement root, Issues issues)
    {
        var crons = new List<ManifestCron>();
        if (!root.TryGetProperty("crons", out var value))
        {
            return crons;
        }
        if (value.ValueKind != JsonValueKind.Array)
        {
            issues.Error(IssueCodes.WrongType, $"'crons' must be a list of {{\"id\", \"spec\", \"handler\"}} objects, not {Describe(value)}", "$.crons");
            return crons;
        }
        var ids = new HashSet<string>(StringComparer.Ordinal);
        var index = 0;
        foreach (var item in value.EnumerateArray())
        {
            var path = Index("$.crons", index++);
            if (item.ValueKind != JsonValueKind.Object)
            {
                issues.Error(IssueCodes.WrongType, $"a cron must be an object, not {Describe(item)}", path);
                continue;
            }
            WarnUnknown(item, path, ["id", "spec", "handler"], issues);
            var id = ReadString(item, path, "id", issues, required: true, minLength: 1, maxLength: 100);
            var spec = ReadString(item, path, "spec", issues, required: true, minLength: 1, maxLength: 200);
            var handler = ReadString(item, path, "handler", issues, required: true, minLength: 1, maxLength: 128);
            var valid = id is not null && spec is not null && handler is not null;
            if (id is not null && !ids.Add(id))
            {
                issues.Error(IssueCodes.DuplicateValue, $"cron id '{id}' is used twice", Child(path, "id"));
                valid = false;
            }
            if (spec is not null && !CronSpec.TryParse(spec, out _, out var problems))
            {
                foreach (var problem in problems)
                {
                    issues.Error(IssueCodes.InvalidCron, $"'{spec}' is not a valid cron spec (minute hour day-of-month month day-of-week, UTC; day-of-week 0=Sunday to 6=Saturday): {problem}", Child(path, "spec"));
                }
                valid = false;
            }
            if (handler is not null && !HandlerPattern().IsMatch(handler))
            {
                issues.Error(IssueCodes.InvalidCron, $"'{handler}' is not a handler name", Child(path, "handler"));
                valid = false;
            }
            if (valid)
            {
                crons.Add(new ManifestCron(id!, spec!, handler!));
            }
        }
        return crons;
    }

    private static List<SlashCommand> ReadCommands(JsonElement root, Issues issues)
    {
        var commands = new List<SlashCommand>();
        if (!root.TryGetProperty("slash_commands", out var value))
        {
            return commands;
        }
        const string path = "$.slash_commands";
        if (value.ValueKind != JsonValueKind.Array)
        {
            issues.Error(IssueCodes.WrongType, $"'slash_commands' must be a list of commands, not {Describe(value)}", path);
            return commands;
        }
        if (value.GetArrayLength() > MaxCommands)
        {
            issues.Error(IssueCodes.TooManyCommands, $"{value.GetArrayLength()} commands; Discord allows at most {MaxCommands}", path);
        }
        var names = new HashSet<string>(StringComparer.Ordinal);
        var index = 0;
        foreach (var item in value.EnumerateArray())
        {
            var itemPath = Index(path, index++);
            var command = ReadCommand(item, itemPath, issues);
            if (command is null)
            {
                continue;
            }
            if (!names.Add(command.Name))
            {
                issues.Error(IssueCodes.DuplicateCommand, $"command '{command.Name}' is declared twice", Child(itemPath, "name"));
                continue;
            }
            commands.Add(command);
        }
        return commands;
    }

    private static SlashCommand? ReadCommand(JsonElement item, string path, Issues issues)
    {
        if (item.ValueKind != JsonValueKind.Object)
        {
            issues.Error(IssueCodes.WrongType, $"a command must be an object, not {Describe(item)}", path);
            return null;
        }
        var before = issues.ErrorCount;
        WarnUnknown(item, path, CommandFields, issues);
        if (item.TryGetProperty("type", out var type) && !(type.ValueKind == JsonValueKind.Number && type.TryGetInt32(out var t) && t == 1))
        {
            issues.Error(IssueCodes.InvalidCommand, "only CHAT_INPUT commands (type 1) can be declared", Child(path, "type"));
        }
        var name = ReadName(item, path, issues);
        var description = ReadDescription(item, path, issues);
        var options = ReadOptions(item, path, OptionParent.Command, issues);
        DeclaredResponse? response = null;
        if (item.TryGetProperty("response", out var responseValue) && responseValue.ValueKind != JsonValueKind.Null)
        {
            response = ReadResponse(responseValue, Child(path, "response"), issues);
        }
        if (name is null || description is null || issues.ErrorCount != before)
        {
            return null;
        }
        return new SlashCommand(name, description, options, response, WithoutResponse(item));
    }

    private static JsonElement WithoutResponse(JsonElement command)
    {
        var buffer = new ArrayBufferWriter<byte>();
        using (var writer = new Utf8JsonWriter(buffer))
        {
            writer.WriteStartObject();
            foreach (var property in command.EnumerateObject())
            {
                if (property.Name != "response")
                {
                    property.WriteTo(writer);
                }
            }
            writer.WriteEndObject();
        }
        using var document = JsonDocument.Parse(buffer.WrittenMemory);
        return document.RootElement.Clone();
    }

    private enum OptionParent
    {
        Command,
        SubCommandGroup,
        SubCommand,
    }

    private static List<CommandOption> ReadOptions(JsonElement owner, string ownerPath, OptionParent parent, Issues issues)
    {
        var options = new List<CommandOption>();
        if (!owner.TryGetProperty("options", out var value) || value.ValueKind == JsonValueKind.Null)
        {
            return options;
        }
        var path = Child(ownerPath, "options");
        if (value.ValueKind != JsonValueKind.Array)
        {
            issues.Error(IssueCodes.WrongType, $"'options' must be a list, not {Describe(value)}", path);
            return options;
        }
        if (value.GetArrayLength() > MaxOptions)
        {
            issues.Error(IssueCodes.TooManyOptions, $"{value.GetArrayLength()} options; Discord allows at most {MaxOptions}", path);
        }
        var names = new HashSet<string>(StringComparer.Ordinal);
        var sawOptional = false;
        var sawNested = false;
        var sawPlain = false;
        var index = 0;
        foreach (var item in value.EnumerateArray())
        {
            var itemPath = Index(path, index++);
            var option = ReadOption(item, itemPath, parent, issues);
            if (option is null)
            {
                continue;
            }
            if (!names.Add(option.Name))
            {
                issues.Error(IssueCodes.InvalidCommand, $"option '{option.Name}' is declared twice at this level", Child(itemPath, "name"));
            }
            var nested = option.Type is CommandOptionType.SubCommand or CommandOptionType.SubCommandGroup;
            if ((nested && sawPlain) || (!nested && sawNested))
            {
                issues.Error(IssueCodes.OptionNesting, "subcommands and subcommand groups cannot be mixed with plain options at the same level", itemPath);
            }
            sawNested |= nested;
            sawPlain |= !nested;
            if (!nested)
            {
                if (option.Required && sawOptional)
                {
                    issues.Error(IssueCodes.OptionOrder, $"required option '{option.Name}' must come before every optional one", Child(itemPath, "required"));
                }
                sawOptional |= !option.Required;
            }
            options.Add(option);
        }
        return options;
    }

    private static CommandOption? ReadOption(JsonElement item, string path, OptionParent parent, Issues issues)
    {
        if (item.ValueKind != JsonValueKind.Object)
        {
            issues.Error(IssueCodes.WrongType, $"an option must be an object, not {Describe(item)}", path);
            return null;
        }
        var before = issues.ErrorCount;
        WarnUnknown(item, path, OptionFields, issues);
        CommandOptionType? type = null;
        if (!item.TryGetProperty("type", out var typeValue))
        {
            issues.Error(IssueCodes.MissingField, "an option needs a 'type'", Child(path, "type"));
        }
        else if (typeValue.ValueKind != JsonValueKind.Number || !typeValue.TryGetInt32(out var raw) || raw is < 1 or > 11)
        {
            issues.Error(IssueCodes.InvalidOptionType, $"option type {typeValue.GetRawText()} is unknown; use 1 (SUB_COMMAND), 2 (SUB_COMMAND_GROUP), 3 (STRING), 4 (INTEGER), 5 (BOOLEAN), 6 (USER), 7 (CHANNEL), 8 (ROLE), 9 (MENTIONABLE), 10 (NUMBER) or 11 (ATTACHMENT)", Child(path, "type"));
        }
        else
        {
            type = (CommandOptionType)raw;
        }

        var name = ReadName(item, path, issues);
        var description = ReadDescription(item, path, issues);
        var required = ReadBool(item, path, "required", issues) ?? false;
        var autocomplete = ReadBool(item, path, "autocomplete", issues) ?? false;

        if (type is { } kind)
        {
            var nested = kind is CommandOptionType.SubCommand or CommandOptionType.SubCommandGroup;
            if (kind == CommandOptionType.SubCommandGroup && parent != OptionParent.Command)
            {
                issues.Error(IssueCodes.OptionNesting, "a subcommand group can only sit directly under a command (groups nest one level)", Child(path, "type"));
            }
            else if (kind == CommandOptionType.SubCommand && parent == OptionParent.SubCommand)
            {
                issues.Error(IssueCodes.OptionNesting, "a subcommand cannot contain another subcommand", Child(path, "type"));
            }
            else if (kind != CommandOptionType.SubCommand && parent == OptionParent.SubCommandGroup)
            {
                issues.Error(IssueCodes.OptionNesting, "a subcommand group contains only subcommands (type 1)", Child(path, "type"));
            }
            if (!nested && item.TryGetProperty("options", out _))
            {
                issues.Error(IssueCodes.OptionNesting, "only subcommands and subcommand groups have 'options'", Child(path, "options"));
            }
            if (autocomplete && kind is not (CommandOptionType.String or CommandOptionType.Integer or CommandOptionType.Number))
            {
                issues.Error(IssueCodes.InvalidCommand, "'autocomplete' applies to string, integer and number options only", Child(path, "autocomplete"));
            }
            CheckRanges(item, path, kind, issues);
        }

        var choices = ReadChoices(item, path, type, issues);
        if (autocomplete && choices.Count > 0)
        {
            issues.Error(IssueCodes.AutocompleteWithChoices, "an option cannot have both 'autocomplete' and 'choices'", Child(path, "autocomplete"));
        }
        var children = type switch
        {
            CommandOptionType.SubCommand => ReadOptions(item, path, OptionParent.SubCommand, issues),
            CommandOptionType.SubCommandGroup => ReadOptions(item, path, OptionParent.SubCommandGroup, issues),
            _ => [],
        };
        if (type is null || name is null || description is null || issues.ErrorCount != before)
        {
            return null;
        }
        return new CommandOption(type.Value, name, description, required, autocomplete, choices, children);
    }

    private static void CheckRanges(JsonElement item, string path, CommandOptionType kind, Issues issues)
    {
        foreach (var field in (string[])["min_value", "max_value"])
        {
            if (item.TryGetProperty(field, out var value)
                && (kind is not (CommandOptionType.Integer or CommandOptionType.Number) || value.ValueKind != JsonValueKind.Number))
            {
                issues.Error(IssueCodes.InvalidCommand, $"'{field}' is a number on integer and number options only", Child(path, field));
            }
        }
        foreach (var field in (string[])["min_length", "max_length"])
        {
            if (item.TryGetProperty(field, out var value)
                && (kind != CommandOptionType.String || !value.TryGetInt32Safe(out var length) || length is < 0 or > 6000))
            {
                issues.Error(IssueCodes.InvalidCommand, $"'{field}' is an integer from 0 to 6000 on string options only", Child(path, field));
            }
        }
        if (item.TryGetProperty("channel_types", out var channelTypes)
            && (kind != CommandOptionType.Channel || channelTypes.ValueKind != JsonValueKind.Array || channelTypes.EnumerateArray().Any(t => !t.TryGetInt32Safe(out _))))
        {
            issues.Error(IssueCodes.InvalidCommand, "'channel_types' is a list of integers on channel options only", Child(path, "channel_types"));
        }
    }

    private static bool TryGetInt32Safe(this JsonElement element, out int value)
    {
        value = 0;
        return element.ValueKind == JsonValueKind.Number && element.TryGetInt32(out value);
    }

    private static List<CommandChoice> ReadChoices(JsonElement item, string path, CommandOptionType? type, Issues issues)
    {
        var choices = new List<CommandChoice>();
        if (!item.TryGetProperty("choices", out var value) || value.ValueKind == JsonValueKind.Null)
        {
            return choices;
        }
        var choicesPath = Child(path, "choices");
        if (value.ValueKind != JsonValueKind.Array)
        {
            issues.Error(IssueCodes.WrongType, $"'choices' must be a list, not {Describe(value)}", choicesPath);
            return choices;
        }
        if (type is { } kind && kind is not (CommandOptionType.String or CommandOptionType.Integer or CommandOptionType.Number))
        {
            issues.Error(IssueCodes.InvalidCommand, "'choices' apply to string, integer and number options only", choicesPath);
        }
        if (value.GetArrayLength() > MaxChoices)
        {
            issues.Error(IssueCodes.TooManyChoices, $"{value.GetArrayLength()} choices; Discord allows at most {MaxChoices}", choicesPath);
        }
        var index = 0;
        foreach (var choice in value.EnumerateArray())
        {
            var choicePath = Index(choicesPath, index++);
            if (choice.ValueKind != JsonValueKind.Object)
            {
                issues.Error(IssueCodes.WrongType, $"a choice must be an object with 'name' and 'value', not {Describe(choice)}", choicePath);
                continue;
            }
            WarnUnknown(choice, choicePath, ["name", "value", "name_localizations"], issues);
            var name = ReadString(choice, choicePath, "name", issues, required: true, minLength: 1, maxLength: 100);
            if (!choice.TryGetProperty("value", out var choiceValue))
            {
                issues.Error(IssueCodes.MissingField, "a choice needs a 'value'", Child(choicePath, "value"));
                continue;
            }
            var matches = type switch
            {
                CommandOptionType.String => choiceValue.ValueKind == JsonValueKind.String && choiceValue.GetString()!.Length is >= 1 and <= 100,
                CommandOptionType.Integer => choiceValue.ValueKind == JsonValueKind.Number && choiceValue.TryGetInt64(out var integer) && Math.Abs(integer) <= (1L << 53),
                CommandOptionType.Number => choiceValue.ValueKind == JsonValueKind.Number,
                _ => true,
            };
            if (!matches)
            {
                issues.Error(IssueCodes.ChoiceTypeMismatch, $"choice value {choiceValue.GetRawText()} does not fit a {type} option", Child(choicePath, "value"));
                continue;
            }
            if (name is not null)
            {
                choices.Add(new CommandChoice(name, choiceValue.Clone()));
            }
        }
        return choices;
    }

    private static string? ReadName(JsonElement item, string path, Issues issues)
    {
        var name = ReadString(item, path, "name", issues, required: true);
        if (name is not null && !(CommandNamePattern().IsMatch(name) && name == name.ToLowerInvariant()))
        {
            issues.Error(IssueCodes.InvalidCommand, $"'{name}' is not a valid name: 1 to 32 lowercase letters, digits, '-' or '_'", Child(path, "name"));
            return null;
        }
        return name;
    }

    private static string? ReadDescription(JsonElement item, string path, Issues issues) =>
        ReadString(item, path, "description", issues, required: true, minLength: 1, maxLength: 100, code: IssueCodes.InvalidCommand);

    private static DeclaredResponse? ReadResponse(JsonElement value, string path, Issues issues)
    {
        if (value.ValueKind != JsonValueKind.Object)
        {
            issues.Error(IssueCodes.WrongType, $"a response must be an object, not {Describe(value)}", path);
            return null;
        }
        var type = ReadString(value, path, "type", issues, required: true);
        switch (type)
        {
            case null:
                return null;
            case "message":
            {
                WarnUnknown(value, path, ["type", "content", "ephemeral", "components"], issues);
                var content = ReadString(value, path, "content", issues, maxLength: 2000, code: IssueCodes.InvalidResponse);
                var ephemeral = ReadBool(value, path, "ephemeral", issues) ?? false;
                var components = ReadComponents(value, path, issues, required: false);
                if (string.IsNullOrEmpty(content) && components is null)
                {
                    issues.Error(IssueCodes.InvalidResponse, "a message response needs 'content' or 'components'", path);
                    return null;
                }
                return new MessageResponse(content, ephemeral, components);
            }
            case "modal":
            {
                WarnUnknown(value, path, ["type", "title", "custom_id", "components"], issues);
                var title = ReadString(value, path, "title", issues, required: true, minLength: 1, maxLength: 45, code: IssueCodes.InvalidResponse);
                var customId = ReadString(value, path, "custom_id", issues, required: true, minLength: 1, maxLength: 100, code: IssueCodes.InvalidCustomId);
                var components = ReadComponents(value, path, issues, required: true);
                return title is null || customId is null || components is null ? null : new ModalResponse(title, customId, components.Value);
            }
            case "defer":
                WarnUnknown(value, path, ["type", "ephemeral"], issues);
                return new DeferResponse(ReadBool(value, path, "ephemeral", issues) ?? false);
            default:
                issues.Error(IssueCodes.InvalidResponse, $"response type '{type}' is unknown; use message, modal or defer", Child(path, "type"));
                return null;
        }
    }

    /// <summary>Discord component rows: checked as far as the platform relies on them (types and custom_id lengths).</summary>
    private static JsonElement? ReadComponents(JsonElement owner, string ownerPath, Issues issues, bool required)
    {
        var path = Child(ownerPath, "components");
        if (!owner.TryGetProperty("components", out var value))
        {
            if (required)
            {
                issues.Error(IssueCodes.MissingField, "'components' is required here", path);
            }
            return null;
        }
        if (value.ValueKind != JsonValueKind.Array || value.GetArrayLength() is 0 or > 5)
        {
            issues.Error(IssueCodes.InvalidResponse, "'components' must be a list of 1 to 5 rows", path);
            return null;
        }
        var before = issues.ErrorCount;
        CheckComponents(value, path, issues);
        return issues.ErrorCount == before ? value.Clone() : null;
    }

    private static void CheckComponents(JsonElement list, string path, Issues issues)
    {
        var index = 0;
        foreach (var component in list.EnumerateArray())
        {
            var itemPath = Index(path, index++);
            if (component.ValueKind != JsonValueKind.Object || !component.TryGetProperty("type", out var type) || !type.TryGetInt32Safe(out _))
            {
                issues.Error(IssueCodes.InvalidResponse, "a component is an object with an integer 'type'", itemPath);
                continue;
            }
            if (component.TryGetProperty("custom_id", out _))
            {
                ReadString(component, itemPath, "custom_id", issues, minLength: 1, maxLength: 100, code: IssueCodes.InvalidCustomId);
            }
            if (component.TryGetProperty("components", out var children))
            {
                if (children.ValueKind != JsonValueKind.Array)
                {
                    issues.Error(IssueCodes.WrongType, "'components' must be a list", Child(itemPath, "components"));
                }
                else
                {
                    CheckComponents(children, Child(itemPath, "components"), issues);
                }
            }
        }
    }

    private static JsonElement? ReadObject(JsonElement owner, string ownerPath, string field, Issues issues)
    {
        if (!owner.TryGetProperty(field, out var value) || value.ValueKind == JsonValueKind.Null)
        {
            return null;
        }
        if (value.ValueKind != JsonValueKind.Object)
        {
            issues.Error(IssueCodes.WrongType, $"'{field}' must be an object, not {Describe(value)}", Child(ownerPath, field));
            return null;
        }
        return value;
    }

    private static string? ReadString(JsonElement owner, string ownerPath, string field, Issues issues,
        bool required = false, int minLength = 0, int maxLength = int.MaxValue, string code = IssueCodes.InvalidValue)
    {
        var path = Child(ownerPath, field);
        if (!owner.TryGetProperty(field, out var value))
        {
            if (required)
            {
                issues.Error(IssueCodes.MissingField, $"'{field}' is required", path);
            }
            return null;
        }
        if (value.ValueKind != JsonValueKind.String)
        {
            issues.Error(IssueCodes.WrongType, $"'{field}' must be a string, not {Describe(value)}", path);
            return null;
        }
        var text = value.GetString()!;
        if (text.Length < minLength || text.Length > maxLength)
        {
            var range = maxLength == int.MaxValue ? $"at least {minLength}" : $"{minLength} to {maxLength}";
            issues.Error(code, $"'{field}' must be {range} characters long, not {text.Length}", path);
            return null;
        }
        return text;
    }

    private static bool? ReadBool(JsonElement owner, string ownerPath, string field, Issues issues)
    {
        if (!owner.TryGetProperty(field, out var value))
        {
            return null;
        }
        if (value.ValueKind is not (JsonValueKind.True or JsonValueKind.False))
        {
            issues.Error(IssueCodes.WrongType, $"'{field}' must be true or false, not {Describe(value)}", Child(ownerPath, field));
            return null;
        }
        return value.GetBoolean();
    }

    private static List<string>? ReadStringArray(JsonElement value, string path, Issues issues, string expected)
    {
        if (value.ValueKind != JsonValueKind.Array)
        {
            issues.Error(IssueCodes.WrongType, $"expected {expected}, not {Describe(value)}", path);
            return null;
        }
        var result = new List<string>();
        var index = 0;
        foreach (var item in value.EnumerateArray())
        {
            if (item.ValueKind == JsonValueKind.String)
            {
                result.Add(item.GetString()!);
            }
            else
            {
                issues.Error(IssueCodes.WrongType, $"expected a string, not {Describe(item)}", Index(path, index));
            }
            index++;
        }
        return result;
    }

    private static void WarnUnknown(JsonElement item, string path, string[] known, Issues issues)
    {
        foreach (var property in item.EnumerateObject())
        {
            if (!known.Contains(property.Name))
            {
                issues.Warning(IssueCodes.UnknownField, $"unknown field '{property.Name}' is ignored", Child(path, property.Name));
            }
        }
    }

    private static string Describe(JsonElement value) => value.ValueKind switch
    {
        JsonValueKind.Object => "an object",
        JsonValueKind.Array => "a list",
        JsonValueKind.String => "a string",
        JsonValueKind.Number => "a number",
        JsonValueKind.True or JsonValueKind.False => "a boolean",
        JsonValueKind.Null => "null",
        _ => "nothing",
    };

    private sealed class Issues
    {
        private readonly List<PackageIssue> _errors = [];
        private readonly List<PackageIssue> _warnings = [];

        public int ErrorCount => _errors.Count;

        public void Error(string code, string message, string path) => _errors.Add(new PackageIssue(code, message, path));

        public void Warning(string code, string message, string path) => _warnings.Add(new PackageIssue(code, message, path));

        public ManifestParseResult Result(PluginManifest? manifest) => new(manifest, _errors, _warnings);
    }
}
