using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using Azure.Data.Tables;
using Serverless.Platform.Hosting;

namespace Serverless.Platform.Invocations;

public sealed record KvQuotas
{
    public int MaxKeyChars { get; init; } = 256;

    public int MaxValueBytes { get; init; } = 32 * 1024;

    public int MaxKeysPerInstall { get; init; } = 1000;
}

/// <summary>Refused by a quota or a bad argument; the plugin sees the message as a PluginError.</summary>
public sealed class KvException(string message) : Exception(message);

/// <summary>
/// <c>ctx.kv</c>: a JSON value per key, per install, in table <c>pluginkv</c> (partition = install id, so
/// one install can never read another's keys, and a reinstall starts empty).
/// </summary>
public sealed class KvStore(TableServiceClient tables, KvQuotas quotas)
{
    public const string TableName = "pluginkv";

    private TableClient Table => tables.GetTableClient(TableName);

    public async Task<JsonNode?> GetAsync(string installId, string key, CancellationToken cancellationToken)
    {
        var row = await Table.GetEntityIfExistsAsync<KvRow>(installId, EncodeKey(Check(key)), cancellationToken: cancellationToken);
        return row is { HasValue: true, Value.Value: { } json } ? JsonNode.Parse(json) : null;
    }

    public async Task SetAsync(string installId, string key, JsonNode? value, CancellationToken cancellationToken)
    {
        var rowKey = EncodeKey(Check(key));
        var json = value?.ToJsonString() ?? "null";
        var bytes = Encoding.UTF8.GetByteCount(json);
        if (bytes > quotas.MaxValueBytes)
        {
            throw new KvException($"kv value for '{key}' is {bytes} bytes of JSON; the limit is {quotas.MaxValueBytes}");
        }
        if (!(await Table.GetEntityIfExistsAsync<KvRow>(installId, rowKey, select: ["RowKey"], cancellationToken: cancellationToken)).HasValue
            && await CountAsync(installId, cancellationToken) >= quotas.MaxKeysPerInstall)
        {
            throw new KvException($"kv holds {quotas.MaxKeysPerInstall} keys already, the most one install may keep; delete some first");
        }
        await Table.UpsertEntityAsync(new KvRow { PartitionKey = installId, RowKey = rowKey, Key = key, Value = json }, TableUpdateMode.Replace, cancellationToken);
    }

    public async Task<bool> DeleteAsync(string installId, string key, CancellationToken cancellationToken) =>
        (await Table.DeleteEntityAsync(installId, EncodeKey(Check(key)), cancellationToken: cancellationToken)).Status == 204;

    public async Task<IReadOnlyList<string>> ListAsync(string installId, string prefix, CancellationToken cancellationToken)
    {
        var keys = new List<string>();
        var encoded = EncodeKey(prefix);
        var filter = prefix.Length == 0
            ? TableClient.CreateQueryFilter($"PartitionKey eq {installId}")
            : TableClient.CreateQueryFilter($"PartitionKey eq {installId} and RowKey ge {encoded} and RowKey lt {encoded + '\uffff'}");
        await foreach (var row in Table.QueryAsync<KvRow>(filter, select: ["Key"], cancellationToken: cancellationToken))
        {
            keys.Add(row.Key);
        }
        return keys;
    }

    /// <summary>Uninstall: the install's data goes with it.</summary>
    public async Task DeleteAllAsync(string installId, CancellationToken cancellationToken)
    {
        await foreach (var entity in Table.QueryAsync<KvRow>(TableClient.CreateQueryFilter($"PartitionKey eq {installId}"), select: ["PartitionKey", "RowKey"], cancellationToken: cancellationToken))
        {
            await Table.DeleteEntityAsync(entity.PartitionKey, entity.RowKey, cancellationToken: cancellationToken);
        }
    }

    private async Task<int> CountAsync(string installId, CancellationToken cancellationToken)
    {
        var count = 0;
        await foreach (var _ in Table.QueryAsync<KvRow>(TableClient.CreateQueryFilter($"PartitionKey eq {installId}"), select: ["RowKey"], cancellationToken: cancellationToken))
        {
            count++;
        }
        return count;
    }

    private string Check(string key)
    {
        if (key.Length == 0 || key.Length > quotas.MaxKeyChars)
        {
            throw new KvException($"kv keys are 1 to {quotas.MaxKeyChars} characters; got {key.Length}");
        }
        return key;
    }

    /// <summary>
    /// Table row keys refuse '/', '\', '#', '?' and control characters. Escaping each character on its own
    /// keeps prefixes prefixes, so <c>kv.list(prefix)</c> stays a range query.
    /// </summary>
    internal static string EncodeKey(string key)
    {
        var builder = new StringBuilder(key.Length);
        foreach (var c in key)
        {
            if (c is '/' or '\\' or '#' or '?' or '%' || char.IsControl(c))
            {
                builder.Append('%').Append(((int)c).ToString("X4"));
            }
            else
            {
                builder.Append(c);
            }
        }
        return builder.ToString();
    }
}

/// <summary>A row of table <c>pluginkv</c>: the key as the plugin wrote it and its value as JSON.</summary>
public sealed record KvRow : TableRow
{
    public string Key { get; set; } = "";

    public string? Value { get; set; }
}
