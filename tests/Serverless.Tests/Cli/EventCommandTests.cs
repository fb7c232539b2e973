using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Mvc.Testing;
using Microsoft.Extensions.Logging.Abstractions;
using Serverless.Cli;
using Serverless.Platform.Events;
using Serverless.Platform.Hosting;
using Serverless.Tests.Events;
using Serverless.Tests.Infrastructure;

namespace Serverless.Tests.Cli;

/// <summary><c>local/plugin event</c> against the real app listening on a loopback port, its queue recording.</summary>
public sealed class EventCommandTests(Azurite azurite) : IAsyncLifetime
{
    private const string Secret = "cli-events-secret-0123456789";

    private readonly CliRun _cli = new();
    private readonly RecordingWorkQueue _queue = new();
    private WebApplicationFactory<Program> _app = null!;
    private EventPlugins _plugins = null!;
    private string _cacheDir = null!;

    public async ValueTask InitializeAsync()
    {
        var blobs = azurite.Blobs;
        var tables = azurite.Tables;
        await new StorageLayout(blobs, azurite.Queues, tables, NullLogger<StorageLayout>.Instance).EnsureAsync(CancellationToken.None);
        _plugins = new EventPlugins(tables, blobs);
        _cacheDir = Directory.CreateTempSubdirectory("cli-events-cache-").FullName;
        var port = FreePorts.Next();
        _app = new TestApp().WithWebHostBuilder(b =>
        {
            b.UseSetting("AzureWebJobsStorage", azurite.ConnectionString);
            b.UseSetting("LOCAL_TRIGGERS", "off");
            b.UseSetting("SANDBOX_PLATFORM_NAME", "cli-events-" + Guid.NewGuid().ToString("N")[..8]);
            b.UseSetting("PLUGIN_CACHE_DIR", _cacheDir);
            b.UseSetting(EventsOptions.SecretSetting, Secret);
            b.WithRecordingQueue(_queue);
        });
        _app.UseKestrel(options => options.Listen(System.Net.IPAddress.Loopback, port));
        _app.StartServer();
        _cli.Variables["APP_PORT"] = port.ToString();
        // No local.settings.json and no dev secrets: only what a test sets.
        _cli.Variables["LOCAL_STATE_DIR"] = _cli.PathOf("state");
    }

    public async ValueTask DisposeAsync()
    {
        await _app.DisposeAsync();
        _cli.Dispose();
        Directory.Delete(_cacheDir, recursive: true);
    }

    [Fact]
    public async Task Event_MessageCreateWithContent_SignedPostedAndFannedOut()
    {
        var guild = EventPlugins.NewGuild();
        var plugin = EventPlugins.NewId();
        await _plugins.PublishAsync(plugin, "1.0.0", new Dictionary<string, int?> { ["message_create"] = null }, capabilities: ["messages:read_content"]);
        await _plugins.InstallAsync(guild, plugin, "1.0.0", null, "messages:read_content");
        _cli.Variables[EventsOptions.SecretSetting] = Secret;

        var human = await _cli.RunAsync("event", "message_create", "--guild", guild, "--content", "hi", "--channel-id", "700");
        var json = await _cli.RunAsync("event", "message_create", "--guild", guild, "--content", "again", "--json");

        Assert.True(human.ExitCode == ExitCodes.Ok, human.ToString());
        Assert.Contains("fanned out to 1 install", human.Out);
        Assert.Equal(ExitCodes.Ok, json.ExitCode);
        Assert.Equal(1, json.Json["fanned_out"]!.GetValue<int>());
        var items = _queue.EventsFor(guild);
        Assert.Equal(["again", "hi"], items.Select(i => i.Payload["content"]!.GetValue<string>()).Order());
        var first = items.Single(i => i.Payload["content"]!.GetValue<string>() == "hi");
        Assert.Equal("700", first.Payload["channel_id"]!.GetValue<string>());
        Assert.Equal(["message_id", "channel_id", "author_id", "author_bot", "content", "timestamp"], first.Payload.Select(p => p.Key));
    }

    [Fact]
    public async Task Event_NoInstallListens_SaysWhy()
    {
        var (empty, busy) = (EventPlugins.NewGuild(), EventPlugins.NewGuild());
        var plugin = EventPlugins.NewId();
        await _plugins.PublishAsync(plugin, "1.0.0", new Dictionary<string, int?> { ["message_create"] = null });
        await _plugins.InstallAsync(busy, plugin, "1.0.0");
        _cli.Variables[EventsOptions.SecretSetting] = Secret;

        var nobody = await _cli.RunAsync("event", "member_join", "--guild", empty);
        var deaf = await _cli.RunAsync("event", "member_join", "--guild", busy);
        var json = await _cli.RunAsync("event", "member_join", "--guild", busy, "--json");

        Assert.True(nobody.ExitCode == ExitCodes.Ok, nobody.ToString());
        Assert.Contains($"fanned out to 0 installs: no plugin is installed in guild {empty}", nobody.Out);
        Assert.Contains($"fanned out to 0 installs: none of the 1 plugin installed in guild {busy} listens to member_join", deaf.Out);
        Assert.Contains("@plugin.on_event(\"member_join\")", deaf.Out);
        Assert.StartsWith("none of the 1 plugin", json.Json["reason"]!.GetValue<string>());
    }

    [Fact]
    public async Task Event_DevSecretFromLocalUp_IsUsed()
    {
        Directory.CreateDirectory(_cli.PathOf("state"));
        await File.WriteAllTextAsync(_cli.PathOf("state/dev-secrets.env"), $"DEV_ADMIN_API_KEY=x\nDEV_EVENTS_SHARED_SECRET={Secret}\n", TestContext.Current.CancellationToken);

        var result = await _cli.RunAsync("event", "channel_create", "--guild", EventPlugins.NewGuild(), "--name", "lobby", "--json");

        Assert.True(result.ExitCode == ExitCodes.Ok, result.ToString());
        Assert.Equal("lobby", result.Json["event"]!["payload"]!["name"]!.GetValue<string>());
        Assert.Equal(0, result.Json["fanned_out"]!.GetValue<int>());
    }

    [Fact]
    public async Task Event_WrongSecret_Exit1SayingSo()
    {
        _cli.Variables[EventsOptions.SecretSetting] = "not-the-apps-secret-at-all";

        var result = await _cli.RunAsync("event", "member_join", "--guild", EventPlugins.NewGuild());

        Assert.Equal(ExitCodes.Failed, result.ExitCode);
        Assert.Contains("401", result.Error);
        Assert.Contains(EventsOptions.SecretSetting, result.Error);
    }

    [Fact]
    public async Task Event_NoSecretAnywhere_Exit2()
    {
        var result = await _cli.RunAsync("event", "member_join", "--guild", "1", "--json");

        Assert.Equal(ExitCodes.Usage, result.ExitCode);
        Assert.Contains(EventsOptions.SecretSetting, result.Json["message"]!.GetValue<string>());
    }

    [Fact]
    public async Task Event_UnknownEventOrForeignField_Exit2()
    {
        _cli.Variables[EventsOptions.SecretSetting] = Secret;

        var unknown = await _cli.RunAsync("event", "message_created", "--guild", "1");
        var foreign = await _cli.RunAsync("event", "member_join", "--guild", "1", "--content", "x");

        Assert.Equal(ExitCodes.Usage, unknown.ExitCode);
        Assert.Contains("message_create", unknown.Error);
        Assert.Equal(ExitCodes.Usage, foreign.ExitCode);
        Assert.Contains("--content", foreign.Error);
    }

    [Fact]
    public async Task Event_Help_ListsFieldsAndExample()
    {
        var help = await _cli.RunAsync("event", "--help");

        Assert.Equal(ExitCodes.Ok, help.ExitCode);
        Assert.Contains("--content", help.Out);
        Assert.Contains("--guild", help.Out);
        Assert.Contains("local/plugin event message_create --guild 123 --content hi", help.Out);
    }
}
