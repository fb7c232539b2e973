using Serverless.Platform.Packages;

namespace Serverless.Tests.Packages;

public class PluginVersionTests
{
    [Theory]
    [InlineData("1.0.0", new[] { 1, 0, 0 }, "", null)]
    [InlineData("2.0", new[] { 2, 0 }, "", null)]
    [InlineData("1.2.3-pre4", new[] { 1, 2, 3 }, "pre4", null)]
    [InlineData("1.8.9-rc.8", new[] { 1, 8, 9 }, "rc.8", null)]
    [InlineData("1.14.1-beta.4+build.54", new[] { 1, 14, 1 }, "beta.4", "build.54")]
    [InlineData("1.2.3.4.5", new[] { 1, 2, 3, 4, 5 }, "", null)]
    public void TryParse_Seed003Examples_Parses(string text, int[] core, string prerelease, string? build)
    {
        Assert.True(PluginVersion.TryParse(text, out var version));
        Assert.Equal(core, version.Core);
        Assert.Equal(prerelease, string.Join('.', version.Prerelease));
        Assert.Equal(build, version.Build);
        Assert.Equal(text, version.ToString());
    }

    [Theory]
    [InlineData("")]
    [InlineData("1.")]
    [InlineData(".1")]
    [InlineData("1..2")]
    [InlineData("v1.0")]
    [InlineData("1.0-")]
    [InlineData("1.0+")]
    [InlineData("1.0-beta..1")]
    [InlineData("1.0-01")]
    [InlineData("1.0-be ta")]
    [InlineData("1.x")]
    [InlineData("1234567890.0")]
    public void TryParse_Malformed_Fails(string text)
    {
        Assert.False(PluginVersion.TryParse(text, out _, out var error));
        Assert.NotEmpty(error);
    }

    [Theory]
    [InlineData("1.0", "1.0.0", 0)]
    [InlineData("2", "2.0.0.0", 0)]
    [InlineData("1.2.3", "1.2.4", -1)]
    [InlineData("1.10.0", "1.9.0", 1)]
    [InlineData("1.2.3-pre4", "1.2.3", -1)]
    [InlineData("1.2.3+build.1", "1.2.3+build.2", 0)]
    [InlineData("1.2.3.1", "1.2.3", 1)]
    // semver's own precedence chain
    [InlineData("1.0.0-alpha", "1.0.0-alpha.1", -1)]
    [InlineData("1.0.0-alpha.1", "1.0.0-alpha.beta", -1)]
    [InlineData("1.0.0-alpha.beta", "1.0.0-beta", -1)]
    [InlineData("1.0.0-beta", "1.0.0-beta.2", -1)]
    [InlineData("1.0.0-beta.2", "1.0.0-beta.11", -1)]
    [InlineData("1.0.0-beta.11", "1.0.0-rc.1", -1)]
    [InlineData("1.0.0-rc.1", "1.0.0", -1)]
    public void CompareTo_Pairs_OrdersLikeSemverWithMissingSegmentsAsZero(string left, string right, int expected)
    {
        var a = PluginVersion.Parse(left);
        var b = PluginVersion.Parse(right);
        Assert.Equal(expected, Math.Sign(a.CompareTo(b)));
        Assert.Equal(-expected, Math.Sign(b.CompareTo(a)));
        Assert.Equal(expected == 0, a.Equals(b));
        if (expected == 0)
        {
            Assert.Equal(a.GetHashCode(), b.GetHashCode());
        }
    }
}
