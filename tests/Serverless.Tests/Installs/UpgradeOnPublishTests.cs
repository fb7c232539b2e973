using System.Net;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json.Nodes;
using Microsoft.AspNetCore.Mvc.Testing;
using Microsoft.Extensions.DependencyInjection;
using NSec.Cryptography;
using Serverless.Platform.Hosting;
using Serverless.Platform.Packages;
using Serverless.Platform.Schedules;
using Serverless.Tests.Discord;
using Serverless.Tests.Infrastructure;
using Serverless.Tests.Interactions;
using Serverless.Tests.Packages.Fixtures;
using Serverless.Tests.Sandbox;

namespace Serverless.Tests.Installs;

/// <summary>
/// A published version reaches the installs whose requirement allows it: real plugin zips (code booted in Docker)
/// published through the packages function, installed through the admin API, commands synced to a fake Discord
/// built from its documented routes.
/// </summary>
[Collection("Docker")]
public sealed class UpgradeOnPublishTests(Azurite azurite, DockerFixture docker) : IAsyncLifetime
{
    private const string AdminKey = "upgrade-admin-key";
    private static readonly (string PublicKeyHex, Key PrivateKey) Keys = InteractionSignatureTests.NewKeyPair();

    private FakeDiscord _discord = null!;
    private WebApplicationFactory<Program> _app = null!;
    private HttpClient _http = null!;
    private string _cacheDir = null!;

    public async ValueTask InitializeAsync()
    {
        docker.Require();
        _discord = await FakeDiscord.StartAsync();
        _cacheDir = Directory.CreateTempSubdirectory("upgrade-cache-").FullName;
        StartApp();
    }

    /// <summary>A fresh app on the same storage, Docker and Discord: what a restart after a crash finds.</summary>
    private void StartApp()
    {
        _app = new TestApp().WithWebHostBuilder(b =>
        {
            b.UseSetting("LOCAL_TRIGGERS", "off");
            b.UseSetting("AzureWebJobsStorage", azurite.ConnectionString);
            b.UseSetting("SANDBOX_PLATFORM_NAME", docker.PlatformName);
            b.UseSetting("PLUGIN_CACHE_DIR", _cacheDir);
            b.UseSetting("DISCORD_PUBLIC_KEY", Keys.PublicKeyHex);
            b.UseSetting("ADMIN_API_KEY", AdminKey);
            b.UseSetting("DISCORD_API_BASE_URL", _discord.BaseUrl);
            b.UseSetting("DISCORD_BOT_TOKEN", FakeDiscord.BotToken);
            b.UseSetting("DISCORD_APPLICATION_ID", FakeDiscord.ApplicationId);
        });
        _http = _app.CreateClient();
        _http.DefaultRequestHeaders.Add("x-functions-key", AdminKey);
    }

    public async ValueTask DisposeAsync()
    {
        _http.Dispose();
        await _app.DisposeAsync();
        await _discord.DisposeAsync();
        Directory.Delete(_cacheDir, recursive: true);
    }

    /// <summary>An SDK plugin with these commands (each answered by its code), a schedule, and these capabilities.</summary>
    public static byte[] Zip(string id, string version, string[] commands, params string[] capabilities)
    {
        var manifest = PluginZip.Manifest(id, version, new JsonObject
        {
            ["capabilities_required"] = new JsonArray(capabilities.Prepend("interaction:respond").Select(c => (JsonNode)c).ToArray()),
            ["slash_commands"] = new JsonArray(commands.Select(c => (JsonNode)new JsonObject { ["name"] = c, ["description"] = $"{c} back" }).ToArray()),
        });
        var code = new StringBuilder("from mmo_maid_sdk import Plugin, Context\n\nplugin = Plugin()\n");
        foreach (var command in commands)
        {
            code.Append($"\n@plugin.on_slash_command(\"{command}\")\ndef {command}(ctx: Context, event: dict):\n    ctx.interaction.respond(content=\"{command} from {version}\")\n");
        }
        code.Append("\n@plugin.schedule(300)\ndef tick(ctx: Context):\n    ctx.log(\"tick\")\n");
        return PluginZip.Build(new Dictionary<string, object> { ["manifest.json"] = manifest, ["plugin.py"] = code.ToString() });
    }

    private async Task UploadAsync(string id, byte[] zip)
    {
        var uploads = azurite.Blobs.GetBlobContainerClient(UploadRef.Container);
        await uploads.CreateIfNotExistsAsync();
        await uploads.GetBlobClient($"acme/{id}.zip").UploadAsync(BinaryData.FromBytes(zip), overwrite: true);
    }

    /// <summary>The upload judged in-process, as the packages function does for the blob trigger; returns the report.</summary>
    private async Task<JsonObject> ProcessAsync(string id, CancellationToken cancellationToken = default) =>
        await _app.Services.GetRequiredService<UploadProcessor>().ProcessAsync(new UploadRef("acme", id), cancellationToken == default ? TestContext.Current.CancellationToken : cancellationToken);

    private async Task PublishAsync(string id, byte[] zip)
    {
        await UploadAsync(id, zip);
        var report = await ProcessAsync(id);
        Assert.True(report["status"]!.GetValue<string>() == "published", report.ToJsonString());
    }

    private async Task InstallAsync(string guild, string id, string requirement, params string[] capabilities)
    {
        using var response = await _http.PutAsJsonAsync($"/api/admin/guilds/{guild}/plugins/{id}", new JsonObject
        {
            ["version"] = requirement,
            ["capabilities"] = new JsonArray(capabilities.Select(c => (JsonNode)c).ToArray()),
        });
        Assert.True(response.IsSuccessStatusCode, await response.Content.ReadAsStringAsync());
    }

    /// <summary>The install as <c>GET /api/admin/guilds/{g}/plugins</c> lists it.</summary>
    private async Task<JsonObject> ListedAsync(string guild, string id) =>
        JsonNode.Parse(await _http.GetStringAsync($"/api/admin/guilds/{guild}/plugins"))!.AsArray().OfType<JsonObject>().Single(i => i["plugin_id"]!.GetValue<string>() == id);

    private List<string> DiscordCommands(string guild) => _discord.GuildCommands(guild).Select(c => c!["name"]!.GetValue<string>()).Order(StringComparer.Ordinal).ToList();

    private async Task<string?> ScheduledVersionAsync(string guild, string id) =>
        (await _app.Services.GetRequiredService<ScheduleStore>().GetRegistrationAsync(guild, id, TestContext.Current.CancellationToken))?.Version;

    /// <summary>A signed <c>/plugins SUBCOMMAND</c> as Discord sends it; the platform answers it at the endpoint.</summary>
    private async Task<string> PluginsCommandAsync(string guild, string subcommand, JsonObject? option = null)
    {
        var interaction = new JsonObject
        {
            ["id"] = Random.Shared.NextInt64(1_000_000_000_000, 9_000_000_000_000).ToString(),
            ["application_id"] = FakeDiscord.ApplicationId,
            ["type"] = 2,
            ["token"] = "tok-" + Guid.NewGuid().ToString("N"),
            ["version"] = 1,
            ["guild_id"] = guild,
            ["channel_id"] = "700",
            ["member"] = new JsonObject { ["user"] = new JsonObject { ["id"] = "42", ["username"] = "tester" } },
            ["data"] = new JsonObject
            {
                ["id"] = "1", ["name"] = "plugins", ["type"] = 1,
                ["options"] = new JsonArray(new JsonObject { ["type"] = 1, ["name"] = subcommand, ["options"] = option is null ? new JsonArray() : new JsonArray(option) }),
            },
        };
        var body = interaction.ToJsonString();
        var timestamp = DateTimeOffset.UtcNow.ToUnixTimeSeconds().ToString();
        using var request = new HttpRequestMessage(HttpMethod.Post, "/api/interactions") { Content = new StringContent(body, Encoding.UTF8, "application/json") };
        request.Headers.Add("X-Signature-Ed25519", InteractionSignatureTests.Sign(Keys.PrivateKey, timestamp, Encoding.UTF8.GetBytes(body)));
        request.Headers.Add("X-Signature-Timestamp", timestamp);
        using var response = await _http.SendAsync(request);
        var answer = JsonNode.Parse(await response.Content.ReadAsStringAsync())!;
        Assert.True(response.StatusCode == HttpStatusCode.OK, answer.ToJsonString());
        return answer["data"]!["content"]!.GetValue<string>();
    }

    private static string NewId() => "up_" + Guid.NewGuid().ToString("N")[..10];

    private static string NewGuild() => Random.Shared.NextInt64(100_000_000_000, 900_000_000_000).ToString();

    [Fact]
    public async Task Publish_SameCapabilitiesThenANewOne_UpgradesThenAwaitsConsent()
    {
        var id = NewId();
        var guild = NewGuild();
        await PublishAsync(id, Zip(id, "1.0.0", ["greet"]));
        await InstallAsync(guild, id, "^1.0", "interaction:respond");
        Assert.Equal(["greet", "help", "plugins"], DiscordCommands(guild));

        await PublishAsync(id, Zip(id, "1.1.0", ["greet", "wave"]));

        var upgraded = await ListedAsync(guild, id);
        Assert.Equal("1.1.0", upgraded["version"]!.GetValue<string>());
        Assert.Null(upgraded["update"]);
        Assert.True(upgraded.ContainsKey("update"));
        Assert.Equal(["greet", "help", "plugins", "wave"], DiscordCommands(guild));
        Assert.Equal("1.1.0", await ScheduledVersionAsync(guild, id));

        await PublishAsync(id, Zip(id, "1.2.0", ["greet", "wave"], "messages:send"));

        var waiting = await ListedAsync(guild, id);
        Assert.Equal("1.1.0", waiting["version"]!.GetValue<string>());
        var update = waiting["update"]!;
        Assert.Equal("1.2.0", update["version"]!.GetValue<string>());
        Assert.Equal("awaiting_consent", update["status"]!.GetValue<string>());
        Assert.Equal(["messages:send"], update["new_capabilities"]!.AsArray().Select(c => c!.GetValue<string>()));
        Assert.Contains("grants it", update["reason"]!.GetValue<string>());
        Assert.Equal(["interaction:respond"], waiting["capabilities"]!["granted"]!.AsArray().Select(c => c!.GetValue<string>()));
        Assert.Contains($"update 1.2.0 awaits an admin's consent to messages:send", await PluginsCommandAsync(guild, "list"));
        Assert.Contains("Update: ", await PluginsCommandAsync(guild, "info", new JsonObject { ["type"] = 3, ["name"] = "plugin", ["value"] = id }));

        await InstallAsync(guild, id, "^1.0", "interaction:respond", "messages:send");

        var consented = await ListedAsync(guild, id);
        Assert.Equal("1.2.0", consented["version"]!.GetValue<string>());
        Assert.Null(consented["update"]);
        Assert.Equal(["interaction:respond", "messages:send"], consented["capabilities"]!["granted"]!.AsArray().Select(c => c!.GetValue<string>()));
        Assert.DoesNotContain("update", await PluginsCommandAsync(guild, "list"));
    }

    [Fact]
    public async Task Publish_RequirementExcludesNewVersion_InstallStays()
    {
        var id = NewId();
        var guild = NewGuild();
        await PublishAsync(id, Zip(id, "1.0.0", ["greet"]));
        await InstallAsync(guild, id, "~1.0", "interaction:respond");

        await PublishAsync(id, Zip(id, "1.1.0", ["greet", "wave"]));

        var install = await ListedAsync(guild, id);
        Assert.Equal("1.0.0", install["version"]!.GetValue<string>());
        Assert.Null(install["update"]);
        Assert.Equal(["greet", "help", "plugins"], DiscordCommands(guild));
        Assert.Equal("1.0.0", await ScheduledVersionAsync(guild, id));
    }

    [Fact]
    public async Task Publish_NewCommandAnotherPluginHasHere_InstallStaysBlocked()
    {
        var id = NewId();
        var other = NewId();
        var guild = NewGuild();
        await PublishAsync(id, Zip(id, "1.0.0", ["greet"]));
        await PublishAsync(other, Zip(other, "1.0.0", ["wave"]));
        await InstallAsync(guild, id, "^1.0", "interaction:respond");
        await InstallAsync(guild, other, "^1.0", "interaction:respond");

        await PublishAsync(id, Zip(id, "1.1.0", ["greet", "wave"]));

        var install = await ListedAsync(guild, id);
        Assert.Equal("1.0.0", install["version"]!.GetValue<string>());
        var update = install["update"]!;
        Assert.Equal("1.1.0", update["version"]!.GetValue<string>());
        Assert.Equal("blocked", update["status"]!.GetValue<string>());
        Assert.Contains($"/wave is declared by both {id} and {other}", update["reason"]!.GetValue<string>());
        Assert.Contains("Uninstall the other plugin", update["reason"]!.GetValue<string>());
        Assert.Contains($"update 1.1.0 blocked", await PluginsCommandAsync(guild, "list"));
    }

    [Fact]
    public async Task Publish_AppDiesMidUpgrade_ReprocessedUploadFinishesIt()
    {
        var id = NewId();
        var (first, second) = (NewGuild(), NewGuild());
        if (string.CompareOrdinal(first, second) > 0)
        {
            (first, second) = (second, first);
        }
        await PublishAsync(id, Zip(id, "1.0.0", ["greet"]));
        await InstallAsync(first, id, "^1.0", "interaction:respond");
        await InstallAsync(second, id, "^1.0", "interaction:respond");

        // The first guild's command sync is rate limited: the app dies while it waits, after that install moved to 1.1.0.
        await UploadAsync(id, Zip(id, "1.1.0", ["greet", "wave"]));
        _discord.Fail(FakeDiscord.Routes.CommandsGet, FakeFault.RateLimited(5));
        using var dies = new CancellationTokenSource();
        var processing = ProcessAsync(id, dies.Token);
        await _discord.WaitForCallAsync(c => c.Route == FakeDiscord.Routes.CommandsGet && c.Status == 429, TimeSpan.FromSeconds(60), TestContext.Current.CancellationToken);
        await dies.CancelAsync();
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => processing);
        _http.Dispose();
        await _app.DisposeAsync();

        Assert.Equal(["greet", "help", "plugins"], DiscordCommands(first));
        Assert.Equal(["greet", "help", "plugins"], DiscordCommands(second));
        StartApp();
        Assert.Equal("1.1.0", (await ListedAsync(first, id))["version"]!.GetValue<string>());
        Assert.Equal("1.0.0", (await ListedAsync(second, id))["version"]!.GetValue<string>());

        var report = await ProcessAsync(id);

        Assert.True(report["status"]!.GetValue<string>() == "published", report.ToJsonString());
        foreach (var guild in new[] { first, second })
        {
            Assert.Equal("1.1.0", (await ListedAsync(guild, id))["version"]!.GetValue<string>());
            Assert.Equal(["greet", "help", "plugins", "wave"], DiscordCommands(guild));
            Assert.Equal("1.1.0", await ScheduledVersionAsync(guild, id));
        }
    }
}
