using System.Net;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json.Nodes;
using Microsoft.AspNetCore.Mvc.Testing;
using Microsoft.Extensions.DependencyInjection;
using NSec.Cryptography;
using Serverless.Functions.Packages;
using Serverless.Platform.Hosting;
using Serverless.Platform.Interactions;
using Serverless.Platform.Invocations;
using Serverless.Platform.Packages;
using Serverless.Tests.Discord;
using Serverless.Tests.Infrastructure;
using Serverless.Tests.Invocations;
using Serverless.Tests.Packages.Fixtures;
using Serverless.Tests.Sandbox;

namespace Serverless.Tests.Interactions;

/// <summary>
/// The SDK's reference examples (sandbox/sdk/tests/seed_examples) end to end: published from a zip, installed through the admin API, driven by
/// signed HTTP interactions, answered through a fake Discord built from its documented routes.
/// </summary>
[Collection("Docker")]
public sealed class EndToEndInteractionTests(Azurite azurite, DockerFixture docker) : IAsyncLifetime
{
    private const string AdminKey = "e2e-admin-key";
    private static readonly (string PublicKeyHex, Key PrivateKey) Keys = InteractionSignatureTests.NewKeyPair();

    private FakeDiscord _discord = null!;
    private WebApplicationFactory<Program> _app = null!;
    private HttpClient _http = null!;
    private string _cacheDir = null!;

    public async ValueTask InitializeAsync()
    {
        docker.Require();
        _discord = await FakeDiscord.StartAsync();
        _cacheDir = Directory.CreateTempSubdirectory("e2e-cache-").FullName;
        _app = NewApp(localTriggers: true);
        _http = _app.CreateClient();
        _http.DefaultRequestHeaders.Add("x-functions-key", AdminKey);
    }

    private WebApplicationFactory<Program> NewApp(bool localTriggers) =>
        new TestApp().WithWebHostBuilder(b =>
        {
            b.UseSetting("LOCAL_TRIGGERS", localTriggers ? "on" : "off");
            // Uploads are judged in-process here (PublishAsync), not by the blob trigger as well.
            b.UseSetting(TestApp.Disabled(PackagesFunction.FunctionName), "true");
            b.UseSetting("AzureWebJobsStorage", azurite.ConnectionString);
            b.UseSetting("SANDBOX_PLATFORM_NAME", docker.PlatformName);
            b.UseSetting("PLUGIN_CACHE_DIR", _cacheDir);
            b.UseSetting("DISCORD_PUBLIC_KEY", Keys.PublicKeyHex);
            b.UseSetting("ADMIN_API_KEY", AdminKey);
            b.UseSetting("DISCORD_API_BASE_URL", _discord.BaseUrl);
            b.UseSetting("DISCORD_BOT_TOKEN", FakeDiscord.BotToken);
            b.UseSetting("DISCORD_APPLICATION_ID", FakeDiscord.ApplicationId);
            b.UseSetting("INTERACTION_BUDGET_MS", "2000");
        });

    public async ValueTask DisposeAsync()
    {
        await _app.DisposeAsync();
        await _discord.DisposeAsync();
        Directory.Delete(_cacheDir, recursive: true);
    }

    private async Task<string> PublishAndInstallAsync(byte[] zip, string id, string guild, params string[] capabilities)
    {
        await UploadAsync(id, zip);
        var report = await PublishAsync(id);
        Assert.True(report["status"]!.GetValue<string>() == "published", report.ToJsonString());

        var install = await _http.PutAsJsonAsync($"/api/admin/guilds/{guild}/plugins/{id}", new JsonObject { ["version"] = "^1.0", ["capabilities"] = new JsonArray(capabilities.Select(c => (JsonNode)c).ToArray()) });
        var installed = JsonNode.Parse(await install.Content.ReadAsStringAsync())!;
        Assert.True(install.StatusCode == HttpStatusCode.Created, installed.ToJsonString());
        return installed["install_id"]!.GetValue<string>();
    }

    /// <summary>The upload judged in-process, as the packages function does for the blob trigger; returns the report.</summary>
    private async Task<JsonObject> PublishAsync(string id) =>
        await _app.Services.GetRequiredService<UploadProcessor>().ProcessAsync(new UploadRef("acme", id), TestContext.Current.CancellationToken);

    private async Task UploadAsync(string id, byte[] zip)
    {
        var blobs = azurite.Blobs;
        await blobs.GetBlobContainerClient(UploadRef.Container).CreateIfNotExistsAsync();
        await blobs.GetBlobContainerClient(UploadRef.Container).GetBlobClient($"acme/{id}.zip").UploadAsync(BinaryData.FromBytes(zip), overwrite: true);
    }

    /// <summary>
    /// The channel every interaction of <paramref name="guild"/> comes from. Each guild has its own, as on Discord,
    /// where a channel id is unique: the app learns a channel's guild from each interaction, and a work item of an
    /// earlier test still being retried must not teach it that this test's channel is another guild's.
    /// </summary>
    private static string ChannelOf(string guild) => guild + "07";

    private static JsonObject Interaction(int type, string guild, JsonObject data, string? id = null) => new()
    {
        ["id"] = id ?? Random.Shared.NextInt64(1_000_000_000_000, 9_000_000_000_000).ToString(),
        ["application_id"] = FakeDiscord.ApplicationId,
        ["type"] = type,
        ["token"] = "tok-" + Guid.NewGuid().ToString("N"),
        ["version"] = 1,
        ["guild_id"] = guild,
        ["channel_id"] = ChannelOf(guild),
        ["member"] = new JsonObject { ["user"] = new JsonObject { ["id"] = "42", ["username"] = "tester" } },
        ["data"] = data,
    };

    private async Task<(HttpStatusCode Status, JsonNode? Body)> PostAsync(JsonObject interaction)
    {
        var body = interaction.ToJsonString();
        var timestamp = DateTimeOffset.UtcNow.ToUnixTimeSeconds().ToString();
        using var request = new HttpRequestMessage(HttpMethod.Post, "/api/interactions") { Content = new StringContent(body, Encoding.UTF8, "application/json") };
        request.Headers.Add("X-Signature-Ed25519", InteractionSignatureTests.Sign(Keys.PrivateKey, timestamp, Encoding.UTF8.GetBytes(body)));
        request.Headers.Add("X-Signature-Timestamp", timestamp);
        var response = await _http.SendAsync(request);
        var text = await response.Content.ReadAsStringAsync();
        return (response.StatusCode, text.Length == 0 ? null : JsonNode.Parse(text));
    }

    private Task<FakeDiscordCall> CallbackOf(JsonObject interaction) =>
        _discord.WaitForCallAsync(c => c.Route == FakeDiscord.Routes.InteractionCallback && c.RawPath.Contains(interaction["id"]!.GetValue<string>()), TimeSpan.FromSeconds(30));

    /// <summary>The message the plugin answered with: the initial response, or (when its cold start took longer than the budget and the platform deferred) the edit or follow-up.</summary>
    private async Task<JsonNode> AnswerOf(JsonObject interaction)
    {
        var id = interaction["id"]!.GetValue<string>();
        var token = interaction["token"]!.GetValue<string>();
        var call = await _discord.WaitForCallAsync(c => c.Route == FakeDiscord.Routes.InteractionCallback && c.RawPath.Contains(id) && c.Body?["type"]?.GetValue<int>() == 4
            || c.Route is FakeDiscord.Routes.OriginalEdit or FakeDiscord.Routes.FollowupCreate && c.RawPath.Contains(token), TimeSpan.FromSeconds(30));
        return call.Route == FakeDiscord.Routes.InteractionCallback ? call.Body!["data"]! : call.Body!;
    }

    private static string NewId() => "e2e_" + Guid.NewGuid().ToString("N")[..10];

    private static string NewGuild() => Random.Shared.NextInt64(100_000_000_000, 900_000_000_000).ToString();

    [Fact]
    public async Task Greet_SignedInteraction_PluginAnswersThroughCallbackWithinBudget()
    {
        var id = NewId();
        var guild = NewGuild();
        await PublishAndInstallAsync(PluginInvokerTests.SeedPluginZip(id), id, guild);
        var commands = _discord.GuildCommands(guild).Select(c => c!["name"]!.GetValue<string>()).Order();
        Assert.Equal(["greet", "help", "plugins"], commands);

        var interaction = Interaction(2, guild, JsonNode.Parse("""{"id":"1","name":"greet","type":1,"options":[{"name":"user","type":6,"value":"123"},{"name":"message","type":3,"value":"hi"}]}""")!.AsObject());
        var (status, _) = await PostAsync(interaction);

        Assert.Equal(HttpStatusCode.Accepted, status);
        var callback = await CallbackOf(interaction);
        Assert.Equal(4, callback.Body!["type"]!.GetValue<int>());
        Assert.Equal("<@123> hi", callback.Body["data"]!["content"]!.GetValue<string>());
        Assert.Single(_discord.Calls, c => c.Route == FakeDiscord.Routes.InteractionCallback && c.RawPath.Contains(interaction["id"]!.GetValue<string>()));
    }

    /// <summary>The reference example plugin with its /menu and /feedback commands declared too.</summary>
    private static byte[] SeedWithMenuAndFeedback(string id)
    {
        var manifest = JsonNode.Parse(File.ReadAllText(Path.Combine(RepoPaths.Root, "sandbox", "sdk", "tests", "seed_examples", "01_manifest.json")))!.AsObject();
        manifest["id"] = id;
        manifest["slash_commands"]!.AsArray().Add(new JsonObject { ["name"] = "menu", ["description"] = "Buttons" });
        manifest["slash_commands"]!.AsArray().Add(new JsonObject { ["name"] = "feedback", ["description"] = "Send feedback" });
        return PluginZip.Build(new Dictionary<string, object>
        {
            ["manifest.json"] = manifest,
            ["plugin.py"] = File.ReadAllText(Path.Combine(RepoPaths.Root, "sandbox", "sdk", "tests", "seed_examples", "seed_plugin", "plugin.py")),
        });
    }

    [Fact]
    public async Task Buttons_MenuThenClick_CustomIdsNamespacedAndRoutedBack()
    {
        var id = NewId();
        var guild = NewGuild();
        await PublishAndInstallAsync(SeedWithMenuAndFeedback(id), id, guild);
        var menu = Interaction(2, guild, JsonNode.Parse("""{"id":"2","name":"menu","type":1}""")!.AsObject());
        await PostAsync(menu);
        var buttons = PluginMessagesTests.CustomIdsIn(await AnswerOf(menu)).Select(i => i.CustomId).ToList();
        Assert.Equal(2, buttons.Count);
        Assert.All(buttons, b => Assert.Matches("^p[a-z2-7]{13}:(yes|no)$", b));

        // A click carries the id the platform sent.
        var click = Click(guild, buttons.Single(b => b.EndsWith(":yes", StringComparison.Ordinal)));
        var (status, _) = await PostAsync(click);

        Assert.Equal(HttpStatusCode.Accepted, status);
        var callback = await CallbackOf(click);
        Assert.Equal("✅", callback.Body!["data"]!["content"]!.GetValue<string>());
        Assert.Equal(64, callback.Body["data"]!["flags"]!.GetValue<int>());
    }

    /// <summary>
    /// A plugin that wants its buttons to run another plugin's handler: it copies the victim's custom_id
    /// (seen on the victim's own buttons), and one with the victim's tag computed the old way, into places
    /// the platform did not look before (a Section's accessory, a row inside a Container), and bypasses
    /// the SDK to send them as they are, as a reply and as a channel message.
    /// </summary>
    [Fact]
    public async Task CustomIds_LayoutComponentsAndForgedClicks_NoPluginReachesAnothersHandler()
    {
        var guild = NewGuild();
        var victim = NewId();
        const string victimCode = """
            @plugin.on_slash_command("panel")
            def panel(ctx, event):
                ctx.interaction.respond(content="Admin panel", components=[ActionRow(Button("Reset", custom_id="admin_reset", style="danger"))])

            @plugin.on_component("admin_reset")
            def reset(ctx, event):
                ctx.interaction.respond(content="victim handler ran", ephemeral=True)
            """;
        var victimManifest = PluginZip.Manifest(victim, "1.0.0", JsonNode.Parse("""{"slash_commands":[{"name":"panel","description":"panel"}]}""")!.AsObject());
        await PublishAndInstallAsync(PluginZip.Build(new Dictionary<string, object> { ["manifest.json"] = victimManifest, ["plugin.py"] = victimCode }), victim, guild);
        var panel = Interaction(2, guild, JsonNode.Parse("""{"id":"6","name":"panel","type":1}""")!.AsObject());
        await PostAsync(panel);
        var victimButton = Assert.Single(PluginMessagesTests.CustomIdsIn(await AnswerOf(panel))).CustomId;
        var victimPrefix = victimButton[..CustomIds.PrefixLength];

        var attacker = NewId();
        var lure = $$$"""
            [{"type":9,"components":[{"type":10,"content":"Free nitro"}],"accessory":{"type":2,"style":1,"label":"Claim","custom_id":"{{{victimButton}}}"}},
             {"type":17,"components":[{"type":1,"components":[{"type":2,"style":1,"label":"Claim too","custom_id":"{{{CustomIdsTests.OldPrefix(victim)}}}admin_reset"}]}]}]
            """;
        var attackerCode = $$"""
            import json
            LURE = json.loads('''{{lure}}''')

            @plugin.on_slash_command("lure")
            def lure(ctx, event):
                ctx._call("interaction.respond", {"content": "Free nitro", "components": LURE})
                ctx._call("discord.send_message", {"channel_id": event["channel_id"], "content": "Free nitro", "components": LURE})
            """;
        var attackerManifest = PluginZip.Manifest(attacker, "1.0.0", JsonNode.Parse("""{"capabilities_required":["interaction:respond","messages:send"],"slash_commands":[{"name":"lure","description":"lure"}]}""")!.AsObject());
        await PublishAndInstallAsync(PluginZip.Build(new Dictionary<string, object> { ["manifest.json"] = attackerManifest, ["plugin.py"] = attackerCode }), attacker, guild, "interaction:respond", "messages:send");
        var lureCommand = Interaction(2, guild, JsonNode.Parse("""{"id":"7","name":"lure","type":1}""")!.AsObject());
        await PostAsync(lureCommand);
        var lureAnswer = await AnswerOf(lureCommand);
        var lureMessage = await _discord.WaitForCallAsync(c => c.Route == FakeDiscord.Routes.MessageCreate && c.RawPath.Contains($"/channels/{ChannelOf(guild)}/"), TimeSpan.FromSeconds(30));

        // Every custom_id that went out, in the reply and in the channel message, carries the attacker's own prefix.
        var sent = PluginMessagesTests.CustomIdsIn(lureAnswer).Concat(PluginMessagesTests.CustomIdsIn(lureMessage.Body)).ToList();
        Assert.Equal(4, sent.Count);
        var attackerPrefix = sent[0].CustomId[..CustomIds.PrefixLength];
        Assert.NotEqual(victimPrefix, attackerPrefix);
        Assert.All(sent, s => Assert.StartsWith(attackerPrefix, s.CustomId));
        Assert.Contains(sent, s => s.Path.EndsWith(".accessory.custom_id", StringComparison.Ordinal) && s.CustomId == attackerPrefix + victimButton);

        // Clicking the lure runs the attacker's code (which has no handler for it), never the victim's.
        var clickLure = Click(guild, sent[0].CustomId);
        var (lureStatus, _) = await PostAsync(clickLure);
        Assert.Equal(HttpStatusCode.Accepted, lureStatus);
        Assert.Equal($"⚠️ {attacker} has no handler for this.", (await AnswerOf(clickLure))["content"]!.GetValue<string>());

        // Forged clicks: the bare id, the victim's tag computed the old way, the victim's tag one bit off.
        foreach (var forged in new[] { "admin_reset", CustomIdsTests.OldPrefix(victim) + "admin_reset", CustomIdsTests.FlipOneBit(victimPrefix) + "admin_reset" })
        {
            var (status, body) = await PostAsync(Click(guild, forged));
            Assert.True(status == HttpStatusCode.OK, $"{forged}: {status}");
            Assert.Equal("No plugin installed in this server handles this.", body!["data"]!["content"]!.GetValue<string>());
        }

        // The victim's own button still runs the victim's handler, and only that click did.
        var real = Click(guild, victimButton);
        await PostAsync(real);
        Assert.Equal("victim handler ran", (await AnswerOf(real))["content"]!.GetValue<string>());
        Assert.Single(_discord.Calls, c => (c.Body as JsonObject)?["data"]?["content"]?.GetValue<string>() == "victim handler ran" || (c.Body as JsonObject)?["content"]?.GetValue<string>() == "victim handler ran");
    }

    private static JsonObject Click(string guild, string customId)
    {
        var click = Interaction(3, guild, new JsonObject { ["custom_id"] = customId, ["component_type"] = 2 });
        click["message"] = new JsonObject { ["id"] = "555" };
        return click;
    }

    [Fact]
    public async Task FeedbackModal_SentFromCodeThenSubmitted_ModalIsInitialResponseAndSubmitWritesKv()
    {
        var id = NewId();
        var guild = NewGuild();
        var installId = await PublishAndInstallAsync(SeedWithMenuAndFeedback(id), id, guild);

        var command = Interaction(2, guild, JsonNode.Parse("""{"id":"3","name":"feedback","type":1}""")!.AsObject());
        await PostAsync(command);
        var modal = await CallbackOf(command);
        Assert.Equal(9, modal.Body!["type"]!.GetValue<int>());
        var ids = PluginMessagesTests.CustomIdsIn(modal.Body["data"]).Select(i => i.CustomId).ToList();
        var prefix = ids[0][..CustomIds.PrefixLength];
        Assert.Equal([prefix + "feedback_form", prefix + "subject", prefix + "details"], ids);

        // Discord sends the inputs back with the ids it was given; the handler sees its own.
        var submit = Interaction(5, guild, JsonNode.Parse($$"""
            {"custom_id":"{{ids[0]}}","components":[
              {"type":1,"components":[{"type":4,"custom_id":"{{ids[1]}}","value":"Great"}]},
              {"type":1,"components":[{"type":4,"custom_id":"{{ids[2]}}","value":"More cats"}]}]}
            """)!.AsObject());
        await PostAsync(submit);
        var thanks = await CallbackOf(submit);

        Assert.Equal("Thanks for the feedback!", thanks.Body!["data"]!["content"]!.GetValue<string>());
        var kv = new KvStore(azurite.Tables, new KvQuotas());
        var stored = await kv.GetAsync(installId, $"feedback:{submit["id"]}", CancellationToken.None);
        Assert.Equal("More cats", stored!["details"]!.GetValue<string>());
    }

    [Fact]
    public async Task SlowPlugin_OverBudget_PlatformDefersThenRespondEditsOriginalAndModalIsRefused()
    {
        var id = NewId();
        var guild = NewGuild();
        const string code = """
            import time

            @plugin.on_slash_command("slow")
            def slow(ctx, event):
                time.sleep(3)
                ctx.interaction.respond(content="late but here")
                ctx.interaction.respond(content="and a follow-up")

            @plugin.on_slash_command("slowmodal")
            def slow_modal(ctx, event):
                time.sleep(3)
                ctx.interaction.send_modal(title="Too late", custom_id="late", fields=[TextInput(label="x", custom_id="x")])
            """;
        var manifest = PluginZip.Manifest(id, "1.0.0", JsonNode.Parse("""{"slash_commands":[{"name":"slow","description":"slow"},{"name":"slowmodal","description":"slow modal"}]}""")!.AsObject());
        await PublishAndInstallAsync(PluginZip.Build(new Dictionary<string, object> { ["manifest.json"] = manifest, ["plugin.py"] = code }), id, guild);

        var slow = Interaction(2, guild, JsonNode.Parse("""{"id":"4","name":"slow","type":1}""")!.AsObject());
        var started = DateTime.UtcNow;
        var (status, body) = await PostAsync(slow);
        var ackTime = DateTime.UtcNow - started;

        Assert.Equal(HttpStatusCode.OK, status);
        Assert.Equal(5, body!["type"]!.GetValue<int>());
        Assert.True(ackTime < TimeSpan.FromSeconds(3), $"acknowledged after {ackTime}");
        var token = slow["token"]!.GetValue<string>();
        var edit = await _discord.WaitForCallAsync(c => c.Route == FakeDiscord.Routes.OriginalEdit && c.RawPath.Contains(token), TimeSpan.FromSeconds(30));
        Assert.Equal("late but here", edit.Body!["content"]!.GetValue<string>());
        var followup = await _discord.WaitForCallAsync(c => c.Route == FakeDiscord.Routes.FollowupCreate && c.RawPath.Contains(token), TimeSpan.FromSeconds(30));
        Assert.Equal("and a follow-up", followup.Body!["content"]!.GetValue<string>());
        Assert.DoesNotContain(_discord.Calls, c => c.Route == FakeDiscord.Routes.InteractionCallback && c.RawPath.Contains(slow["id"]!.GetValue<string>()));

        var slowModal = Interaction(2, guild, JsonNode.Parse("""{"id":"5","name":"slowmodal","type":1}""")!.AsObject());
        var (modalStatus, modalBody) = await PostAsync(slowModal);
        Assert.Equal(5, modalBody!["type"]!.GetValue<int>());
        var logs = new PluginLogs(azurite.Tables, TimeProvider.System);
        var deadline = DateTime.UtcNow.AddSeconds(30);
        IReadOnlyList<PluginLogEntry> entries = [];
        while (DateTime.UtcNow < deadline && !entries.Any(e => e.Message.Contains("send_modal failed")))
        {
            await Task.Delay(250);
            entries = await logs.ReadAsync(id, guild, 100, CancellationToken.None);
        }
        Assert.Contains(entries, e => e.Level == "error" && e.Message.Contains("already deferred"));
        Assert.Equal(HttpStatusCode.OK, modalStatus);
    }

    [Fact]
    public async Task SendMessage_FromACommand_OwnChannelWithoutLookupOtherGuildsChannelRefused()
    {
        var id = NewId();
        var guild = NewGuild();
        var otherGuild = NewGuild();
        var foreign = FakeDiscord.NextSnowflake(DateTimeOffset.UtcNow);
        _discord.AddChannel(foreign, otherGuild);
        var code = $$"""
            @plugin.on_slash_command("post")
            def post(ctx, event):
                ctx.discord.send_message(event["channel_id"], content="in my channel")
                try:
                    ctx.discord.add_reaction("{{foreign}}", "555", "👍")
                    outcome = "reacted"
                except PluginError as error:
                    outcome = error.message
                ctx.interaction.respond(content=outcome)
            """;
        var manifest = PluginZip.Manifest(id, "1.0.0", JsonNode.Parse("""{"slash_commands":[{"name":"post","description":"post"}],"capabilities_required":["messages:send","reactions:add"]}""")!.AsObject());
        await PublishAndInstallAsync(PluginZip.Build(new Dictionary<string, object> { ["manifest.json"] = manifest, ["plugin.py"] = code }), id, guild, "messages:send", "reactions:add");

        var command = Interaction(2, guild, JsonNode.Parse("""{"id":"6","name":"post","type":1}""")!.AsObject());
        await PostAsync(command);
        var answer = await _discord.WaitForCallAsync(c => c.RawPath.Contains(command["token"]!.GetValue<string>()) || c.RawPath.Contains(command["id"]!.GetValue<string>()), TimeSpan.FromSeconds(30));

        var content = (answer.Body!["data"]?["content"] ?? answer.Body["content"])!.GetValue<string>();
        var expected = $"channel {foreign} is not in this server's guild";
        if (content != expected)
        {
            var entries = await new PluginLogs(azurite.Tables, TimeProvider.System).ReadAsync(id, guild, 100, CancellationToken.None);
            Assert.Fail($"expected \"{expected}\", answered \"{content}\"; the plugin's log:\n{string.Join("\n", entries.Select(e => $"{e.Level}: {e.Message}"))}");
        }
        Assert.Equal("in my channel", Assert.Single(_discord.CallsTo(FakeDiscord.Routes.MessageCreate), c => c.Values["channel_id"] == ChannelOf(guild)).Body!["content"]!.GetValue<string>());
        Assert.DoesNotContain(_discord.CallsTo(FakeDiscord.Routes.ChannelGet), c => c.Values["channel_id"] == ChannelOf(guild));
        Assert.Empty(_discord.CallsTo(FakeDiscord.Routes.ReactionAdd));
    }

    [Fact]
    public async Task Install_ManifestStillListsKv_PublishedWithWarningNeverShownOrGrantedAndKvWorksWithoutIt()
    {
        var id = NewId();
        var guild = NewGuild();
        var manifest = PluginZip.GreetManifest(id);
        manifest["capabilities_required"] = new JsonArray("interaction:respond", "kv");
        manifest["slash_commands"]![0]!["name"] = "count";
        manifest["slash_commands"]![0]!["options"] = new JsonArray();
        const string code = """
            @plugin.on_slash_command("count")
            def count(ctx, event):
                ctx.kv.set("n", (ctx.kv.get("n") or 0) + 1)
                ctx.interaction.respond(content=f"n={ctx.kv.get('n')}")
            """;
        await UploadAsync(id, PluginZip.Build(new Dictionary<string, object> { ["manifest.json"] = manifest, ["plugin.py"] = code }));
        var report = await PublishAsync(id);

        // An older client that still grants kv is not refused for it; kv is simply not a grant.
        var install = await _http.PutAsJsonAsync($"/api/admin/guilds/{guild}/plugins/{id}", new JsonObject { ["version"] = "*", ["capabilities"] = new JsonArray("interaction:respond", "kv") });
        var installed = JsonNode.Parse(await install.Content.ReadAsStringAsync())!;
        var versions = JsonNode.Parse(await _http.GetStringAsync($"/api/admin/plugins/{id}/versions"))!.AsArray();
        var interaction = Interaction(2, guild, JsonNode.Parse("""{"id":"1","name":"count","type":1,"options":[]}""")!.AsObject());
        await PostAsync(interaction);
        var callback = await CallbackOf(interaction);

        Assert.Equal("published", report["status"]!.GetValue<string>());
        var warning = Assert.Single(report["warnings"]!.AsArray(), w => w!["code"]!.GetValue<string>() == "kv_needs_no_capability")!;
        Assert.Equal("$.capabilities_required[1]", warning["path"]!.GetValue<string>());
        Assert.StartsWith("kv needs no capability; every install has its own store", warning["message"]!.GetValue<string>());
        Assert.True(install.StatusCode == HttpStatusCode.Created, installed.ToJsonString());
        Assert.Equal(["interaction:respond"], installed["capabilities"]!["requested"]!.AsArray().Select(c => c!.GetValue<string>()));
        Assert.Equal(["interaction:respond"], installed["capabilities"]!["granted"]!.AsArray().Select(c => c!.GetValue<string>()));
        Assert.Equal(["interaction:respond"], versions.Single()!["capabilities"]!.AsArray().Select(c => c!.GetValue<string>()));
        Assert.Equal("n=1", callback.Body!["data"]!["content"]!.GetValue<string>());
    }

    [Fact]
    public async Task Install_CollidingCommand_RefusedNamingBothPlugins()
    {
        var first = NewId();
        var second = NewId();
        var guild = NewGuild();
        await PublishAndInstallAsync(PluginInvokerTests.SeedPluginZip(first), first, guild);
        await UploadAsync(second, PluginInvokerTests.SeedPluginZip(second));
        await PublishAsync(second);

        var response = await _http.PutAsJsonAsync($"/api/admin/guilds/{guild}/plugins/{second}", new JsonObject { ["version"] = "*" });
        var error = JsonNode.Parse(await response.Content.ReadAsStringAsync())!;

        Assert.Equal(HttpStatusCode.Conflict, response.StatusCode);
        Assert.Equal("command_collision", error["code"]!.GetValue<string>());
        Assert.Contains(first, error["error"]!.GetValue<string>());
        Assert.Contains(second, error["error"]!.GetValue<string>());
    }

    [Fact]
    public async Task Help_BuiltInCommand_ListsInstalledPluginCommandsWithoutSandbox()
    {
        var id = NewId();
        var guild = NewGuild();
        await PublishAndInstallAsync(PluginInvokerTests.SeedPluginZip(id), id, guild);

        var (status, body) = await PostAsync(Interaction(2, guild, JsonNode.Parse("""{"id":"9","name":"help","type":1}""")!.AsObject()));
        var (_, list) = await PostAsync(Interaction(2, guild, JsonNode.Parse("""{"id":"9","name":"plugins","type":1,"options":[{"type":1,"name":"list"}]}""")!.AsObject()));

        Assert.Equal(HttpStatusCode.OK, status);
        Assert.Equal(4, body!["type"]!.GetValue<int>());
        Assert.Contains("/greet` — Say hello to someone", body["data"]!["content"]!.GetValue<string>());
        Assert.Contains($"`{id}` 1.0.0", list!["data"]!["content"]!.GetValue<string>());
    }

    [Fact]
    public async Task AppKilledBetweenEnqueueAndDispatch_NextInstanceAnswersAndNothingIsLost()
    {
        var id = NewId();
        var guild = NewGuild();
        await PublishAndInstallAsync(PluginInvokerTests.SeedPluginZip(id), id, guild);
        // This app's pump must not take the item: stop it, as a crash right after the enqueue would.
        await _app.DisposeAsync();
        await using var first = NewApp(localTriggers: false);
        _http = first.CreateClient();
        var interaction = Interaction(2, guild, JsonNode.Parse("""{"id":"1","name":"greet","type":1,"options":[{"name":"user","type":6,"value":"7"}]}""")!.AsObject());

        var (status, body) = await PostAsync(interaction);
        await first.DisposeAsync();

        Assert.Equal(HttpStatusCode.OK, status);
        Assert.Equal(5, body!["type"]!.GetValue<int>());
        _app = NewApp(localTriggers: true);
        _ = _app.Server;
        var token = interaction["token"]!.GetValue<string>();
        var edit = await _discord.WaitForCallAsync(c => c.Route == FakeDiscord.Routes.OriginalEdit && c.RawPath.Contains(token), TimeSpan.FromSeconds(60));
        Assert.Equal("<@7> Hey there!", edit.Body!["content"]!.GetValue<string>());
        Assert.DoesNotContain(_discord.Calls, c => c.Route == FakeDiscord.Routes.InteractionCallback && c.RawPath.Contains(interaction["id"]!.GetValue<string>()));
    }

    [Fact]
    public async Task SlowAndFastPluginsConcurrently_EveryInteractionGetsExactlyOneInitialResponse()
    {
        var id = NewId();
        var guild = NewGuild();
        const string code = """
            import time

            @plugin.on_slash_command("wait")
            def wait(ctx, event):
                time.sleep(float(event["options"][0]["value"]))
                ctx.interaction.respond(content="done")
            """;
        var manifest = PluginZip.Manifest(id, "1.0.0", JsonNode.Parse("""{"slash_commands":[{"name":"wait","description":"wait","options":[{"name":"seconds","description":"s","type":10,"required":true}]}]}""")!.AsObject());
        await PublishAndInstallAsync(PluginZip.Build(new Dictionary<string, object> { ["manifest.json"] = manifest, ["plugin.py"] = code }), id, guild);
        // Fast, just under the 2 s budget, just over it, well over it; installs get one worker each, so
        // spread them over guilds to run concurrently.
        double[] delays = [0, 0, 1.6, 2.3, 3.5, 0.1];
        var guilds = new List<string> { guild };
        for (var i = 1; i < delays.Length; i++)
        {
            var other = NewGuild();
            var install = await _http.PutAsJsonAsync($"/api/admin/guilds/{other}/plugins/{id}", new JsonObject { ["version"] = "*" });
            Assert.Equal(HttpStatusCode.Created, install.StatusCode);
            guilds.Add(other);
        }
        var interactions = delays.Select((d, i) => Interaction(2, guilds[i], JsonNode.Parse($$"""{"id":"1","name":"wait","type":1,"options":[{"name":"seconds","type":10,"value":{{d}}}]}""")!.AsObject())).ToArray();

        var answers = await Task.WhenAll(interactions.Select(PostAsync));

        for (var i = 0; i < interactions.Length; i++)
        {
            var interactionId = interactions[i]["id"]!.GetValue<string>();
            var token = interactions[i]["token"]!.GetValue<string>();
            var final = await _discord.WaitForCallAsync(c => c.RawPath.Contains(token) && c.Body?["content"]?.GetValue<string>() == "done"
                || c.RawPath.Contains(interactionId) && c.Body?["data"]?["content"]?.GetValue<string>() == "done", TimeSpan.FromSeconds(60));
            var callbacks = _discord.Calls.Count(c => c.Route == FakeDiscord.Routes.InteractionCallback && c.RawPath.Contains(interactionId));
            var httpAnswered = answers[i].Status == HttpStatusCode.OK;
            Assert.True(callbacks + (httpAnswered ? 1 : 0) == 1, $"interaction {i} (delay {delays[i]} s): {callbacks} callbacks, HTTP {answers[i].Status}");
            Assert.Equal(httpAnswered ? FakeDiscord.Routes.OriginalEdit : FakeDiscord.Routes.InteractionCallback, final.Route);
        }
        // Over the budget the platform must have deferred. Under it, the answer comes from the plugin when its
        // cold start fits in the budget, which depends on the machine's load, so it is not asserted here.
        Assert.All(answers.Where((_, i) => delays[i] >= 2.3), a => Assert.Equal(HttpStatusCode.OK, a.Status));
    }
}
