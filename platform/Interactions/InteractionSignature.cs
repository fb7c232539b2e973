using System.Buffers;
using System.Globalization;
using System.Text;
using NSec.Cryptography;

namespace Serverless.Platform.Interactions;

public enum SignatureVerdict
{
    Valid,
    MissingHeaders,
    MalformedSignature,
    MalformedTimestamp,
    StaleTimestamp,
    BadSignature,
}

/// <summary>
/// Discord signs <c>X-Signature-Timestamp</c> + the raw body with the application's Ed25519 key and
/// sends the signature hex-encoded in <c>X-Signature-Ed25519</c>. A timestamp outside the window
/// is refused too, so a captured request cannot be replayed later. Verification is libsodium's (NSec): the key is
/// imported once, and a request costs one pooled buffer for timestamp + body.
/// </summary>
public sealed class InteractionSignature
{
    public static readonly TimeSpan Window = TimeSpan.FromMinutes(5);

    private readonly PublicKey _publicKey;

    public InteractionSignature(string publicKeyHex)
    {
        Span<byte> key = stackalloc byte[32];
        if (!TryFromHex(publicKeyHex?.Trim(), key))
        {
            throw new ArgumentException("DISCORD_PUBLIC_KEY must be 64 hex characters (a 32-byte Ed25519 public key)", nameof(publicKeyHex));
        }
        _publicKey = PublicKey.Import(SignatureAlgorithm.Ed25519, key, KeyBlobFormat.RawPublicKey);
    }

    public SignatureVerdict Verify(string? signatureHex, string? timestamp, ReadOnlySpan<byte> body, DateTimeOffset now)
    {
        if (string.IsNullOrEmpty(signatureHex) || string.IsNullOrEmpty(timestamp))
        {
            return SignatureVerdict.MissingHeaders;
        }
        Span<byte> signature = stackalloc byte[64];
        if (!TryFromHex(signatureHex, signature))
        {
            return SignatureVerdict.MalformedSignature;
        }
        if (timestamp.Length > 20 || !long.TryParse(timestamp, NumberStyles.None, CultureInfo.InvariantCulture, out var seconds))
        {
            return SignatureVerdict.MalformedTimestamp;
        }
        var age = now - DateTimeOffset.FromUnixTimeSeconds(Math.Clamp(seconds, 0, 253402300799));
        if (age.Duration() > Window)
        {
            return SignatureVerdict.StaleTimestamp;
        }

        // The timestamp is at most 20 ASCII digits (checked above): one byte each.
        var length = timestamp.Length + body.Length;
        var message = ArrayPool<byte>.Shared.Rent(length);
        try
        {
            var written = Encoding.ASCII.GetBytes(timestamp, message);
            body.CopyTo(message.AsSpan(written));
            return SignatureAlgorithm.Ed25519.Verify(_publicKey, message.AsSpan(0, length), signature) ? SignatureVerdict.Valid : SignatureVerdict.BadSignature;
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(message);
        }
    }

    /// <summary>Exactly <paramref name="bytes"/>.Length bytes from hex (either case); false for any other length or a non-hex character.</summary>
    private static bool TryFromHex(string? hex, Span<byte> bytes) =>
        hex is not null && hex.Length == bytes.Length * 2
        && Convert.FromHexString(hex, bytes, out _, out var written) == OperationStatus.Done && written == bytes.Length;
}
