using System.Diagnostics;
using System.Text.Json.Nodes;
using Serverless.Platform.Discord;

namespace Serverless.Tests.Discord;

/// <summary>Rate limits and failures: what is waited out, what is retried, and what is final.</summary>
public sealed class DiscordRateLimitTests : IAsyncLifetime
{
    private const string ChannelA = "222000000000000001";
    private const string ChannelB = "222000000000000002";
    private const string Guild = "333000000000000001";
    private FakeDiscord discord = null!;

    public async ValueTask InitializeAsync() => discord = await FakeDiscord.StartAsync(TestContext.Current.CancellationToken);

    public async ValueTask DisposeAsync() => await discord.DisposeAsync();

    private readonly SignalingLogger<DiscordRestClient> log = new();

    private DiscordRestClient NewClient(TimeSpan? maxRateLimitWait = null) => new(new HttpClient(), new DiscordOptions
    {
        BaseUrl = new Uri(discord.BaseUrl),
        BotToken = FakeDiscord.BotToken,
        ApplicationId = FakeDiscord.ApplicationId,
        ServerErrorBackoff = TimeSpan.FromMilliseconds(20),
        MaxRateLimitWait = maxRateLimitWait ?? TimeSpan.FromSeconds(30),
    }, logger: log);

    /// <summary>The fake records a 429 before the client has read it; the client's log line says it has.</summary>
    private Task ClientSawGlobalLimitAsync() => log.WaitForAsync(line => line.Contains("rate limited (global)"), TimeSpan.FromSeconds(5));

    private static InteractionRef NewInteraction() =>
        new(FakeDiscord.NextSnowflake(DateTimeOffset.UtcNow), FakeDiscord.ApplicationId, "dG9rZW4" + Guid.NewGuid().ToString("N"));

    private static JsonObject Text(string content) => new() { ["content"] = content };

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task Send_BucketExhausted_WaitsForResetOnThatBucketOnly()
    {
        discord.SetRateLimit(FakeDiscord.Routes.MessageCreate, limit: 1, resetAfter: 1.5, bucket: "msgbucket");
        var client = NewClient();
        await client.CreateMessageAsync(ChannelA, Text("first"), Ct);
        var first = discord.Calls.Single();

        var started = Stopwatch.StartNew();
        var sameBucket = client.CreateMessageAsync(ChannelA, Text("second"), Ct);
        var otherChannel = client.CreateMessageAsync(ChannelB, Text("other channel"), Ct);
        var otherRoute = client.AddReactionAsync(ChannelA, "444", "👍", Ct);
        await Task.WhenAll(otherChannel, otherRoute);
        var othersDone = started.Elapsed;
        await sameBucket;

        Assert.True(othersDone < TimeSpan.FromMilliseconds(1000), $"other buckets waited {othersDone}");
        var second = discord.Calls.Single(c => c.Body?["content"]?.GetValue<string>() == "second");
        Assert.True(second.Time - first.Time >= TimeSpan.FromMilliseconds(1400), $"the second call came {second.Time - first.Time} after the first");
        Assert.DoesNotContain(discord.Calls, c => c.Status == 429);
    }

    [Fact]
    public async Task Send_BucketSharedAcrossRoutes_WaitsOnSharedBucket()
    {
        // Discord reports shared limits with one X-RateLimit-Bucket; add and remove reaction share one here.
        discord.SetRateLimit(FakeDiscord.Routes.ReactionAdd, limit: 1, resetAfter: 0.8, bucket: "reactions");
        discord.SetRateLimit(FakeDiscord.Routes.ReactionRemove, limit: 1, resetAfter: 0.8, bucket: "reactions");
        var client = NewClient();
        await client.AddReactionAsync(ChannelA, "1", "👍", Ct);
        await client.RemoveOwnReactionAsync(ChannelA, "1", "👍", Ct); // learns that remove is bucket "reactions" too (fresh window on the fake)
        var removed = discord.Calls[^1];

        await client.AddReactionAsync(ChannelA, "1", "👍", Ct);

        var again = discord.Calls[^1];
        Assert.True(again.Time - removed.Time >= TimeSpan.FromMilliseconds(700), $"came {again.Time - removed.Time} after the last call on the bucket");
        Assert.Equal(204, again.Status);
    }

    [Fact]
    public async Task Send_RouteRateLimited_WaitsRetryAfterThenSucceeds()
    {
        discord.Fail(FakeDiscord.Routes.MessageCreate, FakeFault.RateLimited(0.5));

        var message = await NewClient().CreateMessageAsync(ChannelA, Text("hi"), Ct);

        var calls = discord.Calls;
        Assert.Equal([429, 200], calls.Select(c => c.Status));
        Assert.True(calls[1].Time - calls[0].Time >= TimeSpan.FromMilliseconds(450), $"retried after {calls[1].Time - calls[0].Time}");
        Assert.NotEmpty(message.Id);
    }

    [Fact]
    public async Task Send_GlobalRateLimit_BlocksOtherBotRoutesButNotInteractions()
    {
        discord.RateLimitGlobally(1.5);
        var client = NewClient();

        var blocked = client.CreateMessageAsync(ChannelA, Text("first"), Ct);
        var limited = await discord.WaitForCallAsync(c => c.Status == 429, cancellationToken: Ct);
        await ClientSawGlobalLimitAsync();
        var otherBotRoute = client.AddMemberRoleAsync(Guild, "5", "6", cancellationToken: Ct);
        var interactionStarted = Stopwatch.StartNew();
        var interaction = NewInteraction();
        await client.CreateInteractionResponseAsync(interaction, InteractionCallback.DeferredMessage(), Ct);
        await client.CreateFollowupMessageAsync(interaction, Text("still answering"), Ct);
        var interactionTook = interactionStarted.Elapsed;
        await Task.WhenAll(blocked, otherBotRoute);

        Assert.True(interactionTook < TimeSpan.FromMilliseconds(1000), $"interaction routes waited {interactionTook}");
        Assert.Single(discord.Calls, c => c.Status == 429);
        var role = discord.CallsTo(FakeDiscord.Routes.RoleAdd).Single();
        var retry = discord.CallsTo(FakeDiscord.Routes.MessageCreate).Last();
        Assert.Equal(204, role.Status);
        Assert.True(role.Time - limited.Time >= TimeSpan.FromMilliseconds(1400), $"other bot route sent {role.Time - limited.Time} after the global 429");
        Assert.True(retry.Time - limited.Time >= TimeSpan.FromMilliseconds(1400), $"retried {retry.Time - limited.Time} after the global 429");
    }

    [Fact]
    public async Task Send_GlobalFlagInBodyOnly_TreatedAsGlobal()
    {
        var fault = FakeFault.RateLimited(0.6, global: true);
        discord.Fail(FakeDiscord.Routes.MessageCreate, fault with { Headers = new Dictionary<string, string>() });
        var client = NewClient();

        var first = client.CreateMessageAsync(ChannelA, Text("a"), Ct);
        var limited = await discord.WaitForCallAsync(c => c.Status == 429, cancellationToken: Ct);
        await ClientSawGlobalLimitAsync();
        await client.AddReactionAsync(ChannelB, "1", "👍", Ct);
        await first;

        var reaction = discord.CallsTo(FakeDiscord.Routes.ReactionAdd).Single();
        Assert.True(reaction.Time - limited.Time >= TimeSpan.FromMilliseconds(500), $"sent {reaction.Time - limited.Time} after a global 429");
    }

    [Fact]
    public async Task Send_RateLimitedBeyondMaxWait_ThrowsWithoutWaiting()
    {
        // The daily command-create limit answers with hours; no caller should hang on it.
        discord.Fail(FakeDiscord.Routes.CommandsPut, FakeFault.RateLimited(3600));
        var started = Stopwatch.StartNew();

        var error = await Assert.ThrowsAsync<DiscordApiException>(() =>
            NewClient(maxRateLimitWait: TimeSpan.FromSeconds(5)).BulkOverwriteGuildCommandsAsync(Guild, [new JsonObject { ["name"] = "a", ["description"] = "b" }], Ct));

        Assert.Equal(429, error.Status);
        Assert.True(started.Elapsed < TimeSpan.FromSeconds(3));
        Assert.Single(discord.Calls);
    }

    [Fact]
    public async Task Send_RateLimitedEveryTime_GivesUpAfterBoundedTries()
    {
        discord.Fail(FakeDiscord.Routes.MessageCreate, FakeFault.RateLimited(0.01), times: 100);

        var error = await Assert.ThrowsAsync<DiscordApiException>(() => NewClient().CreateMessageAsync(ChannelA, Text("x"), Ct));

        Assert.Equal(429, error.Status);
        Assert.Equal(6, discord.Calls.Count); // the first try and MaxRateLimitRetries (5)
    }

    public static TheoryData<int, int, string> ClientErrors => new()
    {
        { 400, 50035, "Invalid Form Body" },
        { 401, 0, "401: Unauthorized" },
        { 403, 50001, "Missing Access" },
        { 404, 10062, "Unknown interaction" },
        { 404, 10015, "Unknown Webhook" },
    };

    [Theory]
    [MemberData(nameof(ClientErrors))]
    public async Task Send_ClientError_NotRetriedAndCarriesDiscordCode(int status, int code, string message)
    {
        discord.Fail(null, FakeFault.Error(status, code, message), times: 5);

        var error = await Assert.ThrowsAsync<DiscordApiException>(() =>
            NewClient().CreateInteractionResponseAsync(NewInteraction(), InteractionCallback.DeferredMessage(), Ct));

        Assert.Equal(status, error.Status);
        Assert.Equal(code, error.Code);
        Assert.Contains(message, error.Message);
        Assert.Single(discord.Calls);
    }

    [Fact]
    public async Task Send_MissingAccessOnChannel_MapsCode50001()
    {
        discord.Fail(FakeDiscord.Routes.MessageCreate, FakeFault.MissingAccess());

        var error = await Assert.ThrowsAsync<DiscordApiException>(() => NewClient().CreateMessageAsync(ChannelA, Text("x"), Ct));

        Assert.Equal((403, 50001), (error.Status, error.Code));
        Assert.Single(discord.Calls);
    }

    [Fact]
    public async Task Send_ExpiredInteractionToken_ThrowsInvalidWebhookTokenOnce()
    {
        var interaction = NewInteraction();
        discord.ExpireToken(interaction.Token);

        var error = await Assert.ThrowsAsync<DiscordApiException>(() => NewClient().CreateFollowupMessageAsync(interaction, Text("late"), Ct));

        Assert.Equal((401, 50027), (error.Status, error.Code));
        Assert.Single(discord.Calls);
    }

    [Fact]
    public async Task Send_EmptyMessage_FormErrorDetailsInMessage()
    {
        var error = await Assert.ThrowsAsync<DiscordApiException>(() => NewClient().CreateMessageAsync(ChannelA, Text(new string('x', 2001)), Ct));

        Assert.Equal((400, 50035), (error.Status, error.Code));
        Assert.Contains("BASE_TYPE_MAX_LENGTH", error.Message);
    }

    [Fact]
    public async Task Send_ServerErrorTwice_RetriedThenSucceeds()
    {
        discord.Fail(FakeDiscord.Routes.MessageCreate, FakeFault.ServerError(502), times: 2);

        var message = await NewClient().CreateMessageAsync(ChannelA, Text("eventually"), Ct);

        Assert.Equal([502, 502, 200], discord.Calls.Select(c => c.Status));
        Assert.NotEmpty(message.Id);
    }

    [Fact]
    public async Task Send_ServerErrorEveryTime_ThrowsAfterBoundedRetries()
    {
        discord.Fail(null, FakeFault.ServerError(503), times: 100);

        var error = await Assert.ThrowsAsync<DiscordApiException>(() => NewClient().AddReactionAsync(ChannelA, "1", "👍", Ct));

        Assert.Equal(503, error.Status);
        Assert.Equal(4, discord.Calls.Count); // the first try and MaxServerErrorRetries (3)
    }

    [Fact]
    public async Task Send_Cancelled_StopsWaitingOnBucket()
    {
        discord.SetRateLimit(FakeDiscord.Routes.MessageCreate, limit: 1, resetAfter: 30);
        var client = NewClient();
        await client.CreateMessageAsync(ChannelA, Text("first"), Ct);
        using var cancel = new CancellationTokenSource(TimeSpan.FromMilliseconds(200));

        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => client.CreateMessageAsync(ChannelA, Text("second"), cancel.Token));

        Assert.Single(discord.Calls);
    }
}
