using System.Text.Json;
using System.Text.Json.Nodes;
using Azure;
using Azure.Data.Tables;
using Azure.Storage.Blobs;
using Serverless.Platform.Hosting;

namespace Serverless.Platform.Packages;

/// <summary>A published, immutable plugin version.</summary>
public sealed record PublishedPlugin(
    string Id,
    PluginVersion Version,
    string Publisher,
    string Sha256,
    IReadOnlyDictionary<string, VersionRequirement> Dependencies,
    DateTimeOffset PublishedAt)
{
    /// <summary>What the plugin's code registered at the boot check (docs/protocol.md <c>describe</c>), if it has code.</summary>
    public JsonObject? Registrations { get; init; }

    /// <summary>The publish report's warnings, which the version keeps so whoever installs it sees them.</summary>
    public IReadOnlyList<PackageIssue> Warnings { get; init; } = [];
}

/// <summary>
/// What is published: the zips in blob container <c>plugins/{id}/{version}.zip</c> and, in table
/// <c>plugins</c>, one row per plugin id naming its owner and one row per version.
/// </summary>
public sealed class PluginCatalog(TableServiceClient tables, BlobServiceClient blobs)
{
    public const string TableName = "plugins";
    public const string PackagesContainer = "plugins";
    private const string OwnerRow = "owner";
    private const string VersionRowPrefix = "v_";

    private TableClient Table => tables.GetTableClient(TableName);

    public BlobClient PackageBlob(string id, PluginVersion version) =>
        blobs.GetBlobContainerClient(PackagesContainer).GetBlobClient($"{id}/{version.Text}.zip");

    public async Task<string?> GetOwnerAsync(string id, CancellationToken cancellationToken) =>
        (await Table.GetEntityIfExistsAsync<PluginRow>(id, OwnerRow, cancellationToken: cancellationToken)) is { HasValue: true } owner ? owner.Value!.Publisher : null;

    /// <summary>The first publisher of an id owns it; returns the owner after the attempt.</summary>
    public async Task<string> ClaimAsync(string id, string publisher, CancellationToken cancellationToken)
    {
        try
        {
            await Table.AddEntityAsync(new PluginRow { PartitionKey = id, RowKey = OwnerRow, Publisher = publisher }, cancellationToken);
            return publisher;
        }
        catch (RequestFailedException ex) when (ex.Status == 409)
        {
            return await GetOwnerAsync(id, cancellationToken) ?? publisher;
        }
    }

    public async Task<PublishedPlugin?> GetVersionAsync(string id, PluginVersion version, CancellationToken cancellationToken)
    {
        var row = await Table.GetEntityIfExistsAsync<PluginRow>(id, VersionRowPrefix + version.Text, cancellationToken: cancellationToken);
        return row.HasValue ? FromRow(row.Value!) : null;
    }

    /// <summary>Records a version; a concurrent or repeated record of the same bytes is not a conflict.</summary>
    public async Task<bool> TryRecordAsync(PublishedPlugin plugin, CancellationToken cancellationToken)
    {
        var row = new PluginRow
        {
            PartitionKey = plugin.Id,
            RowKey = VersionRowPrefix + plugin.Version.Text,
            Version = plugin.Version.Text,
            Publisher = plugin.Publisher,
            Sha256 = plugin.Sha256,
            Dependencies = JsonSerializer.Serialize(plugin.Dependencies.ToDictionary(d => d.Key, d => d.Value.Text)),
            PublishedAt = plugin.PublishedAt,
            Registrations = plugin.Registrations?.ToJsonString(),
            Warnings = WarningsJson(plugin.Warnings),
        };
        try
        {
            await Table.AddEntityAsync(row, cancellationToken);
            return true;
        }
        catch (RequestFailedException ex) when (ex.Status == 409)
        {
            var existing = await GetVersionAsync(plugin.Id, plugin.Version, cancellationToken);
            return existing?.Sha256 == plugin.Sha256;
        }
    }

    public async Task<IReadOnlyList<PublishedPlugin>> GetVersionsAsync(string id, CancellationToken cancellationToken)
    {
        var filter = TableClient.CreateQueryFilter($"PartitionKey eq {id} and RowKey ge {VersionRowPrefix} and RowKey lt {"v`"}");
        var versions = new List<PublishedPlugin>();
        await foreach (var row in Table.QueryAsync<PluginRow>(filter, cancellationToken: cancellationToken))
        {
            versions.Add(FromRow(row));
        }
        return versions.OrderBy(v => v.Version).ToList();
    }

    /// <summary>Every plugin id with its owner, including ids whose first upload was claimed but not yet recorded.</summary>
    public async Task<IReadOnlyList<(string Id, string Publisher)>> ListAsync(CancellationToken cancellationToken)
    {
        var plugins = new List<(string, string)>();
        await foreach (var row in Table.QueryAsync<PluginRow>(TableClient.CreateQueryFilter($"RowKey eq {OwnerRow}"), cancellationToken: cancellationToken))
        {
            plugins.Add((row.PartitionKey, row.Publisher ?? ""));
        }
        return plugins;
    }

    /// <summary>Every published version, as the dependency resolver wants them.</summary>
    public async Task<IReadOnlyDictionary<string, IReadOnlyList<PublishedVersion>>> GetDependencyGraphAsync(CancellationToken cancellationToken)
    {
        var filter = TableClient.CreateQueryFilter($"RowKey ge {VersionRowPrefix} and RowKey lt {"v`"}");
        var graph = new Dictionary<string, List<PublishedVersion>>(StringComparer.Ordinal);
        await foreach (var row in Table.QueryAsync<PluginRow>(filter, select: ["PartitionKey", "RowKey", "Version", "Publisher", "Sha256", "Dependencies", "PublishedAt"], cancellationToken: cancellationToken))
        {
            var plugin = FromRow(row);
            if (!graph.TryGetValue(plugin.Id, out var list))
            {
                graph[plugin.Id] = list = [];
            }
            list.Add(new PublishedVersion(plugin.Version, plugin.Dependencies));
        }
        return graph.ToDictionary(g => g.Key, g => (IReadOnlyList<PublishedVersion>)g.Value, StringComparer.Ordinal);
    }

    private static PublishedPlugin FromRow(PluginRow row)
    {
        var dependencies = JsonSerializer.Deserialize<Dictionary<string, string>>(row.Dependencies ?? "{}") ?? [];
        return new PublishedPlugin(
            row.PartitionKey,
            PluginVersion.Parse(row.Version!),
            row.Publisher ?? "",
            row.Sha256 ?? "",
            dependencies.ToDictionary(d => d.Key, d => VersionRequirement.Parse(d.Value), StringComparer.Ordinal),
            row.PublishedAt ?? DateTimeOffset.MinValue)
        {
            Registrations = row.Registrations is { } json ? JsonNode.Parse(json) as JsonObject : null,
            Warnings = row.Warnings is { } warnings ? ReadWarnings(warnings) : [],
        };
    }

    /// <summary>As many warnings as fit a table property (32 K characters); a report with more is cut, never the record.</summary>
    private static string WarningsJson(IReadOnlyList<PackageIssue> warnings)
    {
        for (var count = warnings.Count; ; count /= 2)
        {
            var json = new JsonArray(warnings.Take(count).Select(w => (JsonNode)new JsonObject { ["code"] = w.Code, ["message"] = w.Message, ["path"] = w.Path }).ToArray()).ToJsonString();
            if (json.Length <= 30_000 || count == 0)
            {
                return json;
            }
        }
    }

    private static List<PackageIssue> ReadWarnings(string json) =>
        (JsonNode.Parse(json) as JsonArray ?? []).OfType<JsonObject>()
            .Select(w => new PackageIssue(w["code"]?.GetValue<string>() ?? "", w["message"]?.GetValue<string>() ?? "", w["path"]?.GetValue<string>() ?? ""))
            .ToList();
}

/// <summary>
/// A row of table <c>plugins</c>: the owner row (<c>owner</c>: only <see cref="Publisher"/>) or a version row
/// (<c>v_{version}</c>), whose dependencies, registrations and warnings are JSON text.
/// </summary>
public sealed record PluginRow : TableRow
{
    public string? Publisher { get; set; }

    public string? Version { get; set; }

    public string? Sha256 { get; set; }

    public string? Dependencies { get; set; }

    public DateTimeOffset? PublishedAt { get; set; }

    public string? Registrations { get; set; }

    public string? Warnings { get; set; }
}
