using System.Text.Json.Nodes;
using Serverless.Functions.Interactions;
using Serverless.Functions.Sandbox;

namespace Serverless.Tests.Interactions;

public sealed class PluginMessagesTests
{
    [Fact]
    public void Message_ComponentsAtAnyDepth_CustomIdsTaggedPerPlugin()
    {
        var parameters = JsonNode.Parse("""
            {"content":"Pick one:","components":[{"type":1,"components":[
              {"type":2,"style":3,"label":"Yes","custom_id":"yes"},
              {"type":2,"style":5,"label":"Docs","url":"https://example.org"}]}],"ephemeral":true}
            """)!.AsObject();

        var first = PluginMessages.Message("plugin_a", parameters);
        var second = PluginMessages.Message("plugin_b", parameters);

        var buttons = first["components"]![0]!["components"]!.AsArray();
        Assert.Equal(CustomIds.Wrap("plugin_a", "yes"), buttons[0]!["custom_id"]!.GetValue<string>());
        Assert.Null(buttons[1]!["custom_id"]);
        Assert.NotEqual(buttons[0]!["custom_id"]!.GetValue<string>(), second["components"]![0]!["components"]![0]!["custom_id"]!.GetValue<string>());
        Assert.Equal(64, first["flags"]!.GetValue<int>());
        Assert.Equal("yes", CustomIds.Unwrap(buttons[0]!["custom_id"]!.GetValue<string>())!.Value.CustomId);
    }

    [Fact]
    public void Message_PluginAllowedMentions_ReplacedByUsersOnly()
    {
        var message = PluginMessages.Message("p", JsonNode.Parse("""{"content":"@everyone","allowed_mentions":{"parse":["everyone","roles"]}}""")!.AsObject());

        Assert.Equal("""{"parse":["users"]}""", message["allowed_mentions"]!.ToJsonString());
    }

    [Theory]
    [InlineData(92, true)]
    [InlineData(93, false)]
    public void Message_CustomIdLength_LimitLeavesRoomForTheTag(int length, bool accepted)
    {
        var parameters = new JsonObject { ["components"] = new JsonArray(new JsonObject { ["type"] = 1, ["components"] = new JsonArray(new JsonObject { ["type"] = 2, ["custom_id"] = new string('x', length) }) }) };

        if (accepted)
        {
            var id = PluginMessages.Message("p", parameters)["components"]![0]!["components"]![0]!["custom_id"]!.GetValue<string>();
            Assert.Equal(CustomIds.DiscordMaxLength, id.Length);
        }
        else
        {
            var error = Assert.Throws<JsonRpcException>(() => PluginMessages.Message("p", parameters));
            Assert.Contains("92", error.Message);
        }
    }

    [Fact]
    public void Unwrap_IdNotIssuedByThePlatform_IsNull()
    {
        Assert.Null(CustomIds.Unwrap("yes"));
        Assert.Null(CustomIds.Unwrap("xabcdef:yes"));
    }
}
