using Serverless.Platform.Packages;

namespace Serverless.Tests.Packages;

public class VersionRequirementTests
{
    /// <summary>Every operator of docs/packages.md's requirement table, with versions it accepts and refuses.</summary>
    public static TheoryData<string, string, bool> OperatorTable => new()
    {
        { ">=1.2.3", "1.2.3", true }, { ">=1.2.3", "1.3.0", true }, { ">=1.2.3", "1.2.0", false },
        { ">1.2.3", "1.2.4", true }, { ">1.2.3", "1.3.0", true }, { ">1.2.3", "1.2.0", false }, { ">1.2.3", "1.2.3", false },
        { "<=1.2.3", "1.2.3", true }, { "<=1.2.3", "1.1.0", true }, { "<=1.2.3", "1.2.4", false }, { "<=1.2.3", "2.0.0", false },
        { "<1.2.3", "1.1.0", true }, { "<1.2.3", "1.2.3", false }, { "<1.2.3", "1.5", false },
        { "=1.2.3", "1.2.3", true }, { "=1.2.3", "1.2", false }, { "=1.2.3", "1.2.4", false },
        { "1.2.3", "1.2.3", true }, { "1.2.3", "1.2", false }, { "1.2.3", "1.2.4", false },
        { "^1.2.3", "1.2.3", true }, { "^1.2.3", "1.2.4", true }, { "^1.2.3", "1.4.4", true }, { "^1.2.3", "1.0.0", false }, { "^1.2.3", "2.0.0", false },
        { "~1.2.3", "1.2.3", true }, { "~1.2.3", "1.2.4", true }, { "~1.2.3", "1.0.0", false }, { "~1.2.3", "1.4.4", false }, { "~1.2.3", "2.0.0", false },
    };

    [Theory]
    [MemberData(nameof(OperatorTable))]
    public void IsSatisfiedBy_Seed003OperatorTable_MatchesTheTable(string requirement, string version, bool accepted) =>
        Assert.Equal(accepted, VersionRequirement.Parse(requirement).IsSatisfiedBy(PluginVersion.Parse(version)));

    /// <summary>Requirements as a manifest's dependencies write them (docs/packages.md), plus versions on both sides of each.</summary>
    public static TheoryData<string, string, bool> DependenciesExample => new()
    {
        { ">=1.0.0 <2.0", "1.0.0", true }, { ">=1.0.0 <2.0", "1.9.9", true }, { ">=1.0.0 <2.0", "2.0", false }, { ">=1.0.0 <2.0", "2.0.0", false }, { ">=1.0.0 <2.0", "0.9", false },
        { ">=1.0.0", "1.0.0", true }, { ">=1.0.0", "7.0", true }, { ">=1.0.0", "0.9.9", false },
        { "*", "0.0.1", true }, { "*", "99.1.2-beta+x", true },
        { "1.0.*", "1.0.0", true }, { "1.0.*", "1.0.42", true }, { "1.0.*", "1.0", true }, { "1.0.*", "1.1.0", false }, { "1.0.*", "0.9.9", false },
        { "2.7.x", "2.7.0", true }, { "2.7.x", "2.7.13", true }, { "2.7.x", "2.8.0", false }, { "2.7.x", "2.6.9", false },
    };

    [Theory]
    [MemberData(nameof(DependenciesExample))]
    public void IsSatisfiedBy_Seed003DependenciesExample_AcceptsOnlyMatchingVersions(string requirement, string version, bool accepted) =>
        Assert.Equal(accepted, VersionRequirement.Parse(requirement).IsSatisfiedBy(PluginVersion.Parse(version)));

    /// <summary>Our documented choices where the rules leave it open (docs/packages.md, VersionRequirement's remarks).</summary>
    [Theory]
    [InlineData("^1.2.3", "1.3.0-beta", true)]
    [InlineData("^1.2.3", "1.2.3-beta", false)]
    [InlineData("~1.2.3", "1.2.9-rc.1", true)]
    [InlineData("<2.0", "2.0.0-rc.1", true)]
    [InlineData(">=1.0.0-beta.2", "1.0.0-beta.11", true)]
    [InlineData(">=1.0.0-beta.2", "1.0.0-alpha", false)]
    [InlineData("=1.2.3+build.7", "1.2.3", true)]
    [InlineData("^0.2.3", "0.9.0", true)]
    [InlineData("^0.2.3", "1.0.0", false)]
    [InlineData("~1", "1.0.5", true)]
    [InlineData("~1", "1.1.0", false)]
    [InlineData("1.0.*", "1.0.7-beta", true)]
    [InlineData("<1.0.*", "0.9.9", true)]
    [InlineData("<1.0.*", "1.0.5", false)]
    [InlineData(">1.0.*", "1.1.0", true)]
    [InlineData(">1.0.*", "1.0.9", false)]
    [InlineData("^1.*", "1.9.0", true)]
    [InlineData("^1.*", "2.0.0", false)]
    [InlineData("1.X", "1.4", true)]
    [InlineData(">=1.0   <2", "1.5", true)]
    public void IsSatisfiedBy_UnspecifiedCases_FollowsDocumentedChoice(string requirement, string version, bool accepted) =>
        Assert.Equal(accepted, VersionRequirement.Parse(requirement).IsSatisfiedBy(PluginVersion.Parse(version)));

    [Theory]
    [InlineData("")]
    [InlineData("   ")]
    [InlineData(">=")]
    [InlineData("=>1.0")]
    [InlineData(">=1.0 <")]
    [InlineData("1.*.3")]
    [InlineData("1.*-beta")]
    [InlineData("latest")]
    [InlineData(">=v1")]
    [InlineData("1.0 || 2.0")]
    public void TryParse_Malformed_FailsWithMessage(string text)
    {
        Assert.False(VersionRequirement.TryParse(text, out _, out var error));
        Assert.NotEmpty(error);
    }
}
