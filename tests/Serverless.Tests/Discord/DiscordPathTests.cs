using System.Net;
using System.Text;
using System.Text.Json.Nodes;
using Serverless.Platform.Discord;

namespace Serverless.Tests.Discord;

/// <summary>
/// What may go into a Discord path. <c>.</c> and <c>..</c> survive percent-encoding and <see cref="Uri"/> folds
/// them (<c>remove_role(user_id="..", role_id="555")</c> became <c>DELETE /guilds/{g}/roles/555</c>), so every id
/// must be a snowflake, a token must be in Discord's token alphabet and an emoji must be one, on every route,
/// refused before any request exists.
/// </summary>
public sealed class DiscordPathTests
{
    private const string Channel = "222000000000000001";
    private const string Message = "444000000000000001";
    private const string Guild = "333000000000000001";
    private const string User = "555000000000000001";
    private const string Role = "666000000000000001";
    private const string Interaction = "777000000000000001";
    private const string Token = "aW50ZXJhY3Rpb246Nzc3OmFCYy1kRWZf";

    private readonly RecordingHandler handler = new();

    private DiscordRestClient NewClient(string applicationId = FakeDiscord.ApplicationId) =>
        new(new HttpClient(handler), new DiscordOptions { BaseUrl = new Uri("http://127.0.0.1:9/api/v10"), BotToken = FakeDiscord.BotToken, ApplicationId = applicationId });

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    private static JsonObject Text() => new() { ["content"] = "x" };

    /// <summary>Ids that are no snowflakes: path tricks, encodings, separators, signs, floats, other scripts' digits, too long.</summary>
    public static readonly string[] BadIds =
    [
        "..", ".", "%2e%2e", "%2E%2E", ".%2e", "123/456", "123\\456", "123?x", "123#x", "123%00", "@me", "@original", "", " ", " 123", "123 ", "12 3",
        "123\n", "\n123", "123\r\n", "123\t", "123\0", "-1", "+1", "1e5", "1.0", "0x10", "1_000", "١٢٣", "１２３", "٣", "²",
        "123456789012345678901", "18446744073709551616", "99999999999999999999",
    ];

    public static readonly string[] BadTokens =
    [
        "..", ".", "a.b", "dev.abc", "a/b", "a\\b", "%2e%2e", "a%2Fb", "a?b", "a#b", "a b", "tok\n", "", "@original", "tök", "a+b", "a=b", new string('a', 1001),
    ];

    public static readonly string[] BadEmoji =
    [
        "..", ".", "%2e%2e", "%F0%9F%91%8D", "a/b", "👍/..", "../👍", "?", "#", "*", "1", "x", "abc", "", " ", " 👍", "👍 ", "👍\n", "١٢٣", "é",
        "name:..", "name:.", "name:12a", "name:", ":123", "n:123", "na me:123", "na.me:123", "na/me:123", "a:b:c", "name:123456789012345678901",
        "<:name:..>", "<:name:1/2>", "<b:name:123>", "<:..:123>", "<name:123>", "<:name:123", "<>", "1️⃣x", "x1️⃣", "\u202e👍", "👍\u200e",
        "👍"[..1] + "x", string.Concat(Enumerable.Repeat("👍", 33)),
    ];

    /// <summary>Every route, each with one value swapped for the bad one; the name is Discord's (and the host API's).</summary>
    private static IEnumerable<(string Parameter, Func<DiscordRestClient, string, Task> Call)> IdRoutes()
    {
        InteractionRef Ref(string id = Interaction, string app = FakeDiscord.ApplicationId) => new(id, app, Token);
        yield return ("channel_id", (c, v) => c.CreateMessageAsync(v, Text(), Ct));
        yield return ("channel_id", (c, v) => c.GetChannelAsync(v, Ct));
        yield return ("channel_id", (c, v) => c.AddReactionAsync(v, Message, "👍", Ct));
        yield return ("message_id", (c, v) => c.AddReactionAsync(Channel, v, "👍", Ct));
        yield return ("channel_id", (c, v) => c.RemoveOwnReactionAsync(v, Message, "👍", Ct));
        yield return ("message_id", (c, v) => c.RemoveOwnReactionAsync(Channel, v, "👍", Ct));
        yield return ("guild_id", (c, v) => c.AddMemberRoleAsync(v, User, Role, "r", Ct));
        yield return ("user_id", (c, v) => c.AddMemberRoleAsync(Guild, v, Role, "r", Ct));
        yield return ("role_id", (c, v) => c.AddMemberRoleAsync(Guild, User, v, "r", Ct));
        yield return ("guild_id", (c, v) => c.RemoveMemberRoleAsync(v, User, Role, "r", Ct));
        yield return ("user_id", (c, v) => c.RemoveMemberRoleAsync(Guild, v, Role, "r", Ct));
        yield return ("role_id", (c, v) => c.RemoveMemberRoleAsync(Guild, User, v, "r", Ct));
        yield return ("interaction_id", (c, v) => c.CreateInteractionResponseAsync(Ref(id: v), InteractionCallback.DeferredMessage(), Ct));
        yield return ("application_id", (c, v) => c.EditOriginalResponseAsync(Ref(app: v), Text(), Ct));
        yield return ("application_id", (c, v) => c.DeleteOriginalResponseAsync(Ref(app: v), Ct));
        yield return ("application_id", (c, v) => c.CreateFollowupMessageAsync(Ref(app: v), Text(), Ct));
        yield return ("application_id", (c, v) => c.EditFollowupMessageAsync(Ref(app: v), Message, Text(), Ct));
        yield return ("message_id", (c, v) => c.EditFollowupMessageAsync(Ref(), v, Text(), Ct));
        yield return ("application_id", (c, v) => c.DeleteFollowupMessageAsync(Ref(app: v), Message, Ct));
        yield return ("message_id", (c, v) => c.DeleteFollowupMessageAsync(Ref(), v, Ct));
        yield return ("guild_id", (c, v) => c.GetGuildCommandsAsync(v, Ct));
        yield return ("guild_id", (c, v) => c.BulkOverwriteGuildCommandsAsync(v, [], Ct));
    }

    private static IEnumerable<Func<DiscordRestClient, string, Task>> TokenRoutes()
    {
        InteractionRef Ref(string token) => new(Interaction, FakeDiscord.ApplicationId, token);
        yield return (c, v) => c.CreateInteractionResponseAsync(Ref(v), InteractionCallback.DeferredMessage(), Ct);
        yield return (c, v) => c.EditOriginalResponseAsync(Ref(v), Text(), Ct);
        yield return (c, v) => c.DeleteOriginalResponseAsync(Ref(v), Ct);
        yield return (c, v) => c.CreateFollowupMessageAsync(Ref(v), Text(), Ct);
        yield return (c, v) => c.EditFollowupMessageAsync(Ref(v), Message, Text(), Ct);
        yield return (c, v) => c.DeleteFollowupMessageAsync(Ref(v), Message, Ct);
    }

    private static IEnumerable<Func<DiscordRestClient, string, Task>> EmojiRoutes()
    {
        yield return (c, v) => c.AddReactionAsync(Channel, Message, v, Ct);
        yield return (c, v) => c.RemoveOwnReactionAsync(Channel, Message, v, Ct);
    }

    public static TheoryData<string> Ids => new(BadIds);

    public static TheoryData<string> Tokens => new(BadTokens);

    public static TheoryData<string> Emoji => new(BadEmoji);

    [Theory]
    [MemberData(nameof(Ids))]
    public async Task EveryRoute_IdNotASnowflake_RefusedNamingTheParameterAndNothingSent(string bad)
    {
        foreach (var (parameter, call) in IdRoutes())
        {
            var error = await Assert.ThrowsAsync<DiscordArgumentException>(() => call(NewClient(), bad));

            Assert.Equal(parameter, error.Parameter);
            Assert.StartsWith($"'{parameter}' must be a Discord id (digits only), got ", error.Message);
            Assert.Equal(0, error.Status);
        }
        Assert.Empty(handler.Requests);
    }

    [Theory]
    [MemberData(nameof(Ids))]
    public async Task GuildCommands_ApplicationIdSettingNotASnowflake_RefusedAndNothingSent(string bad)
    {
        var error = await Assert.ThrowsAsync<DiscordArgumentException>(() => NewClient(applicationId: bad).GetGuildCommandsAsync(Guild, Ct));

        Assert.Equal("application_id", error.Parameter);
        Assert.Empty(handler.Requests);
    }

    [Theory]
    [MemberData(nameof(Tokens))]
    public async Task InteractionAndWebhookRoutes_TokenOutsideDiscordsAlphabet_RefusedWithoutEchoingItAndNothingSent(string bad)
    {
        foreach (var call in TokenRoutes())
        {
            var error = await Assert.ThrowsAsync<DiscordArgumentException>(() => call(NewClient(), bad));

            Assert.Equal("token", error.Parameter);
            Assert.Equal("'token' must be a Discord interaction token (ASCII letters, digits, '-' and '_')", error.Message);
        }
        Assert.Empty(handler.Requests);
    }

    [Theory]
    [MemberData(nameof(Emoji))]
    public async Task ReactionRoutes_EmojiNeitherUnicodeNorNameColonId_RefusedAndNothingSent(string bad)
    {
        foreach (var call in EmojiRoutes())
        {
            var error = await Assert.ThrowsAsync<DiscordArgumentException>(() => call(NewClient(), bad));

            Assert.Equal("emoji", error.Parameter);
            Assert.StartsWith("'emoji' must be a Unicode emoji or a custom emoji as name:id", error.Message);
        }
        Assert.Empty(handler.Requests);
    }

    [Fact]
    public async Task RemoveMemberRole_DotDotUserId_MessageShowsTheValue()
    {
        var error = await Assert.ThrowsAsync<DiscordArgumentException>(() => NewClient().RemoveMemberRoleAsync(Guild, "..", "555", null, Ct));

        Assert.Equal("'user_id' must be a Discord id (digits only), got '..'", error.Message);
    }

    [Fact]
    public async Task CreateMessage_TrailingNewline_MessageShowsItEscaped()
    {
        var error = await Assert.ThrowsAsync<DiscordArgumentException>(() => NewClient().CreateMessageAsync("123\n", Text(), Ct));

        Assert.Equal("'channel_id' must be a Discord id (digits only), got '123\\n'", error.Message);
    }

    [Theory]
    [InlineData("0")]
    [InlineData("1")]
    [InlineData("80351110224678912")]
    [InlineData("18446744073709551615")]
    [InlineData("00000000000000000001")]
    public async Task EveryRoute_Snowflake_Sent(string id)
    {
        foreach (var (_, call) in IdRoutes())
        {
            await call(NewClient(), id);
        }

        Assert.Equal(IdRoutes().Count(), handler.Requests.Count);
        Assert.All(handler.Requests, r => Assert.Contains("/" + id, r.AbsolutePath));
    }

    [Theory]
    [InlineData("👍", "%F0%9F%91%8D")]
    [InlineData("❤️", "%E2%9D%A4%EF%B8%8F")]
    [InlineData("👍🏽", "%F0%9F%91%8D%F0%9F%8F%BD")]
    [InlineData("👨‍👩‍👧", "%F0%9F%91%A8%E2%80%8D%F0%9F%91%A9%E2%80%8D%F0%9F%91%A7")]
    [InlineData("1️⃣", "1%EF%B8%8F%E2%83%A3")]
    [InlineData("#️⃣", "%23%EF%B8%8F%E2%83%A3")]
    [InlineData("🇫🇷", "%F0%9F%87%AB%F0%9F%87%B7")]
    [InlineData("🏴󠁧󠁢󠁳󠁣󠁴󠁿", "%F0%9F%8F%B4%F3%A0%81%A7%F3%A0%81%A2%F3%A0%81%B3%F3%A0%81%A3%F3%A0%81%B4%F3%A0%81%BF")]
    [InlineData("ℹ️", "%E2%84%B9%EF%B8%8F")]
    [InlineData("‼️", "%E2%80%BC%EF%B8%8F")]
    [InlineData("↔️", "%E2%86%94%EF%B8%8F")]
    [InlineData("©️", "%C2%A9%EF%B8%8F")]
    [InlineData("〰️", "%E3%80%B0%EF%B8%8F")]
    [InlineData("party_2:123456789012345678", "party_2%3A123456789012345678")]
    [InlineData("<:party:123456789012345678>", "party%3A123456789012345678")]
    [InlineData("<a:dance:123456789012345678>", "dance%3A123456789012345678")]
    public async Task AddReaction_Emoji_SentPercentEncoded(string emoji, string encoded)
    {
        await NewClient().AddReactionAsync(Channel, Message, emoji, Ct);

        var request = Assert.Single(handler.Requests);
        Assert.Equal($"/api/v10/channels/{Channel}/messages/{Message}/reactions/{encoded}/@me", request.AbsolutePath);
    }

    /// <summary>Records the URL of every request that reaches the transport, and answers like Discord would.</summary>
    private sealed class RecordingHandler : HttpMessageHandler
    {
        private readonly Lock gate = new();
        private readonly List<Uri> requests = [];

        public IReadOnlyList<Uri> Requests
        {
            get
            {
                lock (gate)
                {
                    return requests.ToList();
                }
            }
        }

        protected override Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken)
        {
            lock (gate)
            {
                requests.Add(request.RequestUri!);
            }
            var body = request.RequestUri!.AbsolutePath.EndsWith("/commands", StringComparison.Ordinal) ? "[]"
                : request.Method == HttpMethod.Get ? $$"""{"id":"{{Channel}}","type":0,"guild_id":"{{Guild}}"}"""
                : $$"""{"id":"{{Message}}","channel_id":"{{Channel}}"}""";
            return Task.FromResult(new HttpResponseMessage(HttpStatusCode.OK) { Content = new StringContent(body, Encoding.UTF8, "application/json"), RequestMessage = request });
        }
    }
}
