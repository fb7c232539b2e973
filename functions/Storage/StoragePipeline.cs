using System.Security.Cryptography;
using System.Text;
using Azure;
using Azure.Core;
using Azure.Core.Pipeline;

namespace Serverless.Functions.Storage;

/// <summary>Which storage service a pipeline talks to; Table signs and versions differently.</summary>
internal enum StorageService
{
    Blob,
    Queue,
    Table,
}

/// <summary>Builds the Azure.Core pipeline for one service and sends requests through it.</summary>
internal sealed class StoragePipeline
{
    // Versions both Azure and Azurite 3.35 accept; Table keeps the version Azure.Data.Tables uses.
    internal const string BlobQueueApiVersion = "2025-01-05";
    internal const string TableApiVersion = "2019-02-02";

    private readonly HttpPipeline _pipeline;

    public StoragePipeline(StorageAccount account, StorageService service, StorageClientOptions? options)
    {
        Account = account;
        options ??= new StorageClientOptions();
        var version = service == StorageService.Table ? TableApiVersion : BlobQueueApiVersion;
        HttpPipelinePolicy authentication = account switch
        {
            { Credential: { } credential } => new BearerTokenAuthenticationPolicy(credential, StorageAccount.TokenScope),
            { SharedAccessSignature: { } sas } => new SharedAccessSignaturePolicy(sas),
            { AccountKey: { } key } => new SharedKeyPolicy(account.AccountName, key, service == StorageService.Table),
            _ => throw new InvalidOperationException("The storage account has no credential."),
        };
        // Per retry: each attempt gets a fresh date and signature.
        _pipeline = HttpPipelineBuilder.Build(options, [], [new StorageHeadersPolicy(version), authentication], new ResponseClassifier());
    }

    public StorageAccount Account { get; }

    public HttpMessage CreateMessage(RequestMethod method, Uri uri)
    {
        var message = _pipeline.CreateMessage();
        message.Request.Method = method;
        message.Request.Uri.Reset(uri);
        return message;
    }

    /// <summary>
    /// Sends and returns the response whatever its status, so callers can treat e.g. 404 or 409 as
    /// an answer; transport failures surface as <see cref="StorageRequestFailedException"/> with status 0.
    /// </summary>
    public async ValueTask<Response> SendAsync(HttpMessage message, CancellationToken cancellationToken)
    {
        try
        {
            await _pipeline.SendAsync(message, cancellationToken).ConfigureAwait(false);
        }
        catch (RequestFailedException ex)
        {
            throw new StorageRequestFailedException(ex.Status, ex.ErrorCode, $"Storage request {message.Request.Method} {message.Request.Uri} failed: {ex.Message}", ex);
        }
        catch (AggregateException ex) when (ex.InnerExceptions.All(inner => inner is RequestFailedException { Status: 0 }))
        {
            // Azure.Core's retry policy gives up on a transport failure with every attempt's exception.
            var last = (RequestFailedException)ex.InnerExceptions[^1];
            throw new StorageRequestFailedException(0, last.ErrorCode, $"Storage request {message.Request.Method} {message.Request.Uri} failed after {ex.InnerExceptions.Count} tries: {last.Message}", ex);
        }
        return message.Response;
    }

    /// <summary>Sends and throws <see cref="StorageRequestFailedException"/> unless the status is one of <paramref name="expected"/> (any 2xx when none).</summary>
    public async ValueTask<Response> SendExpectingAsync(HttpMessage message, CancellationToken cancellationToken, params int[] expected)
    {
        var response = await SendAsync(message, cancellationToken).ConfigureAwait(false);
        var ok = expected.Length == 0 ? response.Status is >= 200 and < 300 : expected.Contains(response.Status);
        if (!ok)
        {
            throw await FailureAsync(message, cancellationToken).ConfigureAwait(false);
        }
        return response;
    }

    public static ValueTask<StorageRequestFailedException> FailureAsync(HttpMessage message, CancellationToken cancellationToken) =>
        StorageRequestFailedException.FromResponseAsync(message.Response, message.Request.Method.Method, message.Request.Uri.ToUri(), cancellationToken);

    /// <summary>Sets conditional headers the way Azure's <see cref="RequestConditions"/> mean them.</summary>
    public static void ApplyConditions(Request request, RequestConditions? conditions)
    {
        if (conditions is null)
        {
            return;
        }
        if (conditions.IfMatch is { } ifMatch)
        {
            request.Headers.SetValue("If-Match", ifMatch.ToString("H"));
        }
        if (conditions.IfNoneMatch is { } ifNoneMatch)
        {
            request.Headers.SetValue("If-None-Match", ifNoneMatch.ToString("H"));
        }
        if (conditions.IfModifiedSince is { } modifiedSince)
        {
            request.Headers.SetValue("If-Modified-Since", modifiedSince.ToUniversalTime().ToString("R"));
        }
        if (conditions.IfUnmodifiedSince is { } unmodifiedSince)
        {
            request.Headers.SetValue("If-Unmodified-Since", unmodifiedSince.ToUniversalTime().ToString("R"));
        }
    }

    public static ETag ReadETag(Response response) =>
        response.Headers.ETag ?? (response.Headers.TryGetValue("ETag", out var value) ? new ETag(value) : default);

    public static DateTimeOffset ReadDate(Response response, string header) =>
        response.Headers.TryGetValue(header, out var value) && DateTimeOffset.TryParse(value, System.Globalization.CultureInfo.InvariantCulture, System.Globalization.DateTimeStyles.AssumeUniversal, out var date)
            ? date
            : default;

    public static IDictionary<string, string> ReadMetadata(Response response)
    {
        var metadata = new Dictionary<string, string>(StringComparer.OrdinalIgnoreCase);
        foreach (var header in response.Headers)
        {
            if (header.Name.StartsWith("x-ms-meta-", StringComparison.OrdinalIgnoreCase))
            {
                metadata[header.Name["x-ms-meta-".Length..]] = header.Value;
            }
        }
        return metadata;
    }

    public static void ApplyMetadata(Request request, IDictionary<string, string>? metadata)
    {
        foreach (var (name, value) in metadata ?? new Dictionary<string, string>())
        {
            request.Headers.SetValue("x-ms-meta-" + name, value);
        }
    }
}

internal sealed class StorageHeadersPolicy(string version) : HttpPipelineSynchronousPolicy
{
    public override void OnSendingRequest(HttpMessage message)
    {
        message.Request.Headers.SetValue("x-ms-version", version);
        message.Request.Headers.SetValue("x-ms-date", DateTimeOffset.UtcNow.ToString("R"));
    }
}

internal sealed class SharedAccessSignaturePolicy(string sas) : HttpPipelineSynchronousPolicy
{
    public override void OnSendingRequest(HttpMessage message)
    {
        var query = message.Request.Uri.Query;
        // Retries reuse the same request; add the token once.
        if (!query.Contains(sas, StringComparison.Ordinal))
        {
            message.Request.Uri.Query = string.IsNullOrEmpty(query) || query == "?" ? "?" + sas : query + "&" + sas;
        }
    }
}

/// <summary>
/// Shared Key authorization (https://learn.microsoft.com/rest/api/storageservices/authorize-with-shared-key):
/// the full string-to-sign for Blob and Queue, the shorter Table form for Table.
/// </summary>
internal sealed class SharedKeyPolicy(string accountName, byte[] key, bool table) : HttpPipelineSynchronousPolicy
{
    public override void OnSendingRequest(HttpMessage message)
    {
        var request = message.Request;
        var headers = new List<KeyValuePair<string, string>>();
        foreach (var header in request.Headers)
        {
            headers.Add(new(header.Name, header.Value));
        }
        long? contentLength = request.Content is { } content && content.TryComputeLength(out var length) ? length : null;
        var uri = request.Uri.ToUri();
        var stringToSign = table
            ? TableStringToSign(request.Method.Method, uri, headers, accountName)
            : StringToSign(request.Method.Method, uri, headers, contentLength, accountName);
        request.Headers.SetValue("Authorization", $"SharedKey {accountName}:{Sign(key, stringToSign)}");
    }

    internal static string Sign(byte[] key, string stringToSign) =>
        Convert.ToBase64String(HMACSHA256.HashData(key, Encoding.UTF8.GetBytes(stringToSign)));

    internal static string StringToSign(string method, Uri uri, IReadOnlyList<KeyValuePair<string, string>> headers, long? contentLength, string accountName)
    {
        string Header(string name) => headers.LastOrDefault(h => string.Equals(h.Key, name, StringComparison.OrdinalIgnoreCase)).Value ?? "";
        var builder = new StringBuilder()
            .Append(method.ToUpperInvariant()).Append('\n')
            .Append(Header("Content-Encoding")).Append('\n')
            .Append(Header("Content-Language")).Append('\n')
            // Since version 2015-02-21 a zero length is signed as empty.
            .Append(contentLength is > 0 ? contentLength.Value.ToString(System.Globalization.CultureInfo.InvariantCulture) : "").Append('\n')
            .Append(Header("Content-MD5")).Append('\n')
            .Append(Header("Content-Type")).Append('\n')
            .Append('\n') // Date: x-ms-date is signed among the canonicalized headers instead.
            .Append(Header("If-Modified-Since")).Append('\n')
            .Append(Header("If-Match")).Append('\n')
            .Append(Header("If-None-Match")).Append('\n')
            .Append(Header("If-Unmodified-Since")).Append('\n')
            .Append(Header("Range")).Append('\n');

        var msHeaders = headers
            .Where(h => h.Key.StartsWith("x-ms-", StringComparison.OrdinalIgnoreCase))
            .GroupBy(h => h.Key.ToLowerInvariant())
            .OrderBy(g => g.Key, StringComparer.Ordinal);
        foreach (var group in msHeaders)
        {
            builder.Append(group.Key).Append(':').Append(string.Join(",", group.Select(h => h.Value.Trim()))).Append('\n');
        }

        builder.Append('/').Append(accountName).Append(string.IsNullOrEmpty(uri.AbsolutePath) ? "/" : uri.AbsolutePath);
        var parameters = ParseQuery(uri.Query)
            .GroupBy(p => p.Key.ToLowerInvariant())
            .OrderBy(g => g.Key, StringComparer.Ordinal);
        foreach (var group in parameters)
        {
            builder.Append('\n').Append(group.Key).Append(':').Append(string.Join(",", group.Select(p => p.Value).Order(StringComparer.Ordinal)));
        }
        return builder.ToString();
    }

    internal static string TableStringToSign(string method, Uri uri, IReadOnlyList<KeyValuePair<string, string>> headers, string accountName)
    {
        string Header(string name) => headers.LastOrDefault(h => string.Equals(h.Key, name, StringComparison.OrdinalIgnoreCase)).Value ?? "";
        var resource = "/" + accountName + (string.IsNullOrEmpty(uri.AbsolutePath) ? "/" : uri.AbsolutePath);
        var comp = ParseQuery(uri.Query).FirstOrDefault(p => string.Equals(p.Key, "comp", StringComparison.OrdinalIgnoreCase));
        if (comp.Key is not null)
        {
            resource += "?comp=" + comp.Value;
        }
        return string.Join('\n', method.ToUpperInvariant(), Header("Content-MD5"), Header("Content-Type"), Header("x-ms-date"), resource);
    }

    private static IEnumerable<KeyValuePair<string, string>> ParseQuery(string query)
    {
        foreach (var pair in query.TrimStart('?').Split('&', StringSplitOptions.RemoveEmptyEntries))
        {
            var equals = pair.IndexOf('=');
            var name = equals < 0 ? pair : pair[..equals];
            var value = equals < 0 ? "" : pair[(equals + 1)..];
            yield return new(Uri.UnescapeDataString(name), Uri.UnescapeDataString(value));
        }
    }
}
