using System.Text.Json;
using Azure;
using Azure.Data.Tables;
using Serverless.Platform.Hosting;
using Serverless.Platform.Invocations;
using Serverless.Platform.Packages;

namespace Serverless.Platform.Installs;

/// <summary>A plugin installed in a guild: the requirement asked for, the version it resolved to, what was granted.</summary>
public sealed record PluginInstall(
    string GuildId,
    string PluginId,
    string InstallId,
    string Requirement,
    PluginVersion Version,
    IReadOnlyList<string> Capabilities,
    DateTimeOffset InstalledAt,
    DateTimeOffset UpdatedAt)
{
    public InstallContext ToContext() => new(GuildId, PluginId, InstallId, Version, Capabilities.ToHashSet(StringComparer.Ordinal));
}

/// <summary>Table <c>installs</c>: partition = guild, row = plugin id.</summary>
public sealed class InstallStore(TableServiceClient tables, TimeProvider clock)
{
    public const string TableName = "installs";

    /// <summary>
    /// How stale a guild's install list may be on the interaction path. Changes made through this instance
    /// show at once; another instance's show within this time.
    /// </summary>
    public static readonly TimeSpan RoutingCacheAge = TimeSpan.FromSeconds(2);

    private readonly System.Collections.Concurrent.ConcurrentDictionary<string, (DateTimeOffset At, IReadOnlyList<PluginInstall> Installs)> _recent = new();

    private TableClient Table => tables.GetTableClient(TableName);

    /// <summary>The guild's installs, from a cache at most <see cref="RoutingCacheAge"/> old: every interaction routes through this.</summary>
    public async Task<IReadOnlyList<PluginInstall>> ListRecentAsync(string guildId, CancellationToken cancellationToken)
    {
        var now = clock.GetUtcNow();
        if (_recent.TryGetValue(guildId, out var cached) && now - cached.At < RoutingCacheAge)
        {
            return cached.Installs;
        }
        var installs = await ListAsync(guildId, cancellationToken);
        _recent[guildId] = (now, installs);
        return installs;
    }

    public async Task<PluginInstall?> GetAsync(string guildId, string pluginId, CancellationToken cancellationToken) =>
        await Table.GetEntityIfExistsAsync<InstallRow>(guildId, pluginId, cancellationToken: cancellationToken) is { HasValue: true, Value: { } row } ? FromRow(row) : null;

    public async Task<IReadOnlyList<PluginInstall>> ListAsync(string guildId, CancellationToken cancellationToken)
    {
        var installs = new List<PluginInstall>();
        await foreach (var row in Table.QueryAsync<InstallRow>(TableClient.CreateQueryFilter($"PartitionKey eq {guildId}"), cancellationToken: cancellationToken))
        {
            installs.Add(FromRow(row));
        }
        return installs;
    }

    public async IAsyncEnumerable<PluginInstall> ListAllAsync([System.Runtime.CompilerServices.EnumeratorCancellation] CancellationToken cancellationToken)
    {
        await foreach (var row in Table.QueryAsync<InstallRow>(cancellationToken: cancellationToken))
        {
            yield return FromRow(row);
        }
    }

    /// <summary>Every guild's install of one plugin, each with the ETag it was read at (for <see cref="TryReplaceAsync"/>).</summary>
    public async Task<IReadOnlyList<(PluginInstall Install, ETag ETag)>> ListForPluginAsync(string pluginId, CancellationToken cancellationToken)
    {
        var installs = new List<(PluginInstall, ETag)>();
        await foreach (var row in Table.QueryAsync<InstallRow>(TableClient.CreateQueryFilter($"RowKey eq {pluginId}"), cancellationToken: cancellationToken))
        {
            installs.Add((FromRow(row), row.ETag));
        }
        return installs;
    }

    public async Task SaveAsync(PluginInstall install, CancellationToken cancellationToken)
    {
        _recent.TryRemove(install.GuildId, out _);
        await Table.UpsertEntityAsync(ToRow(install), TableUpdateMode.Replace, cancellationToken);
        _recent.TryRemove(install.GuildId, out _);
    }

    /// <summary>Replaces the install only if it has not changed (or gone) since it was read at <paramref name="etag"/>; false otherwise.</summary>
    public async Task<bool> TryReplaceAsync(PluginInstall install, ETag etag, CancellationToken cancellationToken)
    {
        _recent.TryRemove(install.GuildId, out _);
        try
        {
            await Table.UpdateEntityAsync(ToRow(install), etag, TableUpdateMode.Replace, cancellationToken);
            return true;
        }
        catch (RequestFailedException ex) when (ex.Status is 404 or 412)
        {
            return false;
        }
        finally
        {
            _recent.TryRemove(install.GuildId, out _);
        }
    }

    public async Task<bool> DeleteAsync(string guildId, string pluginId, CancellationToken cancellationToken)
    {
        _recent.TryRemove(guildId, out _);
        var deleted = (await Table.DeleteEntityAsync(guildId, pluginId, cancellationToken: cancellationToken)).Status == 204;
        _recent.TryRemove(guildId, out _);
        return deleted;
    }

    private static InstallRow ToRow(PluginInstall install) => new()
    {
        PartitionKey = install.GuildId,
        RowKey = install.PluginId,
        InstallId = install.InstallId,
        Requirement = install.Requirement,
        Version = install.Version.Text,
        Capabilities = JsonSerializer.Serialize(install.Capabilities),
        InstalledAt = install.InstalledAt,
        UpdatedAt = install.UpdatedAt,
    };

    private static PluginInstall FromRow(InstallRow row) => new(
        row.PartitionKey,
        row.RowKey,
        row.InstallId,
        row.Requirement ?? "*",
        PluginVersion.Parse(row.Version),
        JsonSerializer.Deserialize<List<string>>(row.Capabilities ?? "[]") ?? [],
        row.InstalledAt,
        row.UpdatedAt);
}

/// <summary>A row of table <c>installs</c>; the capabilities granted are a JSON array of strings.</summary>
public sealed record InstallRow : TableRow
{
    public string InstallId { get; set; } = "";

    public string? Requirement { get; set; }

    public string Version { get; set; } = "";

    public string? Capabilities { get; set; }

    public DateTimeOffset InstalledAt { get; set; } = DateTimeOffset.MinValue;

    public DateTimeOffset UpdatedAt { get; set; } = DateTimeOffset.MinValue;
}
