using System.Text.Json.Nodes;
using Microsoft.Playwright;
using Serverless.Cli;
using Serverless.Tests.Infrastructure;
using Serverless.Tests.Packages.Fixtures;
using Serverless.Tests.Sandbox;

namespace Serverless.Tests.Portal;

/// <summary>
/// The developer's loop through the dev portal in a real browser: upload a zip by the drop zone's file
/// input, see the report and the catalog, install from the installs page, answer /greet through
/// <c>local/plugin invoke</c>, and see the invocation and the plugin's log line on the activity page.
/// Screenshots of every page land in artifacts/portal/.
/// </summary>
[Collection("Docker")]
public sealed class PortalEndToEndTests(Azurite azurite, DockerFixture docker) : IAsyncLifetime
{
    private const float Timeout = 90_000;
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

    /// <summary>The CLI's own scaffold (PluginTemplate), zipped: /greet with a user and a message option.</summary>
    public static byte[] ScaffoldZip(string id, string version = "0.1.0")
    {
        var files = PluginTemplate.Files(id, "Greeter").Where(f => !f.Path.StartsWith("tests/", StringComparison.Ordinal) && !f.Path.StartsWith('.'))
            .ToDictionary(f => f.Path, f => (object)f.Content);
        var manifest = JsonNode.Parse((string)files["manifest.json"])!.AsObject();
        manifest["version"] = version;
        files["manifest.json"] = manifest;
        return PluginZip.Build(files);
    }

    private static string NewId() => "portal_" + Guid.NewGuid().ToString("N")[..8];

    private static string NewGuild() => Random.Shared.NextInt64(100_000_000_000, 900_000_000_000).ToString();

    [Fact]
    public async Task Portal_UploadInstallInvoke_InvocationAndLogAppear()
    {
        var id = NewId();
        var guild = NewGuild();
        var shots = Chromium.ArtifactsDirectory;
        var zipPath = Path.Combine(Directory.CreateTempSubdirectory("portal-zip-").FullName, $"{id}-0.1.0.zip");
        await File.WriteAllBytesAsync(zipPath, ScaffoldZip(id), TestContext.Current.CancellationToken);
        var brokenPath = Path.Combine(Path.GetDirectoryName(zipPath)!, "broken-1.0.0.zip");
        await File.WriteAllBytesAsync(brokenPath, PluginZip.Build(new Dictionary<string, object> { ["manifest.json"] = PluginZip.Manifest(id + "_broken", "not-a-version") }), TestContext.Current.CancellationToken);

        var (playwright, browser) = await Chromium.LaunchAsync();
        using var _ = playwright;
        await using var __ = browser;
        var page = await browser.NewPageAsync(new BrowserNewPageOptions { ViewportSize = new ViewportSize { Width = 1280, Height = 900 } });
        page.SetDefaultTimeout(Timeout);
        try
        {
            await WalkThroughAsync(page, id, guild, zipPath, brokenPath, shots);
        }
        catch
        {
            await page.ScreenshotAsync(new() { Path = Path.Combine(shots, "failure.png"), FullPage = true });
            throw;
        }
    }

    /// <summary>
    /// Drops a zip on the upload page and waits for its report. Under CI load the page was seen re-rendered
    /// between filling the form and the report (the form empty, no upload bar), so a try that shows nothing
    /// in 30 s is repeated, at most three times; the report itself must still appear.
    /// </summary>
    private static async Task UploadAsync(IPage page, string zipPath, string expectedStatus)
    {
        var seen = new List<string>();
        for (var attempt = 1; ; attempt++)
        {
            await page.Locator("#publisher").WaitForAsync();
            await page.FillAsync("#publisher", "acme");
            await Assertions.Expect(page.Locator("#publisher")).ToHaveValueAsync("acme");
            await page.SetInputFilesAsync("#file", zipPath);
            try
            {
                await page.Locator($"#report[data-status={expectedStatus}]").WaitForAsync(new() { Timeout = 45_000 });
                return;
            }
            catch (TimeoutException) when (attempt < 3)
            {
                // What the page showed, so a third failure says what the first two were.
                seen.Add($"attempt {attempt}: {await page.InnerTextAsync("#view")}");
            }
            catch (TimeoutException ex)
            {
                seen.Add($"attempt {attempt}: {await page.InnerTextAsync("#view")}");
                throw new TimeoutException(string.Join("\n---\n", seen), ex);
            }
        }
    }

    private async Task WalkThroughAsync(IPage page, string id, string guild, string zipPath, string brokenPath, string shots)
    {
        var consoleErrors = new List<string>();
        page.Console += (_, message) =>
        {
            if (message.Type == "error")
            {
                consoleErrors.Add(message.Text);
            }
        };

        // The key is asked once, and a wrong one is refused.
        await page.GotoAsync(_app.BaseUrl + "/portal");
        Assert.EndsWith("/portal/", page.Url);
        await page.FillAsync("#admin-key", "wrong-key");
        await page.ClickAsync("#sign-in");
        await page.Locator(".notice.bad").WaitForAsync();
        await page.ScreenshotAsync(new() { Path = Path.Combine(shots, "01-key.png") });
        await page.FillAsync("#admin-key", PortalApp.AdminKey);
        await page.ClickAsync("#sign-in");
        await page.Locator("#nav").WaitForAsync();

        // Upload: a rejected zip shows each error with its path; the good one is published.
        await page.GotoAsync(_app.BaseUrl + "/portal/#/upload");
        await UploadAsync(page, brokenPath, "rejected");
        var brokenReport = await page.InnerTextAsync("#report");
        Assert.Contains("$.version", brokenReport);
        await UploadAsync(page, zipPath, "published");
        Assert.Contains($"{id} 0.1.0", await page.InnerTextAsync("#report"));
        await page.ScreenshotAsync(new() { Path = Path.Combine(shots, "02-upload.png"), FullPage = true });

        // Catalog: the plugin, its version, what it requests; the rejected report with its path.
        await page.GotoAsync(_app.BaseUrl + "/portal/#/catalog");
        await page.Locator($"#plugins tr[data-plugin={id}]").WaitForAsync();
        Assert.Contains("$.version", await page.InnerTextAsync("#reports"));
        await page.ScreenshotAsync(new() { Path = Path.Combine(shots, "03-catalog.png"), FullPage = true });
        await page.ClickAsync($"#plugins tr[data-plugin={id}]");
        await page.Locator(".version[data-version='0.1.0']").WaitForAsync();
        var detail = await page.InnerTextAsync("main");
        Assert.Contains("interaction:respond", detail);
        Assert.Contains("/greet", detail);
        Assert.Contains("user?: user", detail);
        await page.ScreenshotAsync(new() { Path = Path.Combine(shots, "04-plugin.png"), FullPage = true });

        // Installs: install with the requested capabilities; commands synced to (recorded) Discord.
        await page.GotoAsync($"{_app.BaseUrl}/portal/#/installs?guild={guild}&plugin={id}");
        await page.Locator("#install-details input[name=capability]").WaitForAsync();
        await page.ClickAsync("#install");
        await page.Locator("#action-status .notice.ok").WaitForAsync();
        var installs = await page.InnerTextAsync("main");
        Assert.Contains(id, await page.InnerTextAsync("#installs"));
        Assert.Contains("/greet", installs);
        Assert.Contains("in_sync", installs);
        Assert.Contains("commands sync updated", await page.InnerTextAsync("#action-status"));
        await page.ScreenshotAsync(new() { Path = Path.Combine(shots, "05-installs.png"), FullPage = true });

        // invoke: the CLI, in-process, against the same app.
        using var cli = _app.Cli();
        var invoked = await cli.RunAsync("invoke", "/greet", "user:@123", "message:hi", "--guild", guild, "--json");
        Assert.True(invoked.ExitCode == 0, invoked.ToString());
        var interactionId = invoked.Json["interaction"]!["id"]!.GetValue<string>();

        // Activity: the invocation with its status and timings, and the plugin's log line.
        await page.GotoAsync($"{_app.BaseUrl}/portal/#/activity?plugin={id}&guild={guild}");
        await page.Locator($"tr[data-interaction='{interactionId}'][data-status=responded]").WaitForAsync();
        await page.Locator("#log-lines", new() { HasTextString = "greeting 123" }).WaitForAsync();
        var row = await page.InnerTextAsync($"tr[data-interaction='{interactionId}']");
        Assert.Contains("/greet", row);
        Assert.Matches(@"\d+ ms", row);
        await page.ScreenshotAsync(new() { Path = Path.Combine(shots, "06-activity.png"), FullPage = true });

        // Uninstall from the page.
        await page.GotoAsync($"{_app.BaseUrl}/portal/#/installs?guild={guild}");
        page.Dialog += (_, dialog) => dialog.AcceptAsync();
        await page.ClickAsync($"#installs tr[data-plugin={id}] button.danger");
        await page.Locator("#action-status .notice.ok").WaitForAsync();
        Assert.Contains($"Nothing is installed in guild {guild}", await page.InnerTextAsync("main"));

        // Refused keys (401) and reports not written yet (404) show as failed loads; nothing else may fail.
        Assert.DoesNotContain(consoleErrors, e => !e.StartsWith("Failed to load resource", StringComparison.Ordinal));
    }

    [Fact]
    public async Task Cli_InstallInvokeLogsUninstall_AgainstTheRunningApp()
    {
        var id = NewId();
        var guild = NewGuild();
        Assert.Equal("published", (await _app.PublishAsync("acme", id, ScaffoldZip(id)))["status"]!.GetValue<string>());
        using var cli = _app.Cli();

        var refused = await cli.RunAsync("install", id, "--guild", guild);
        Assert.Equal(ExitCodes.Usage, refused.ExitCode);
        Assert.Contains("interaction:respond", refused.Out);
        Assert.Contains("--yes", refused.Error);

        var notRequested = await cli.RunAsync("install", id, "--guild", guild, "--grant", "messages:send", "--yes");
        Assert.Equal(ExitCodes.Usage, notRequested.ExitCode);

        var installed = await cli.RunAsync("install", id, "--guild", guild, "--version", "^0.1", "--yes");
        Assert.True(installed.ExitCode == 0, installed.ToString());
        Assert.Contains($"installed {id} 0.1.0 in guild {guild}", installed.Out);
        Assert.Contains("commands sync: updated", installed.Out);

        var unknownOption = await cli.RunAsync("invoke", "/greet", "colour:red", "--guild", guild);
        Assert.Equal(ExitCodes.Usage, unknownOption.ExitCode);
        Assert.Contains("has no option 'colour'", unknownOption.Error);

        var invoked = await cli.RunAsync("invoke", "/greet", "user:<@555>", "message:hello there", "--guild", guild);
        Assert.True(invoked.ExitCode == 0, invoked.ToString());
        Assert.Contains("\"<@555> hello there\"", invoked.Out);
        Assert.Contains("callback", invoked.Out);
        Assert.Matches(@"responded\s+initial response after \d+ ms, deadline margin -?\d+ ms, run \d+ ms", invoked.Out);

        var json = await cli.RunAsync("invoke", "/greet", "--guild", guild, "--user", "777", "--json");
        Assert.True(json.ExitCode == 0, json.ToString());
        var call = Assert.Single(json.Json["calls"]!.AsArray());
        Assert.Equal("<@777> Hello!", call!["body"]!["data"]!["content"]!.GetValue<string>());
        Assert.Equal("responded", json.Json["invocation"]!["status"]!.GetValue<string>());
        Assert.NotNull(json.Json["invocation"]!["margin_ms"]);

        // A click by the plugin's own custom_id reaches the plugin: the app gives the CLI the install's prefix.
        var click = await cli.RunAsync("invoke", "--component", "not_a_handler", "--guild", guild);
        Assert.Contains($"{id} has no handler for this.", click.Out);

        var logs = await cli.RunAsync("logs", id, "--guild", guild);
        Assert.True(logs.ExitCode == 0, logs.ToString());
        Assert.Contains("greeting 555", logs.Out);
        Assert.Contains("greeting 777", logs.Out);

        var uninstalled = await cli.RunAsync("uninstall", id, "--guild", guild);
        Assert.True(uninstalled.ExitCode == 0, uninstalled.ToString());
        var again = await cli.RunAsync("uninstall", id, "--guild", guild);
        Assert.Equal(ExitCodes.Failed, again.ExitCode);
        Assert.Contains("not installed", again.Error);

        var nothing = await cli.RunAsync("invoke", "/greet", "--guild", guild);
        Assert.Equal(ExitCodes.Failed, nothing.ExitCode);
        Assert.Contains("local/plugin install", nothing.Error);
    }

    /// <summary>Raw control characters a plugin could use to drive a terminal: any of them in output is a hole.</summary>
    private static readonly char[] RawControls = ['\u001b', '\u0007', '\r', '\u009b', '\u007f'];

    [Fact]
    public async Task Logs_PluginWritesTerminalEscapesAndAFakeLine_CliAndPortalShowThemEscapedInOneEntry()
    {
        var id = NewId();
        var guild = NewGuild();
        const string hostile = "\u001b[2J\u001b[31mFAKE\r\nINFO fake line\u0007";
        const string code = """
            @plugin.on_slash_command("hostile")
            def hostile(ctx, event):
                ctx.log("\x1b[2J\x1b[31mFAKE\r\nINFO fake line\a")
                ctx.log("csi \x9b2J del \x7f nul \x00 tab\tkept")
                ctx.interaction.respond(content="\x1b[2Jcleared\a\nINFO fake reply")
            """;
        var manifest = PluginZip.Manifest(id, "1.0.0", JsonNode.Parse("""{"capabilities_required":["interaction:respond"],"slash_commands":[{"name":"hostile","description":"hostile"}]}""")!.AsObject());
        Assert.Equal("published", (await _app.PublishAsync("acme", id, PluginZip.Build(new Dictionary<string, object> { ["manifest.json"] = manifest, ["plugin.py"] = code })))["status"]!.GetValue<string>());
        using var cli = _app.Cli();
        Assert.Equal(0, (await cli.RunAsync("install", id, "--guild", guild, "--yes")).ExitCode);

        var invoked = await cli.RunAsync("invoke", "/hostile", "--guild", guild);
        var logs = await cli.RunAsync("logs", id, "--guild", guild);
        var json = await cli.RunAsync("logs", id, "--guild", guild, "--json");

        Assert.True(invoked.ExitCode == 0, invoked.ToString());
        Assert.Equal(-1, invoked.Out.IndexOfAny(RawControls));
        Assert.Contains("\"\\x1b[2Jcleared\\x07\\nINFO fake reply\"", invoked.Out);
        Assert.True(logs.ExitCode == 0, logs.ToString());
        Assert.Equal(-1, logs.Out.IndexOfAny(RawControls));
        Assert.Contains("\\x1b[2J\\x1b[31mFAKE\\x0d", logs.Out);
        Assert.Contains("csi \\u009b2J del \\x7f nul \\x00 tab\tkept", logs.Out);
        // The embedded newline continues the same entry, indented: no line of the output starts with the fake.
        var lines = logs.Out.Split('\n');
        var fake = Assert.Single(lines, l => l.Contains("INFO fake line"));
        Assert.Matches(@"^\s{10,}INFO fake line\\x07", fake);
        Assert.Equal(-1, json.Out.IndexOfAny(RawControls));
        Assert.Contains(JsonNode.Parse(json.Out)!.AsArray(), e => e!["message"]!.GetValue<string>() == hostile);

        var (playwright, browser) = await Chromium.LaunchAsync();
        using var _ = playwright;
        await using var __ = browser;
        var page = await browser.NewPageAsync();
        page.SetDefaultTimeout(Timeout);
        await page.GotoAsync(_app.BaseUrl + "/portal");
        await page.FillAsync("#admin-key", PortalApp.AdminKey);
        await page.ClickAsync("#sign-in");
        await page.Locator("#nav").WaitForAsync();
        await page.GotoAsync($"{_app.BaseUrl}/portal/#/activity?plugin={id}&guild={guild}");
        var entry = page.Locator("#log-lines > div", new() { HasTextString = "FAKE" });
        await entry.WaitForAsync();

        var shown = await entry.InnerTextAsync();
        var all = await page.InnerTextAsync("#log-lines");
        Assert.Equal(-1, all.IndexOfAny(RawControls));
        Assert.Contains("\\x1b[2J\\x1b[31mFAKE\\x0d\nINFO fake line\\x07", shown);
        Assert.Contains("csi \\u009b2J del \\x7f nul \\x00", all);
        Assert.Equal(1, await page.Locator("#log-lines > div", new() { HasTextString = "fake line" }).CountAsync());
        // Its second line is indented under the first (a hanging indent), so it reads as the same entry.
        var indent = await entry.EvaluateAsync<double[]>("e => [parseFloat(getComputedStyle(e).paddingLeft), parseFloat(getComputedStyle(e).textIndent)]");
        Assert.True(indent[0] > 0 && indent[1] < 0, string.Join(", ", indent));
        Assert.Equal(0, await page.Locator("#log-lines *").EvaluateAllAsync<int>("els => els.filter(e => !['DIV', 'SPAN'].includes(e.tagName)).length"));
    }

    [Fact]
    public async Task Portal_PluginWithCodeAtPhoneWidth_ShowsRegistrationsOwnReportsAndItsEventAndSilentRuns()
    {
        var id = NewId();
        var guild = NewGuild();
        // Another plugin of the same publisher: its report must not show on this plugin's page.
        var other = NewId();
        Assert.Equal("published", (await _app.PublishAsync("acme", other, ScaffoldZip(other)))["status"]!.GetValue<string>());
        const string code = """
            @plugin.on_slash_command("quiet")
            def quiet(ctx, event):
                ctx.log("thinking, never answering")

            @plugin.on_event("member_join")
            def joined(ctx, event):
                raise RuntimeError("no welcome channel")

            @plugin.schedule(3600)
            def hourly(ctx):
                pass

            @plugin.cron("0 0 1 1 *")
            def new_year(ctx):
                pass
            """;
        // No description, no name: the page shows neither, and never "null".
        var manifest = new JsonObject
        {
            ["id"] = id,
            ["version"] = "1.0.0",
            ["entrypoint"] = "plugin.py",
            ["capabilities_required"] = new JsonArray("interaction:respond"),
            ["slash_commands"] = new JsonArray(new JsonObject { ["name"] = "quiet", ["description"] = "says nothing" }),
        };
        Assert.Equal("published", (await _app.PublishAsync("acme", id, PluginZip.Build(new Dictionary<string, object> { ["manifest.json"] = manifest, ["plugin.py"] = code })))["status"]!.GetValue<string>());
        using var cli = _app.Cli();
        Assert.Equal(0, (await cli.RunAsync("install", id, "--guild", guild, "--yes")).ExitCode);

        var silent = await cli.RunAsync("invoke", "/quiet", "--guild", guild, "--json");
        Assert.Equal("no_response", silent.Json["invocation"]!["status"]!.GetValue<string>());
        Assert.Contains("ctx.interaction.respond", silent.Json["invocation"]!["error"]!.GetValue<string>());
        var joined = await cli.RunAsync("event", "member_join", "--guild", guild, "--user-id", "42");
        Assert.True(joined.ExitCode == 0, joined.ToString());

        var (playwright, browser) = await Chromium.LaunchAsync();
        using var _ = playwright;
        await using var __ = browser;
        var page = await browser.NewPageAsync(new BrowserNewPageOptions { ViewportSize = new ViewportSize { Width = 375, Height = 800 } });
        page.SetDefaultTimeout(Timeout);
        var shots = Chromium.ArtifactsDirectory;
        try
        {
            await page.GotoAsync(_app.BaseUrl + "/portal");
            await page.FillAsync("#admin-key", PortalApp.AdminKey);
            await page.ClickAsync("#sign-in");
            await page.Locator("#nav").WaitForAsync();

            // The plugin's page: what its code registered, only its own reports, nothing cut off or "null".
            await page.GotoAsync($"{_app.BaseUrl}/portal/#/catalog/{id}");
            await page.Locator(".version[data-version='1.0.0'] table.registrations").WaitForAsync();
            var registrations = await page.InnerTextAsync("table.registrations");
            Assert.Contains("/quiet", registrations);
            Assert.Contains("member_join", registrations);
            Assert.Contains("hourly every 3600 s", registrations);
            Assert.Contains("new_year 0 0 1 1 *", registrations);
            Assert.DoesNotContain("null", await page.InnerTextAsync("main"));
            var reportPlugins = await page.Locator("#reports > tbody > tr > td:nth-child(3)").AllInnerTextsAsync();
            Assert.Equal([$"{id} 1.0.0"], reportPlugins);
            await page.ScreenshotAsync(new() { Path = Path.Combine(shots, "07-plugin-phone.png"), FullPage = true });

            // At phone width the header holds every link and the key button inside the screen, and nothing scrolls sideways.
            Assert.True(await page.EvaluateAsync<bool>("""
                () => [...document.querySelectorAll("header a, header button:not([hidden])")].every((e) => {
                  const r = e.getBoundingClientRect();
                  return r.width > 0 && r.left >= 0 && r.right <= window.innerWidth;
                }) && document.documentElement.scrollWidth <= window.innerWidth
                """), "the header or the page is wider than 375 px");

            // The guild's command counts add up to what the page lists: the platform's two by name, the install's one in the table.
            await page.GotoAsync($"{_app.BaseUrl}/portal/#/installs?guild={guild}");
            await page.Locator($"#installs tr[data-plugin={id}]").WaitForAsync();
            Assert.Equal("/quiet", await page.InnerTextAsync($"#installs tr[data-plugin={id}] td:nth-child(4)"));
            Assert.Matches(@"^3 declared \(/\w+, /\w+ by the platform, 1 by the installs below\), 3 registered on Discord$", (await page.InnerTextAsync("#command-counts")).Trim());

            // Activity: the event's failed run with its error, and the interaction that never answered.
            await page.GotoAsync($"{_app.BaseUrl}/portal/#/activity?plugin={id}&guild={guild}");
            var eventRow = page.Locator("tr[data-kind=event][data-status=failed]");
            await eventRow.WaitForAsync();
            var eventText = await eventRow.InnerTextAsync();
            Assert.Contains("member_join", eventText);
            Assert.Contains("no welcome channel", eventText);
            var silentRow = await page.InnerTextAsync($"tr[data-interaction='{silent.Json["interaction"]!["id"]!.GetValue<string>()}']");
            Assert.Contains("no response", silentRow);
            Assert.Contains("/quiet", silentRow);
            await page.ScreenshotAsync(new() { Path = Path.Combine(shots, "08-activity-phone.png"), FullPage = true });
        }
        catch
        {
            await page.ScreenshotAsync(new() { Path = Path.Combine(shots, "failure-phone.png"), FullPage = true });
            throw;
        }
    }

    [Fact]
    public async Task Portal_InstallOfAVersionWithPublishWarnings_ConsentShowsThem()
    {
        var id = NewId();
        var guild = NewGuild();
        // A message_create handler without messages:read_content: the admin is told it will see no content.
        const string code = """
            @plugin.on_event("message_create")
            def seen(ctx, event):
                ctx.log(f"content: {event['content']!r}")
            """;
        var manifest = new JsonObject { ["id"] = id, ["version"] = "1.0.0", ["capabilities_required"] = new JsonArray("messages:send") };
        var report = await _app.PublishAsync("acme", id, PluginZip.Build(new Dictionary<string, object> { ["manifest.json"] = manifest, ["plugin.py"] = code }));
        Assert.Equal("published", report["status"]!.GetValue<string>());

        var (playwright, browser) = await Chromium.LaunchAsync();
        using var _ = playwright;
        await using var __ = browser;
        var page = await browser.NewPageAsync();
        page.SetDefaultTimeout(Timeout);
        try
        {
            await page.GotoAsync(_app.BaseUrl + "/portal");
            await page.FillAsync("#admin-key", PortalApp.AdminKey);
            await page.ClickAsync("#sign-in");
            await page.Locator("#nav").WaitForAsync();
            await page.GotoAsync($"{_app.BaseUrl}/portal/#/installs?guild={guild}&plugin={id}");
            var warning = page.Locator("#install-details .warnings li[data-code=content_without_capability]");
            await warning.WaitForAsync();
            Assert.Contains("messages:read_content", await warning.InnerTextAsync());
        }
        catch
        {
            await page.ScreenshotAsync(new() { Path = Path.Combine(Chromium.ArtifactsDirectory, "failure-consent-warnings.png"), FullPage = true });
            throw;
        }
    }

    [Fact]
    public async Task Invoke_SlowAndFailingHandlers_StatusDeferredAndFailedWithMargins()
    {
        var id = NewId();
        var guild = NewGuild();
        const string code = """
            import time
            from mmo_maid_sdk import Plugin

            plugin = Plugin()

            @plugin.on_slash_command("slow")
            def slow(ctx, event):
                time.sleep(2.6)
                ctx.interaction.respond(content="late but here")

            @plugin.on_slash_command("boom")
            def boom(ctx, event):
                raise RuntimeError("kaboom")
            """;
        var manifest = PluginZip.Manifest(id, "1.0.0", JsonNode.Parse("""{"capabilities_required":["interaction:respond"],"slash_commands":[{"name":"slow","description":"slow"},{"name":"boom","description":"boom"}]}""")!.AsObject());
        Assert.Equal("published", (await _app.PublishAsync("acme", id, PluginZip.Build(new Dictionary<string, object> { ["manifest.json"] = manifest, ["plugin.py"] = code })))["status"]!.GetValue<string>());
        using var cli = _app.Cli();
        Assert.Equal(0, (await cli.RunAsync("install", id, "--guild", guild, "--yes")).ExitCode);

        var slow = await cli.RunAsync("invoke", "/slow", "--guild", guild, "--json");
        Assert.True(slow.ExitCode == 0, slow.ToString());
        Assert.Equal(5, slow.Json["initial"]!["body"]!["type"]!.GetValue<int>());
        var edit = Assert.Single(slow.Json["calls"]!.AsArray());
        Assert.Equal("PATCH", edit!["method"]!.GetValue<string>());
        Assert.True(edit["ms"]!.GetValue<double>() > 2000, edit.ToJsonString());
        var deferred = slow.Json["invocation"]!;
        Assert.Equal("deferred", deferred["status"]!.GetValue<string>());
        Assert.True(deferred["deferred"]!.GetValue<bool>());
        // Deferred by the platform once its 2 s budget ran out: in time for Discord's 3 s, so the margin is positive.
        Assert.InRange(deferred["margin_ms"]!.GetValue<double>(), 1, 1000);
        Assert.True(deferred["duration_ms"]!.GetValue<double>() > 2500, deferred.ToJsonString());

        var boom = await cli.RunAsync("invoke", "/boom", "--guild", guild);
        Assert.Equal(ExitCodes.Failed, boom.ExitCode);
        Assert.Contains("failed", boom.Out);
        Assert.Contains("failed to answer", boom.Out, StringComparison.Ordinal);
        Assert.Contains("see why: local/plugin logs", boom.Out, StringComparison.Ordinal);
    }
}
