using System.Globalization;
using System.Text;
using Org.BouncyCastle.Crypto.Parameters;
using Org.BouncyCastle.Crypto.Signers;

namespace Serverless.Functions.Interactions;

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
/// is refused too, so a captured request cannot be replayed later.
/// </summary>
public sealed class InteractionSignature
{
    public static readonly TimeSpan Window = TimeSpan.FromMinutes(5);

    private readonly Ed25519PublicKeyParameters _publicKey;

    public InteractionSignature(string publicKeyHex)
    {
        var key = FromHex(publicKeyHex?.Trim() ?? "");
        if (key is not { Length: 32 })
        {
            throw new ArgumentException("DISCORD_PUBLIC_KEY must be 64 hex characters (a 32-byte Ed25519 public key)", nameof(publicKeyHex));
        }
        _publicKey = new Ed25519PublicKeyParameters(key, 0);
    }

    public SignatureVerdict Verify(string? signatureHex, string? timestamp, ReadOnlySpan<byte> body, DateTimeOffset now)
    {
        if (string.IsNullOrEmpty(signatureHex) || string.IsNullOrEmpty(timestamp))
        {
            return SignatureVerdict.MissingHeaders;
        }
        var signature = FromHex(signatureHex);
        if (signature is not { Length: 64 })
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

        var message = new byte[Encoding.ASCII.GetByteCount(timestamp) + body.Length];
        var written = Encoding.ASCII.GetBytes(timestamp, message);
        body.CopyTo(message.AsSpan(written));
        var verifier = new Ed25519Signer();
        verifier.Init(false, _publicKey);
        verifier.BlockUpdate(message, 0, message.Length);
        return verifier.VerifySignature(signature) ? SignatureVerdict.Valid : SignatureVerdict.BadSignature;
    }

    private static byte[]? FromHex(string hex)
    {
        try
        {
            return hex.Length % 2 == 0 ? Convert.FromHexString(hex) : null;
        }
        catch (FormatException)
        {
            return null;
        }
    }
}
