using System.Text;
using NSec.Cryptography;
using Serverless.Platform.Interactions;

namespace Serverless.Tests.Interactions;

public sealed class InteractionSignatureTests
{
    private static readonly DateTimeOffset Now = DateTimeOffset.FromUnixTimeSeconds(1_800_000_000);

    public static (string PublicKeyHex, Key PrivateKey) NewKeyPair()
    {
        var privateKey = Key.Create(SignatureAlgorithm.Ed25519);
        return (Convert.ToHexStringLower(privateKey.PublicKey.Export(KeyBlobFormat.RawPublicKey)), privateKey);
    }

    public static string Sign(Key key, string timestamp, byte[] body) =>
        Convert.ToHexStringLower(SignatureAlgorithm.Ed25519.Sign(key, [.. Encoding.ASCII.GetBytes(timestamp), .. body]));

    [Fact]
    public void Verify_SignedByDiscordKey_IsValid()
    {
        var (publicKey, privateKey) = NewKeyPair();
        var body = """{"type":1}"""u8.ToArray();
        var timestamp = Now.ToUnixTimeSeconds().ToString();

        var verdict = new InteractionSignature(publicKey).Verify(Sign(privateKey, timestamp, body), timestamp, body, Now);

        Assert.Equal(SignatureVerdict.Valid, verdict);
    }

    [Fact]
    public void Verify_BodyChangedByOneByte_IsBadSignature()
    {
        var (publicKey, privateKey) = NewKeyPair();
        var body = """{"type":1}"""u8.ToArray();
        var timestamp = Now.ToUnixTimeSeconds().ToString();
        var signature = Sign(privateKey, timestamp, body);
        body[^2] = (byte)'2';

        Assert.Equal(SignatureVerdict.BadSignature, new InteractionSignature(publicKey).Verify(signature, timestamp, body, Now));
    }

    [Fact]
    public void Verify_OtherKey_IsBadSignature()
    {
        var (publicKey, _) = NewKeyPair();
        var (_, otherPrivate) = NewKeyPair();
        var body = "{}"u8.ToArray();
        var timestamp = Now.ToUnixTimeSeconds().ToString();

        Assert.Equal(SignatureVerdict.BadSignature, new InteractionSignature(publicKey).Verify(Sign(otherPrivate, timestamp, body), timestamp, body, Now));
    }

    [Theory]
    [InlineData(null, "1800000000", SignatureVerdict.MissingHeaders)]
    [InlineData("ab", null, SignatureVerdict.MissingHeaders)]
    [InlineData("abc", "1800000000", SignatureVerdict.MalformedSignature)]
    [InlineData("zz", "1800000000", SignatureVerdict.MalformedSignature)]
    [InlineData("00", "1800000000", SignatureVerdict.MalformedSignature)]
    [InlineData(null, null, SignatureVerdict.MissingHeaders)]
    public void Verify_MalformedHeaders_Refused(string? signature, string? timestamp, SignatureVerdict expected)
    {
        var (publicKey, _) = NewKeyPair();

        Assert.Equal(expected, new InteractionSignature(publicKey).Verify(signature, timestamp, "{}"u8, Now));
    }

    [Theory]
    [InlineData("-5")]
    [InlineData("17e8")]
    [InlineData("1800000000.5")]
    [InlineData(" 1800000000")]
    [InlineData("99999999999999999999999")]
    public void Verify_MalformedTimestamp_Refused(string timestamp)
    {
        var (publicKey, privateKey) = NewKeyPair();

        var verdict = new InteractionSignature(publicKey).Verify(Sign(privateKey, timestamp, "{}"u8.ToArray()), timestamp, "{}"u8, Now);

        Assert.Equal(SignatureVerdict.MalformedTimestamp, verdict);
    }

    [Theory]
    [InlineData(-301)]
    [InlineData(301)]
    [InlineData(-100_000)]
    public void Verify_TimestampOutsideFiveMinutes_IsStale(int offsetSeconds)
    {
        var (publicKey, privateKey) = NewKeyPair();
        var timestamp = (Now.ToUnixTimeSeconds() + offsetSeconds).ToString();
        var body = "{}"u8.ToArray();

        Assert.Equal(SignatureVerdict.StaleTimestamp, new InteractionSignature(publicKey).Verify(Sign(privateKey, timestamp, body), timestamp, body, Now));
    }

    [Theory]
    [InlineData("")]
    [InlineData("1234")]
    [InlineData("not hex at all, not hex at all, not hex at all, not hex at all!!")]
    public void Constructor_BadPublicKey_ThrowsClearly(string key)
    {
        var error = Assert.Throws<ArgumentException>(() => new InteractionSignature(key));

        Assert.Contains("DISCORD_PUBLIC_KEY", error.Message);
    }
}
