using Serverless.Platform.Packages;

namespace Serverless.Tests.Packages;

public class DependencyResolverTests
{
    private static PluginManifest Manifest(string id, params (string Id, string Requirement)[] dependencies) => new()
    {
        Id = id,
        Version = PluginVersion.Parse("1.0.0"),
        Dependencies = dependencies.ToDictionary(d => d.Id, d => VersionRequirement.Parse(d.Requirement)),
    };

    private static PublishedVersion Published(string version, params (string Id, string Requirement)[] dependencies) =>
        new(PluginVersion.Parse(version), dependencies.ToDictionary(d => d.Id, d => VersionRequirement.Parse(d.Requirement)));

    private static Dictionary<string, IReadOnlyList<PublishedVersion>> Registry(params (string Id, PublishedVersion[] Versions)[] plugins) =>
        plugins.ToDictionary(p => p.Id, p => (IReadOnlyList<PublishedVersion>)p.Versions);

    [Fact]
    public void Resolve_Seed003Example_ChoosesHighestSatisfyingVersions()
    {
        var manifest = Manifest("my_plugin", ("platform", ">=1.0.0 <2.0"), ("my_library", ">=1.0.0"), ("an_important_api", "*"), ("another_api_1", "1.0.*"), ("another_api_2", "2.7.x"));
        var registry = Registry(
            ("my_library", [Published("0.9"), Published("1.2.0"), Published("1.10.0")]),
            ("an_important_api", [Published("3.0.0-beta")]),
            ("another_api_1", [Published("1.0.3"), Published("1.1.0")]),
            ("another_api_2", [Published("2.7.1"), Published("2.8.0")]));
        var result = DependencyResolver.Resolve(manifest, registry, PluginVersion.Parse("1.5.0"));
        Assert.True(result.IsSatisfied, string.Join("; ", result.Errors));
        Assert.Equal("1.10.0", result.Chosen["my_library"].Text);
        Assert.Equal("1.0.3", result.Chosen["another_api_1"].Text);
        Assert.Equal("2.7.1", result.Chosen["another_api_2"].Text);
    }

    [Fact]
    public void Resolve_MissingAndMismatchedAndPlatform_ReportsEveryFailure()
    {
        var manifest = Manifest("my_plugin", ("platform", ">=2.0"), ("gone", "*"), ("old_lib", ">=2.0.0"), ("fine", "*"));
        var registry = Registry(("old_lib", [Published("1.0.0"), Published("1.5.0")]), ("fine", [Published("1.0")]));
        var result = DependencyResolver.Resolve(manifest, registry, PluginVersion.Parse("1.0.0"));
        Assert.Equal(3, result.Errors.Count);
        Assert.Contains(result.Errors, e => e.Code == IssueCodes.DependencyMissing && e.Path == "$.dependencies.gone");
        var mismatch = Assert.Single(result.Errors, e => e.Code == IssueCodes.DependencyVersionMismatch && e.Path == "$.dependencies.old_lib");
        Assert.Contains(">=2.0.0", mismatch.Message);
        Assert.Contains("1.0.0, 1.5.0", mismatch.Message);
        Assert.Contains(result.Errors, e => e.Code == IssueCodes.DependencyVersionMismatch && e.Path == "$.dependencies.platform");
    }

    [Fact]
    public void Resolve_LoopBackToPlugin_PrintsCycle()
    {
        var manifest = Manifest("a", ("b", "*"));
        var registry = Registry(("b", [Published("1.0", ("a", "*"))]));
        var error = Assert.Single(DependencyResolver.Resolve(manifest, registry).Errors);
        Assert.Equal(IssueCodes.DependencyLoop, error.Code);
        Assert.Contains("a -> b -> a", error.Message);
        Assert.Equal("$.dependencies.b", error.Path);
    }

    [Fact]
    public void Resolve_SelfDependency_Loop() =>
        Assert.Contains("a -> a", Assert.Single(DependencyResolver.Resolve(Manifest("a", ("a", "*")), Registry()).Errors).Message);

    [Fact]
    public void Resolve_LoopAmongDependencies_PrintsThatCycle()
    {
        var manifest = Manifest("a", ("b", "*"));
        var registry = Registry(("b", [Published("1.0", ("c", "*"))]), ("c", [Published("1.0", ("d", "*"))]), ("d", [Published("1.0", ("b", "*"))]));
        var error = Assert.Single(DependencyResolver.Resolve(manifest, registry).Errors);
        Assert.Contains("b -> c -> d -> b", error.Message);
        Assert.Equal("$.dependencies.b", error.Path);
    }

    [Fact]
    public void Resolve_TransitiveFailures_UseChosenVersionsDependencies()
    {
        // lib 2.0 (chosen) needs util >=3 which does not exist; lib 1.0 would not have. Also a transitive missing plugin.
        var manifest = Manifest("app", ("lib", "*"));
        var registry = Registry(
            ("lib", [Published("1.0", ("util", "^1")), Published("2.0", ("util", ">=3"), ("ghost", "*"))]),
            ("util", [Published("1.2"), Published("2.0")]));
        var result = DependencyResolver.Resolve(manifest, registry);
        Assert.Equal("2.0", result.Chosen["lib"].Text);
        Assert.Contains(result.Errors, e => e.Code == IssueCodes.DependencyVersionMismatch && e.Message.Contains("util") && e.Message.Contains("required by lib"));
        Assert.Contains(result.Errors, e => e.Code == IssueCodes.DependencyMissing && e.Message.Contains("ghost") && e.Path == "$.dependencies.lib");
    }

    [Fact]
    public void Resolve_ConflictingRequirementsOnSharedDependency_Mismatch()
    {
        var manifest = Manifest("app", ("x", "*"), ("shared", "^1"));
        var registry = Registry(("x", [Published("1.0", ("shared", ">=2"))]), ("shared", [Published("1.5"), Published("2.1")]));
        var result = DependencyResolver.Resolve(manifest, registry);
        Assert.Equal("1.5", result.Chosen["shared"].Text);
        var error = Assert.Single(result.Errors);
        Assert.Equal(IssueCodes.DependencyVersionMismatch, error.Code);
        Assert.Contains("x requires shared '>=2'", error.Message);
    }

    [Fact]
    public void Resolve_DiamondWithoutLoop_Satisfied()
    {
        var manifest = Manifest("app", ("left", "*"), ("right", "*"));
        var registry = Registry(("left", [Published("1.0", ("base", "^1"))]), ("right", [Published("1.0", ("base", ">=1.2"))]), ("base", [Published("1.3")]));
        Assert.True(DependencyResolver.Resolve(manifest, registry).IsSatisfied);
    }
}
