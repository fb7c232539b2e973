using System.Text.Json;
using System.Text.Json.Nodes;
using Serverless.Gateway;

namespace Serverless.Tests.Gateway;

/// <summary>
/// One test per event of docs/events.md, fed the dispatch shapes Discord documents (Gateway Events and the
/// Message, Guild Member, Channel, Role, Voice State and Interaction objects). Each expects exactly the
/// fields docs/events.md lists, nothing more.
/// </summary>
public sealed class EventMapTests
{
    private const string Guild = "197038439483310086";

    private static MappedEvent? Map(EventMap map, string type, string json)
    {
        using var document = JsonDocument.Parse(json);
        return map.Map(type, document.RootElement);
    }

    private static void AssertMapped(string type, string json, string expectedName, string expectedPayload, EventMap? map = null)
    {
        var mapped = Map(map ?? new EventMap(), type, json);

        Assert.NotNull(mapped);
        Assert.Equal(expectedName, mapped.Name);
        Assert.Equal(Guild, mapped.GuildId);
        Assert.True(JsonNode.DeepEquals(JsonNode.Parse(expectedPayload), mapped.Payload), mapped.Payload.ToJsonString());
    }

    [Fact]
    public void Map_MessageCreate_MessageFields()
    {
        AssertMapped("MESSAGE_CREATE", $$$"""
            {"id":"334385199974967042","channel_id":"290926798999357250","guild_id":"{{{Guild}}}",
             "author":{"id":"53908099506183680","username":"Mason","discriminator":"0","global_name":null,"avatar":"a_bab14f271d565501444b2ca3be944b25","bot":true},
             "member":{"roles":[],"joined_at":"2015-04-26T06:26:56.936000+00:00","deaf":false,"mute":false},
             "content":"Supa Hot","timestamp":"2017-07-11T17:27:07.299000+00:00","edited_timestamp":null,
             "tts":false,"mention_everyone":false,"mentions":[],"mention_roles":[],"attachments":[],"embeds":[],"pinned":false,"type":0}
            """, "message_create", """
            {"message_id":"334385199974967042","channel_id":"290926798999357250","author_id":"53908099506183680",
             "author_bot":true,"content":"Supa Hot","timestamp":"2017-07-11T17:27:07.299000+00:00"}
            """);
    }

    [Fact]
    public void Map_MessageUpdate_MessageEdit()
    {
        AssertMapped("MESSAGE_UPDATE", $$$"""
            {"id":"334385199974967042","channel_id":"290926798999357250","guild_id":"{{{Guild}}}",
             "author":{"id":"53908099506183680","username":"Mason"},"content":"Supa Hot (edited)",
             "timestamp":"2017-07-11T17:27:07.299000+00:00","edited_timestamp":"2017-07-11T17:28:00.000000+00:00","type":0}
            """, "message_edit", """
            {"message_id":"334385199974967042","channel_id":"290926798999357250","content":"Supa Hot (edited)"}
            """);
    }

    [Fact]
    public void Map_MessageDelete_Ids()
    {
        AssertMapped("MESSAGE_DELETE", $$$"""{"id":"334385199974967042","channel_id":"290926798999357250","guild_id":"{{{Guild}}}"}""",
            "message_delete", """{"message_id":"334385199974967042","channel_id":"290926798999357250"}""");
    }

    [Fact]
    public void Map_GuildMemberAdd_MemberJoin()
    {
        AssertMapped("GUILD_MEMBER_ADD", $$$"""
            {"user":{"id":"80351110224678912","username":"Nelly","discriminator":"0","global_name":"Nelly","avatar":null},
             "nick":null,"roles":[],"joined_at":"2015-04-26T06:26:56.936000+00:00","deaf":false,"mute":false,"flags":0,"guild_id":"{{{Guild}}}"}
            """, "member_join", $$$"""{"user_id":"80351110224678912","username":"Nelly","guild_id":"{{{Guild}}}"}""");
    }

    [Fact]
    public void Map_GuildMemberRemove_MemberLeave()
    {
        AssertMapped("GUILD_MEMBER_REMOVE", $$$"""
            {"guild_id":"{{{Guild}}}","user":{"id":"80351110224678912","username":"Nelly","discriminator":"0","avatar":null}}
            """, "member_leave", $$$"""{"user_id":"80351110224678912","username":"Nelly","guild_id":"{{{Guild}}}"}""");
    }

    [Fact]
    public void Map_GuildMemberUpdate_Roles()
    {
        AssertMapped("GUILD_MEMBER_UPDATE", $$$"""
            {"guild_id":"{{{Guild}}}","roles":["41771983423143936","41771983423143937"],
             "user":{"id":"80351110224678912","username":"Nelly"},"nick":"nel","joined_at":"2015-04-26T06:26:56.936000+00:00"}
            """, "member_update", """{"user_id":"80351110224678912","roles":["41771983423143936","41771983423143937"]}""");
    }

    [Fact]
    public void Map_MessageReactionAdd_UnicodeEmoji()
    {
        AssertMapped("MESSAGE_REACTION_ADD", $$$"""
            {"user_id":"80351110224678912","channel_id":"290926798999357250","message_id":"334385199974967042","guild_id":"{{{Guild}}}",
             "member":{"user":{"id":"80351110224678912"},"roles":[]},"emoji":{"id":null,"name":"🔥"},"burst":false,"type":0}
            """, "reaction_add", """
            {"message_id":"334385199974967042","channel_id":"290926798999357250","user_id":"80351110224678912","emoji":"🔥"}
            """);
    }

    [Fact]
    public void Map_MessageReactionRemove_CustomEmojiAsNameColonId()
    {
        AssertMapped("MESSAGE_REACTION_REMOVE", $$$"""
            {"user_id":"80351110224678912","channel_id":"290926798999357250","message_id":"334385199974967042","guild_id":"{{{Guild}}}",
             "emoji":{"id":"41771983429993937","name":"LUL","animated":false},"burst":false,"type":0}
            """, "reaction_remove", """
            {"message_id":"334385199974967042","channel_id":"290926798999357250","user_id":"80351110224678912","emoji":"LUL:41771983429993937"}
            """);
    }

    [Fact]
    public void Map_VoiceStateUpdate_MuteAndDeaf()
    {
        AssertMapped("VOICE_STATE_UPDATE", $$$"""
            {"guild_id":"{{{Guild}}}","channel_id":"157733188964188161","user_id":"80351110224678912",
             "session_id":"90326bd25d71d39b9ef95b299e3872ff","deaf":false,"mute":false,"self_deaf":false,"self_mute":true,
             "suppress":false,"self_video":false,"request_to_speak_timestamp":null}
            """, "voice_state_update", """
            {"user_id":"80351110224678912","channel_id":"157733188964188161","self_mute":true,"self_deaf":false}
            """);
    }

    [Fact]
    public void Map_VoiceStateUpdate_LeftVoice_ChannelNull()
    {
        AssertMapped("VOICE_STATE_UPDATE", $$$"""
            {"guild_id":"{{{Guild}}}","channel_id":null,"user_id":"80351110224678912","self_deaf":true,"self_mute":true}
            """, "voice_state_update", """{"user_id":"80351110224678912","channel_id":null,"self_mute":true,"self_deaf":true}""");
    }

    [Fact]
    public void Map_InteractionCreate_SlashCommand()
    {
        AssertMapped("INTERACTION_CREATE", $$$"""
            {"id":"786008729715212338","application_id":"775799577604522054","type":2,"guild_id":"{{{Guild}}}","channel_id":"772908445358620702",
             "data":{"id":"866818195033292851","name":"greet","type":1,"options":[{"name":"user","type":6,"value":"80351110224678912"}]},
             "member":{"user":{"id":"53908232506183680","username":"Mason"},"roles":[]},"token":"A_UNIQUE_TOKEN","version":1}
            """, "interaction_create", """
            {"interaction_id":"786008729715212338","interaction_type":2,"command_name":"greet","custom_id":null,"modal_values":null}
            """);
    }

    [Fact]
    public void Map_InteractionCreate_Button()
    {
        AssertMapped("INTERACTION_CREATE", $$$"""
            {"id":"846462639134605312","application_id":"775799577604522054","type":3,"guild_id":"{{{Guild}}}","channel_id":"772908445358620702",
             "data":{"custom_id":"yes_button","component_type":2},"message":{"id":"846462639121105312"},"token":"t","version":1}
            """, "interaction_create", """
            {"interaction_id":"846462639134605312","interaction_type":3,"command_name":null,"custom_id":"yes_button","modal_values":null}
            """);
    }

    [Fact]
    public void Map_InteractionCreate_ModalSubmit_ValuesByCustomId()
    {
        // Text inputs in action rows (classic modals) and a select inside a label (newer modals).
        AssertMapped("INTERACTION_CREATE", $$$"""
            {"id":"846462639134605313","application_id":"775799577604522054","type":5,"guild_id":"{{{Guild}}}",
             "data":{"custom_id":"feedback_form","components":[
               {"type":1,"components":[{"type":4,"custom_id":"subject","value":"Bug"}]},
               {"type":1,"components":[{"type":4,"custom_id":"details","value":"It broke"}]},
               {"type":18,"id":5,"component":{"type":3,"custom_id":"area","values":["ui","api"]}}]},
             "token":"t","version":1}
            """, "interaction_create", """
            {"interaction_id":"846462639134605313","interaction_type":5,"command_name":null,"custom_id":"feedback_form",
             "modal_values":{"subject":"Bug","details":"It broke","area":["ui","api"]}}
            """);
    }

    [Fact]
    public void Map_ChannelCreate_IdNameType()
    {
        AssertMapped("CHANNEL_CREATE", $$$"""
            {"id":"41771983423143937","guild_id":"{{{Guild}}}","name":"general","type":0,"position":6,"permission_overwrites":[],
             "rate_limit_per_user":2,"nsfw":true,"topic":"24/7 chat about how to gank Mike #2","last_message_id":"155117677105512449","parent_id":"399942396007890945"}
            """, "channel_create", """{"id":"41771983423143937","name":"general","type":0}""");
    }

    [Fact]
    public void Map_ChannelDelete_IdName()
    {
        AssertMapped("CHANNEL_DELETE", $$$"""{"id":"155101607195836416","guild_id":"{{{Guild}}}","name":"ROCKET CHEESE","type":2,"bitrate":64000,"user_limit":0}""",
            "channel_delete", """{"id":"155101607195836416","name":"ROCKET CHEESE"}""");
    }

    [Fact]
    public void Map_ChannelUpdate_IdName()
    {
        AssertMapped("CHANNEL_UPDATE", $$$"""{"id":"41771983423143937","guild_id":"{{{Guild}}}","name":"general-2","type":0,"position":6}""",
            "channel_update", """{"id":"41771983423143937","name":"general-2"}""");
    }

    [Fact]
    public void Map_GuildRoleCreate_IdName()
    {
        AssertMapped("GUILD_ROLE_CREATE", $$$"""
            {"guild_id":"{{{Guild}}}","role":{"id":"41771983423143936","name":"WE DEM BOYZZ!!!!!!","color":3447003,"hoist":true,"icon":null,
             "unicode_emoji":null,"position":1,"permissions":"66321471","managed":false,"mentionable":false,"flags":0}}
            """, "role_create", """{"id":"41771983423143936","name":"WE DEM BOYZZ!!!!!!"}""");
    }

    [Fact]
    public void Map_GuildRoleUpdate_IdName()
    {
        AssertMapped("GUILD_ROLE_UPDATE", $$$"""{"guild_id":"{{{Guild}}}","role":{"id":"41771983423143936","name":"moderators","position":2}}""",
            "role_update", """{"id":"41771983423143936","name":"moderators"}""");
    }

    [Fact]
    public void Map_GuildRoleDelete_NameFromEarlierGuildCreate()
    {
        // Discord sends only the ids on delete; the name is what this connection saw before.
        var map = new EventMap();
        Map(map, "GUILD_CREATE", $$$"""{"id":"{{{Guild}}}","name":"g","roles":[{"id":"41771983423143936","name":"moderators"},{"id":"2","name":"other"}]}""");

        AssertMapped("GUILD_ROLE_DELETE", $$$"""{"guild_id":"{{{Guild}}}","role_id":"41771983423143936"}""",
            "role_delete", """{"id":"41771983423143936","name":"moderators"}""", map);
    }

    [Fact]
    public void Map_GuildRoleDelete_RenamedRole_LatestName()
    {
        var map = new EventMap();
        Map(map, "GUILD_ROLE_CREATE", $$$"""{"guild_id":"{{{Guild}}}","role":{"id":"9","name":"old"}}""");
        Map(map, "GUILD_ROLE_UPDATE", $$$"""{"guild_id":"{{{Guild}}}","role":{"id":"9","name":"new"}}""");

        AssertMapped("GUILD_ROLE_DELETE", $$$"""{"guild_id":"{{{Guild}}}","role_id":"9"}""", "role_delete", """{"id":"9","name":"new"}""", map);
    }

    [Fact]
    public void Map_GuildRoleDelete_UnknownRole_NameNull()
    {
        AssertMapped("GUILD_ROLE_DELETE", $$$"""{"guild_id":"{{{Guild}}}","role_id":"41771983423143936"}""",
            "role_delete", """{"id":"41771983423143936","name":null}""");
    }

    [Theory]
    [InlineData("MESSAGE_CREATE", """{"id":"1","channel_id":"2","author":{"id":"3"},"content":"dm","timestamp":"2017-07-11T17:27:07.299000+00:00"}""")]
    [InlineData("MESSAGE_REACTION_ADD", """{"user_id":"1","channel_id":"2","message_id":"3","emoji":{"id":null,"name":"🔥"}}""")]
    [InlineData("INTERACTION_CREATE", """{"id":"1","type":2,"data":{"name":"greet"},"user":{"id":"3"}}""")]
    public void Map_NoGuild_Dropped(string type, string json)
    {
        Assert.Null(Map(new EventMap(), type, json));
    }

    [Theory]
    [InlineData("READY")]
    [InlineData("GUILD_CREATE")]
    [InlineData("TYPING_START")]
    [InlineData("PRESENCE_UPDATE")]
    public void Map_NotASeedEvent_Dropped(string type)
    {
        Assert.Null(Map(new EventMap(), type, $$$"""{"id":"{{{Guild}}}","guild_id":"{{{Guild}}}"}"""));
    }

    [Fact]
    public void Entries_AreTheSixteenSeedEvents()
    {
        Assert.Equal(
            ["channel_create", "channel_delete", "channel_update", "interaction_create", "member_join", "member_leave", "member_update",
             "message_create", "message_delete", "message_edit", "reaction_add", "reaction_remove", "role_create", "role_delete",
             "role_update", "voice_state_update"],
            EventMap.Entries.Select(e => e.Name).Order(StringComparer.Ordinal));
    }
}
