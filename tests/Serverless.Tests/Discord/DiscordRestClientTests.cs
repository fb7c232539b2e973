using System.Text.Json.Nodes;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Serverless.Platform.Discord;
using Serverless.Tests.Infrastructure;

namespace Serverless.Tests.Discord;

/// <summary>Every route against the fake Discord: method, documented path, body and authentication.</summary>
public sealed class DiscordRestClientTests : IAsyncLifetime
{
    private const string Channel = "222000000000000001";
    private const string Guild = "333000000000000001";
    private FakeDiscord discord = null!;

    public async ValueTask InitializeAsync() => discord = await FakeDiscord.StartAsync(TestContext.Current.CancellationToken);

    public async ValueTask DisposeAsync() => await discord.DisposeAsync();

    private DiscordRestClient NewClient() => new(new HttpClient(), new DiscordOptions
    {
        BaseUrl = new Uri(discord.BaseUrl),
        BotToken = FakeDiscord.BotToken,
        ApplicationId = FakeDiscord.ApplicationId,
        ServerErrorBackoff = TimeSpan.FromMilliseconds(20),
    });

    private static InteractionRef NewInteraction() =>
        new(FakeDiscord.NextSnowflake(DateTimeOffset.UtcNow), FakeDiscord.ApplicationId, "aW50ZXJhY3Rpb246" + Guid.NewGuid().ToString("N"));

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    public static TheoryData<int> CallbackTypes => [1, 4, 5, 6, 7, 8, 9];

    [Theory]
    [MemberData(nameof(CallbackTypes))]
    public async Task CreateInteractionResponse_EachCallbackType_PostsDocumentedBodyWithoutBotToken(int type)
    {
        var interaction = NewInteraction();
        var callback = type switch
        {
            1 => InteractionCallback.Pong(),
            4 => InteractionCallback.Message(new JsonObject { ["content"] = "hi" }),
            5 => InteractionCallback.DeferredMessage(ephemeral: true),
            6 => InteractionCallback.DeferredUpdate(),
            7 => InteractionCallback.UpdateMessage(new JsonObject { ["content"] = "updated" }),
            8 => InteractionCallback.AutocompleteResult(new JsonArray(new JsonObject { ["name"] = "One", ["value"] = "1" })),
            9 => InteractionCallback.Modal(new JsonObject { ["custom_id"] = "feedback", ["title"] = "Feedback", ["components"] = new JsonArray() }),
            _ => throw new ArgumentOutOfRangeException(nameof(type)),
        };

        await NewClient().CreateInteractionResponseAsync(interaction, callback, Ct);

        var call = Assert.Single(discord.Calls);
        Assert.Equal(FakeDiscord.Routes.InteractionCallback, call.Route);
        Assert.Equal($"/api/v10/interactions/{interaction.Id}/{interaction.Token}/callback", call.RawPath);
        Assert.Equal(204, call.Status);
        Assert.Null(call.Authorization);
        Assert.StartsWith("application/json", call.ContentType);
        Assert.Equal(type, call.Body!["type"]!.GetValue<int>());
        switch (type)
        {
            case 4:
                Assert.Equal("hi", call.Body["data"]!["content"]!.GetValue<string>());
                break;
            case 5:
                Assert.Equal(MessageFlags.Ephemeral, call.Body["data"]!["flags"]!.GetValue<int>());
                break;
            case 8:
                Assert.Equal("One", call.Body["data"]!["choices"]![0]!["name"]!.GetValue<string>());
                break;
            case 9:
                Assert.Equal("feedback", call.Body["data"]!["custom_id"]!.GetValue<string>());
                Assert.Null(call.Body["data"]!["allowed_mentions"]);
                break;
            case 1 or 6:
                Assert.Null(call.Body["data"]);
                break;
        }
    }

    [Fact]
    public async Task CreateInteractionResponse_SecondTime_ThrowsAlreadyAcknowledged()
    {
        var client = NewClient();
        var interaction = NewInteraction();
        await client.CreateInteractionResponseAsync(interaction, InteractionCallback.DeferredMessage(), Ct);

        var error = await Assert.ThrowsAsync<DiscordApiException>(() => client.CreateInteractionResponseAsync(interaction, InteractionCallback.DeferredMessage(), Ct));

        Assert.Equal(400, error.Status);
        Assert.Equal(40060, error.Code);
    }

    [Fact]
    public async Task EditOriginalResponse_AfterDeferral_PatchesOriginalAndReturnsMessage()
    {
        var client = NewClient();
        var interaction = NewInteraction();
        await client.CreateInteractionResponseAsync(interaction, InteractionCallback.DeferredMessage(), Ct);

        var message = await client.EditOriginalResponseAsync(interaction, new JsonObject { ["content"] = "done" }, Ct);

        var call = discord.CallsTo(FakeDiscord.Routes.OriginalEdit).Single();
        Assert.Equal("PATCH", call.Method);
        Assert.Equal($"/api/v10/webhooks/{FakeDiscord.ApplicationId}/{interaction.Token}/messages/@original", call.RawPath);
        Assert.Null(call.Authorization);
        Assert.Equal("done", call.Body!["content"]!.GetValue<string>());
        Assert.Equal(discord.Message(interaction.Token)!["id"]!.GetValue<string>(), message.Id);
        Assert.Equal("done", discord.Message(interaction.Token)!["content"]!.GetValue<string>());
    }

    [Fact]
    public async Task DeleteOriginalResponse_Existing_SendsDelete()
    {
        var client = NewClient();
        var interaction = NewInteraction();
        await client.CreateInteractionResponseAsync(interaction, InteractionCallback.Message(new JsonObject { ["content"] = "x" }), Ct);

        await client.DeleteOriginalResponseAsync(interaction, Ct);

        var call = discord.CallsTo(FakeDiscord.Routes.OriginalDelete).Single();
        Assert.Equal($"/api/v10/webhooks/{FakeDiscord.ApplicationId}/{interaction.Token}/messages/@original", call.RawPath);
        Assert.Equal(204, call.Status);
        Assert.Null(discord.Message(interaction.Token));
    }

    [Fact]
    public async Task Followups_CreateEditDelete_UseWebhookRoutesWithoutBotToken()
    {
        var client = NewClient();
        var interaction = NewInteraction();

        var created = await client.CreateFollowupMessageAsync(interaction, new JsonObject { ["content"] = "one", ["flags"] = MessageFlags.Ephemeral }, Ct);
        var edited = await client.EditFollowupMessageAsync(interaction, created.Id, new JsonObject { ["content"] = "two" }, Ct);
        await client.DeleteFollowupMessageAsync(interaction, created.Id, Ct);

        var calls = discord.Calls;
        Assert.Equal([FakeDiscord.Routes.FollowupCreate, FakeDiscord.Routes.FollowupEdit, FakeDiscord.Routes.FollowupDelete], calls.Select(c => c.Route));
        Assert.Equal($"/api/v10/webhooks/{FakeDiscord.ApplicationId}/{interaction.Token}", calls[0].RawPath);
        Assert.Equal($"/api/v10/webhooks/{FakeDiscord.ApplicationId}/{interaction.Token}/messages/{created.Id}", calls[1].RawPath);
        Assert.Equal(calls[1].RawPath, calls[2].RawPath);
        Assert.All(calls, c => Assert.Null(c.Authorization));
        Assert.Equal(64, calls[0].Body!["flags"]!.GetValue<int>());
        Assert.NotEmpty(created.Id);
        Assert.Equal(created.Id, edited.Id);
        Assert.Null(discord.Message(created.Id));
    }

    [Fact]
    public async Task EditFollowupMessage_UnknownMessage_ThrowsUnknownMessage()
    {
        var error = await Assert.ThrowsAsync<DiscordApiException>(() =>
            NewClient().EditFollowupMessageAsync(NewInteraction(), "999", new JsonObject { ["content"] = "x" }, Ct));

        Assert.Equal(404, error.Status);
        Assert.Equal(10008, error.Code);
    }

    [Fact]
    public async Task CreateMessage_Channel_PostsWithBotTokenAndUserAgent()
    {
        var message = await NewClient().CreateMessageAsync(Channel, new JsonObject { ["content"] = "hello", ["embeds"] = new JsonArray(new JsonObject { ["title"] = "t" }) }, Ct);

        var call = Assert.Single(discord.Calls);
        Assert.Equal(FakeDiscord.Routes.MessageCreate, call.Route);
        Assert.Equal($"/api/v10/channels/{Channel}/messages", call.RawPath);
        Assert.Equal("Bot " + FakeDiscord.BotToken, call.Authorization);
        Assert.StartsWith("DiscordBot (", call.UserAgent);
        Assert.Equal("t", call.Body!["embeds"]![0]!["title"]!.GetValue<string>());
        Assert.Equal(Channel, message.ChannelId);
        Assert.Equal("hello", discord.Message(message.Id)!["content"]!.GetValue<string>());
    }

    [Fact]
    public async Task CreateMessage_NoAllowedMentions_DefaultsToUsersOnlyWithoutChangingCallersObject()
    {
        var payload = new JsonObject { ["content"] = "@everyone look" };

        await NewClient().CreateMessageAsync(Channel, payload, Ct);

        var sent = Assert.Single(discord.Calls).Body!["allowed_mentions"]!;
        Assert.Equal("""{"parse":["users"]}""", sent.ToJsonString());
        Assert.False(payload.ContainsKey("allowed_mentions"));
    }

    [Fact]
    public async Task CreateFollowupMessage_ExplicitAllowedMentions_SentAsGiven()
    {
        var mentions = new JsonObject { ["parse"] = new JsonArray(), ["users"] = new JsonArray("42") };

        await NewClient().CreateFollowupMessageAsync(NewInteraction(), new JsonObject { ["content"] = "<@42>", ["allowed_mentions"] = mentions }, Ct);

        Assert.Equal(mentions.ToJsonString(), Assert.Single(discord.Calls).Body!["allowed_mentions"]!.ToJsonString());
    }

    [Fact]
    public async Task CreateInteractionResponse_MessageWithoutAllowedMentions_GetsDefault()
    {
        await NewClient().CreateInteractionResponseAsync(NewInteraction(), InteractionCallback.Message(new JsonObject { ["content"] = "hi" }), Ct);

        Assert.Equal("""{"parse":["users"]}""", Assert.Single(discord.Calls).Body!["data"]!["allowed_mentions"]!.ToJsonString());
    }

    [Theory]
    [InlineData("👍", "%F0%9F%91%8D", "👍")]
    [InlineData("party:123456789012345678", "party%3A123456789012345678", "party:123456789012345678")]
    [InlineData("<:party:123456789012345678>", "party%3A123456789012345678", "party:123456789012345678")]
    [InlineData("<a:dance:123456789012345678>", "dance%3A123456789012345678", "dance:123456789012345678")]
    public async Task AddReaction_Emoji_UrlEncodedInPath(string emoji, string encoded, string decoded)
    {
        await NewClient().AddReactionAsync(Channel, "444", emoji, Ct);

        var call = Assert.Single(discord.Calls);
        Assert.Equal(FakeDiscord.Routes.ReactionAdd, call.Route);
        Assert.Equal($"/api/v10/channels/{Channel}/messages/444/reactions/{encoded}/@me", call.RawPath);
        Assert.Equal(decoded, call.Values["emoji"]);
        Assert.Equal("Bot " + FakeDiscord.BotToken, call.Authorization);
        Assert.Null(call.Body);
        Assert.Equal(204, call.Status);
    }

    [Fact]
    public async Task RemoveOwnReaction_UnicodeEmoji_SendsDelete()
    {
        await NewClient().RemoveOwnReactionAsync(Channel, "444", "✅", Ct);

        var call = Assert.Single(discord.Calls);
        Assert.Equal(FakeDiscord.Routes.ReactionRemove, call.Route);
        Assert.Equal($"/api/v10/channels/{Channel}/messages/444/reactions/%E2%9C%85/@me", call.RawPath);
    }

    [Fact]
    public async Task MemberRoles_AddAndRemove_UseGuildRouteWithAuditReason()
    {
        var client = NewClient();

        await client.AddMemberRoleAsync(Guild, "555", "666", "plugin greet: verified member", Ct);
        await client.RemoveMemberRoleAsync(Guild, "555", "666", cancellationToken: Ct);

        var calls = discord.Calls;
        Assert.Equal([FakeDiscord.Routes.RoleAdd, FakeDiscord.Routes.RoleRemove], calls.Select(c => c.Route));
        Assert.All(calls, c => Assert.Equal($"/api/v10/guilds/{Guild}/members/555/roles/666", c.RawPath));
        Assert.All(calls, c => Assert.Equal("Bot " + FakeDiscord.BotToken, c.Authorization));
        Assert.Equal("plugin greet: verified member", calls[0].AuditLogReason);
        Assert.Null(calls[1].AuditLogReason);
    }

    [Fact]
    public async Task GuildCommands_BulkOverwriteThenGet_RoundTripsWithIds()
    {
        var client = NewClient();
        var greet = new JsonObject
        {
            ["name"] = "greet",
            ["description"] = "Say hello",
            ["options"] = new JsonArray(new JsonObject { ["type"] = 6, ["name"] = "user", ["description"] = "who", ["required"] = true }),
        };

        var written = await client.BulkOverwriteGuildCommandsAsync(Guild, [greet, new JsonObject { ["name"] = "plugins", ["description"] = "List plugins" }], Ct);
        var read = await client.GetGuildCommandsAsync(Guild, Ct);

        var put = discord.CallsTo(FakeDiscord.Routes.CommandsPut).Single();
        Assert.Equal($"/api/v10/applications/{FakeDiscord.ApplicationId}/guilds/{Guild}/commands", put.RawPath);
        Assert.Equal("Bot " + FakeDiscord.BotToken, put.Authorization);
        Assert.Equal(2, put.Body!.AsArray().Count);
        Assert.Equal(["greet", "plugins"], written.Select(c => c.Name));
        Assert.All(written, c => Assert.NotEmpty(c.Id));
        Assert.Equal(written.Select(c => c.Id), read.Select(c => c.Id));
        Assert.Equal("user", read[0].Definition["options"]![0]!["name"]!.GetValue<string>());
        Assert.Equal(Guild, read[0].Definition["guild_id"]!.GetValue<string>());
        Assert.Equal("GET", discord.Calls[^1].Method);
        Assert.False(greet.ContainsKey("id"));
    }

    [Fact]
    public async Task GetGuildCommands_NoApplicationIdWithBotToken_Throws()
    {
        var client = new DiscordRestClient(new HttpClient(), new DiscordOptions { BaseUrl = new Uri(discord.BaseUrl), BotToken = FakeDiscord.BotToken });

        var error = await Assert.ThrowsAsync<DiscordApiException>(() => client.GetGuildCommandsAsync(Guild, Ct));

        Assert.Contains("DISCORD_APPLICATION_ID", error.Message);
        Assert.Empty(discord.Calls);
    }

    [Fact]
    public async Task AddDiscord_BaseUrlSetting_SendsThere()
    {
        var configuration = new ConfigurationBuilder().AddInMemoryCollection(new Dictionary<string, string?>
        {
            ["DISCORD_API_BASE_URL"] = discord.BaseUrl,
            ["DISCORD_BOT_TOKEN"] = FakeDiscord.BotToken,
            ["DISCORD_APPLICATION_ID"] = FakeDiscord.ApplicationId,
        }).Build();
        await using var services = new ServiceCollection().AddLogging().AddDiscord(configuration).BuildServiceProvider();

        await services.GetRequiredService<DiscordRestClient>().CreateMessageAsync(Channel, new JsonObject { ["content"] = "via settings" }, Ct);

        Assert.Equal("via settings", Assert.Single(discord.Calls).Body!["content"]!.GetValue<string>());
    }

    [Fact]
    public void FromConfiguration_Unset_DefaultsToDiscordV10AndRecorder()
    {
        var options = DiscordOptions.FromConfiguration(new ConfigurationBuilder().Build());

        Assert.Equal("https://discord.com/api/v10", options.BaseUrl.AbsoluteUri.TrimEnd('/'));
        Assert.True(options.UsesRecorder);
    }

    [Fact]
    public void FromConfiguration_BaseUrlNotHttp_Throws()
    {
        var configuration = new ConfigurationBuilder().AddInMemoryCollection(new Dictionary<string, string?> { ["DISCORD_API_BASE_URL"] = "discord.com/api" }).Build();

        Assert.Throws<InvalidOperationException>(() => DiscordOptions.FromConfiguration(configuration));
    }

    [Fact]
    public async Task Send_NothingListening_ThrowsStatusZeroAfterRetries()
    {
        var client = new DiscordRestClient(new HttpClient(), new DiscordOptions
        {
            BaseUrl = new Uri($"http://127.0.0.1:{FreePorts.Next()}/api/v10"),
            BotToken = "t",
            ServerErrorBackoff = TimeSpan.FromMilliseconds(10),
        });

        var error = await Assert.ThrowsAsync<DiscordApiException>(() => client.CreateMessageAsync(Channel, new JsonObject { ["content"] = "x" }, Ct));

        Assert.Equal(0, error.Status);
        Assert.Null(error.Code);
    }
}
