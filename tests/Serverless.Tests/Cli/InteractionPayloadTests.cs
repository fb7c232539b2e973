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

    [Fact]
    public void ModalSubmit_Fields_OneActionRowPerTextInputAsTheAppReadsThem()
    {
        var interaction = InteractionPayload.ModalSubmit(Origin, "pabcdef:feedback", [("pabcdef:subject", "Hi"), ("pabcdef:details", "a=b")], DateTimeOffset.UtcNow);

        Assert.Equal(5, interaction["type"]!.GetValue<int>());
        Assert.Equal("""{"custom_id":"pabcdef:feedback","components":[{"type":1,"components":[{"type":4,"custom_id":"pabcdef:subject","value":"Hi"}]},{"type":1,"components":[{"type":4,"custom_id":"pabcdef:details","value":"a=b"}]}]}""", interaction["data"]!.ToJsonString());
        var read = Serverless.Platform.Interactions.Interaction.Read(System.Text.Encoding.UTF8.GetBytes(interaction.ToJsonString()));
        Assert.Equal("pabcdef:feedback", read.CustomId);
        Assert.Equal([("pabcdef:subject", "Hi"), ("pabcdef:details", "a=b")], read.Inputs.Select(i => (i.CustomId, i.Value!)));
    }

    [Fact]
    public void ExampleWords_EveryRequiredOptionType_ParsesAsTheCommandDeclaresIt()
    {
        var warn = Definition("""
            {"name":"warn","description":"d","options":[
              {"name":"user","description":"u","type":6,"required":true},
              {"name":"reason","description":"r","type":3,"required":true,"min_length":10},
              {"name":"code","description":"c","type":3,"required":true,"max_length":3},
              {"name":"days","description":"d","type":4,"required":true,"min_value":3,"max_value":9},
              {"name":"below","description":"b","type":4,"required":true,"max_value":-2},
              {"name":"ratio","description":"r","type":10,"required":true,"min_value":0.5},
              {"name":"level","description":"l","type":4,"required":true,"choices":[{"name":"High","value":7},{"name":"Low","value":1}]},
              {"name":"mode","description":"m","type":3,"required":true,"choices":[{"name":"Dark","value":"dark mode"}]},
              {"name":"loud","description":"l","type":5,"required":true},
              {"name":"where","description":"w","type":7,"required":true},
              {"name":"role","description":"r","type":8,"required":true},
              {"name":"who","description":"w","type":9,"required":true},
              {"name":"note","description":"n","type":3}]}
            """);

        var words = InteractionPayload.ExampleWords(warn, Origin)!;
        var options = InteractionPayload.Command(Origin, warn, words, DateTimeOffset.UtcNow)["data"]!["options"]!.AsArray()
            .ToDictionary(o => o!["name"]!.GetValue<string>(), o => o!["value"]!.ToJsonString());

        Assert.Equal(["user:@333", "reason:xxxxxxxxxx", "code:exa", "days:3", "below:-2", "ratio:0.5", "level:7", "mode:dark mode", "loud:true", "where:#222", "role:111", "who:@333"], words);
        Assert.Equal(12, options.Count);
        Assert.Equal("\"111\"", options["role"]);
        Assert.False(options.ContainsKey("note"));
    }

    [Fact]
    public void ExampleWords_SubcommandGroupOrAttachment_FirstPathOrNothing()
    {
        var config = Definition("""
            {"name":"config","description":"c","options":[
              {"name":"colors","description":"g","type":2,"options":[
                {"name":"set","description":"s","type":1,"options":[{"name":"value","description":"v","type":3,"required":true}]}]}]}
            """);
        var upload = Definition("""{"name":"upload","description":"u","options":[{"name":"file","description":"f","type":11,"required":true}]}""");

        var words = InteractionPayload.ExampleWords(config, Origin)!;

        Assert.Equal(["colors", "set", "value:example"], words);
        Assert.NotNull(InteractionPayload.Command(Origin, config, words, DateTimeOffset.UtcNow));
        Assert.Null(InteractionPayload.ExampleWords(upload, Origin));
    }
}
