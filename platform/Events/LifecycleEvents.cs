using System.Text.Json.Nodes;
using Serverless.Platform.Dispatch;
using Serverless.Platform.Installs;
using Serverless.Platform.Interactions;
using Serverless.Platform.Invocations;
using Serverless.Platform.Packages;
using Serverless.Platform.WorkQueue;

namespace Serverless.Platform.Events;

/// <summary>
/// Lifecycle events (<c>@plugin.on_lifecycle("install" | "upgrade" | "uninstall")</c>): after the installer
/// changed an install, one work item of kind <c>lifecycle</c> runs the plugin's hook in the background, so
/// the admin call does not wait for a sandbox. Only versions whose code registered that hook (the boot
/// check's <c>describe</c>) get one. The hook's <c>event</c>: <c>{"version"}</c> for install and uninstall,
/// <c>{"from_version","to_version"}</c> for upgrade (docs/events.md, "Lifecycle events").
/// </summary>
public sealed class LifecycleEvents(PluginCatalog catalog, IWorkQueue queue)
{
    public const string WorkKind = "lifecycle";
    public const string Install = "install";
    public const string Upgrade = "upgrade";
    public const string Uninstall = "uninstall";

    /// <summary>Call after <see cref="Installer.InstallAsync"/>: install, upgrade (version changed) or nothing.</summary>
    public Task<bool> AfterInstallAsync(InstallResult result, CancellationToken cancellationToken) =>
        result.PreviousVersion is null ? EnqueueAsync(Install, result.Install, null, cancellationToken)
        : result.PreviousVersion != result.Install.Version ? EnqueueAsync(Upgrade, result.Install, result.PreviousVersion, cancellationToken)
        : Task.FromResult(false);

    /// <summary>Call after <see cref="Installer.UninstallAsync"/> with the install it removed.</summary>
    public Task<bool> AfterUninstallAsync(PluginInstall removed, CancellationToken cancellationToken) =>
        EnqueueAsync(Uninstall, removed, null, cancellationToken);

    /// <summary>Enqueues the hook when the version registered it; true when it did.</summary>
    public async Task<bool> EnqueueAsync(string hook, PluginInstall install, PluginVersion? fromVersion, CancellationToken cancellationToken)
    {
        var published = await catalog.GetVersionAsync(install.PluginId, install.Version, cancellationToken);
        var hooks = published?.Registrations?["lifecycle"] as JsonArray ?? [];
        if (!hooks.Any(h => h is JsonValue v && v.TryGetValue<string>(out var name) && name == hook))
        {
            return false;
        }
        var body = new JsonObject
        {
            ["hook"] = hook,
            ["guild_id"] = install.GuildId,
            ["plugin_id"] = install.PluginId,
            ["install_id"] = install.InstallId,
            ["version"] = install.Version.Text,
            ["from_version"] = fromVersion?.Text,
            ["capabilities"] = new JsonArray(install.Capabilities.Select(c => (JsonNode)c).ToArray()),
        };
        await queue.EnqueueAsync(WorkItem.Create(WorkKind, body), cancellationToken);
        return true;
    }

    public static JsonObject EventFor(string hook, string version, string? fromVersion) => hook == Upgrade
        ? new JsonObject { ["from_version"] = fromVersion, ["to_version"] = version }
        : new JsonObject { ["version"] = version };
}

/// <summary>Runs a queued lifecycle hook as a <c>lifecycle</c> invocation named after the hook.</summary>
public sealed class LifecycleWorkHandler(InstallStore installs, PluginInvoker invoker, DiscordActions discord, CustomEvents events, PluginLogs logs, ILogger<LifecycleWorkHandler> logger) : IWorkItemHandler
{
    public string Kind => LifecycleEvents.WorkKind;

    public async Task HandleAsync(WorkItem item, Delivery delivery, CancellationToken cancellationToken)
    {
        var body = item.Body ?? throw new WorkItemFormatException("a lifecycle work item carries no body");
        string hook, guildId, pluginId, installId;
        PluginVersion version;
        try
        {
            hook = body["hook"]!.GetValue<string>();
            guildId = body["guild_id"]!.GetValue<string>();
            pluginId = body["plugin_id"]!.GetValue<string>();
            installId = body["install_id"]!.GetValue<string>();
            version = PluginVersion.Parse(body["version"]!.GetValue<string>());
        }
        catch (Exception ex) when (ex is NullReferenceException or InvalidOperationException or FormatException or ArgumentException)
        {
            throw new WorkItemFormatException($"malformed lifecycle work item {item.Id}: {ex.Message}");
        }
        var fromVersion = body["from_version"]?.GetValue<string>();
        var granted = (body["capabilities"] as JsonArray ?? []).Select(c => c!.GetValue<string>()).ToHashSet(StringComparer.Ordinal);

        if (hook != LifecycleEvents.Uninstall)
        {
            // A hook for a version the install has already left (upgraded again, or removed) would run stale code.
            var current = await installs.GetAsync(guildId, pluginId, cancellationToken);
            if (current is null || current.InstallId != installId || current.Version != version)
            {
                logger.LogInformation("Lifecycle {Hook} of {Plugin} {Version} in guild {Guild} skipped: the install has changed since", hook, pluginId, version, guildId);
                return;
            }
            granted = current.Capabilities.ToHashSet(StringComparer.Ordinal);
        }
        var context = new InstallContext(guildId, pluginId, installId, version, granted);
        var invocation = new PluginInvocation(item.Id, PluginInvocation.Lifecycle, hook, LifecycleEvents.EventFor(hook, version.Text, fromVersion), context);
        await invoker.InvokeAsync(invocation, new EventCallRouter(discord, events, EventChain.Start()), cancellationToken);
    }

    public async Task DeadLetteredAsync(WorkItem item, string reason, CancellationToken cancellationToken)
    {
        if (item.Body?["plugin_id"]?.GetValue<string>() is { } pluginId)
        {
            await logs.AppendAsync(pluginId, item.Body["guild_id"]?.GetValue<string>(), "error", $"lifecycle {item.Body["hook"]} {reason}", item.Id, cancellationToken);
        }
    }
}
