using Microsoft.Playwright;
using Serverless.Tests.Infrastructure;

namespace Serverless.Tests.Portal;

/// <summary>
/// Debian's Chromium driven by Playwright. Playwright's own browser downloads are never used (nothing is
/// fetched from outside here): the browser is /usr/bin/chromium, which local/test installs when missing.
/// Without it the tests skip, or fail when CI=true.
/// </summary>
public static class Chromium
{
    public static string ExecutablePath => Environment.GetEnvironmentVariable("CHROMIUM_PATH") is { Length: > 0 } path ? path : "/usr/bin/chromium";

    public static readonly string[] Args =
    [
        "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
        "--disable-background-networking", "--disable-component-update", "--disable-sync",
    ];

    /// <summary>Screenshots of each page, kept as test artifacts (git-ignored).</summary>
    public static string ArtifactsDirectory => Directory.CreateDirectory(Path.Combine(RepoPaths.Root, "artifacts", "portal")).FullName;

    public static void Require()
    {
        if (File.Exists(ExecutablePath))
        {
            return;
        }
        var message = $"no Chromium at {ExecutablePath} (local/test installs Debian's chromium; or set CHROMIUM_PATH)";
        if (Azurite.IsCi)
        {
            throw new InvalidOperationException("CI=true and the browser tests need Chromium: " + message);
        }
        Assert.Skip(message);
    }

    public static async Task<(IPlaywright Playwright, IBrowser Browser)> LaunchAsync()
    {
        Require();
        var playwright = await Microsoft.Playwright.Playwright.CreateAsync();
        var browser = await playwright.Chromium.LaunchAsync(new BrowserTypeLaunchOptions
        {
            ExecutablePath = ExecutablePath,
            Headless = true,
            Args = Args,
        });
        return (playwright, browser);
    }
}
