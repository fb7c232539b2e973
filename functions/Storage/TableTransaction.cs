using System.Globalization;
using System.Text;
using System.Text.RegularExpressions;
using Azure;
using Azure.Core;

namespace Serverless.Functions.Storage;

public enum TableTransactionActionType
{
    Add,
    UpdateMerge,
    UpdateReplace,
    Delete,
    UpsertMerge,
    UpsertReplace,
}

/// <summary>One step of an entity group transaction; <see cref="ETag"/> guards updates and deletes (default: any).</summary>
public sealed record TableTransactionAction(TableTransactionActionType ActionType, TableEntity Entity, ETag ETag = default);

/// <summary>
/// Entity group transactions (https://learn.microsoft.com/rest/api/storageservices/performing-entity-group-transactions):
/// up to 100 actions on one partition as a multipart <c>$batch</c> request, all or nothing.
/// </summary>
internal static partial class TableTransaction
{
    public const int MaxActions = 100;

    public static (string ContentType, byte[] Body) Build(Uri tableEndpoint, string tableName, IReadOnlyList<TableTransactionAction> actions)
    {
        var batch = "batch_" + Guid.NewGuid().ToString("D");
        var changeset = "changeset_" + Guid.NewGuid().ToString("D");
        var body = new StringBuilder();
        body.Append("--").Append(batch).Append("\r\n")
            .Append("Content-Type: multipart/mixed; boundary=").Append(changeset).Append("\r\n\r\n");
        for (var i = 0; i < actions.Count; i++)
        {
            var (type, entity, etag) = actions[i];
            var tableUri = BlobServiceClient.Append(tableEndpoint, Uri.EscapeDataString(tableName));
            var entityUri = BlobServiceClient.Append(
                tableEndpoint,
                $"{Uri.EscapeDataString(tableName)}(PartitionKey='{EscapeKey(entity.PartitionKey)}',RowKey='{EscapeKey(entity.RowKey)}')");
            var (method, uri, ifMatch, hasBody) = type switch
            {
                TableTransactionActionType.Add => ("POST", tableUri, null, true),
                TableTransactionActionType.UpdateMerge => ("MERGE", entityUri, IfMatch(etag), true),
                TableTransactionActionType.UpdateReplace => ("PUT", entityUri, IfMatch(etag), true),
                TableTransactionActionType.Delete => ("DELETE", entityUri, IfMatch(etag), false),
                TableTransactionActionType.UpsertMerge => ("MERGE", entityUri, (string?)null, true),
                TableTransactionActionType.UpsertReplace => ("PUT", entityUri, null, true),
                _ => throw new ArgumentOutOfRangeException(nameof(actions), type, "Unknown action type."),
            };
            body.Append("--").Append(changeset).Append("\r\n")
                .Append("Content-Type: application/http\r\n")
                .Append("Content-Transfer-Encoding: binary\r\n\r\n")
                .Append(method).Append(' ').Append(uri.AbsoluteUri).Append(" HTTP/1.1\r\n")
                .Append("Accept: application/json;odata=minimalmetadata\r\n")
                .Append("DataServiceVersion: 3.0\r\n")
                .Append("Content-ID: ").Append(i + 1).Append("\r\n");
            if (type == TableTransactionActionType.Add)
            {
                body.Append("Prefer: return-no-content\r\n");
            }
            if (ifMatch is not null)
            {
                body.Append("If-Match: ").Append(ifMatch).Append("\r\n");
            }
            if (hasBody)
            {
                body.Append("Content-Type: application/json\r\n\r\n")
                    .Append(Encoding.UTF8.GetString(entity.ToJson())).Append("\r\n");
            }
            else
            {
                body.Append("\r\n");
            }
        }
        body.Append("--").Append(changeset).Append("--\r\n")
            .Append("--").Append(batch).Append("--\r\n");
        return ($"multipart/mixed; boundary={batch}", Encoding.UTF8.GetBytes(body.ToString()));
    }

    /// <summary>
    /// Reads the inner responses. On failure the service answers with a single inner error whose
    /// message starts with the failing action's index ("2:The specified entity already exists.").
    /// </summary>
    public static IReadOnlyList<(int Status, ETag ETag)> ParseResponses(string body, out StorageRequestFailedException? failure)
    {
        failure = null;
        var results = new List<(int, ETag)>();
        foreach (Match match in InnerResponse().Matches(body))
        {
            var status = int.Parse(match.Groups["status"].Value, CultureInfo.InvariantCulture);
            var headers = match.Groups["headers"].Value;
            var etagMatch = ETagHeader().Match(headers);
            var etag = etagMatch.Success ? new ETag(etagMatch.Groups["etag"].Value.Trim()) : default;
            if (status >= 400 && failure is null)
            {
                var rest = body[(match.Index + match.Length)..];
                var code = ErrorCode().Match(rest) is { Success: true } c ? c.Groups["code"].Value : null;
                var message = ErrorMessage().Match(rest) is { Success: true } m ? Regex.Unescape(m.Groups["message"].Value) : "";
                var index = IndexPrefix().Match(message) is { Success: true } i ? int.Parse(i.Groups["index"].Value, CultureInfo.InvariantCulture) : (int?)null;
                failure = new StorageRequestFailedException(status, code, $"Table transaction failed with {status} {code}: {message}".TrimEnd(' ', ':'))
                {
                    FailedTransactionActionIndex = index,
                };
            }
            results.Add((status, etag));
        }
        return results;
    }

    private static string EscapeKey(string key) => Uri.EscapeDataString(key.Replace("'", "''", StringComparison.Ordinal));

    private static string IfMatch(ETag etag) => etag == default ? "*" : etag.ToString("H");

    [GeneratedRegex(@"HTTP/1\.1 (?<status>\d{3})[^\r\n]*\r?\n(?<headers>(?:[^\r\n]+\r?\n)*)")]
    private static partial Regex InnerResponse();

    [GeneratedRegex(@"(?im)^ETag:\s*(?<etag>[^\r\n]+)")]
    private static partial Regex ETagHeader();

    [GeneratedRegex(@"""code""\s*:\s*""(?<code>[^""]+)""")]
    private static partial Regex ErrorCode();

    [GeneratedRegex(@"""value""\s*:\s*""(?<message>(?:[^""\\]|\\.)*)""")]
    private static partial Regex ErrorMessage();

    [GeneratedRegex(@"^(?<index>\d+):")]
    private static partial Regex IndexPrefix();
}
