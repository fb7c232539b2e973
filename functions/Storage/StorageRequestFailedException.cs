using System.Text.Json;
using System.Xml.Linq;
using Azure;

namespace Serverless.Functions.Storage;

/// <summary>
/// The one exception the storage clients throw for a failed request: a service error
/// (<see cref="Status"/> 4xx/5xx, <see cref="ErrorCode"/> such as <c>BlobNotFound</c>) or,
/// with <see cref="Status"/> 0, a transport failure after the pipeline's retries.
/// </summary>
public sealed class StorageRequestFailedException : Exception
{
    public StorageRequestFailedException(int status, string? errorCode, string message, Exception? innerException = null)
        : base(message, innerException)
    {
        Status = status;
        ErrorCode = errorCode;
    }

    public int Status { get; }

    /// <summary>The service's error code, from the <c>x-ms-error-code</c> header or the error body.</summary>
    public string? ErrorCode { get; }

    /// <summary>For a failed table transaction, the index of the action the service rejected.</summary>
    public int? FailedTransactionActionIndex { get; init; }

    internal static async ValueTask<StorageRequestFailedException> FromResponseAsync(Response response, string method, Uri uri, CancellationToken cancellationToken)
    {
        response.Headers.TryGetValue("x-ms-error-code", out var code);
        var (bodyCode, bodyMessage) = await ReadErrorBodyAsync(response, cancellationToken);
        code ??= bodyCode;
        var message = $"Storage request {method} {uri.GetLeftPart(UriPartial.Path)} failed with {response.Status} {code ?? response.ReasonPhrase}"
            + (string.IsNullOrWhiteSpace(bodyMessage) ? "." : $": {bodyMessage.Split('\n')[0].Trim()}");
        return new StorageRequestFailedException(response.Status, code, message);
    }

    private static async ValueTask<(string? Code, string? Message)> ReadErrorBodyAsync(Response response, CancellationToken cancellationToken)
    {
        try
        {
            var stream = response.ContentStream;
            if (stream is null)
            {
                return (null, null);
            }
            // Error bodies are small; cap the read so a streamed error cannot pull in megabytes.
            var buffer = new byte[64 * 1024];
            var length = 0;
            int read;
            while (length < buffer.Length && (read = await stream.ReadAsync(buffer.AsMemory(length), cancellationToken)) > 0)
            {
                length += read;
            }
            var text = System.Text.Encoding.UTF8.GetString(buffer, 0, length).Trim().TrimStart('\uFEFF');
            if (text.StartsWith('<'))
            {
                var root = XDocument.Parse(text).Root;
                return (root?.Element("Code")?.Value, root?.Element("Message")?.Value);
            }
            if (text.StartsWith('{'))
            {
                using var json = JsonDocument.Parse(text);
                if (json.RootElement.TryGetProperty("odata.error", out var error))
                {
                    var code = error.TryGetProperty("code", out var c) ? c.GetString() : null;
                    var message = error.TryGetProperty("message", out var m)
                        ? m.ValueKind == JsonValueKind.Object && m.TryGetProperty("value", out var v) ? v.GetString() : m.ToString()
                        : null;
                    return (code, message);
                }
            }
        }
        catch (Exception ex) when (ex is System.Xml.XmlException or JsonException or IOException or NotSupportedException)
        {
            // An unreadable error body still leaves the status and the header code.
        }
        return (null, null);
    }
}
