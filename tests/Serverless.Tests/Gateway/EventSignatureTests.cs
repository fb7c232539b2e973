using System.Text;
using Serverless.Gateway;

namespace Serverless.Tests.Gateway;

public sealed class EventSignatureTests
{
    private const string Secret = "test-shared-secret-0123456789";
    private static readonly byte[] Body = Encoding.UTF8.GetBytes("""{"id":"s:1"}""");
    private static readonly DateTimeOffset Now = DateTimeOffset.FromUnixTimeSeconds(1_700_000_000);

    [Fact]
    public void Sign_KnownVector_MatchesIndependentHmac()
    {
        // python3: hmac.new(secret, b'1700000000.' + body, hashlib.sha256).hexdigest()
        Assert.Equal("sha256=69c66093b5cea9d8d9e16a36d7c70b9f6ceb1bd7601384c5dc59e397e3556ac4", EventSignature.Sign(Secret, 1_700_000_000, Body));
    }

    [Fact]
    public void Verify_OwnSignature_Valid()
    {
        var signature = EventSignature.Sign(Secret, 1_700_000_000, Body);

        Assert.Equal(EventSignatureVerdict.Valid, EventSignature.Verify(Secret, signature, "1700000000", Body, Now.AddMinutes(4)));
    }

    [Theory]
    [InlineData(null, "1700000000", EventSignatureVerdict.MissingHeaders)]
    [InlineData("sha256=69c66093b5cea9d8d9e16a36d7c70b9f6ceb1bd7601384c5dc59e397e3556ac4", null, EventSignatureVerdict.MissingHeaders)]
    [InlineData("69c66093b5cea9d8d9e16a36d7c70b9f6ceb1bd7601384c5dc59e397e3556ac4", "1700000000", EventSignatureVerdict.MalformedSignature)]
    [InlineData("sha256=zzc66093b5cea9d8d9e16a36d7c70b9f6ceb1bd7601384c5dc59e397e3556ac4", "1700000000", EventSignatureVerdict.MalformedSignature)]
    [InlineData("sha256=69c66093", "1700000000", EventSignatureVerdict.MalformedSignature)]
    [InlineData("sha256=69c66093b5cea9d8d9e16a36d7c70b9f6ceb1bd7601384c5dc59e397e3556ac4", "-1700000000", EventSignatureVerdict.MalformedTimestamp)]
    [InlineData("sha256=69c66093b5cea9d8d9e16a36d7c70b9f6ceb1bd7601384c5dc59e397e3556ac4", "1.7e9", EventSignatureVerdict.MalformedTimestamp)]
    [InlineData("sha256=69c66093b5cea9d8d9e16a36d7c70b9f6ceb1bd7601384c5dc59e397e3556ac4", "1699999000", EventSignatureVerdict.StaleTimestamp)]
    [InlineData("sha256=69c66093b5cea9d8d9e16a36d7c70b9f6ceb1bd7601384c5dc59e397e3556ac4", "999999999999", EventSignatureVerdict.StaleTimestamp)]
    [InlineData("sha256=79c66093b5cea9d8d9e16a36d7c70b9f6ceb1bd7601384c5dc59e397e3556ac4", "1700000000", EventSignatureVerdict.BadSignature)]
    public void Verify_BadInput_Refused(string? signature, string? timestamp, EventSignatureVerdict expected)
    {
        Assert.Equal(expected, EventSignature.Verify(Secret, signature, timestamp, Body, Now));
    }

    [Fact]
    public void Verify_TamperedBody_BadSignature()
    {
        var signature = EventSignature.Sign(Secret, 1_700_000_000, Body);

        Assert.Equal(EventSignatureVerdict.BadSignature, EventSignature.Verify(Secret, signature, "1700000000", Encoding.UTF8.GetBytes("""{"id":"s:2"}"""), Now));
    }

    [Fact]
    public void Verify_OtherTimestampThanSigned_BadSignature()
    {
        var signature = EventSignature.Sign(Secret, 1_700_000_000, Body);

        Assert.Equal(EventSignatureVerdict.BadSignature, EventSignature.Verify(Secret, signature, "1700000001", Body, Now));
    }

    [Fact]
    public void Verify_WrongSecret_BadSignature()
    {
        var signature = EventSignature.Sign(Secret, 1_700_000_000, Body);

        Assert.Equal(EventSignatureVerdict.BadSignature, EventSignature.Verify("another-secret-0123456789", signature, "1700000000", Body, Now));
    }
}
