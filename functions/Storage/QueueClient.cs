using System.Globalization;
using System.Xml.Linq;
using Azure.Core;

namespace Serverless.Functions.Storage;

/// <summary>
/// One storage queue. Message text goes on the wire as-is (XML-escaped), so callers that need
/// binary-safe or Functions-trigger-compatible messages encode them as base64 themselves.
/// </summary>
public sealed class QueueClient
{
    private readonly StoragePipeline _pipeline;

    internal QueueClient(StoragePipeline pipeline, string name)
    {
        ArgumentException.ThrowIfNullOrEmpty(name);
        _pipeline = pipeline;
        Name = name;
        Uri = BlobServiceClient.Append(pipeline.Account.QueueEndpoint, Uri.EscapeDataString(name));
    }

    public string Name { get; }

    public Uri Uri { get; }

    public string AccountName => _pipeline.Account.AccountName;

    /// <summary>Creates the queue; returns false when it already existed.</summary>
    public async Task<bool> CreateIfNotExistsAsync(CancellationToken cancellationToken = default)
    {
        using var message = _pipeline.CreateMessage(RequestMethod.Put, Uri);
        // 204 = exists with the same metadata; 409 QueueAlreadyExists = exists with other metadata.
        var response = await _pipeline.SendAsync(message, cancellationToken).ConfigureAwait(false);
        if (response.Status == 201)
        {
            return true;
        }
        if (response.Status == 204 || (response.Status == 409 && response.Headers.TryGetValue("x-ms-error-code", out var code) && code == "QueueAlreadyExists"))
        {
            return false;
        }
        throw await StoragePipeline.FailureAsync(message, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>Deletes the queue; returns false when it did not exist.</summary>
    public async Task<bool> DeleteIfExistsAsync(CancellationToken cancellationToken = default)
    {
        using var message = _pipeline.CreateMessage(RequestMethod.Delete, Uri);
        var response = await _pipeline.SendExpectingAsync(message, cancellationToken, 204, 404).ConfigureAwait(false);
        return response.Status == 204;
    }

    public async Task<bool> ExistsAsync(CancellationToken cancellationToken = default)
    {
        using var message = _pipeline.CreateMessage(RequestMethod.Get, Query(Uri, ("comp", "metadata")));
        var response = await _pipeline.SendExpectingAsync(message, cancellationToken, 200, 404).ConfigureAwait(false);
        return response.Status == 200;
    }

    /// <param name="visibilityTimeout">How long the new message stays hidden (default: visible at once).</param>
    /// <param name="timeToLive">How long it lives (service default 7 days); a negative value means forever.</param>
    public async Task<SendReceipt> SendMessageAsync(string messageText, TimeSpan? visibilityTimeout = null, TimeSpan? timeToLive = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(messageText);
        var parameters = new List<(string, string)>();
        if (visibilityTimeout is { } visibility)
        {
            parameters.Add(("visibilitytimeout", Seconds(visibility)));
        }
        if (timeToLive is { } ttl)
        {
            parameters.Add(("messagettl", ttl < TimeSpan.Zero ? "-1" : Seconds(ttl)));
        }
        using var message = _pipeline.CreateMessage(RequestMethod.Post, Query(MessagesUri(), [.. parameters]));
        SetBody(message.Request, messageText);
        var response = await _pipeline.SendExpectingAsync(message, cancellationToken, 201).ConfigureAwait(false);
        var item = XDocument.Parse(response.Content.ToString()).Root!.Element("QueueMessage")!;
        return new SendReceipt(
            item.Element("MessageId")!.Value,
            item.Element("PopReceipt")!.Value,
            Date(item, "InsertionTime"),
            Date(item, "TimeNextVisible"),
            Date(item, "ExpirationTime"));
    }

    /// <summary>Receives up to <paramref name="maxMessages"/> (1–32) messages, hiding them for <paramref name="visibilityTimeout"/> (service default 30 s).</summary>
    public async Task<IReadOnlyList<QueueMessage>> ReceiveMessagesAsync(int maxMessages = 1, TimeSpan? visibilityTimeout = null, CancellationToken cancellationToken = default)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(maxMessages, 1);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(maxMessages, 32);
        var parameters = new List<(string, string)> { ("numofmessages", maxMessages.ToString(CultureInfo.InvariantCulture)) };
        if (visibilityTimeout is { } visibility)
        {
            parameters.Add(("visibilitytimeout", Seconds(visibility)));
        }
        using var message = _pipeline.CreateMessage(RequestMethod.Get, Query(MessagesUri(), [.. parameters]));
        var response = await _pipeline.SendExpectingAsync(message, cancellationToken, 200).ConfigureAwait(false);
        return [.. XDocument.Parse(response.Content.ToString()).Root!.Elements("QueueMessage").Select(item => new QueueMessage(
            item.Element("MessageId")!.Value,
            item.Element("PopReceipt")!.Value,
            item.Element("MessageText")?.Value ?? "",
            long.Parse(item.Element("DequeueCount")!.Value, CultureInfo.InvariantCulture),
            Date(item, "InsertionTime"),
            Date(item, "TimeNextVisible"),
            Date(item, "ExpirationTime")))];
    }

    /// <summary>Looks at up to <paramref name="maxMessages"/> (1–32) visible messages without receiving them.</summary>
    public async Task<IReadOnlyList<PeekedMessage>> PeekMessagesAsync(int maxMessages = 1, CancellationToken cancellationToken = default)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(maxMessages, 1);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(maxMessages, 32);
        using var message = _pipeline.CreateMessage(RequestMethod.Get, Query(MessagesUri(), ("peekonly", "true"), ("numofmessages", maxMessages.ToString(CultureInfo.InvariantCulture))));
        var response = await _pipeline.SendExpectingAsync(message, cancellationToken, 200).ConfigureAwait(false);
        return [.. XDocument.Parse(response.Content.ToString()).Root!.Elements("QueueMessage").Select(item => new PeekedMessage(
            item.Element("MessageId")!.Value,
            item.Element("MessageText")?.Value ?? "",
            long.Parse(item.Element("DequeueCount")!.Value, CultureInfo.InvariantCulture),
            Date(item, "InsertionTime"),
            Date(item, "ExpirationTime")))];
    }

    /// <summary>Deletes a received message. A stale pop receipt throws 400 <c>PopReceiptMismatch</c>, a deleted or expired message 404 <c>MessageNotFound</c>.</summary>
    public async Task DeleteMessageAsync(string messageId, string popReceipt, CancellationToken cancellationToken = default)
    {
        using var message = _pipeline.CreateMessage(RequestMethod.Delete, Query(MessageUri(messageId), ("popreceipt", popReceipt)));
        await _pipeline.SendExpectingAsync(message, cancellationToken, 204).ConfigureAwait(false);
    }

    /// <summary>Hides a received message for <paramref name="visibilityTimeout"/> more and, unless null, replaces its text. Use the returned pop receipt from now on.</summary>
    public async Task<UpdateReceipt> UpdateMessageAsync(string messageId, string popReceipt, string? messageText = null, TimeSpan visibilityTimeout = default, CancellationToken cancellationToken = default)
    {
        using var message = _pipeline.CreateMessage(RequestMethod.Put, Query(MessageUri(messageId), ("popreceipt", popReceipt), ("visibilitytimeout", Seconds(visibilityTimeout))));
        if (messageText is not null)
        {
            SetBody(message.Request, messageText);
        }
        var response = await _pipeline.SendExpectingAsync(message, cancellationToken, 204).ConfigureAwait(false);
        response.Headers.TryGetValue("x-ms-popreceipt", out var newReceipt);
        return new UpdateReceipt(newReceipt ?? "", StoragePipeline.ReadDate(response, "x-ms-time-next-visible"));
    }

    public async Task ClearMessagesAsync(CancellationToken cancellationToken = default)
    {
        using var message = _pipeline.CreateMessage(RequestMethod.Delete, MessagesUri());
        await _pipeline.SendExpectingAsync(message, cancellationToken, 204).ConfigureAwait(false);
    }

    /// <summary>The service's approximate count of messages (visible or not).</summary>
    public async Task<int> GetApproximateMessageCountAsync(CancellationToken cancellationToken = default)
    {
        using var message = _pipeline.CreateMessage(RequestMethod.Get, Query(Uri, ("comp", "metadata")));
        var response = await _pipeline.SendExpectingAsync(message, cancellationToken, 200).ConfigureAwait(false);
        return response.Headers.TryGetValue("x-ms-approximate-messages-count", out var count) && int.TryParse(count, CultureInfo.InvariantCulture, out var value) ? value : 0;
    }

    private Uri MessagesUri() => BlobServiceClient.Append(Uri, "messages");

    private Uri MessageUri(string messageId)
    {
        ArgumentException.ThrowIfNullOrEmpty(messageId);
        return BlobServiceClient.Append(Uri, "messages/" + Uri.EscapeDataString(messageId));
    }

    private static Uri Query(Uri uri, params (string Name, string Value)[] parameters)
    {
        var builder = new RequestUriBuilder();
        builder.Reset(uri);
        foreach (var (name, value) in parameters)
        {
            builder.AppendQuery(name, value);
        }
        return builder.ToUri();
    }

    private static void SetBody(Request request, string messageText)
    {
        var body = new XElement("QueueMessage", new XElement("MessageText", messageText)).ToString(SaveOptions.DisableFormatting);
        request.Headers.SetValue("Content-Type", "application/xml; charset=utf-8");
        request.Content = RequestContent.Create(BinaryData.FromString(body));
    }

    private static string Seconds(TimeSpan value) => ((long)Math.Max(0, value.TotalSeconds)).ToString(CultureInfo.InvariantCulture);

    private static DateTimeOffset Date(XElement item, string name) =>
        DateTimeOffset.TryParse(item.Element(name)?.Value, CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal, out var value) ? value : default;
}
