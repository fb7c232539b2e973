using System.Text.Json.Nodes;
using Serverless.Platform.Events;
using Serverless.Platform.Invocations;
using Serverless.Platform.Packages;
using Serverless.Platform.Schedules;

namespace Serverless.Platform.Installs;

public sealed record InstallRequest(string? Version, IReadOnlyList<string>? Capabilities);

/// <summary>An install refused, with the HTTP status and a code the CLI and portal can show.</summary>
public sealed class InstallException(int status, string code, string message) : Exception(message)
{
    public int Status { get; } = status;

    public string Code { get; } = code;
}

public sealed record InstallResult(PluginInstall Install, PluginManifest Manifest, PluginVersion? PreviousVersion, IReadOnlyList<string> Requested);

/// <summary>
/// A newer version the install's requirement allows but the install is not on: <c>awaiting_consent</c> (it asks for
/// capabilities not granted), <c>blocked</c> (one of its commands is another plugin's here) or <c>available</c> (nothing
/// stands in the way; an upgrade not made yet). <see cref="Reason"/> says what stops it and what to do.
/// </summary>
public sealed record PendingUpdate(PluginVersion Version, string Status, IReadOnlyList<string> NewCapabilities, string Reason)
{
    public const string Available = "available";
    public const string AwaitingConsent = "awaiting_consent";
    public const string Blocked = "blocked";

    public JsonObject ToJson() => new()
    {
        ["version"] = Version.Text,
        ["status"] = Status,
        ["new_capabilities"] = new JsonArray(NewCapabilities.Select(c => (JsonNode)c).ToArray()),
        ["reason"] = Reason,
    };
}

/// <summary>
/// Installs, upgrades and uninstalls plugins in guilds: resolves the version requirement against published
/// versions, checks the grant against what the plugin requests, and refuses command names another
/// installed plugin already owns. A published version reaches the installs that may take it without a new
/// consent (<see cref="UpgradeInstallsAsync"/>); the others show it as <see cref="PendingUpdate"/>.
/// </summary>
public sealed class Installer(
    InstallStore store,
    PluginCatalog catalog,
    PluginFiles files,
    KvStore kv,
    Scheduler schedules,
    CommandSync commands,
    TimeProvider clock,
    ILogger<Installer> logger,
    LifecycleEvents? lifecycle = null)
{
    public async Task<InstallResult> InstallAsync(string guildId, string pluginId, InstallRequest request, CancellationToken cancellationToken)
    {
        var requirementText = string.IsNullOrWhiteSpace(request.Version) ? "*" : request.Version.Trim();
        if (!VersionRequirement.TryParse(requirementText, out var requirement, out var requirementError))
        {
            throw new InstallException(400, "invalid_requirement", $"\"{requirementText}\" is not a version requirement: {requirementError}");
        }
        var versions = await catalog.GetVersionsAsync(pluginId, cancellationToken);
        if (versions.Count == 0)
        {
            throw new InstallException(404, "plugin_not_found", $"no plugin '{pluginId}' is published");
        }
        var chosen = versions.Where(v => requirement.IsSatisfiedBy(v.Version)).MaxBy(v => v.Version)
            ?? throw new InstallException(409, "no_matching_version", $"no published version of {pluginId} satisfies '{requirementText}' (published: {string.Join(", ", versions.Select(v => v.Version))})");
        var manifest = (await files.GetAsync(pluginId, chosen.Version, cancellationToken)).Manifest;

        var requested = manifest.EffectiveCapabilities.Order(StringComparer.Ordinal).ToList();
        // "kv" is no capability any more (every install has its own store): a client that still grants it is not refused for that.
        var unasked = (request.Capabilities ?? []).Where(c => c != Capabilities.Kv).Except(requested).ToList();
        if (unasked.Count > 0)
        {
            throw new InstallException(400, "capability_not_requested", $"{pluginId} {chosen.Version} does not request {string.Join(", ", unasked)}; it requests: {string.Join(", ", requested)}");
        }
        var granted = Grant(manifest, request.Capabilities ?? []);

        var collisions = await CollisionsAsync(guildId, pluginId, manifest, cancellationToken);
        if (collisions.Count > 0)
        {
            throw new InstallException(409, "command_collision", string.Join("; ", collisions));
        }

        var existing = await store.GetAsync(guildId, pluginId, cancellationToken);
        var now = clock.GetUtcNow();
        var install = new PluginInstall(
            guildId,
            pluginId,
            existing?.InstallId ?? "i" + Guid.NewGuid().ToString("N"),
            requirementText,
            chosen.Version,
            granted,
            existing?.InstalledAt ?? now,
            now);
        await store.SaveAsync(install, cancellationToken);
        await schedules.ScheduleInstallAsync(install, cancellationToken);
        return new InstallResult(install, manifest, existing?.Version, requested);
    }

    /// <summary>
    /// Brings <paramref name="version"/>, just published, to every install of the plugin whose requirement allows it and
    /// that runs an older version: the install moves to it, its schedules are registered again, its guild's commands
    /// synced and its upgrade hook queued. An install it would need a new grant from, or whose guild has another plugin
    /// with one of its commands, stays where it is (<see cref="PendingUpdateAsync"/> says why). Safe to repeat: a publish
    /// that died half-way is finished by running it again (UploadProcessor does), an install already on the version
    /// getting its schedules and commands registered again; only an upgrade hook whose run died is not queued again.
    /// </summary>
    public async Task UpgradeInstallsAsync(string pluginId, PluginVersion version, CancellationToken cancellationToken)
    {
        foreach (var (install, etag) in await store.ListForPluginAsync(pluginId, cancellationToken))
        {
            if (!VersionRequirement.TryParse(install.Requirement, out var requirement, out _) || !requirement.IsSatisfiedBy(version) || install.Version > version)
            {
                continue;
            }
            var current = install;
            if (install.Version < version)
            {
                var (update, grant) = await EvaluateAsync(install, version, cancellationToken);
                if (update.Status != PendingUpdate.Available)
                {
                    logger.LogInformation("Install of {Plugin} in guild {Guild} stays on {Version}: {Reason}", pluginId, install.GuildId, install.Version, update.Reason);
                    continue;
                }
                current = install with { Version = version, Capabilities = grant, UpdatedAt = clock.GetUtcNow() };
                if (!await store.TryReplaceAsync(current, etag, cancellationToken))
                {
                    // Changed or removed since it was read (an admin's install or uninstall): that change stands.
                    continue;
                }
            }
            await schedules.ScheduleInstallAsync(current, cancellationToken);
            var sync = await commands.SyncAsync(current.GuildId, cancellationToken);
            var upgraded = current.Version != install.Version;
            if (upgraded && lifecycle is not null)
            {
                await lifecycle.EnqueueAsync(LifecycleEvents.Upgrade, current, install.Version, cancellationToken);
            }
            logger.LogInformation("Install of {Plugin} in guild {Guild} {What} {Version}; commands sync {Sync}", pluginId, current.GuildId, upgraded ? $"upgraded from {install.Version} to" : "already on", version, sync.Status);
        }
    }

    /// <summary>
    /// The newest published version the install's requirement allows, when the install is not on it: what stops the
    /// install from taking it, or <see cref="PendingUpdate.Available"/>. Null when the install is on the newest it allows.
    /// </summary>
    public async Task<PendingUpdate?> PendingUpdateAsync(PluginInstall install, CancellationToken cancellationToken)
    {
        if (!VersionRequirement.TryParse(install.Requirement, out var requirement, out _))
        {
            return null;
        }
        var newest = (await catalog.GetVersionsAsync(install.PluginId, cancellationToken)).Select(v => v.Version).Where(requirement.IsSatisfiedBy).Max();
        return newest is not null && newest > install.Version ? (await EvaluateAsync(install, newest, cancellationToken)).Update : null;
    }

    /// <summary>
    /// Whether the install may move to <paramref name="version"/> without asking anyone, and the grant it would hold
    /// there: what it was granted and the version still requests. A capability is new when this version requests it and
    /// the installed one did not, so one the admin declined before stays declined rather than asked again.
    /// </summary>
    private async Task<(PendingUpdate Update, List<string> Grant)> EvaluateAsync(PluginInstall install, PluginVersion version, CancellationToken cancellationToken)
    {
        var manifest = (await files.GetAsync(install.PluginId, version, cancellationToken)).Manifest;
        var installed = (await files.GetAsync(install.PluginId, install.Version, cancellationToken)).Manifest;
        var requested = manifest.EffectiveCapabilities;
        var grant = Grant(manifest, install.Capabilities.Where(requested.Contains));
        var added = requested.Except(installed.EffectiveCapabilities).Except(grant).Order(StringComparer.Ordinal).ToList();
        var collisions = await CollisionsAsync(install.GuildId, install.PluginId, manifest, cancellationToken);
        var what = $"{install.PluginId} {version}";
        var how = $"on the portal's Installs page, or local/plugin install {install.PluginId} --guild {install.GuildId} --version '{install.Requirement}'";
        PendingUpdate update = collisions.Count > 0
            ? new(version, PendingUpdate.Blocked, added, $"{what} is not installed here: {string.Join("; ", collisions)}. Uninstall the other plugin, or ask {install.PluginId}'s publisher to rename the command")
            : added.Count > 0
                ? new(version, PendingUpdate.AwaitingConsent, added, $"{what} also asks for {string.Join(", ", added)}: it is installed when an admin grants {(added.Count == 1 ? "it" : "them")} ({how})")
                : new(version, PendingUpdate.Available, [], $"{what} needs nothing new: upgrade to it {how}");
        return (update, grant);
    }

    /// <summary>What an install of <paramref name="manifest"/> holds when given <paramref name="capabilities"/>: a command implies interaction:respond (docs/packages.md, "Capabilities"); kv is no capability.</summary>
    private static List<string> Grant(PluginManifest manifest, IEnumerable<string> capabilities)
    {
        var granted = capabilities.Where(c => c != Capabilities.Kv).ToHashSet(StringComparer.Ordinal);
        if (manifest.SlashCommands.Count > 0)
        {
            granted.Add(Capabilities.InteractionRespond);
        }
        return granted.Order(StringComparer.Ordinal).ToList();
    }

    /// <summary>Why <paramref name="manifest"/>'s commands cannot be in the guild: a platform command's name, or one another installed plugin declares.</summary>
    private async Task<List<string>> CollisionsAsync(string guildId, string pluginId, PluginManifest manifest, CancellationToken cancellationToken)
    {
        var collisions = manifest.SlashCommands.Where(c => Interactions.BuiltInCommands.Names.Contains(c.Name))
            .Select(c => $"/{c.Name} is a platform command and cannot be declared by {pluginId}").ToList();
        foreach (var other in (await store.ListAsync(guildId, cancellationToken)).Where(i => i.PluginId != pluginId))
        {
            var otherManifest = (await files.GetAsync(other.PluginId, other.Version, cancellationToken)).Manifest;
            foreach (var name in otherManifest.SlashCommands.Select(c => c.Name).Intersect(manifest.SlashCommands.Select(c => c.Name), StringComparer.Ordinal))
            {
                collisions.Add($"/{name} is declared by both {pluginId} and {other.PluginId}");
            }
        }
        return collisions;
    }

    public async Task<PluginInstall?> UninstallAsync(string guildId, string pluginId, CancellationToken cancellationToken)
    {
        var existing = await store.GetAsync(guildId, pluginId, cancellationToken);
        if (existing is null)
        {
            return null;
        }
        await schedules.UnscheduleInstallAsync(guildId, pluginId, cancellationToken);
        await store.DeleteAsync(guildId, pluginId, cancellationToken);
        // The install's data goes with it; a later install gets a new id and starts empty.
        await kv.DeleteAllAsync(existing.InstallId, cancellationToken);
        return existing;
    }

    public static JsonObject ToJson(PluginInstall install, PluginManifest? manifest = null, IReadOnlyList<string>? requested = null, PendingUpdate? update = null)
    {
        var json = new JsonObject
        {
            ["guild_id"] = install.GuildId,
            ["plugin_id"] = install.PluginId,
            ["install_id"] = install.InstallId,
            ["requirement"] = install.Requirement,
            ["version"] = install.Version.Text,
            ["capabilities"] = new JsonObject
            {
                ["granted"] = new JsonArray(install.Capabilities.Select(c => (JsonNode)c).ToArray()),
            },
            ["installed_at"] = install.InstalledAt.ToString("O"),
            ["updated_at"] = install.UpdatedAt.ToString("O"),
            ["update"] = update?.ToJson(),
        };
        if (requested is not null)
        {
            json["capabilities"]!["requested"] = new JsonArray(requested.Select(c => (JsonNode)c).ToArray());
        }
        if (manifest is not null)
        {
            json["commands"] = new JsonArray(manifest.SlashCommands.Select(c => (JsonNode)c.Name).ToArray());
        }
        return json;
    }
}
