using System.Collections.Concurrent;
using System.Text.Json.Nodes;
using Serverless.Platform.Installs;
using Serverless.Platform.Invocations;
using Serverless.Platform.Packages;

namespace Serverless.Platform.Events;

/// <summary>An install that listens to an event, and where it stands in the listeners' order.</summary>
public sealed record EventListener(PluginInstall Install, int Priority);

/// <summary>
/// Which installs of a guild listen to an event. A version's subscriptions are what its code registered
/// at the boot check (<c>describe</c>: <c>events</c>, and <c>event_priorities</c> since the SDK took
/// <c>priority=</c>) plus the manifest's <c>events</c> list; versions are immutable, so they are read once
/// per host. Order (docs/events.md): lower priority value first, default 1000; ties go to the earlier
/// install, then the plugin id, so the order is the same on every host.
/// </summary>
public sealed class EventListeners(InstallStore installs, PluginCatalog catalog, PluginFiles files)
{
    /// <summary>A listener without a priority has 1000 (docs/events.md, sandbox/sdk/README.md).</summary>
    public const int DefaultPriority = 1000;

    private readonly ConcurrentDictionary<string, IReadOnlyDictionary<string, int>> _subscriptions = new(StringComparer.Ordinal);

    public async Task<IReadOnlyList<EventListener>> FindAsync(string guildId, string eventName, string? excludePluginId, CancellationToken cancellationToken)
    {
        var candidates = (await installs.ListAsync(guildId, cancellationToken)).Where(i => i.PluginId != excludePluginId).ToList();
        var subscriptions = await Task.WhenAll(candidates.Select(i => SubscriptionsAsync(i.PluginId, i.Version, cancellationToken)));
        var listeners = new List<EventListener>();
        for (var i = 0; i < candidates.Count; i++)
        {
            if (subscriptions[i].TryGetValue(eventName, out var priority))
            {
                listeners.Add(new EventListener(candidates[i], priority));
            }
        }
        return listeners
            .OrderBy(l => l.Priority)
            .ThenBy(l => l.Install.InstalledAt)
            .ThenBy(l => l.Install.PluginId, StringComparer.Ordinal)
            .ToList();
    }

    /// <summary>Event name → the plugin's priority for it (its lowest listener's).</summary>
    public async Task<IReadOnlyDictionary<string, int>> SubscriptionsAsync(string pluginId, PluginVersion version, CancellationToken cancellationToken)
    {
        var key = $"{pluginId}/{version.Text}";
        if (_subscriptions.TryGetValue(key, out var known))
        {
            return known;
        }
        var published = await catalog.GetVersionAsync(pluginId, version, cancellationToken);
        var manifest = (await files.GetAsync(pluginId, version, cancellationToken)).Manifest;
        var subscriptions = Read(published?.Registrations, manifest.Events);
        _subscriptions.TryAdd(key, subscriptions);
        return subscriptions;
    }

    internal static IReadOnlyDictionary<string, int> Read(JsonObject? registrations, IEnumerable<string> manifestEvents)
    {
        var result = new Dictionary<string, int>(StringComparer.Ordinal);
        var priorities = registrations?["event_priorities"] as JsonObject;
        foreach (var node in registrations?["events"] as JsonArray ?? [])
        {
            if (node is JsonValue value && value.TryGetValue<string>(out var name))
            {
                result[name] = priorities?[name] is JsonValue p && p.TryGetValue<int>(out var priority) ? priority : DefaultPriority;
            }
        }
        foreach (var name in manifestEvents)
        {
            result.TryAdd(name, DefaultPriority);
        }
        return result;
    }
}
