using System.Net;
using System.Text.Json.Nodes;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.TestHost;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Serverless.Functions.Discord;
using Serverless.Platform.Discord;
using Serverless.LocalHost;
using Serverless.Tests.Infrastructure;

namespace Serverless.Tests.Discord;

/// <summary>Without a bot token the client talks to the in-process recorder: no network, plausible answers.</summary>
public sealed class DiscordRecorderTests
{
    private const string AdminKey = "test-admin-key-7f3a";

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    /// <summary>The base URL points at a closed loopback port: any call that reached the network would fail.</summary>
    private static ServiceProvider RecorderServices(Dictionary<string, string?>? extra = null)
    {
        var settings = new Dictionary<string, string?> { ["DISCORD_API_BASE_URL"] = $"http://127.0.0.1:{FreePorts.Next()}/api/v10" };
        foreach (var (key, value) in extra ?? [])
        {
            settings[key] = value;
        }
        var configuration = new ConfigurationBuilder().AddInMemoryCollection(settings).Build();
        return new ServiceCollection().AddLogging().AddDiscord(configuration).BuildServiceProvider();
    }

    private static InteractionRef NewInteraction() => new(FakeDiscord.NextSnowflake(DateTimeOffset.UtcNow), "0", "tok" + Guid.NewGuid().ToString("N"));

    [Fact]
    public async Task AddDiscord_NoBotToken_EveryRouteAnsweredAndRecordedWithoutNetwork()
    {
        await using var services = RecorderServices();
        var client = services.GetRequiredService<DiscordRestClient>();
        var recorder = services.GetRequiredService<DiscordRecorder>();
        var since = DateTimeOffset.UtcNow.AddSeconds(-1);
        var interaction = NewInteraction();

        await client.CreateInteractionResponseAsync(interaction, InteractionCallback.DeferredMessage(ephemeral: true), Ct);
        var original = await client.EditOriginalResponseAsync(interaction, new JsonObject { ["content"] = "done" }, Ct);
        var followup = await client.CreateFollowupMessageAsync(interaction, new JsonObject { ["content"] = "more" }, Ct);
        var edited = await client.EditFollowupMessageAsync(interaction, followup.Id, new JsonObject { ["content"] = "more!" }, Ct);
        await client.DeleteFollowupMessageAsync(interaction, followup.Id, Ct);
        await client.DeleteOriginalResponseAsync(interaction, Ct);
        var posted = await client.CreateMessageAsync("777", new JsonObject { ["content"] = "channel" }, Ct);
        await client.AddReactionAsync("777", posted.Id, "👍", Ct);
        await client.RemoveOwnReactionAsync("777", posted.Id, "👍", Ct);
        await client.AddMemberRoleAsync("888", "1", "2", cancellationToken: Ct);
        await client.RemoveMemberRoleAsync("888", "1", "2", cancellationToken: Ct);
        var written = await client.BulkOverwriteGuildCommandsAsync("888", [new JsonObject { ["name"] = "greet", ["description"] = "hi" }], Ct);
        var read = await client.GetGuildCommandsAsync("888", Ct);

        Assert.NotEqual(followup.Id, original.Id);
        Assert.Equal(followup.Id, edited.Id);
        Assert.Equal("777", posted.ChannelId);
        Assert.True(ulong.Parse(posted.Id) > 1UL << 22);
        Assert.Equal(written.Single().Id, read.Single().Id);
        Assert.Equal("greet", read.Single().Name);

        var calls = recorder.Since(since);
        Assert.Equal(
            [
                "POST /interactions/{interaction_id}/{token}/callback",
                "PATCH /webhooks/{application_id}/{token}/messages/@original",
                "POST /webhooks/{application_id}/{token}",
                "PATCH /webhooks/{application_id}/{token}/messages/{message_id}",
                "DELETE /webhooks/{application_id}/{token}/messages/{message_id}",
                "DELETE /webhooks/{application_id}/{token}/messages/@original",
                "POST /channels/{channel_id}/messages",
                "PUT /channels/{channel_id}/messages/{message_id}/reactions/{emoji}/@me",
                "DELETE /channels/{channel_id}/messages/{message_id}/reactions/{emoji}/@me",
                "PUT /guilds/{guild_id}/members/{user_id}/roles/{role_id}",
                "DELETE /guilds/{guild_id}/members/{user_id}/roles/{role_id}",
                "PUT /applications/{application_id}/guilds/{guild_id}/commands",
                "GET /applications/{application_id}/guilds/{guild_id}/commands",
            ],
            calls.Select(c => $"{c.Method} {c.Route}"));
        Assert.Equal([204, 200, 200, 200, 204, 204, 200, 204, 204, 204, 204, 200, 200], calls.Select(c => c.Status));
        Assert.Equal(MessageFlags.Ephemeral, calls[0].Body!["data"]!["flags"]!.GetValue<int>());
        Assert.Equal("more", calls[2].Body!["content"]!.GetValue<string>());
        Assert.Equal($"/channels/777/messages/{posted.Id}/reactions/%F0%9F%91%8D/@me", calls[7].Path);
        Assert.Equal(interaction.Id, calls[0].InteractionId);
        Assert.All(calls.Take(6), c => Assert.Equal(interaction.Token, c.InteractionToken));
    }

    [Fact]
    public async Task Recorder_SecondInitialResponse_RefusedLikeDiscord()
    {
        await using var services = RecorderServices();
        var client = services.GetRequiredService<DiscordRestClient>();
        var interaction = NewInteraction();
        await client.CreateInteractionResponseAsync(interaction, InteractionCallback.Pong(), Ct);

        var error = await Assert.ThrowsAsync<DiscordApiException>(() => client.CreateInteractionResponseAsync(interaction, InteractionCallback.Pong(), Ct));

        Assert.Equal((400, 40060), (error.Status, error.Code));
    }

    [Fact]
    public async Task ForInteraction_ById_IncludesWebhookCallsOfItsToken()
    {
        await using var services = RecorderServices();
        var client = services.GetRequiredService<DiscordRestClient>();
        var recorder = services.GetRequiredService<DiscordRecorder>();
        var mine = NewInteraction();
        var other = NewInteraction();
        await client.CreateInteractionResponseAsync(mine, InteractionCallback.DeferredMessage(), Ct);
        await client.CreateFollowupMessageAsync(other, new JsonObject { ["content"] = "not mine" }, Ct);
        await client.CreateFollowupMessageAsync(mine, new JsonObject { ["content"] = "mine" }, Ct);

        var byId = recorder.ForInteraction(mine.Id, DateTimeOffset.MinValue);
        var byToken = recorder.ForInteraction(mine.Token, DateTimeOffset.MinValue);

        Assert.Equal(2, byId.Count);
        Assert.Equal("mine", byId[1].Body!["content"]!.GetValue<string>());
        Assert.Equal(byId, byToken);
    }

    [Fact]
    public async Task Recorder_ManyCalls_KeepsOnlyTheNewest()
    {
        await using var services = RecorderServices();
        var client = services.GetRequiredService<DiscordRestClient>();
        var recorder = services.GetRequiredService<DiscordRecorder>();

        for (var i = 0; i < DiscordRecorder.Capacity + 10; i++)
        {
            await client.AddReactionAsync("1", i.ToString(), "👍", Ct);
        }

        var calls = recorder.Since(DateTimeOffset.MinValue);
        Assert.Equal(DiscordRecorder.Capacity, calls.Count);
        Assert.EndsWith($"/messages/{DiscordRecorder.Capacity + 9}/reactions/%F0%9F%91%8D/@me", calls[^1].Path);
        Assert.Contains("/messages/10/", calls[0].Path);
    }

    [Fact]
    public async Task AddDiscord_WithBotToken_DoesNotRecord()
    {
        await using var discord = await FakeDiscord.StartAsync(Ct);
        await using var services = RecorderServices(new() { ["DISCORD_API_BASE_URL"] = discord.BaseUrl, ["DISCORD_BOT_TOKEN"] = FakeDiscord.BotToken });

        await services.GetRequiredService<DiscordRestClient>().CreateMessageAsync("1", new JsonObject { ["content"] = "real" }, Ct);

        Assert.Empty(services.GetRequiredService<DiscordRecorder>().Since(DateTimeOffset.MinValue));
        Assert.Single(discord.Calls);
    }

    // ---- GET /api/admin/discord/recorded ----

    private static async Task<WebApplication> StartAppAsync(Dictionary<string, string?> settings)
    {
        var builder = TestApp.CreateSlimBuilder(settings);
        builder.WebHost.UseTestServer();
        builder.Logging.ClearProviders();
        builder.Services.AddDiscord(builder.Configuration);
        var app = builder.Build();
        app.MapHttpFunctions([typeof(DiscordRecorderFunction)]);
        await app.StartAsync(Ct);
        return app;
    }

    private static Dictionary<string, string?> LocalSettings() => new()
    {
        ["ADMIN_API_KEY"] = AdminKey,
        ["DISCORD_API_BASE_URL"] = $"http://127.0.0.1:{FreePorts.Next()}/api/v10",
    };

    private static async Task<(HttpStatusCode Status, JsonNode? Body)> GetAsync(WebApplication app, string url, string? key)
    {
        using var request = new HttpRequestMessage(HttpMethod.Get, url);
        if (key is not null)
        {
            request.Headers.Add(Serverless.Platform.Admin.AdminKey.HeaderName, key);
        }
        using var response = await app.GetTestClient().SendAsync(request, Ct);
        var text = await response.Content.ReadAsStringAsync(Ct);
        return (response.StatusCode, text.Length == 0 ? null : JsonNode.Parse(text));
    }

    [Fact]
    public async Task RecordedEndpoint_AdminKey_ListsCallsOfOneInteraction()
    {
        await using var app = await StartAppAsync(LocalSettings());
        var client = app.Services.GetRequiredService<DiscordRestClient>();
        var mine = NewInteraction();
        var before = DateTimeOffset.UtcNow.AddSeconds(-1);
        await client.CreateFollowupMessageAsync(NewInteraction(), new JsonObject { ["content"] = "other" }, Ct);
        await client.CreateInteractionResponseAsync(mine, InteractionCallback.DeferredMessage(), Ct);
        await client.EditOriginalResponseAsync(mine, new JsonObject { ["content"] = "answer" }, Ct);

        var (status, body) = await GetAsync(app, $"/api/admin/discord/recorded?since={before.ToUnixTimeMilliseconds()}&interaction={mine.Id}", AdminKey);
        var (_, all) = await GetAsync(app, $"/api/admin/discord/recorded?since={Uri.EscapeDataString(before.ToString("O"))}", AdminKey);
        var (_, none) = await GetAsync(app, $"/api/admin/discord/recorded?since={Uri.EscapeDataString(DateTimeOffset.UtcNow.AddMinutes(1).ToString("O"))}", AdminKey);

        Assert.Equal(HttpStatusCode.OK, status);
        var calls = body!.AsArray();
        Assert.Equal(2, calls.Count);
        Assert.Equal("/interactions/{interaction_id}/{token}/callback", calls[0]!["route"]!.GetValue<string>());
        Assert.Equal(mine.Id, calls[0]!["interaction_id"]!.GetValue<string>());
        Assert.Equal("answer", calls[1]!["body"]!["content"]!.GetValue<string>());
        Assert.Equal(200, calls[1]!["status"]!.GetValue<int>());
        Assert.NotNull(calls[1]!["response"]!["id"]);
        Assert.Equal(3, all!.AsArray().Count);
        Assert.Empty(none!.AsArray());
    }

    [Theory]
    [InlineData(null)]
    [InlineData("")]
    [InlineData("wrong")]
    [InlineData(AdminKey + "x")]
    [InlineData("test-admin-key-7f3")]
    public async Task RecordedEndpoint_MissingOrWrongKey_Unauthorized(string? key)
    {
        await using var app = await StartAppAsync(LocalSettings());

        var (status, _) = await GetAsync(app, "/api/admin/discord/recorded", key);

        Assert.Equal(HttpStatusCode.Unauthorized, status);
    }

    [Fact]
    public async Task RecordedEndpoint_NoAdminKeyConfigured_Refused()
    {
        var settings = LocalSettings();
        settings.Remove("ADMIN_API_KEY");
        await using var app = await StartAppAsync(settings);

        var (status, body) = await GetAsync(app, "/api/admin/discord/recorded", "anything");

        Assert.Equal(HttpStatusCode.ServiceUnavailable, status);
        Assert.Contains("ADMIN_API_KEY", body!["error"]!.GetValue<string>());
    }

    [Fact]
    public async Task RecordedEndpoint_BadSince_BadRequest()
    {
        await using var app = await StartAppAsync(LocalSettings());

        var (status, _) = await GetAsync(app, "/api/admin/discord/recorded?since=yesterday-ish", AdminKey);

        Assert.Equal(HttpStatusCode.BadRequest, status);
    }

    [Fact]
    public async Task RecordedEndpoint_BotTokenSet_NotFoundWithReason()
    {
        var settings = LocalSettings();
        settings["DISCORD_BOT_TOKEN"] = "real-token";
        await using var app = await StartAppAsync(settings);

        var (status, body) = await GetAsync(app, "/api/admin/discord/recorded", AdminKey);

        Assert.Equal(HttpStatusCode.NotFound, status);
        Assert.Contains("DISCORD_BOT_TOKEN", body!["error"]!.GetValue<string>());
    }

    [Fact]
    public async Task GetChannel_ChannelLearnedFromAnInteraction_AnsweredInDiscordsShapeOthersUnknown()
    {
        await using var services = RecorderServices();
        var client = services.GetRequiredService<DiscordRestClient>();
        services.GetRequiredService<ChannelGuilds>().Learn("700", "1");

        var known = await client.GetChannelAsync("700", Ct);
        var unknown = await Assert.ThrowsAsync<DiscordApiException>(() => client.GetChannelAsync("701", Ct));

        Assert.Equal(new DiscordChannel("700", 0, "1"), known);
        Assert.Equal(404, unknown.Status);
        Assert.Equal(DiscordErrorCodes.UnknownChannel, unknown.Code);
        var calls = services.GetRequiredService<DiscordRecorder>().Since(DateTimeOffset.MinValue);
        Assert.Equal(["/channels/{channel_id}", "/channels/{channel_id}"], calls.Select(c => c.Route));
        Assert.Equal("1", calls[0].Response!["guild_id"]!.GetValue<string>());
        Assert.Equal("Unknown Channel", calls[1].Response!["message"]!.GetValue<string>());
    }

    [Theory]
    [InlineData("key", "key", true)]
    [InlineData("key", "KEY", false)]
    [InlineData("", "key", false)]
    [InlineData("ke", "key", false)]
    public void KeysMatch_Compares(string presented, string expected, bool match) =>
        Assert.Equal(match, Serverless.Platform.Admin.AdminKey.KeysMatch(presented, expected));
}
