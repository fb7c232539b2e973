using Serverless.Platform.Packages;

namespace Serverless.Platform.Hosting;

public static class PlatformInfo
{
    /// <summary>What a manifest's <c>platform</c> dependency and <c>platform_version</c> are checked against.</summary>
    public static PluginVersion Version { get; } = PluginVersion.Parse("1.0.0");
}
