using System.Text.Json.Nodes;
using Azure.Data.Tables;
using Azure.Storage.Blobs;
using Serverless.Platform.Installs;
using Serverless.Platform.Packages;
using Serverless.Tests.Packages.Fixtures;

namespace Serverless.Tests.Events;

/// <summary>
/// Published versions and installs written straight into storage, as the publisher and installer would
/// leave them, for tests of the fan-out that need no sandbox: a zip at <c>plugins/{id}/{version}.zip</c>
/// (for the manifest), the catalog row with the boot check's registrations, the install row.
/// </summary>
public sealed class EventPlugins(TableServiceClient tables, BlobServiceClient blobs)
{
    public PluginCatalog Catalog { get; } = new(tables, blobs);

    public InstallStore Installs { get; } = new(tables, TimeProvider.System);

    public async Task PublishAsync(string pluginId, string version, IReadOnlyDictionary<string, int?> codeEvents, IReadOnlyList<string>? manifestEvents = null, IReadOnlyList<string>? capabilities = null)
    {
        var extra = new JsonObject { ["capabilities_required"] = new JsonArray((capabilities ?? []).Select(c => (JsonNode)c).ToArray()) };
        if (manifestEvents is not null)
        {
            extra["events"] = new JsonArray(manifestEvents.Select(e => (JsonNode)e).ToArray());
        }
        var zip = PluginZip.Build(new Dictionary<string, object>
        {
            ["manifest.json"] = PluginZip.Manifest(pluginId, version, extra),
            ["plugin.py"] = "# listeners are in the catalog's registrations for these tests\n",
        });
        var parsed = PluginVersion.Parse(version);
        await Catalog.PackageBlob(pluginId, parsed).UploadAsync(BinaryData.FromBytes(zip), overwrite: true);
        var priorities = new JsonObject();
        foreach (var (name, priority) in codeEvents)
        {
            if (priority is { } p)
            {
                priorities[name] = p;
            }
        }
        var registrations = new JsonObject
        {
            ["events"] = new JsonArray(codeEvents.Keys.Select(e => (JsonNode)e).ToArray()),
            ["event_priorities"] = priorities,
            ["lifecycle"] = new JsonArray(),
        };
        await Catalog.TryRecordAsync(new PublishedPlugin(pluginId, parsed, "acme", Guid.NewGuid().ToString("N"), new Dictionary<string, VersionRequirement>(), DateTimeOffset.UtcNow) { Registrations = registrations }, CancellationToken.None);
    }

    public async Task<PluginInstall> InstallAsync(string guildId, string pluginId, string version, DateTimeOffset? installedAt = null, params string[] capabilities)
    {
        var at = installedAt ?? DateTimeOffset.UtcNow;
        var install = new PluginInstall(guildId, pluginId, "i" + Guid.NewGuid().ToString("N"), "*", PluginVersion.Parse(version), capabilities, at, at);
        await Installs.SaveAsync(install, CancellationToken.None);
        return install;
    }

    public static string NewId() => "ev_" + Guid.NewGuid().ToString("N")[..10];

    public static string NewGuild() => Random.Shared.NextInt64(100_000_000_000, 900_000_000_000).ToString();
}
