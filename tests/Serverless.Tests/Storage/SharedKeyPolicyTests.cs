using Serverless.Functions.Storage;

namespace Serverless.Tests.Storage;

public class SharedKeyPolicyTests
{
    private static readonly byte[] Key = Convert.FromBase64String(StorageAccount.DevelopmentAccountKey);

    [Fact]
    public void StringToSign_BlockUpload_CanonicalizesHeadersAndResource()
    {
        var headers = new List<KeyValuePair<string, string>>
        {
            new("Content-Type", "text/plain"),
            new("x-ms-version", "2025-01-05"),
            new("If-Match", "\"0x1\""),
            new("x-ms-meta-Name", " value "),
            new("x-ms-date", "Fri, 21 Nov 2026 05:33:00 GMT"),
            new("Accept", "application/xml"),
        };
        var uri = new Uri("http://127.0.0.1:10000/devstoreaccount1/container/my%20blob.txt?comp=block&blockid=AAAA%3D%3D");

        var stringToSign = SharedKeyPolicy.StringToSign("PUT", uri, headers, 11, "devstoreaccount1");

        // Written out by hand from the Shared Key specification: 12 standard lines, sorted lowercase
        // x-ms- headers, then the account-prefixed path and the sorted, decoded query parameters.
        const string expected =
            "PUT\n\n\n11\n\ntext/plain\n\n\n\"0x1\"\n\n\n\n" +
            "x-ms-date:Fri, 21 Nov 2026 05:33:00 GMT\nx-ms-meta-name:value\nx-ms-version:2025-01-05\n" +
            "/devstoreaccount1/devstoreaccount1/container/my%20blob.txt\nblockid:AAAA==\ncomp:block";
        Assert.Equal(expected, stringToSign);
        // HMAC-SHA256 of the expected string under the Azurite key, computed independently (Python hmac).
        Assert.Equal("kOp4Qb2t/yMQ9S8CFm4TFr0Bajimr9tyF8FphKbyGEw=", SharedKeyPolicy.Sign(Key, stringToSign));
    }

    [Fact]
    public void StringToSign_ZeroContentLength_SignsEmptyLength()
    {
        var stringToSign = SharedKeyPolicy.StringToSign("DELETE", new Uri("http://h/devstoreaccount1/c"), [], 0, "devstoreaccount1");

        Assert.StartsWith("DELETE\n\n\n\n", stringToSign);
        Assert.EndsWith("\n/devstoreaccount1/devstoreaccount1/c", stringToSign);
    }

    [Fact]
    public void TableStringToSign_Query_UsesDateAndResourceOnly()
    {
        var headers = new List<KeyValuePair<string, string>>
        {
            new("x-ms-date", "Fri, 21 Nov 2026 05:33:00 GMT"),
            new("x-ms-version", "2019-02-02"),
        };
        var uri = new Uri("http://127.0.0.1:10002/devstoreaccount1/mytable()?$top=5&NextPartitionKey=abc");

        var stringToSign = SharedKeyPolicy.TableStringToSign("GET", uri, headers, "devstoreaccount1");

        Assert.Equal("GET\n\n\nFri, 21 Nov 2026 05:33:00 GMT\n/devstoreaccount1/devstoreaccount1/mytable()", stringToSign);
        Assert.Equal("mIUbfaZF1O/2bP6fy4G15ughxVJ3IIh11tn9ILhbfQI=", SharedKeyPolicy.Sign(Key, stringToSign));
    }

    [Fact]
    public void TableStringToSign_CompParameter_IsKept()
    {
        var stringToSign = SharedKeyPolicy.TableStringToSign("GET", new Uri("http://h/acct/mytable?comp=acl"), [], "acct");

        Assert.EndsWith("/acct/acct/mytable?comp=acl", stringToSign);
    }
}
