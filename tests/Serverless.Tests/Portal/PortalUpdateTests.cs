using System.Text.Json.Nodes;
using Microsoft.Playwright;
using Serverless.Tests.Infrastructure;
using Serverless.Tests.Packages.Fixtures;
using Serverless.Tests.Sandbox;

namespace Serverless.Tests.Portal;

/// <summary>
/// A version that asks for a new capability, published while a guild runs the one before: the CLI's
/// <c>installs</c> and the portal's installs page show the update awaiting consent with what it asks for,
/// and consenting in the portal upgrades the install. In a real browser on the running app.
/// </summary>
[Collection("Docker")]
public sealed class PortalUpdateTests(Azurite azurite, DockerFixture docker) : IAsyncLifetime
{
    private PortalApp _app = null!;

    public async ValueTask InitializeAsync()
    {
        docker.Require();
        Chromium.Require();
        _app = await PortalApp.StartAsync(azurite, docker);
    }

    public async ValueTask DisposeAsync()
    {
        if (_app is not null)
        {
            await _app.DisposeAsync();
        }
    }

    [Fact]
    public async Task Installs_UpdateAsksForNewCapability_ShownAndConsentUpgrades()
    {
        var id = "portal_" + Guid.NewGuid().ToString("N")[..8];
        var guild = Random.Shared.NextInt64(100_000_000_000, 900_000_000_000).ToString();
        Assert.Equal("published", (await _app.PublishAsync("acme", id, PortalEndToEndTests.ScaffoldZip(id)))["status"]!.GetValue<string>());
        using var cli = _app.Cli();
        var installed = await cli.RunAsync("install", id, "--guild", guild, "--version", "^0.1", "--yes");
        Assert.True(installed.ExitCode == 0, installed.ToString());

        var asking = PortalEndToEndTests.ScaffoldZip(id, "0.1.1");
        var files = PluginZipEntries(asking);
        var manifest = JsonNode.Parse(files["manifest.json"])!.AsObject();
        manifest["capabilities_required"] = new JsonArray("interaction:respond", "messages:send");
        files["manifest.json"] = manifest.ToJsonString();
        Assert.Equal("published", (await _app.PublishAsync("acme", id, PluginZip.Build(files.ToDictionary(f => f.Key, f => (object)f.Value))))["status"]!.GetValue<string>());

        var listed = await cli.RunAsync("installs", "--guild", guild);
        Assert.True(listed.ExitCode == 0, listed.ToString());
        Assert.Contains($"{id} 0.1.0", listed.Out);
        Assert.Contains("update awaiting consent 0.1.1", listed.Out);
        Assert.Contains("messages:send", listed.Out);

        var (playwright, browser) = await Chromium.LaunchAsync();
        using var _ = playwright;
        await using var __ = browser;
        var page = await browser.NewPageAsync(new BrowserNewPageOptions { ViewportSize = new ViewportSize { Width = 1280, Height = 900 } });
        page.SetDefaultTimeout(90_000);
        try
        {
            await page.GotoAsync(_app.BaseUrl + "/portal/");
            await page.FillAsync("#admin-key", PortalApp.AdminKey);
            await page.ClickAsync("#sign-in");
            await page.Locator("#nav").WaitForAsync();
            await page.GotoAsync($"{_app.BaseUrl}/portal/#/installs?guild={guild}");
            var update = page.Locator($"#installs tr[data-plugin={id}] .update[data-update=awaiting_consent]");
            await update.WaitForAsync();
            var text = await update.InnerTextAsync();
            Assert.Contains("update available: 0.1.1", text);
            Assert.Contains("messages:send", text);
            await page.ScreenshotAsync(new() { Path = Path.Combine(Chromium.ArtifactsDirectory, "07-update-awaiting-consent.png"), FullPage = true });

            await update.Locator("button.consent").ClickAsync();
            await page.Locator("#action-status .notice.ok").WaitForAsync();
            var row = await page.InnerTextAsync($"#installs tr[data-plugin={id}]");
            Assert.Contains("0.1.1", row);
            Assert.Contains("messages:send", row);
            Assert.Equal(0, await page.Locator($"#installs tr[data-plugin={id}] .update").CountAsync());
        }
        catch
        {
            await page.ScreenshotAsync(new() { Path = Path.Combine(Chromium.ArtifactsDirectory, "update-failure.png"), FullPage = true });
            throw;
        }

        var after = await cli.RunAsync("installs", "--guild", guild);
        Assert.Contains($"{id} 0.1.1", after.Out);
        Assert.DoesNotContain("update", after.Out);
    }

    private static Dictionary<string, string> PluginZipEntries(byte[] zip)
    {
        using var archive = new System.IO.Compression.ZipArchive(new MemoryStream(zip));
        return archive.Entries.ToDictionary(e => e.FullName, e => new StreamReader(e.Open()).ReadToEnd());
    }
}
