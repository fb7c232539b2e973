using Microsoft.Extensions.Configuration;
using Serverless.Gateway;

namespace Serverless.Tests.Gateway;

public sealed class GatewayOptionsTests
{
    /// <summary>Later values win, so a test can override one of <see cref="Valid"/>.</summary>
    private static IConfiguration Settings(params (string Key, string Value)[] values) =>
        new ConfigurationBuilder().AddInMemoryCollection(values.GroupBy(v => v.Key).Select(g => KeyValuePair.Create(g.Key, (string?)g.Last().Value))).Build();

    private static readonly (string, string)[] Valid =
    [
        ("DISCORD_BOT_TOKEN", "abc.def"),
        ("EVENTS_ENDPOINT_URL", "http://127.0.0.1:7071/api/events"),
        ("EVENTS_SHARED_SECRET", "0123456789abcdef0123"),
    ];

    [Fact]
    public void FromConfiguration_Minimal_DefaultsToSeedIntentsWithoutMessageContent()
    {
        var options = GatewayOptions.FromConfiguration(Settings(Valid));

        Assert.Equal(GatewayIntents.Guilds | GatewayIntents.GuildMembers | GatewayIntents.GuildVoiceStates
            | GatewayIntents.GuildMessages | GatewayIntents.GuildMessageReactions, options.Intents);
        Assert.Null(options.GatewayUrl);
        Assert.Equal("https://discord.com/api/v10", options.ApiBaseUrl.ToString().TrimEnd('/'));
        Assert.Equal("abc.def", options.BotToken);
    }

    [Fact]
    public void FromConfiguration_MessageContentTrue_AddsPrivilegedIntent()
    {
        var options = GatewayOptions.FromConfiguration(Settings([.. Valid, ("GATEWAY_MESSAGE_CONTENT", "true")]));

        Assert.True(options.Intents.HasFlag(GatewayIntents.MessageContent));
        Assert.Equal(1667 | 32768, (int)options.Intents);
    }

    [Theory]
    [InlineData("513", 513)]
    [InlineData("GUILDS,GUILD_MESSAGES", 513)]
    [InlineData("guilds | message_content", 32769)]
    public void FromConfiguration_IntentsOverride_Used(string text, int expected)
    {
        var options = GatewayOptions.FromConfiguration(Settings([.. Valid, ("GATEWAY_INTENTS", text)]));

        Assert.Equal(expected, (int)options.Intents);
    }

    [Fact]
    public void FromConfiguration_BotPrefixAndExplicitUrl_Normalized()
    {
        var options = GatewayOptions.FromConfiguration(Settings([.. Valid, ("DISCORD_BOT_TOKEN", "Bot abc.def"), ("DISCORD_GATEWAY_URL", "ws://127.0.0.1:9000")]));

        Assert.Equal("abc.def", options.BotToken);
        Assert.Equal(new Uri("ws://127.0.0.1:9000"), options.GatewayUrl);
    }

    [Fact]
    public void FromConfiguration_Everything_Wrong_ReportsEveryProblem()
    {
        var error = Assert.Throws<InvalidOperationException>(() => GatewayOptions.FromConfiguration(Settings(
            ("DISCORD_GATEWAY_URL", "https://gateway.discord.gg"),
            ("GATEWAY_INTENTS", "GUILDS,NOT_AN_INTENT"),
            ("GATEWAY_MESSAGE_CONTENT", "maybe"),
            ("EVENTS_SHARED_SECRET", "short"))));

        foreach (var name in new[] { "DISCORD_BOT_TOKEN", "DISCORD_GATEWAY_URL", "GATEWAY_INTENTS", "GATEWAY_MESSAGE_CONTENT", "EVENTS_ENDPOINT_URL", "EVENTS_SHARED_SECRET" })
        {
            Assert.Contains(name, error.Message, StringComparison.Ordinal);
        }
    }

    [Fact]
    public void WithVersion_BareDiscordUrl_AddsVersionAndEncoding()
    {
        Assert.Equal("wss://gateway.discord.gg/?v=10&encoding=json", GatewayClient.WithVersion(new Uri("wss://gateway.discord.gg")).ToString());
        Assert.Equal("wss://x/?v=9", GatewayClient.WithVersion(new Uri("wss://x/?v=9")).ToString());
    }
}
