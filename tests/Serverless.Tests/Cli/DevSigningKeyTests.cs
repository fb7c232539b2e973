using System.Diagnostics;
using System.Text;
using Serverless.Cli;
using Serverless.Platform.Interactions;

namespace Serverless.Tests.Cli;

/// <summary>The dev key as local/up makes it (openssl, PEM PKCS#8) signs what the app's verifier accepts.</summary>
public sealed class DevSigningKeyTests : IDisposable
{
    private readonly string _directory = Directory.CreateTempSubdirectory("dev-key-").FullName;

    public void Dispose() => Directory.Delete(_directory, recursive: true);

    private CliConsole Cli => new(TextWriter.Null, TextWriter.Null, false, false, _ => null, _directory);

    private async Task<string> OpensslAsync(params string[] args)
    {
        using var process = Process.Start(new ProcessStartInfo("openssl", args) { RedirectStandardError = true, RedirectStandardOutput = true, WorkingDirectory = _directory })!;
        var output = process.StandardOutput.ReadToEndAsync();
        var error = await process.StandardError.ReadToEndAsync();
        await process.WaitForExitAsync();
        Assert.True(process.ExitCode == 0, $"openssl {string.Join(" ", args)}: {error}");
        return await output;
    }

    [Fact]
    public async Task Load_OpensslEd25519Key_PublicKeyIsOpensslsAndSignaturesVerify()
    {
        await OpensslAsync("genpkey", "-algorithm", "ed25519", "-out", "key.pem");
        // openssl's public key as raw hex: the last 32 bytes of its DER SubjectPublicKeyInfo.
        await OpensslAsync("pkey", "-in", "key.pem", "-pubout", "-outform", "DER", "-out", "public.der");
        var opensslPublicKey = Convert.ToHexStringLower(File.ReadAllBytes(Path.Combine(_directory, "public.der"))[^32..]);
        var body = """{"type":1}"""u8.ToArray();
        var now = DateTimeOffset.UtcNow;
        var timestamp = now.ToUnixTimeSeconds().ToString(System.Globalization.CultureInfo.InvariantCulture);

        using var key = DevSigningKey.Load(Cli, "key.pem");
        var signature = key.Sign(timestamp, body);

        Assert.Equal(opensslPublicKey, key.PublicKeyHex);
        Assert.Equal(128, signature.Length);
        Assert.Equal(SignatureVerdict.Valid, new InteractionSignature(opensslPublicKey).Verify(signature, timestamp, body, now));
        Assert.Equal(SignatureVerdict.BadSignature, new InteractionSignature(opensslPublicKey).Verify(signature, timestamp, "{}"u8, now));
    }

    [Fact]
    public async Task Load_X25519Key_UsageErrorSaysItIsNotEd25519()
    {
        await OpensslAsync("genpkey", "-algorithm", "x25519", "-out", "key.pem");

        var error = Assert.Throws<CliException>(() => DevSigningKey.Load(Cli, "key.pem"));

        Assert.Equal(ExitCodes.Usage, error.ExitCode);
        Assert.Contains("is not an Ed25519 private key (make one with: openssl genpkey -algorithm ed25519", error.Message);
    }

    [Fact]
    public void Load_NotPem_UsageErrorSaysItCannotReadPem()
    {
        File.WriteAllText(Path.Combine(_directory, "key.pem"), "not a key\n", Encoding.UTF8);

        var error = Assert.Throws<CliException>(() => DevSigningKey.Load(Cli, "key.pem"));

        Assert.Equal(ExitCodes.Usage, error.ExitCode);
        Assert.Contains("as a PEM private key", error.Message);
    }

    [Fact]
    public void Load_MissingFile_UsageErrorSaysHowToMakeOne()
    {
        var error = Assert.Throws<CliException>(() => DevSigningKey.Load(Cli, "absent.pem"));

        Assert.Equal(ExitCodes.Usage, error.ExitCode);
        Assert.Contains("run local/up once", error.Message);
    }
}
