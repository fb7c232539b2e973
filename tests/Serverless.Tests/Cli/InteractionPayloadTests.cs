using System.Text.Json.Nodes;
using Serverless.Cli;

namespace Serverless.Tests.Cli;

/// <summary>Command lines to Discord's APPLICATION_COMMAND payloads, typed by the declared options.</summary>
public sealed class InteractionPayloadTests
{
    private static readonly InteractionOrigin Origin = new("111", "222", "333", "444");

    private static JsonObject Definition(string json) => JsonNode.Parse(json)!.AsObject();

    private static readonly JsonObject Greet = Definition("""
        {"name":"greet","description":"d","options":[
          {"name":"user","description":"u","type":6,"required":true},
          {"name":"message","description":"m","type":3},
          {"name":"times","description":"t","type":4},
          {"name":"loud","description":"l","type":5},
          {"name":"ratio","description":"r","type":10},
          {"name":"where","description":"w","type":7},
          {"name":"role","description":"r","type":8},
          {"name":"size","description":"s","type":3,"choices":[{"name":"S","value":"s"},{"name":"L","value":"l"}]}]}
        """);

    [Fact]
    public void Command_UserMention_BecomesTypeSixWithResolvedUser()
    {
        var interaction = InteractionPayload.Command(Origin, Greet, ["user:@123", "message:hi"], DateTimeOffset.UtcNow);

        Assert.Equal(2, interaction["type"]!.GetValue<int>());
        Assert.Equal("111", interaction["guild_id"]!.GetValue<string>());
        Assert.Equal("333", interaction["member"]!["user"]!["id"]!.GetValue<string>());
        var options = interaction["data"]!["options"]!.AsArray();
        Assert.Equal("""[{"name":"user","type":6,"value":"123"},{"name":"message","type":3,"value":"hi"}]""", options.ToJsonString());
        Assert.Equal("123", interaction["data"]!["resolved"]!["users"]!["123"]!["id"]!.GetValue<string>());
    }

    [Theory]
    [InlineData("user:<@!42>", 6, "\"42\"")]
    [InlineData("times:-3", 4, "-3")]
    [InlineData("loud:yes", 5, "true")]
    [InlineData("ratio:0.5", 10, "0.5")]
    [InlineData("where:<#99>", 7, "\"99\"")]
    [InlineData("role:@&77", 8, "\"77\"")]
    [InlineData("size:l", 3, "\"l\"")]
    public void Command_EachOptionType_ConvertedAsDiscordSendsIt(string token, int type, string value)
    {
        var tokens = token.StartsWith("user:", StringComparison.Ordinal) ? new[] { token } : new[] { "user:1", token };
        var interaction = InteractionPayload.Command(Origin, Greet, tokens, DateTimeOffset.UtcNow);

        var option = interaction["data"]!["options"]!.AsArray().Last()!;
        Assert.Equal(type, option["type"]!.GetValue<int>());
        Assert.Equal(value, option["value"]!.ToJsonString());
    }

    [Fact]
    public void Command_BadValues_AllReportedTogether()
    {
        var error = Assert.Throws<CliException>(() => InteractionPayload.Command(Origin, Greet, ["times:many", "loud:perhaps", "size:xl", "colour:red"], DateTimeOffset.UtcNow));

        Assert.Equal(ExitCodes.Usage, error.ExitCode);
        Assert.Contains("has no option 'colour'", error.Message);
        Assert.Contains("option 'user' is required", error.Message);
        Assert.Contains("'many' is not an integer", error.Message);
        Assert.Contains("'perhaps' is not true or false", error.Message);
        Assert.Contains("'xl' is not a choice of 'size'", error.Message);
    }

    [Fact]
    public void Command_Subcommand_NestsItsOptions()
    {
        var config = Definition("""
            {"name":"config","description":"d","options":[
              {"name":"set","description":"s","type":1,"options":[{"name":"key","description":"k","type":3,"required":true}]},
              {"name":"get","description":"g","type":1}]}
            """);

        var interaction = InteractionPayload.Command(Origin, config, ["set", "key:color"], DateTimeOffset.UtcNow);

        Assert.Equal("""[{"name":"set","type":1,"options":[{"name":"key","type":3,"value":"color"}]}]""", interaction["data"]!["options"]!.ToJsonString());
        Assert.Contains("needs a subcommand", Assert.Throws<CliException>(() => InteractionPayload.Command(Origin, config, [], DateTimeOffset.UtcNow)).Message);
    }

    [Fact]
    public void Snowflakes_SortByTime()
    {
        var earlier = ulong.Parse(InteractionPayload.NewSnowflake(DateTimeOffset.UtcNow.AddSeconds(-5)));
        var later = ulong.Parse(InteractionPayload.NewSnowflake(DateTimeOffset.UtcNow));

        Assert.True(earlier < later);
    }

    [Fact]
    public void Component_Click_CarriesTheWrappedIdAndAMessage()
    {
        var interaction = InteractionPayload.Component(Origin, "pabcdef:yes", [], DateTimeOffset.UtcNow);

        Assert.Equal(3, interaction["type"]!.GetValue<int>());
        Assert.Equal("pabcdef:yes", interaction["data"]!["custom_id"]!.GetValue<string>());
        Assert.Equal(2, interaction["data"]!["component_type"]!.GetValue<int>());
        Assert.NotNull(interaction["message"]!["id"]);
    }
}
