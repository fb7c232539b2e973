using System.Text.Json.Nodes;
using Microsoft.Extensions.Logging.Abstractions;
using Serverless.Platform.Discord;
using Serverless.Platform.Installs;
using Serverless.Platform.Interactions;
using Serverless.Platform.Invocations;
using Serverless.Platform.Packages;
using Serverless.Tests.Discord;
using Serverless.Tests.Infrastructure;

namespace Serverless.Tests.Interactions;

/// <summary>The plugin's side of the deadline protocol on real Azurite and a fake Discord.</summary>
public sealed class InteractionSessionTests(Azurite azurite) : IAsyncLifetime
{
    private FakeDiscord _discord = null!;

    public async ValueTask InitializeAsync() => _discord = await FakeDiscord.StartAsync();

    public async ValueTask DisposeAsync() => await _discord.DisposeAsync();

    private async Task<(InteractionSession Session, PluginInvocation Invocation, PluginLogs Logs, string Token)> SessionAsync(TimeSpan age, params string[] capabilities)
    {
        var tables = azurite.Tables;
        await tables.GetTableClient(InteractionLedger.TableName).CreateIfNotExistsAsync();
        await tables.GetTableClient(PluginLogs.TableName).CreateIfNotExistsAsync();
        var discord = new DiscordRestClient(new HttpClient(), new DiscordOptions { BaseUrl = new Uri(_discord.BaseUrl), BotToken = FakeDiscord.BotToken, ApplicationId = FakeDiscord.ApplicationId });
        var install = new PluginInstall("g1", "p_" + Guid.NewGuid().ToString("N")[..8], "i1", "*", PluginVersion.Parse("1.0.0"), capabilities, DateTimeOffset.UtcNow, DateTimeOffset.UtcNow);
        var @event = new JsonObject { ["channel_id"] = "777" };
        var customIds = await CustomIdsTests.OnAzuriteAsync(azurite);
        var route = new RoutedInteraction(install, new PluginManifest { Id = install.PluginId, Version = install.Version }, await customIds.ForPluginAsync(install.PluginId, CancellationToken.None), PluginInvocation.SlashCommand, "greet", @event);
        var token = "tok-" + Guid.NewGuid().ToString("N");
        var reference = new InteractionRef(Random.Shared.NextInt64(1, long.MaxValue).ToString(), FakeDiscord.ApplicationId, token);
        var logs = new PluginLogs(tables, TimeProvider.System);
        var ledger = new InteractionLedger(tables);
        var blobs = azurite.Blobs;
        var catalog = new PluginCatalog(tables, blobs);
        var files = new PluginFiles(catalog, new PackageValidator(), new Microsoft.Extensions.Configuration.ConfigurationBuilder().Build());
        var customEvents = new Serverless.Platform.Events.CustomEvents(new Serverless.Platform.Events.EventListeners(new InstallStore(tables, TimeProvider.System), catalog, files), new Events.RecordingWorkQueue(), logs);
        var session = new InteractionSession(route, reference, DateTimeOffset.UtcNow - age, ledger, discord, new DiscordActions(discord, new ChannelGuilds(discord, TimeProvider.System), logs, customIds), customEvents, logs, TimeProvider.System);
        return (session, new PluginInvocation("inv", PluginInvocation.SlashCommand, "greet", @event, install.ToContext()), logs, token);
    }

    [Fact]
    public async Task Followup_TokenExpiredWithMessagesSend_FallsBackToChannelMessage()
    {
        var (session, invocation, _, _) = await SessionAsync(TimeSpan.FromMinutes(16), "interaction:respond", "messages:send");

        await session.TryHandleAsync(invocation, "interaction.followup", new JsonObject { ["content"] = "late news" }, CancellationToken.None);

        var call = Assert.Single(_discord.CallsTo(FakeDiscord.Routes.MessageCreate));
        Assert.Contains("/channels/777/messages", call.RawPath);
        Assert.Equal("late news", call.Body!["content"]!.GetValue<string>());
        Assert.Empty(_discord.CallsTo(FakeDiscord.Routes.FollowupCreate));
    }

    [Fact]
    public async Task Followup_TokenExpiredWithoutMessagesSend_LoggedAsExpired()
    {
        var (session, invocation, logs, _) = await SessionAsync(TimeSpan.FromMinutes(16), "interaction:respond");

        await session.TryHandleAsync(invocation, "interaction.followup", new JsonObject { ["content"] = "late news" }, CancellationToken.None);

        Assert.Empty(_discord.Calls);
        Assert.Contains(await logs.ReadAsync(invocation.Install.PluginId, "g1", 10, CancellationToken.None), e => e.Message.Contains("expired"));
    }

    [Fact]
    public async Task Respond_Twice_FirstIsTheInitialResponseSecondAFollowup()
    {
        var (session, invocation, _, token) = await SessionAsync(TimeSpan.Zero, "interaction:respond");

        await session.TryHandleAsync(invocation, "interaction.respond", new JsonObject { ["content"] = "one" }, CancellationToken.None);
        await session.TryHandleAsync(invocation, "interaction.respond", new JsonObject { ["content"] = "two" }, CancellationToken.None);

        Assert.Equal("one", Assert.Single(_discord.CallsTo(FakeDiscord.Routes.InteractionCallback)).Body!["data"]!["content"]!.GetValue<string>());
        Assert.Equal("two", Assert.Single(_discord.CallsTo(FakeDiscord.Routes.FollowupCreate), c => c.RawPath.Contains(token)).Body!["content"]!.GetValue<string>());
    }
}
