using Serverless.Platform.Discord;
using Serverless.Tests.Schedules;

namespace Serverless.Tests.Discord;

/// <summary>Which guild a channel is in: learned from signed payloads, else asked of Discord, kept a while.</summary>
public sealed class ChannelGuildsTests : IAsyncLifetime
{
    private const string Guild = "333000000000000001";
    private FakeDiscord discord = null!;
    private readonly FakeTimeProvider clock = new(new DateTimeOffset(2026, 1, 1, 0, 0, 0, TimeSpan.Zero));

    public async ValueTask InitializeAsync() => discord = await FakeDiscord.StartAsync(TestContext.Current.CancellationToken);

    public async ValueTask DisposeAsync() => await discord.DisposeAsync();

    private ChannelGuilds NewChannelGuilds() => new(new DiscordRestClient(new HttpClient(), new DiscordOptions
    {
        BaseUrl = new Uri(discord.BaseUrl),
        BotToken = FakeDiscord.BotToken,
        ApplicationId = FakeDiscord.ApplicationId,
    }, clock), clock);

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    private int Lookups => discord.CallsTo(FakeDiscord.Routes.ChannelGet).Count;

    [Fact]
    public async Task GuildOf_GuildChannel_AskedOnceWithinLifetimeThenAgain()
    {
        discord.AddChannel("700", Guild);
        var channels = NewChannelGuilds();

        var first = await channels.GuildOfAsync("700", Ct);
        clock.Advance(ChannelGuilds.Lifetime - TimeSpan.FromSeconds(1));
        var cached = await channels.GuildOfAsync("700", Ct);
        var lookupsWithinLifetime = Lookups;
        clock.Advance(TimeSpan.FromSeconds(1));
        var again = await channels.GuildOfAsync("700", Ct);

        Assert.Equal(new[] { Guild, Guild, Guild }, new[] { first, cached, again });
        Assert.Equal(1, lookupsWithinLifetime);
        Assert.Equal(2, Lookups);
        Assert.Equal("/api/v10/channels/700", discord.CallsTo(FakeDiscord.Routes.ChannelGet)[0].RawPath);
        Assert.Equal("Bot " + FakeDiscord.BotToken, discord.CallsTo(FakeDiscord.Routes.ChannelGet)[0].Authorization);
    }

    [Fact]
    public async Task GuildOf_Learned_NoRequest()
    {
        var channels = NewChannelGuilds();

        channels.Learn("701", Guild);

        Assert.Equal(Guild, await channels.GuildOfAsync("701", Ct));
        Assert.Empty(discord.Calls);
    }

    [Fact]
    public async Task GuildOf_Thread_TheThreadsGuild()
    {
        discord.AddChannel("702", Guild, type: 11);

        Assert.Equal(Guild, await NewChannelGuilds().GuildOfAsync("702", Ct));
    }

    [Fact]
    public async Task GuildOf_DmChannel_NoGuildAndRemembered()
    {
        discord.AddDmChannel("703", recipientId: "42");
        var channels = NewChannelGuilds();

        Assert.Null(await channels.GuildOfAsync("703", Ct));
        Assert.Null(await channels.GuildOfAsync("703", Ct));
        Assert.Equal(1, Lookups);
    }

    [Fact]
    public async Task GuildOf_UnknownChannel_NoGuildAndAskedOncePerUnseenLifetime()
    {
        var channels = NewChannelGuilds();

        var first = await channels.GuildOfAsync("704", Ct);
        var again = await channels.GuildOfAsync("704", Ct);
        var lookupsWithinLifetime = Lookups;
        clock.Advance(ChannelGuilds.UnseenLifetime);
        var later = await channels.GuildOfAsync("704", Ct);

        Assert.Null(first);
        Assert.Null(again);
        Assert.Null(later);
        Assert.Equal(1, lookupsWithinLifetime);
        Assert.Equal(2, Lookups);
    }

    [Fact]
    public async Task GuildOf_NotASnowflake_RefusedWithoutRequest()
    {
        var error = await Assert.ThrowsAsync<DiscordArgumentException>(() => NewChannelGuilds().GuildOfAsync("..", Ct));

        Assert.Equal("channel_id", error.Parameter);
        Assert.Empty(discord.Calls);
    }

    [Fact]
    public async Task Learn_BeyondCapacity_OldestForgotten()
    {
        var channels = NewChannelGuilds();

        for (var i = 0; i <= ChannelGuilds.Capacity; i++)
        {
            channels.Learn((1_000_000 + i).ToString(), Guild);
        }

        Assert.Equal(Guild, await channels.GuildOfAsync((1_000_000 + ChannelGuilds.Capacity).ToString(), Ct));
        Assert.Equal(Guild, await channels.GuildOfAsync("1000001", Ct));
        Assert.Empty(discord.Calls);
        Assert.Null(await channels.GuildOfAsync("1000000", Ct));
        Assert.Equal(1, Lookups);
    }
}
