using System.Globalization;
using System.Runtime.CompilerServices;
using System.Text.Json;
using Azure;
using Azure.Core;

namespace Serverless.Functions.Storage;

/// <summary>Entry point to an account's Table service (shaped like Azure.Data.Tables' client).</summary>
public sealed class TableServiceClient
{
    private readonly StoragePipeline _pipeline;

    public TableServiceClient(StorageAccount account, StorageClientOptions? options = null)
    {
        ArgumentNullException.ThrowIfNull(account);
        _pipeline = new StoragePipeline(account, StorageService.Table, options);
    }

    public TableServiceClient(string connectionString, StorageClientOptions? options = null)
        : this(StorageAccount.Parse(connectionString), options)
    {
    }

    public string AccountName => _pipeline.Account.AccountName;

    public Uri Uri => _pipeline.Account.TableEndpoint;

    public TableClient GetTableClient(string tableName) => new(_pipeline, tableName);
}

/// <summary>One table: entity CRUD with optimistic concurrency (ETags) and paged OData queries.</summary>
public sealed class TableClient
{
    private const string JsonContentType = "application/json;odata=nometadata";
    private static readonly RequestMethod Merge = new("MERGE");

    private readonly StoragePipeline _pipeline;

    internal TableClient(StoragePipeline pipeline, string name)
    {
        ArgumentException.ThrowIfNullOrEmpty(name);
        _pipeline = pipeline;
        Name = name;
        Uri = BlobServiceClient.Append(pipeline.Account.TableEndpoint, Uri.EscapeDataString(name));
    }

    public string Name { get; }

    public Uri Uri { get; }

    public string AccountName => _pipeline.Account.AccountName;

    /// <summary>Creates the table; returns false when it already existed.</summary>
    public async Task<bool> CreateIfNotExistsAsync(CancellationToken cancellationToken = default)
    {
        using var message = CreateMessage(RequestMethod.Post, BlobServiceClient.Append(_pipeline.Account.TableEndpoint, "Tables"));
        message.Request.Headers.SetValue("Prefer", "return-no-content");
        SetJson(message.Request, SingleStringObject("TableName", Name));
        var response = await _pipeline.SendAsync(message, cancellationToken).ConfigureAwait(false);
        if (response.Status is 201 or 204)
        {
            return true;
        }
        if (response.Status == 409)
        {
            var failure = await StoragePipeline.FailureAsync(message, cancellationToken).ConfigureAwait(false);
            if (failure.ErrorCode == "TableAlreadyExists")
            {
                return false;
            }
            throw failure;
        }
        throw await StoragePipeline.FailureAsync(message, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>Deletes the table; returns false when it did not exist.</summary>
    public async Task<bool> DeleteAsync(CancellationToken cancellationToken = default)
    {
        using var message = CreateMessage(RequestMethod.Delete, BlobServiceClient.Append(_pipeline.Account.TableEndpoint, $"Tables('{EscapeKey(Name)}')"));
        var response = await _pipeline.SendExpectingAsync(message, cancellationToken, 204, 404).ConfigureAwait(false);
        return response.Status == 204;
    }

    /// <summary>Inserts a new entity and returns its ETag; an existing one throws 409 <c>EntityAlreadyExists</c>.</summary>
    public async Task<ETag> AddEntityAsync(TableEntity entity, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(entity);
        using var message = CreateMessage(RequestMethod.Post, Uri);
        message.Request.Headers.SetValue("Prefer", "return-no-content");
        SetJson(message.Request, entity.ToJson());
        var response = await _pipeline.SendExpectingAsync(message, cancellationToken, 201, 204).ConfigureAwait(false);
        return StoragePipeline.ReadETag(response);
    }

    /// <summary>Inserts or updates (merging or replacing properties) unconditionally; returns the new ETag.</summary>
    public async Task<ETag> UpsertEntityAsync(TableEntity entity, TableUpdateMode mode = TableUpdateMode.Merge, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(entity);
        using var message = CreateMessage(mode == TableUpdateMode.Merge ? Merge : RequestMethod.Put, EntityUri(entity.PartitionKey, entity.RowKey));
        SetJson(message.Request, entity.ToJson());
        var response = await _pipeline.SendExpectingAsync(message, cancellationToken, 204).ConfigureAwait(false);
        return StoragePipeline.ReadETag(response);
    }

    /// <summary>
    /// Updates an existing entity if its ETag still is <paramref name="ifMatch"/> (default or <c>ETag.All</c>: any version);
    /// a stale ETag throws 412 <c>UpdateConditionNotSatisfied</c>, a missing entity 404.
    /// </summary>
    public async Task<ETag> UpdateEntityAsync(TableEntity entity, ETag ifMatch, TableUpdateMode mode = TableUpdateMode.Merge, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(entity);
        using var message = CreateMessage(mode == TableUpdateMode.Merge ? Merge : RequestMethod.Put, EntityUri(entity.PartitionKey, entity.RowKey));
        message.Request.Headers.SetValue("If-Match", IfMatch(ifMatch));
        SetJson(message.Request, entity.ToJson());
        var response = await _pipeline.SendExpectingAsync(message, cancellationToken, 204).ConfigureAwait(false);
        return StoragePipeline.ReadETag(response);
    }

    /// <summary>Deletes an entity if its ETag matches (default: any); returns false when it did not exist. A stale ETag throws 412.</summary>
    public async Task<bool> DeleteEntityAsync(string partitionKey, string rowKey, ETag ifMatch = default, CancellationToken cancellationToken = default)
    {
        using var message = CreateMessage(RequestMethod.Delete, EntityUri(partitionKey, rowKey));
        message.Request.Headers.SetValue("If-Match", IfMatch(ifMatch));
        var response = await _pipeline.SendExpectingAsync(message, cancellationToken, 204, 404).ConfigureAwait(false);
        return response.Status == 204;
    }

    /// <summary>Reads one entity; a missing one throws 404 <c>ResourceNotFound</c>.</summary>
    public async Task<TableEntity> GetEntityAsync(string partitionKey, string rowKey, IEnumerable<string>? select = null, CancellationToken cancellationToken = default) =>
        await GetEntityCoreAsync(partitionKey, rowKey, select, throwIfMissing: true, cancellationToken).ConfigureAwait(false)
        ?? throw new InvalidOperationException("unreachable");

    /// <summary>Reads one entity, or null when there is none.</summary>
    public Task<TableEntity?> GetEntityIfExistsAsync(string partitionKey, string rowKey, IEnumerable<string>? select = null, CancellationToken cancellationToken = default) =>
        GetEntityCoreAsync(partitionKey, rowKey, select, throwIfMissing: false, cancellationToken);

    /// <summary>
    /// Streams the entities matching an OData <paramref name="filter"/> (see <see cref="CreateQueryFilter"/>),
    /// following the service's continuation headers across pages of at most <paramref name="maxPerPage"/>.
    /// </summary>
    public async IAsyncEnumerable<TableEntity> QueryAsync(string? filter = null, int? maxPerPage = null, IEnumerable<string>? select = null, [EnumeratorCancellation] CancellationToken cancellationToken = default)
    {
        var selectList = select is null ? null : string.Join(',', select);
        string? nextPartitionKey = null;
        string? nextRowKey = null;
        do
        {
            var builder = new RequestUriBuilder();
            builder.Reset(BlobServiceClient.Append(_pipeline.Account.TableEndpoint, Uri.EscapeDataString(Name) + "()"));
            if (!string.IsNullOrEmpty(filter))
            {
                builder.AppendQuery("$filter", filter);
            }
            if (maxPerPage is { } top)
            {
                builder.AppendQuery("$top", top.ToString(CultureInfo.InvariantCulture));
            }
            if (!string.IsNullOrEmpty(selectList))
            {
                builder.AppendQuery("$select", selectList);
            }
            if (nextPartitionKey is not null)
            {
                builder.AppendQuery("NextPartitionKey", nextPartitionKey);
            }
            if (nextRowKey is not null)
            {
                builder.AppendQuery("NextRowKey", nextRowKey);
            }

            var page = new List<TableEntity>();
            using (var message = CreateMessage(RequestMethod.Get, builder.ToUri()))
            {
                var response = await _pipeline.SendExpectingAsync(message, cancellationToken, 200).ConfigureAwait(false);
                using var json = JsonDocument.Parse(response.Content);
                if (json.RootElement.TryGetProperty("value", out var values))
                {
                    foreach (var value in values.EnumerateArray())
                    {
                        page.Add(TableEntity.FromJson(value));
                    }
                }
                response.Headers.TryGetValue("x-ms-continuation-NextPartitionKey", out nextPartitionKey);
                response.Headers.TryGetValue("x-ms-continuation-NextRowKey", out nextRowKey);
            }
            foreach (var entity in page)
            {
                yield return entity;
            }
        }
        while (nextPartitionKey is not null);
    }

    /// <summary>
    /// Runs up to 100 actions on one partition atomically and returns each action's new ETag (default for deletes).
    /// A rejected action fails them all with a <see cref="StorageRequestFailedException"/> whose
    /// <see cref="StorageRequestFailedException.FailedTransactionActionIndex"/> names it.
    /// </summary>
    public async Task<IReadOnlyList<ETag>> SubmitTransactionAsync(IEnumerable<TableTransactionAction> actions, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(actions);
        var list = actions.ToList();
        var errors = new List<string>();
        if (list.Count is 0 or > TableTransaction.MaxActions)
        {
            errors.Add($"A transaction holds 1 to {TableTransaction.MaxActions} actions, not {list.Count}.");
        }
        if (list.Select(a => a.Entity.PartitionKey).Distinct(StringComparer.Ordinal).Count() > 1)
        {
            errors.Add("All actions of a transaction must share one PartitionKey.");
        }
        if (list.GroupBy(a => a.Entity.RowKey, StringComparer.Ordinal).FirstOrDefault(g => g.Count() > 1) is { } duplicate)
        {
            errors.Add($"RowKey '{duplicate.Key}' appears more than once; each entity may be touched once per transaction.");
        }
        if (errors.Count > 0)
        {
            throw new ArgumentException(string.Join(" ", errors), nameof(actions));
        }

        var (contentType, body) = TableTransaction.Build(_pipeline.Account.TableEndpoint, Name, list);
        using var message = CreateMessage(RequestMethod.Post, BlobServiceClient.Append(_pipeline.Account.TableEndpoint, "$batch"));
        message.Request.Headers.SetValue("Content-Type", contentType);
        message.Request.Content = RequestContent.Create(body);
        var response = await _pipeline.SendExpectingAsync(message, cancellationToken, 202).ConfigureAwait(false);
        var results = TableTransaction.ParseResponses(response.Content.ToString(), out var failure);
        if (failure is not null)
        {
            throw failure;
        }
        if (results.Count != list.Count)
        {
            throw new StorageRequestFailedException(response.Status, null, $"Table transaction answered {results.Count} responses for {list.Count} actions.");
        }
        return [.. results.Select(r => r.ETag)];
    }

    /// <summary>
    /// Builds an OData filter with every interpolated value escaped as a literal of its type:
    /// <c>CreateQueryFilter($"PartitionKey eq {pk} and Count gt {5L}")</c>.
    /// </summary>
    public static string CreateQueryFilter(FormattableString filter)
    {
        ArgumentNullException.ThrowIfNull(filter);
        var arguments = filter.GetArguments().Select(Literal).ToArray<object?>();
        return string.Format(CultureInfo.InvariantCulture, filter.Format, arguments);
    }

    private static string Literal(object? value) => value switch
    {
        null => "null",
        string s => Quote(s),
        bool b => b ? "true" : "false",
        int or short or byte => Convert.ToString(value, CultureInfo.InvariantCulture)!,
        long l => l.ToString(CultureInfo.InvariantCulture) + "L",
        double d => DoubleLiteral(d),
        float f => DoubleLiteral(f),
        DateTimeOffset dto => $"datetime'{dto.UtcDateTime.ToString("yyyy-MM-dd'T'HH:mm:ss.fffffff'Z'", CultureInfo.InvariantCulture)}'",
        DateTime dt => Literal(new DateTimeOffset(dt.Kind == DateTimeKind.Unspecified ? DateTime.SpecifyKind(dt, DateTimeKind.Utc) : dt.ToUniversalTime())),
        Guid g => $"guid'{g:D}'",
        byte[] bytes => $"X'{Convert.ToHexStringLower(bytes)}'",
        BinaryData data => Literal(data.ToArray()),
        IFormattable formattable => Quote(formattable.ToString(null, CultureInfo.InvariantCulture)),
        _ => Quote(value.ToString() ?? ""),
    };

    // "2" would be an Int32 literal, and the service does not match an Edm.Double property against it.
    private static string DoubleLiteral(double value)
    {
        var text = value.ToString("R", CultureInfo.InvariantCulture);
        return double.IsFinite(value) && !text.Contains('.') && !text.Contains('E') ? text + ".0" : text;
    }

    private static string Quote(string value) => "'" + value.Replace("'", "''", StringComparison.Ordinal) + "'";

    private async Task<TableEntity?> GetEntityCoreAsync(string partitionKey, string rowKey, IEnumerable<string>? select, bool throwIfMissing, CancellationToken cancellationToken)
    {
        var uri = EntityUri(partitionKey, rowKey);
        if (select is not null)
        {
            var builder = new RequestUriBuilder();
            builder.Reset(uri);
            builder.AppendQuery("$select", string.Join(',', select));
            uri = builder.ToUri();
        }
        using var message = CreateMessage(RequestMethod.Get, uri);
        var response = throwIfMissing
            ? await _pipeline.SendExpectingAsync(message, cancellationToken, 200).ConfigureAwait(false)
            : await _pipeline.SendExpectingAsync(message, cancellationToken, 200, 404).ConfigureAwait(false);
        if (response.Status == 404)
        {
            return null;
        }
        using var json = JsonDocument.Parse(response.Content);
        return TableEntity.FromJson(json.RootElement, StoragePipeline.ReadETag(response));
    }

    private HttpMessage CreateMessage(RequestMethod method, Uri uri)
    {
        var message = _pipeline.CreateMessage(method, uri);
        message.Request.Headers.SetValue("Accept", "application/json;odata=minimalmetadata");
        message.Request.Headers.SetValue("DataServiceVersion", "3.0");
        message.Request.Headers.SetValue("MaxDataServiceVersion", "3.0;NetFx");
        return message;
    }

    private Uri EntityUri(string partitionKey, string rowKey)
    {
        ArgumentNullException.ThrowIfNull(partitionKey);
        ArgumentNullException.ThrowIfNull(rowKey);
        return BlobServiceClient.Append(
            _pipeline.Account.TableEndpoint,
            $"{Uri.EscapeDataString(Name)}(PartitionKey='{EscapeKey(partitionKey)}',RowKey='{EscapeKey(rowKey)}')");
    }

    /// <summary>OData doubles quotes inside a key literal; the result is then percent-encoded for the path.</summary>
    private static string EscapeKey(string key) => Uri.EscapeDataString(key.Replace("'", "''", StringComparison.Ordinal));

    private static string IfMatch(ETag etag) => etag == default ? "*" : etag.ToString("H");

    private static void SetJson(Request request, byte[] body)
    {
        request.Headers.SetValue("Content-Type", JsonContentType);
        request.Content = RequestContent.Create(body);
    }

    private static byte[] SingleStringObject(string name, string value)
    {
        using var buffer = new MemoryStream();
        using (var writer = new Utf8JsonWriter(buffer))
        {
            writer.WriteStartObject();
            writer.WriteString(name, value);
            writer.WriteEndObject();
        }
        return buffer.ToArray();
    }
}
