using System.Globalization;
using System.Security.Cryptography;
using System.Text;

namespace Serverless.Platform.Sandbox;

/// <summary>
/// Short-lived tokens that let one job execution use the callback channel of its own worker, and
/// nothing else: <c>v1.{expiry unix seconds}.{base64url HMAC-SHA256(key, "v1|{worker id}|{expiry}")}</c>.
/// The key is random per host process and never leaves it, so there is no secret to configure or
/// rotate, and a token is worthless on any other instance or after a restart (the worker it names
/// lives only in this process anyway).
/// </summary>
public sealed class SandboxWorkerTokens(TimeProvider clock)
{
    private const string Version = "v1";
    private readonly byte[] key = RandomNumberGenerator.GetBytes(32);

    public string Issue(string workerId, TimeSpan lifetime)
    {
        var expiry = clock.GetUtcNow().Add(lifetime).ToUnixTimeSeconds().ToString(CultureInfo.InvariantCulture);
        return $"{Version}.{expiry}.{Base64Url(Mac(workerId, expiry))}";
    }

    /// <summary>True only for an unexpired token issued here for exactly this worker; compares in constant time.</summary>
    public bool Validate(string workerId, string? token)
    {
        if (token is null || token.Split('.') is not [Version, var expiry, var mac])
        {
            return false;
        }
        if (!long.TryParse(expiry, NumberStyles.None, CultureInfo.InvariantCulture, out var seconds)
            || seconds <= clock.GetUtcNow().ToUnixTimeSeconds())
        {
            return false;
        }
        byte[] given;
        try
        {
            given = Convert.FromBase64String(mac.Replace('-', '+').Replace('_', '/') + new string('=', (4 - mac.Length % 4) % 4));
        }
        catch (FormatException)
        {
            return false;
        }
        return CryptographicOperations.FixedTimeEquals(given, Mac(workerId, expiry));
    }

    private byte[] Mac(string workerId, string expiry) =>
        HMACSHA256.HashData(key, Encoding.UTF8.GetBytes($"{Version}|{workerId}|{expiry}"));

    private static string Base64Url(byte[] bytes) =>
        Convert.ToBase64String(bytes).TrimEnd('=').Replace('+', '-').Replace('/', '_');
}
