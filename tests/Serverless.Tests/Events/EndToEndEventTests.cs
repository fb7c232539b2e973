using System.Net;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json.Nodes;
using Microsoft.AspNetCore.Mvc.Testing;
using Microsoft.Extensions.DependencyInjection;
using Serverless.Functions.Packages;
using Serverless.Platform.Events;
using Serverless.Platform.Hosting;
using Serverless.Platform.Invocations;
using Serverless.Platform.Packages;
using Serverless.Tests.Discord;
using Serverless.Tests.Infrastructure;
using Serverless.Tests.Packages.Fixtures;
using Serverless.Tests.Sandbox;

namespace Serverless.Tests.Events;

/// <summary>
/// Events end to end in the whole app: plugins published from zips and installed through the admin API,
/// gateway events posted signed to <c>/api/events</c>, the queue trigger and real Docker sandboxes running
/// the plugins, and what the plugins saw read back from their logs or from a fake Discord.
/// </summary>
[Collection("Docker")]
public sealed class EndToEndEventTests(Azurite azurite, DockerFixture docker) : IAsyncLifetime
{
    private const string AdminKey = "events-e2e-admin-key";
    private const string Secret = "events-e2e-shared-secret-0123456789";
    private static readonly TimeSpan Wait = TimeSpan.FromSeconds(60);

    private readonly RecordingWorkQueue _enqueued = new();
    private FakeDiscord _discord = null!;
    private WebApplicationFactory<Program> _app = null!;
    private HttpClient _http = null!;
    private string _cacheDir = null!;

    public async ValueTask InitializeAsync()
    {
        docker.Require();
        _discord = await FakeDiscord.StartAsync();
        _cacheDir = Directory.CreateTempSubdirectory("events-e2e-cache-").FullName;
        _app = new TestApp().WithWebHostBuilder(b =>
        {
            b.UseSetting("AzureWebJobsStorage", azurite.ConnectionString);
            b.UseSetting("SANDBOX_PLATFORM_NAME", docker.PlatformName);
            b.UseSetting("PLUGIN_CACHE_DIR", _cacheDir);
            b.UseSetting("ADMIN_API_KEY", AdminKey);
            b.UseSetting("DISCORD_API_BASE_URL", _discord.BaseUrl);
            b.UseSetting("DISCORD_BOT_TOKEN", FakeDiscord.BotToken);
            b.UseSetting("DISCORD_APPLICATION_ID", FakeDiscord.ApplicationId);
            b.UseSetting(EventsOptions.SecretSetting, Secret);
            // Uploads are judged in-process here (PublishAsync), not by the blob trigger as well.
            b.UseSetting(TestApp.Disabled(PackagesFunction.FunctionName), "true");
            b.WithQueueRecordedInto(_enqueued);
        });
        _http = _app.CreateClient();
        _http.DefaultRequestHeaders.Add("x-functions-key", AdminKey);
    }

    public async ValueTask DisposeAsync()
    {
        await _app.DisposeAsync();
        await _discord.DisposeAsync();
        Directory.Delete(_cacheDir, recursive: true);
    }

    // An explicit "entrypoint" (plugin.py alone would do: docs/events.md) makes publishing boot the plugin and record what it listens to.
    private static byte[] Zip(string id, string version, string code, params string[] capabilities) => PluginZip.Build(new Dictionary<string, object>
    {
        ["manifest.json"] = PluginZip.Manifest(id, version, new JsonObject
        {
            ["entrypoint"] = "plugin.py",
            ["capabilities_required"] = new JsonArray(capabilities.Select(c => (JsonNode)c).ToArray()),
        }),
        ["plugin.py"] = code,
    });

    private async Task PublishAsync(string id, byte[] zip)
    {
        var blobs = azurite.Blobs;
        await blobs.GetBlobContainerClient(UploadRef.Container).CreateIfNotExistsAsync();
        await blobs.GetBlobContainerClient(UploadRef.Container).GetBlobClient($"acme/{id}.zip").UploadAsync(BinaryData.FromBytes(zip), overwrite: true);
        // Judged in-process, as the packages function does for the blob trigger.
        var report = await _app.Services.GetRequiredService<UploadProcessor>().ProcessAsync(new UploadRef("acme", id), TestContext.Current.CancellationToken);
        Assert.True(report["status"]!.GetValue<string>() == "published", report.ToJsonString());
    }

    private async Task<JsonNode> InstallAsync(string guild, string id, string version, params string[] capabilities)
    {
        var response = await _http.PutAsJsonAsync($"/api/admin/guilds/{guild}/plugins/{id}", new JsonObject { ["version"] = version, ["capabilities"] = new JsonArray(capabilities.Select(c => (JsonNode)c).ToArray()) });
        var body = JsonNode.Parse(await response.Content.ReadAsStringAsync())!;
        Assert.True(response.IsSuccessStatusCode, body.ToJsonString());
        return body;
    }

    private async Task<JsonNode> PostEventAsync(string guild, string eventName, JsonObject payload)
    {
        var response = await _http.SendAsync(EventsEndpointTests.Signed(EventsEndpointTests.Body(guild, eventName, payload), Secret));
        var body = JsonNode.Parse(await response.Content.ReadAsStringAsync())!;
        Assert.True(response.StatusCode == HttpStatusCode.Accepted, body.ToJsonString());
        return body;
    }

    private async Task<IReadOnlyList<PluginLogEntry>> WaitForLogAsync(string pluginId, string guild, Func<PluginLogEntry, bool> predicate)
    {
        var logs = new PluginLogs(azurite.Tables, TimeProvider.System);
        var deadline = DateTime.UtcNow + Wait;
        IReadOnlyList<PluginLogEntry> entries = [];
        while (DateTime.UtcNow < deadline)
        {
            entries = await logs.ReadAsync(pluginId, guild, 200, CancellationToken.None);
            if (entries.Any(predicate))
            {
                return entries;
            }
            await Task.Delay(250);
        }
        throw new TimeoutException($"no matching log line of {pluginId} within {Wait}; lines: {string.Join(" | ", entries.Select(e => $"{e.Level}: {e.Message}"))}");
    }

    private static string NewId() => "e2e_" + Guid.NewGuid().ToString("N")[..10];

    private const string LoggingListener = """
        import json

        @plugin.on_event("message_create")
        def on_message(ctx, event):
            ctx.log("received " + json.dumps(event, sort_keys=True))
        """;

    [Fact]
    public async Task MessageCreate_Injected_ReachesSubscribersWithContentOnlyWhenGrantedAndNotOthers()
    {
        var guild = EventPlugins.NewGuild();
        var (reader, blind, deaf) = (NewId(), NewId(), NewId());
        await PublishAsync(reader, Zip(reader, "1.0.0", LoggingListener, "messages:read_content"));
        await PublishAsync(blind, Zip(blind, "1.0.0", LoggingListener, "messages:read_content"));
        await PublishAsync(deaf, Zip(deaf, "1.0.0", """
            @plugin.on_event("member_join")
            def joined(ctx, event):
                ctx.log("received member_join")
            """));
        await InstallAsync(guild, reader, "^1.0", "messages:read_content");
        await InstallAsync(guild, blind, "^1.0");
        await InstallAsync(guild, deaf, "^1.0");

        var answer = await PostEventAsync(guild, "message_create", EventsEndpointTests.MessageCreate("meet at noon"));

        Assert.Equal(2, answer["fanned_out"]!.GetValue<int>());
        var readerSaw = (await WaitForLogAsync(reader, guild, e => e.Message.StartsWith("received "))).First(e => e.Message.StartsWith("received "));
        var blindSaw = (await WaitForLogAsync(blind, guild, e => e.Message.StartsWith("received "))).First(e => e.Message.StartsWith("received "));
        var readerEvent = JsonNode.Parse(readerSaw.Message["received ".Length..])!;
        var blindEvent = JsonNode.Parse(blindSaw.Message["received ".Length..])!;
        Assert.Equal("meet at noon", readerEvent["content"]!.GetValue<string>());
        Assert.Equal("", blindEvent["content"]!.GetValue<string>());
        Assert.Equal(["author_bot", "author_id", "channel_id", "content", "message_id", "timestamp"], blindEvent.AsObject().Select(p => p.Key).Order(StringComparer.Ordinal));
        var logs = new PluginLogs(azurite.Tables, TimeProvider.System);
        Assert.Empty(await logs.ReadAsync(deaf, guild, 50, CancellationToken.None));
    }

    [Fact]
    public async Task CustomEvent_Emitted_DeliveredInPriorityOrderToOtherGuildListenersOnly_AndForeignNameRefused()
    {
        var guild = EventPlugins.NewGuild();
        var elsewhere = EventPlugins.NewGuild();
        var emitter = NewId();
        var (late, early, normal, stranger) = (NewId(), NewId(), NewId(), NewId());
        await PublishAsync(emitter, Zip(emitter, "1.0.0", """
            @plugin.on_event("message_create")
            def on_message(ctx, event):
                try:
                    ctx.emit("other_plugin.task_done", {"n": 0})
                except PluginError as error:
                    ctx.log("refused: " + error.message)
                ctx.emit(ctx.plugin_id + ".task_done", {"n": 1})
            """, "events:emit"));
        string Listener(string label, string priority) => $$"""
            @plugin.on_event("{{emitter}}.task_done"{{priority}})
            def done(ctx, event):
                ctx.discord.send_message("901", content="{{label}} from " + str(ctx.source_plugin_id) + " n=" + str(event["n"]))
            """;
        await PublishAsync(late, Zip(late, "1.0.0", Listener("late", ", priority=2000"), "messages:send"));
        await PublishAsync(early, Zip(early, "1.0.0", Listener("early", ", priority=500"), "messages:send"));
        await PublishAsync(normal, Zip(normal, "1.0.0", Listener("normal", ""), "messages:send"));
        await PublishAsync(stranger, Zip(stranger, "1.0.0", Listener("stranger", ", priority=1"), "messages:send"));
        await InstallAsync(guild, emitter, "^1.0", "events:emit");
        await InstallAsync(guild, late, "^1.0", "messages:send");
        await InstallAsync(guild, early, "^1.0", "messages:send");
        await InstallAsync(guild, normal, "^1.0", "messages:send");
        await InstallAsync(elsewhere, stranger, "^1.0", "messages:send");
        _discord.AddChannel("901", guild);

        await PostEventAsync(guild, "message_create", EventsEndpointTests.MessageCreate("go"));

        await _discord.WaitForCallAsync(c => c.Route == FakeDiscord.Routes.MessageCreate && c.Body?["content"]?.GetValue<string>()?.StartsWith("late") == true, Wait);
        var delivered = _discord.CallsTo(FakeDiscord.Routes.MessageCreate)
            .Select(c => c.Body!["content"]!.GetValue<string>())
            .Where(c => c.Contains($"from {emitter}"))
            .ToList();
        Assert.Equal([$"early from {emitter} n=1", $"normal from {emitter} n=1", $"late from {emitter} n=1"], delivered);
        var emitterLog = await WaitForLogAsync(emitter, guild, e => e.Message.StartsWith("refused: "));
        Assert.Contains("outside this plugin's namespace", emitterLog.First(e => e.Message.StartsWith("refused: ")).Message);
        Assert.DoesNotContain(_discord.CallsTo(FakeDiscord.Routes.MessageCreate), c => c.Body!["content"]!.GetValue<string>().StartsWith("stranger"));
    }

    /// <summary>Each attempt's outcome as one log line: "label: sent", "label: PluginError code message", "label: ValueError message".</summary>
    private const string Attempts = """
        def attempt(ctx, label, action):
            try:
                action()
                ctx.log(label + ": sent")
            except PluginError as error:
                ctx.log(f"{label}: PluginError {error.code} {error.message}")
            except ValueError as error:
                ctx.log(f"{label}: ValueError {error}")

        """;

    [Fact]
    public async Task DiscordActions_ChannelOfAnotherGuildOrDm_PluginErrorAndNoRequestForIt()
    {
        var (guild, otherGuild) = (EventPlugins.NewGuild(), EventPlugins.NewGuild());
        var (own, sibling, foreign, dm) = (FakeDiscord.NextSnowflake(DateTimeOffset.UtcNow), FakeDiscord.NextSnowflake(DateTimeOffset.UtcNow), FakeDiscord.NextSnowflake(DateTimeOffset.UtcNow), FakeDiscord.NextSnowflake(DateTimeOffset.UtcNow));
        _discord.AddChannel(sibling, guild);
        _discord.AddChannel(foreign, otherGuild);
        _discord.AddDmChannel(dm, recipientId: "42");
        var id = NewId();
        await PublishAsync(id, Zip(id, "1.0.0", Attempts + $$"""
            @plugin.on_event("message_create")
            def on_message(ctx, event):
                attempt(ctx, "other guild message", lambda: ctx.discord.send_message("{{foreign}}", content="leak"))
                attempt(ctx, "other guild reaction", lambda: ctx.discord.add_reaction("{{foreign}}", "900", "👍"))
                attempt(ctx, "dm message", lambda: ctx.discord.send_message("{{dm}}", content="leak"))
                attempt(ctx, "dm reaction", lambda: ctx.discord.add_reaction("{{dm}}", "900", "👍"))
                attempt(ctx, "unknown channel message", lambda: ctx.discord.send_message("123", content="leak"))
                attempt(ctx, "own channel message", lambda: ctx.discord.send_message(event["channel_id"], content="here"))
                attempt(ctx, "same guild reaction", lambda: ctx.discord.add_reaction("{{sibling}}", "900", "👍"))
                ctx.log("done")
            """, "messages:send", "reactions:add"));
        await InstallAsync(guild, id, "^1.0", "messages:send", "reactions:add");
        var message = EventsEndpointTests.MessageCreate("hi");
        message["channel_id"] = own;

        await PostEventAsync(guild, "message_create", message);

        var lines = (await WaitForLogAsync(id, guild, e => e.Message == "done")).Select(e => e.Message).ToList();
        Assert.Contains($"other guild message: PluginError -32602 channel {foreign} is not in this server's guild", lines);
        Assert.Contains($"other guild reaction: PluginError -32602 channel {foreign} is not in this server's guild", lines);
        Assert.Contains($"dm message: PluginError -32602 channel {dm} is not in this server's guild", lines);
        Assert.Contains($"dm reaction: PluginError -32602 channel {dm} is not in this server's guild", lines);
        Assert.Contains("unknown channel message: PluginError -32602 channel 123 is not in this server's guild", lines);
        Assert.Contains($"discord.send_message refused: channel {foreign} is not in this server's guild", lines);
        Assert.Contains("own channel message: sent", lines);
        Assert.Contains("same guild reaction: sent", lines);
        Assert.DoesNotContain(_discord.Calls, c => c.Method != "GET" && c.Values.GetValueOrDefault("channel_id") is { } channel && (channel == foreign || channel == dm || channel == "123"));
        // The event named its channel and guild, signed: replying there takes no lookup.
        Assert.DoesNotContain(_discord.CallsTo(FakeDiscord.Routes.ChannelGet), c => c.Values["channel_id"] == own);
        Assert.Single(_discord.CallsTo(FakeDiscord.Routes.MessageCreate), c => c.Values["channel_id"] == own);
        Assert.Single(_discord.CallsTo(FakeDiscord.Routes.ReactionAdd), c => c.Values["channel_id"] == sibling);
    }

    [Fact]
    public async Task DiscordActions_DotDotAndOtherNonIds_RefusedBySdkAndHostAndNoRequest()
    {
        var guild = EventPlugins.NewGuild();
        var own = FakeDiscord.NextSnowflake(DateTimeOffset.UtcNow);
        var id = NewId();
        await PublishAsync(id, Zip(id, "1.0.0", Attempts + """
            @plugin.on_event("message_create")
            def on_message(ctx, event):
                attempt(ctx, "sdk remove_role", lambda: ctx.discord.remove_role("..", "555"))
                # What a plugin that goes around the SDK sends: the host's own check is the one that counts.
                attempt(ctx, "raw remove_role", lambda: ctx._call("discord.remove_role", {"user_id": "..", "role_id": "555"}))
                attempt(ctx, "raw add_role", lambda: ctx._call("discord.add_role", {"user_id": "555", "role_id": "%2e%2e"}))
                attempt(ctx, "raw reaction", lambda: ctx._call("discord.add_reaction", {"channel_id": event["channel_id"], "message_id": "1", "emoji": ".."}))
                attempt(ctx, "raw message", lambda: ctx._call("discord.send_message", {"channel_id": "@me", "content": "x"}))
                ctx.log("done")
            """, "roles:add", "roles:remove", "reactions:add", "messages:send"));
        await InstallAsync(guild, id, "^1.0", "roles:add", "roles:remove", "reactions:add", "messages:send");
        var message = EventsEndpointTests.MessageCreate("hi");
        message["channel_id"] = own;
        var before = _discord.Calls.Count;

        await PostEventAsync(guild, "message_create", message);

        var lines = (await WaitForLogAsync(id, guild, e => e.Message == "done")).Select(e => e.Message).ToList();
        Assert.Contains("sdk remove_role: ValueError user_id must be a Discord id (digits only), got '..'", lines);
        Assert.Contains("raw remove_role: PluginError -32602 'user_id' must be a Discord id (digits only), got '..'", lines);
        Assert.Contains("raw add_role: PluginError -32602 'role_id' must be a Discord id (digits only), got '%2e%2e'", lines);
        Assert.Contains(lines, l => l.StartsWith("raw reaction: PluginError -32602 'emoji' must be a Unicode emoji", StringComparison.Ordinal));
        Assert.Contains("raw message: PluginError -32602 'channel_id' must be a Discord id (digits only), got '@me'", lines);
        Assert.Contains("discord.remove_role refused: 'user_id' must be a Discord id (digits only), got '..'", lines);
        // No action reached Discord. (The install's command sync may land meanwhile: it is not the plugin's doing.)
        Assert.DoesNotContain(_discord.Calls.Skip(before), c => c.Route is not (FakeDiscord.Routes.CommandsGet or FakeDiscord.Routes.CommandsPut));
    }

    [Fact]
    public async Task Lifecycle_InstallUpgradeUninstall_HooksRunWithVersions()
    {
        var guild = EventPlugins.NewGuild();
        var id = NewId();
        const string code = """
            @plugin.on_lifecycle("install")
            def installed(ctx, event):
                ctx.discord.send_message("902", content=f"{ctx.plugin_id} install {event['version']}")

            @plugin.on_lifecycle("upgrade")
            def upgraded(ctx, event):
                ctx.discord.send_message("902", content=f"{ctx.plugin_id} upgrade {event['from_version']}->{event['to_version']}")

            @plugin.on_lifecycle("uninstall")
            def uninstalled(ctx, event):
                ctx.discord.send_message("902", content=f"{ctx.plugin_id} uninstall {event['version']}")
            """;
        await PublishAsync(id, Zip(id, "1.0.0", code, "messages:send"));
        await PublishAsync(id, Zip(id, "1.1.0", code, "messages:send"));
        _discord.AddChannel("902", guild);
        Task<FakeDiscordCall> Said(string text) =>
            _discord.WaitForCallAsync(c => c.Route == FakeDiscord.Routes.MessageCreate && c.Body?["content"]?.GetValue<string>() == $"{id} {text}", Wait);

        var installed = await InstallAsync(guild, id, "1.0.0", "messages:send");
        await Said("install 1.0.0");
        var upgraded = await InstallAsync(guild, id, "^1.0", "messages:send");
        await Said("upgrade 1.0.0->1.1.0");
        var removed = await _http.DeleteAsync($"/api/admin/guilds/{guild}/plugins/{id}");
        await Said("uninstall 1.1.0");

        Assert.True(installed["lifecycle_hook"]!.GetValue<bool>());
        Assert.True(upgraded["lifecycle_hook"]!.GetValue<bool>());
        Assert.True(JsonNode.Parse(await removed.Content.ReadAsStringAsync())!["lifecycle_hook"]!.GetValue<bool>());
        Assert.Equal(3, _discord.CallsTo(FakeDiscord.Routes.MessageCreate).Count(c => c.Body?["content"]?.GetValue<string>()?.StartsWith(id + " ") == true));
    }

    [Fact]
    public async Task CustomEvents_TwoPluginsEmitToEachOtherAsFastAsTheyCan_WorkStaysWithinTheChainBudget()
    {
        var guild = EventPlugins.NewGuild();
        var (ping, pong) = (NewId(), NewId());
        // Each answers the other's ball with as many balls as it is allowed; ping serves on a message, pong shouts
        // into the void (an event nobody listens to) as often as it can.
        string Player(string other, string onMessage) => $$"""
            def volley(ctx):
                for n in range(100):
                    try:
                        ctx.emit(ctx.plugin_id + ".ball", {"n": n})
                    except PluginError as error:
                        ctx.log(f"stopped after {n}: {error.message}")
                        return

            def shout(ctx):
                for n in range(100):
                    try:
                        ctx.emit(ctx.plugin_id + ".shout", {"n": n})
                    except PluginError as error:
                        ctx.log(f"stopped after {n}: {error.message}")
                        return

            @plugin.on_event("message_create")
            def on_message(ctx, event):
                {{onMessage}}(ctx)

            @plugin.on_event("{{other}}.ball")
            def on_ball(ctx, event):
                volley(ctx)
            """;
        await PublishAsync(ping, Zip(ping, "1.0.0", Player(pong, "volley"), "events:emit"));
        await PublishAsync(pong, Zip(pong, "1.0.0", Player(ping, "shout"), "events:emit"));
        await InstallAsync(guild, ping, "^1.0", "events:emit");
        await InstallAsync(guild, pong, "^1.0", "events:emit");

        await PostEventAsync(guild, "message_create", EventsEndpointTests.MessageCreate("serve"));

        // Wait until the rally is over: nothing new enqueued for a while (or, unbounded, far past the budget).
        List<EventWork> Emitted() => _enqueued.EventsFor(guild).Where(w => w.SourcePluginId is not null).ToList();
        var deadline = DateTime.UtcNow + TimeSpan.FromMinutes(3);
        var (count, quietSince) = (-1, DateTime.UtcNow);
        while (DateTime.UtcNow < deadline && Emitted().Count <= CustomEvents.ChainBudget)
        {
            var now = Emitted().Count;
            if (now != count)
            {
                (count, quietSince) = (now, DateTime.UtcNow);
            }
            else if (count > 0 && DateTime.UtcNow - quietSince > TimeSpan.FromSeconds(8))
            {
                break;
            }
            await Task.Delay(250);
        }

        var emitted = Emitted();
        Assert.InRange(emitted.Sum(w => w.Targets.Count), CustomEvents.MaxDepth, CustomEvents.ChainBudget);
        Assert.InRange(emitted.Count, CustomEvents.MaxDepth, CustomEvents.ChainBudget);
        Assert.Equal(CustomEvents.MaxDepth, emitted.Max(w => w.Depth));
        var pingLog = await WaitForLogAsync(ping, guild, e => e.Level == "warning" && e.Message.Contains("has spent its budget"));
        Assert.Contains(pingLog, e => e.Message.StartsWith("stopped after ", StringComparison.Ordinal) && e.Message.Contains($"spent its budget of {CustomEvents.ChainBudget} deliveries"));
        var pongLog = await WaitForLogAsync(pong, guild, e => e.Message.StartsWith($"stopped after {CustomEvents.MaxEmitsPerInvocation}: ", StringComparison.Ordinal));
        Assert.Contains(pongLog, e => e.Level == "warning" && e.Message.Contains($"has already emitted {CustomEvents.MaxEmitsPerInvocation} events"));
    }
}
