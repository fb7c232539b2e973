using System.Security.Cryptography;
using System.Text.Json.Nodes;
using Serverless.Platform.Interactions;
using Serverless.Platform.Sandbox;

namespace Serverless.Tests.Interactions;

public sealed class PluginMessagesTests
{
    private static readonly byte[] Key = RandomNumberGenerator.GetBytes(CustomIds.KeyBytes);
    private static readonly CustomIdNamespace PluginA = CustomIdNamespace.For(Key, "plugin_a");
    private static readonly CustomIdNamespace PluginB = CustomIdNamespace.For(Key, "plugin_b");

    /// <summary>Every custom_id in a JSON tree, with where it is.</summary>
    public static List<(string Path, string CustomId)> CustomIdsIn(JsonNode? node, string path = "$")
    {
        var found = new List<(string, string)>();
        switch (node)
        {
            case JsonArray array:
                for (var i = 0; i < array.Count; i++)
                {
                    found.AddRange(CustomIdsIn(array[i], $"{path}[{i}]"));
                }
                break;
            case JsonObject json:
                foreach (var (name, value) in json)
                {
                    if (name == "custom_id")
                    {
                        found.Add(($"{path}.{name}", value!.GetValue<string>()));
                    }
                    else
                    {
                        found.AddRange(CustomIdsIn(value, $"{path}.{name}"));
                    }
                }
                break;
        }
        return found;
    }

    /// <summary>Discord's layout components: a Section's accessory, a Container's rows, a Label's component, a select in a row.</summary>
    private const string LayoutMessage = """
        {"content":"Pick one:","components":[
          {"type":9,"components":[{"type":10,"content":"Reset everything?"}],"accessory":{"type":2,"style":4,"label":"Reset","custom_id":"reset"}},
          {"type":17,"components":[
            {"type":1,"components":[{"type":2,"style":3,"label":"Yes","custom_id":"yes"},{"type":2,"style":5,"label":"Docs","url":"https://example.org"}]},
            {"type":9,"components":[{"type":10,"content":"Nested"}],"accessory":{"type":2,"style":1,"label":"Deep","custom_id":"deep"}},
            {"type":1,"components":[{"type":3,"custom_id":"pick","options":[{"label":"A","value":"a"}]}]}]},
          {"type":18,"label":"Label","component":{"type":3,"custom_id":"labelled","options":[{"label":"B","value":"b"}]}}],
         "embeds":[{"title":"t","custom_id":"in_an_embed"}],"ephemeral":true}
        """;

    [Fact]
    public void Message_CustomIdsAtAnyDepthUnderAnyKey_AllCarryThePluginsPrefix()
    {
        var parameters = JsonNode.Parse(LayoutMessage)!.AsObject();

        var message = PluginMessages.Message(PluginA, parameters);

        var ids = CustomIdsIn(message);
        Assert.Equal(["in_an_embed", "reset", "yes", "deep", "pick", "labelled"], ids.Select(i => PluginA.Unwrap(i.CustomId)));
        Assert.All(ids, i => Assert.StartsWith(PluginA.Prefix, i.CustomId));
        Assert.Equal(PluginA.Prefix + "reset", message["components"]![0]!["accessory"]!["custom_id"]!.GetValue<string>());
        Assert.Null(message["components"]![1]!["components"]![0]!["components"]![1]!["custom_id"]);
        Assert.Equal(64, message["flags"]!.GetValue<int>());
        Assert.Equal(JsonNode.Parse(LayoutMessage)!.ToJsonString(), parameters.ToJsonString());
    }

    [Fact]
    public void Message_TwoPlugins_SameIdGetsDifferentPrefixesAndOnlyItsOwnUnwraps()
    {
        var parameters = JsonNode.Parse(LayoutMessage)!.AsObject();

        var a = CustomIdsIn(PluginMessages.Message(PluginA, parameters))[0].CustomId;
        var b = CustomIdsIn(PluginMessages.Message(PluginB, parameters))[0].CustomId;

        Assert.NotEqual(a, b);
        Assert.Null(PluginA.Unwrap(b));
        Assert.Null(PluginB.Unwrap(a));
    }

    [Theory]
    [InlineData("""{"components":[{"type":9,"accessory":{"type":2,"custom_id":5}}]}""", "components[0].accessory.custom_id must be a string")]
    [InlineData("""{"components":[{"type":17,"components":[{"type":1,"components":[{"type":2,"custom_id":{"id":"x"}}]}]}]}""", "components[0].components[0].components[0].custom_id must be a string")]
    [InlineData("""{"components":[{"type":18,"component":{"type":3,"custom_id":["a"]}}]}""", "components[0].component.custom_id must be a string")]
    public void Message_CustomIdThatCannotBePrefixed_RefusedNamingWhere(string json, string expected)
    {
        var error = Assert.Throws<JsonRpcException>(() => PluginMessages.Message(PluginA, JsonNode.Parse(json)!.AsObject()));

        Assert.Equal(JsonRpcException.InvalidParams, error.Code);
        Assert.Contains(expected, error.Message);
    }

    [Fact]
    public void Message_PluginAllowedMentions_ReplacedByUsersOnly()
    {
        var message = PluginMessages.Message(PluginA, JsonNode.Parse("""{"content":"@everyone","allowed_mentions":{"parse":["everyone","roles"]}}""")!.AsObject());

        Assert.Equal("""{"parse":["users"]}""", message["allowed_mentions"]!.ToJsonString());
    }

    [Theory]
    [InlineData(85, true)]
    [InlineData(86, false)]
    public void Message_CustomIdLength_LimitLeavesRoomForThePrefix(int length, bool accepted)
    {
        var parameters = new JsonObject { ["components"] = new JsonArray(new JsonObject { ["type"] = 9, ["accessory"] = new JsonObject { ["type"] = 2, ["custom_id"] = new string('x', length) } }) };

        if (accepted)
        {
            var id = PluginMessages.Message(PluginA, parameters)["components"]![0]!["accessory"]!["custom_id"]!.GetValue<string>();
            Assert.Equal(CustomIds.DiscordMaxLength, id.Length);
        }
        else
        {
            var error = Assert.Throws<JsonRpcException>(() => PluginMessages.Message(PluginA, parameters));
            Assert.Contains("components[0].accessory.custom_id", error.Message);
            Assert.Contains("1 to 85", error.Message);
        }
    }

    [Fact]
    public void Modal_OwnIdAndInputIds_AllPrefixed()
    {
        var parameters = JsonNode.Parse("""
            {"title":"Feedback","custom_id":"feedback_form","components":[
              {"type":1,"components":[{"type":4,"custom_id":"subject","style":1,"label":"Subject"}]},
              {"type":18,"label":"Area","component":{"type":3,"custom_id":"area","options":[{"label":"UI","value":"ui"}]}}]}
            """)!.AsObject();

        var modal = PluginMessages.Modal(PluginA, parameters);

        Assert.Equal(["feedback_form", "subject", "area"], CustomIdsIn(modal).Select(i => PluginA.Unwrap(i.CustomId)));
    }

    [Theory]
    [InlineData("""{"title":"t","components":[]}""", "custom_id")]
    [InlineData("""{"title":5,"custom_id":"f","components":[]}""", "title")]
    [InlineData("""{"title":"t","custom_id":"f","components":{}}""", "fields")]
    public void Modal_MissingOrWrongField_RefusedAsInvalidParams(string json, string named)
    {
        var error = Assert.Throws<JsonRpcException>(() => PluginMessages.Modal(PluginA, JsonNode.Parse(json)!.AsObject()));

        Assert.Equal(JsonRpcException.InvalidParams, error.Code);
        Assert.Contains(named, error.Message);
    }
}
