using System.Text.Json.Nodes;
using Serverless.Functions.Invocations;
using Serverless.Functions.Packages;
using Serverless.Functions.Schedules;

namespace Serverless.Functions.Installs;

public sealed record InstallRequest(string? Version, IReadOnlyList<string>? Capabilities);

/// <summary>An install refused, with the HTTP status and a code the CLI and portal can show.</summary>
public sealed class InstallException(int status, string code, string message) : Exception(message)
{
    public int Status { get; } = status;

    public string Code { get; } = code;
}

public sealed record InstallResult(PluginInstall Install, PluginManifest Manifest, PluginVersion? PreviousVersion, IReadOnlyList<string> Requested);

/// <summary>
/// Installs, upgrades and uninstalls plugins in guilds: resolves the version requirement against published
/// versions, checks the grant against what the plugin requests, and refuses command names another
/// installed plugin already owns.
/// </summary>
public sealed class Installer(InstallStore store, PluginCatalog catalog, PluginFiles files, KvStore kv, Scheduler schedules, TimeProvider clock)
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
        var granted = (request.Capabilities ?? []).Where(c => c != Capabilities.Kv).Distinct(StringComparer.Ordinal).ToList();
        var unasked = granted.Except(requested).ToList();
        if (unasked.Count > 0)
        {
            throw new InstallException(400, "capability_not_requested", $"{pluginId} {chosen.Version} does not request {string.Join(", ", unasked)}; it requests: {string.Join(", ", requested)}");
        }
        // Commands are useless without answering them: declaring one implies interaction:respond (seed 000).
        if (manifest.SlashCommands.Count > 0 && !granted.Contains(Capabilities.InteractionRespond))
        {
            granted.Add(Capabilities.InteractionRespond);
        }

        var others = (await store.ListAsync(guildId, cancellationToken)).Where(i => i.PluginId != pluginId).ToList();
        var collisions = manifest.SlashCommands.Where(c => Interactions.BuiltInCommands.Names.Contains(c.Name))
            .Select(c => $"/{c.Name} is a platform command and cannot be declared by {pluginId}").ToList();
        foreach (var other in others)
        {
            var otherManifest = (await files.GetAsync(other.PluginId, other.Version, cancellationToken)).Manifest;
            foreach (var name in otherManifest.SlashCommands.Select(c => c.Name).Intersect(manifest.SlashCommands.Select(c => c.Name), StringComparer.Ordinal))
            {
                collisions.Add($"/{name} is declared by both {pluginId} and {other.PluginId}");
            }
        }
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
            granted.Order(StringComparer.Ordinal).ToList(),
            existing?.InstalledAt ?? now,
            now);
        await store.SaveAsync(install, cancellationToken);
        await schedules.ScheduleInstallAsync(install, cancellationToken);
        return new InstallResult(install, manifest, existing?.Version, requested);
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

    public static JsonObject ToJson(PluginInstall install, PluginManifest? manifest = null, IReadOnlyList<string>? requested = null)
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
