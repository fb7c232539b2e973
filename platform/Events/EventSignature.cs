using System.Globalization;
using System.Security.Cryptography;
using System.Text;

namespace Serverless.Platform.Events;

public enum EventSignatureVerdict
{
    Valid,
    MissingHeaders,
    MalformedSignature,
    MalformedTimestamp,
    StaleTimestamp,
    BadSignature,
}

/// <summary>
/// The bridge → <c>/api/events</c> signature (docs/events.md): <c>X-Event-Timestamp</c> is unix seconds,
/// <c>X-Event-Signature</c> is <c>sha256=</c> + lowercase hex of HMAC-SHA256 keyed with the UTF-8 bytes of
/// <c>EVENTS_SHARED_SECRET</c> over the ASCII timestamp, a '.', and the raw body bytes. A timestamp more
/// than five minutes from the receiver's clock is refused so a captured request cannot be replayed later.
/// A copy of <c>gateway/EventSignature.cs</c> (the function app does not reference the bridge); the test
/// vector of docs/events.md holds both to the same bytes. (Its <c>Prefix</c> is <c>SignaturePrefix</c> here: the
/// Infra tests' settings scanner resolves constants by name across platform/ and functions/, and another <c>Prefix</c> exists.)
/// </summary>
public static class EventSignature
{
    public const string TimestampHeader = "X-Event-Timestamp";
    public const string SignatureHeader = "X-Event-Signature";
    public const string SignaturePrefix = "sha256=";
    public static readonly TimeSpan Window = TimeSpan.FromMinutes(5);

    public static string Sign(string secret, long timestamp, ReadOnlySpan<byte> body) =>
        SignaturePrefix + Convert.ToHexStringLower(Mac(secret, timestamp.ToString(CultureInfo.InvariantCulture), body));

    public static EventSignatureVerdict Verify(string secret, string? signature, string? timestamp, ReadOnlySpan<byte> body, DateTimeOffset now)
    {
        if (string.IsNullOrEmpty(signature) || string.IsNullOrEmpty(timestamp))
        {
            return EventSignatureVerdict.MissingHeaders;
        }
        if (!signature.StartsWith(SignaturePrefix, StringComparison.Ordinal) || signature.Length != SignaturePrefix.Length + 64)
        {
            return EventSignatureVerdict.MalformedSignature;
        }
        byte[] claimed;
        try
        {
            claimed = Convert.FromHexString(signature.AsSpan(SignaturePrefix.Length));
        }
        catch (FormatException)
        {
            return EventSignatureVerdict.MalformedSignature;
        }
        if (timestamp.Length > 12 || !long.TryParse(timestamp, NumberStyles.None, CultureInfo.InvariantCulture, out var seconds))
        {
            return EventSignatureVerdict.MalformedTimestamp;
        }
        if ((now - DateTimeOffset.FromUnixTimeSeconds(Math.Min(seconds, 253402300799))).Duration() > Window)
        {
            return EventSignatureVerdict.StaleTimestamp;
        }
        return CryptographicOperations.FixedTimeEquals(claimed, Mac(secret, timestamp, body))
            ? EventSignatureVerdict.Valid
            : EventSignatureVerdict.BadSignature;
    }

    private static byte[] Mac(string secret, string timestamp, ReadOnlySpan<byte> body)
    {
        var prefix = Encoding.ASCII.GetBytes(timestamp + ".");
        var message = new byte[prefix.Length + body.Length];
        prefix.CopyTo(message, 0);
        body.CopyTo(message.AsSpan(prefix.Length));
        return HMACSHA256.HashData(Encoding.UTF8.GetBytes(secret), message);
    }
}
