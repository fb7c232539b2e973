using System.Security.Cryptography;
using System.Text;
using NSec.Cryptography;

namespace Serverless.Cli;

/// <summary>
/// The dev Ed25519 key local/up generates (.local/discord-dev-key.pem, PEM PKCS#8, made by openssl), used
/// to sign simulated interactions exactly as Discord signs real ones: over timestamp + raw body.
/// </summary>
public sealed class DevSigningKey : IDisposable
{
    public const string FileVariable = "DEV_DISCORD_PRIVATE_KEY_FILE";
    public const string DefaultFileName = "discord-dev-key.pem";

    private readonly Key _key;

    private DevSigningKey(Key key, string path)
    {
        _key = key;
        Path = path;
    }

    public string Path { get; }

    public string PublicKeyHex => Convert.ToHexStringLower(_key.PublicKey.Export(KeyBlobFormat.RawPublicKey));

    /// <summary>--key, else $DEV_DISCORD_PRIVATE_KEY_FILE, else the one named in .local/dev-secrets.env, else .local/discord-dev-key.pem.</summary>
    public static DevSigningKey Load(CliConsole console, string? path)
    {
        var file = path is { Length: > 0 } given ? console.FullPath(given)
            : console.GetVariable(FileVariable) is { Length: > 0 } fromEnvironment ? console.FullPath(fromEnvironment)
            : DevSecrets.Read(console)?.Values.GetValueOrDefault(FileVariable) is { Length: > 0 } fromSecrets ? fromSecrets
            : System.IO.Path.Combine(DevSecrets.StateDirectory(console), DefaultFileName);
        if (!File.Exists(file))
        {
            throw CliException.Usage($"no dev signing key at {file}: run local/up once (it generates the dev key pair), or pass --key FILE (a PEM Ed25519 private key whose public key is the app's DISCORD_PUBLIC_KEY)");
        }
        string pem;
        try
        {
            pem = File.ReadAllText(file);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            throw CliException.Usage($"cannot read {file} as a PEM private key: {ex.Message}");
        }
        if (!PemEncoding.TryFind(pem, out _))
        {
            throw CliException.Usage($"cannot read {file} as a PEM private key: it holds no PEM block (-----BEGIN PRIVATE KEY-----)");
        }
        if (!Key.TryImport(SignatureAlgorithm.Ed25519, Encoding.UTF8.GetBytes(pem), KeyBlobFormat.PkixPrivateKeyText, out var key) || key is null)
        {
            throw CliException.Usage($"{file} is not an Ed25519 private key (make one with: openssl genpkey -algorithm ed25519 -out {file})");
        }
        return new DevSigningKey(key, file);
    }

    /// <summary>Hex signature over timestamp + body, as in header X-Signature-Ed25519.</summary>
    public string Sign(string timestamp, byte[] body) =>
        Convert.ToHexStringLower(SignatureAlgorithm.Ed25519.Sign(_key, [.. Encoding.UTF8.GetBytes(timestamp), .. body]));

    public void Dispose() => _key.Dispose();
}
