using System.Text;
using System.Text.Json.Nodes;
using Serverless.Platform.Packages;
using Serverless.Tests.Packages.Fixtures;

namespace Serverless.Tests.Packages;

public class ManifestParserTests
{
    private static ManifestParseResult Parse(string json) => ManifestParser.Parse(Encoding.UTF8.GetBytes(json));

    private static ManifestParseResult Parse(JsonNode node) => ManifestParser.Parse(PluginZip.Utf8(node));

    /// <summary>Parses <c>{"id","version"} + extra</c> and returns the only error, asserting there is exactly one.</summary>
    private static PackageIssue SingleError(string extraJson)
    {
        var result = Parse(PluginZip.Manifest(extra: (JsonObject)JsonNode.Parse(extraJson)!));
        return Assert.Single(result.Errors);
    }

    private static void AssertError(string extraJson, string code, string path)
    {
        var result = Parse(PluginZip.Manifest(extra: (JsonObject)JsonNode.Parse(extraJson)!));
        Assert.Contains(result.Errors, e => e.Code == code && e.Path == path);
    }

    public static IEnumerable<TheoryDataRow<string>> ValidFixtureManifests() => ValidManifests.All.Select(m => new TheoryDataRow<string>(m));

    [Theory]
    [MemberData(nameof(ValidFixtureManifests))]
    public void Parse_ValidFixtureManifest_HasNoErrorsOrWarnings(string json)
    {
        var result = Parse(json);
        Assert.Empty(result.Errors);
        Assert.Empty(result.Warnings);
        Assert.True(result.IsValid);
    }

    [Fact]
    public void Parse_Seed000Example_ReadsCommandAndOptions()
    {
        var result = Parse(PluginZip.GreetManifest());
        Assert.True(result.IsValid);
        var manifest = result.Manifest!;
        Assert.Equal("my_plugin", manifest.Id);
        Assert.Equal("My Plugin", manifest.Name);
        var command = Assert.Single(manifest.SlashCommands);
        Assert.Equal("greet", command.Name);
        Assert.Equal([CommandOptionType.User, CommandOptionType.String], command.Options.Select(o => o.Type));
        Assert.Equal([true, false], command.Options.Select(o => o.Required));
        Assert.Equal(PluginManifest.DefaultEntrypoint, manifest.Entrypoint);
        Assert.False(command.DiscordJson.TryGetProperty("response", out _));
        Assert.Equal("greet", command.DiscordJson.GetProperty("name").GetString());
    }

    [Fact]
    public void EffectiveCapabilities_SlashCommandWithoutDeclaredCapability_AddsInteractionRespond()
    {
        var manifest = PluginZip.GreetManifest();
        manifest.Remove("capabilities_required");
        var result = Parse(manifest);
        Assert.True(result.IsValid);
        Assert.Empty(result.Manifest!.CapabilitiesRequired);
        Assert.Equal(["interaction:respond"], result.Manifest.EffectiveCapabilities);
    }

    [Fact]
    public void EffectiveCapabilities_NoCommands_IsWhatIsDeclared()
    {
        var result = Parse("""{"id":"a","version":"1.0","capabilities_required":["events:emit","messages:send"]}""");
        Assert.Equal(["events:emit", "messages:send"], result.Manifest!.EffectiveCapabilities);
    }

    [Fact]
    public void Parse_KvListedAsCapability_ValidWithWarningAndNotRequested()
    {
        var result = Parse("""{"id":"a","version":"1.0","name":"A","capabilities_required":["kv","messages:send"]}""");

        Assert.True(result.IsValid);
        Assert.Empty(result.Errors);
        var warning = Assert.Single(result.Warnings);
        Assert.Equal((IssueCodes.KvNeedsNoCapability, "$.capabilities_required[0]"), (warning.Code, warning.Path));
        Assert.StartsWith("kv needs no capability; every install has its own store", warning.Message);
        Assert.Equal(["messages:send"], result.Manifest!.EffectiveCapabilities);
    }

    [Theory]
    [InlineData("my_plugin")]
    [InlineData("anotherhelper123")]
    [InlineData("__a_cool_plugin__")]
    [InlineData("a")]
    [InlineData("a234567890123456789012345678901234567890123456789012345678901234")]
    public void Parse_Seed003AllowedIds_Accepted(string id)
    {
        var result = Parse(PluginZip.Manifest(id));
        Assert.Empty(result.Errors);
        Assert.Equal(id, result.Manifest!.Id);
    }

    [Theory]
    [InlineData("MyPlugin")]
    [InlineData("another-helper-123")]
    [InlineData("a cool plugin")]
    [InlineData("")]
    [InlineData("a2345678901234567890123456789012345678901234567890123456789012345")]
    [InlineData("platform")]
    public void Parse_Seed003RefusedIds_InvalidIdAtIdPath(string id)
    {
        var result = Parse(PluginZip.Manifest(id));
        var error = Assert.Single(result.Errors);
        Assert.Equal(IssueCodes.InvalidId, error.Code);
        Assert.Equal("$.id", error.Path);
        Assert.Null(result.Manifest);
    }

    [Fact]
    public void Parse_Seed003FullMetadata_ReadsEveryField()
    {
        var result = Parse("""
            {
              "id": "my_plugin_id",
              "version": "1.0.0",
              "name": "My Plugin",
              "description": "A plugin to do something cool",
              "author": "myself",
              "link": "https://github.com",
              "dependencies": {
                "platform": ">=1.0.0 <2.0",
                "my_library": ">=1.0.0",
                "an_important_api": "*",
                "another_api_1": "1.0.*",
                "another_api_2": "2.7.x"
              },
              "help": "!!my_plugin help"
            }
            """);
        Assert.True(result.IsValid, string.Join("; ", result.Errors));
        var manifest = result.Manifest!;
        Assert.Equal(["myself"], manifest.Authors);
        Assert.Equal("https://github.com", manifest.Link);
        Assert.Equal(["platform", "my_library", "an_important_api", "another_api_1", "another_api_2"], manifest.Dependencies.Keys);
        Assert.Equal("2.7.x", manifest.Dependencies["another_api_2"].Text);
        Assert.Single(manifest.PlatformRequirements);
        Assert.Null(manifest.Entrypoint);
    }

    [Fact]
    public void Parse_AuthorList_ReadsAll()
    {
        var result = Parse("""{"id":"a","version":"1","author":["ann","bob"]}""");
        Assert.Equal(["ann", "bob"], result.Manifest!.Authors);
    }

    [Fact]
    public void Parse_Seed004HookManifest_ReadsHooksSubcommandsAndProtocol()
    {
        var result = Parse("""
            {
              "id": "hooks_plugin",
              "version": "0.3.0",
              "name": "Hooks",
              "description": "Uses hooks",
              "platform_version": "0.5.0",
              "hooks": {
                "on_load": { "constant": { "greeting": "hi" } },
                "subcommand": { "executable": "${PLUGIN_DIR}/bin/run.sh", "args": ["--fast"] },
                "system_tool": { "executable": "python3" }
              },
              "subcommands": { "sync": "Synchronise everything" },
              "dependencies": ["other_plugin"],
              "protocol_version": 1,
              "raw_transfer": true
            }
            """);
        Assert.True(result.IsValid, string.Join("; ", result.Errors));
        var manifest = result.Manifest!;
        Assert.Equal("hi", Assert.IsType<ConstantHook>(manifest.Hooks["on_load"]).Value.GetProperty("greeting").GetString());
        var executable = Assert.IsType<ExecutableHook>(manifest.Hooks["subcommand"]);
        Assert.Equal("bin/run.sh", executable.PackagedPath);
        Assert.Equal(["--fast"], executable.Args);
        Assert.Null(Assert.IsType<ExecutableHook>(manifest.Hooks["system_tool"]).PackagedPath);
        Assert.Equal("Synchronise everything", manifest.Subcommands["sync"]);
        Assert.Equal("*", manifest.Dependencies["other_plugin"].Text);
        Assert.True(manifest.RawTransfer);
        Assert.Equal("0.5.0", manifest.PlatformVersion!.Text);
        Assert.Equal(">=0.5.0", Assert.Single(manifest.PlatformRequirements).Text);
        Assert.Null(manifest.Entrypoint);
    }

    [Theory]
    [InlineData("""{"hooks":{"h":{"constant":1,"executable":"x"}}}""", "$.hooks.h")]
    [InlineData("""{"hooks":{"h":{}}}""", "$.hooks.h")]
    [InlineData("""{"hooks":{"h":{"args":["x"]}}}""", "$.hooks.h")]
    [InlineData("""{"hooks":{"h":{"constant":1,"args":[]}}}""", "$.hooks.h.args")]
    [InlineData("""{"hooks":{"h":{"executable":"bin/${PLUGIN_DIR}/x"}}}""", "$.hooks.h.executable")]
    [InlineData("""{"hooks":{"Bad-Id":{"constant":1}}}""", "$.hooks[\"Bad-Id\"]")]
    public void Parse_BadHook_InvalidHook(string extra, string path) => AssertError(extra, IssueCodes.InvalidHook, path);

    [Fact]
    public void Parse_HookExecutableEscapingPluginDir_PathTraversal() =>
        AssertError("""{"hooks":{"h":{"executable":"${PLUGIN_DIR}/../../bin/sh"}}}""", IssueCodes.PathTraversal, "$.hooks.h.executable");

    [Theory]
    [InlineData(0)]
    [InlineData(2)]
    [InlineData(99)]
    public void Parse_UnknownProtocolVersion_Refused(int version)
    {
        var error = SingleError($$"""{"protocol_version":{{version}}}""");
        Assert.Equal(IssueCodes.UnsupportedProtocolVersion, error.Code);
        Assert.Equal("$.protocol_version", error.Path);
    }

    [Fact]
    public void Parse_MissingIdWithoutFileName_ErrorAndVersionFallsBack()
    {
        var result = Parse("""{"name":"x"}""");
        Assert.Null(result.Manifest);
        Assert.Equal([(IssueCodes.MissingField, "$.id")], result.Errors.Select(e => (e.Code, e.Path)));
        Assert.Equal([(IssueCodes.FieldFallback, "$.version")], result.Warnings.Select(w => (w.Code, w.Path)));
    }

    [Fact]
    public void Parse_NoIdVersionOrName_FallsBackToFileNameZeroAndIdEachWithWarning()
    {
        var result = ManifestParser.Parse("""{"description":"d"}"""u8, fallbackId: "hello_world");

        Assert.True(result.IsValid, string.Join("; ", result.Errors));
        Assert.Equal(("hello_world", "0.0.0", "hello_world"), (result.Manifest!.Id, result.Manifest.Version.Text, result.Manifest.Name));
        Assert.Equal(["$.id", "$.name", "$.version"], result.Warnings.Where(w => w.Code == IssueCodes.FieldFallback).Select(w => w.Path).Order());
        Assert.Contains(result.Warnings, w => w.Path == "$.id" && w.Message.Contains("\"id\": \"hello_world\"", StringComparison.Ordinal));
    }

    [Theory]
    [InlineData("HelloWorld")]
    [InlineData("my-plugin-1.0.0")]
    [InlineData("platform")]
    public void Parse_NoIdAndFileNameNotAnId_RefusedNamingTheFileName(string fileName)
    {
        var result = ManifestParser.Parse("""{"version":"1.0.0"}"""u8, fallbackId: fileName);

        Assert.False(result.IsValid);
        var error = Assert.Single(result.Errors);
        Assert.Equal((IssueCodes.InvalidId, "$.id"), (error.Code, error.Path));
        Assert.Contains($"the file name '{fileName}'", error.Message);
        Assert.Contains("add \"id\" to manifest.json", error.Message);
    }

    [Fact]
    public void Parse_IdPresent_FileNameIgnored()
    {
        var result = ManifestParser.Parse("""{"id":"real_id","version":"1.0.0","name":"N"}"""u8, fallbackId: "Other-Name");

        Assert.Equal("real_id", result.Manifest!.Id);
        Assert.Empty(result.Warnings);
    }

    [Fact]
    public void Parse_ManyProblems_CollectsEveryOneWithItsPath()
    {
        var result = Parse("""
            {
              "id": 5, "version": "one", "name": [], "raw_transfer": "yes", "pool": 1,
              "capabilities_required": ["kv", "admin"], "events": ["message_create", "Bad Event"],
              "dependencies": {"ok_dep": ">=1", "BadId": "*", "x": ">>1"},
              "slash_commands": [{"name": "Greet", "description": ""}]
            }
            """);
        var got = result.Errors.Select(e => (e.Code, e.Path)).ToHashSet();
        (string, string)[] expected =
        [
            (IssueCodes.WrongType, "$.id"), (IssueCodes.InvalidVersion, "$.version"), (IssueCodes.WrongType, "$.name"),
            (IssueCodes.WrongType, "$.raw_transfer"), (IssueCodes.WrongType, "$.pool"),
            (IssueCodes.UnknownCapability, "$.capabilities_required[1]"), (IssueCodes.UnknownEvent, "$.events[1]"),
            (IssueCodes.InvalidId, "$.dependencies.BadId"), (IssueCodes.InvalidRequirement, "$.dependencies.x"),
            (IssueCodes.InvalidCommand, "$.slash_commands[0].name"), (IssueCodes.InvalidCommand, "$.slash_commands[0].description"),
        ];
        foreach (var item in expected)
        {
            Assert.Contains(item, got);
        }
        Assert.Equal(expected.Length, result.Errors.Count);
    }

    [Fact]
    public void Parse_UnknownFields_WarnsButStaysValid()
    {
        var result = Parse("""{"id":"a","version":"1","name":"A","colour":"red","slash_commands":[{"name":"x","description":"y","emoji":"z"}]}""");
        Assert.True(result.IsValid);
        Assert.Equal([("unknown_field", "$.colour"), ("unknown_field", "$.slash_commands[0].emoji")], result.Warnings.Select(w => (w.Code, w.Path)));
    }

    [Theory]
    [InlineData("""{"id":"a","id":"b","version":"1"}""", "$.id")]
    [InlineData("""{"id":"a","version":"1","hooks":{"h":{"constant":1,"constant":2}}}""", "$.hooks.h.constant")]
    [InlineData("""{"id":"a","version":"1","slash_commands":[{"name":"x","description":"y"},{"name":"z","name":"w","description":"d"}]}""", "$.slash_commands[1].name")]
    [InlineData("""{"id":"a","version":"1","x":[[1,{"k":1,"\u006b":2}]]}""", "$.x[0][1].k")]
    public void Parse_DuplicateKey_ErrorWithPath(string json, string path)
    {
        var result = Parse(json);
        var error = Assert.Single(result.Errors);
        Assert.Equal((IssueCodes.DuplicateKey, path), (error.Code, error.Path));
    }

    [Theory]
    [InlineData("")]
    [InlineData("{")]
    [InlineData("""{"id":"a",}""")]
    [InlineData("""{"id":'a'}""")]
    [InlineData("""{"id":"a"} {}""")]
    [InlineData("// comment\n{}")]
    public void Parse_InvalidJson_ManifestJson(string json) =>
        Assert.Equal(IssueCodes.ManifestJson, Assert.Single(Parse(json).Errors).Code);

    [Fact]
    public void Parse_DeepNesting_ManifestJsonNotStackOverflow()
    {
        var json = """{"id":"a","version":"1","x":""" + new string('[', 10_000) + new string(']', 10_000) + "}";
        Assert.Equal(IssueCodes.ManifestJson, Assert.Single(Parse(json).Errors).Code);
    }

    [Theory]
    [InlineData(new byte[] { 0x7B, 0x22, 0xC3, 0x28, 0x22, 0x3A, 0x31, 0x7D })]
    [InlineData(new byte[] { 0xFF, 0xFE, 0x7B, 0x00, 0x7D, 0x00 })]
    public void Parse_NotUtf8_ManifestEncoding(byte[] bytes) =>
        Assert.Equal(IssueCodes.ManifestEncoding, Assert.Single(ManifestParser.Parse(bytes).Errors).Code);

    [Fact]
    public void Parse_Utf8Bom_Accepted() =>
        Assert.True(ManifestParser.Parse([0xEF, 0xBB, 0xBF, .. """{"id":"a","version":"1"}"""u8]).IsValid);

    [Fact]
    public void Parse_RootNotObject_WrongType() =>
        Assert.Equal((IssueCodes.WrongType, "$"), Assert.Single(Parse("[1]").Errors) is var e ? (e.Code, e.Path) : default);

    // --- slash commands against Discord's limits ---

    private static string Command(string options) => $$"""{"slash_commands":[{"name":"cmd","description":"d","options":{{options}}}]}""";

    private static string Opt(string name, int type, bool required = false, string more = "") =>
        $$"""{"name":"{{name}}","description":"d","type":{{type}},"required":{{(required ? "true" : "false")}}{{more}}}""";

    [Theory]
    [InlineData("greet")]
    [InlineData("échange")]
    [InlineData("top-10_list")]
    [InlineData("数字")]
    [InlineData("a2345678901234567890123456789012")]
    public void Parse_ValidCommandName_Accepted(string name) =>
        Assert.Empty(Parse(PluginZip.Manifest(extra: (JsonObject)JsonNode.Parse($$"""{"slash_commands":[{"name":"{{name}}","description":"d"}]}""")!)).Errors);

    [Theory]
    [InlineData("Greet")]
    [InlineData("ÉCHANGE")]
    [InlineData("has space")]
    [InlineData("bang!")]
    [InlineData("")]
    [InlineData("a23456789012345678901234567890123")]
    public void Parse_InvalidCommandName_InvalidCommand(string name) =>
        AssertError($$"""{"slash_commands":[{"name":"{{name}}","description":"d"}]}""", IssueCodes.InvalidCommand, "$.slash_commands[0].name");

    [Fact]
    public void Parse_DescriptionOver100_InvalidCommand() =>
        AssertError($$"""{"slash_commands":[{"name":"x","description":"{{new string('d', 101)}}"}]}""", IssueCodes.InvalidCommand, "$.slash_commands[0].description");

    [Fact]
    public void Parse_Over100Commands_TooManyCommands()
    {
        var commands = string.Join(',', Enumerable.Range(0, 101).Select(i => $$"""{"name":"c{{i}}","description":"d"}"""));
        var error = SingleError($$"""{"slash_commands":[{{commands}}]}""");
        Assert.Equal((IssueCodes.TooManyCommands, "$.slash_commands"), (error.Code, error.Path));
    }

    [Fact]
    public void Parse_Exactly100Commands_Accepted()
    {
        var commands = string.Join(',', Enumerable.Range(0, 100).Select(i => $$"""{"name":"c{{i}}","description":"d"}"""));
        Assert.Empty(Parse(PluginZip.Manifest(extra: (JsonObject)JsonNode.Parse($$"""{"slash_commands":[{{commands}}]}""")!)).Errors);
    }

    [Fact]
    public void Parse_DuplicateCommandName_DuplicateCommand() =>
        AssertError("""{"slash_commands":[{"name":"x","description":"d"},{"name":"x","description":"e"}]}""", IssueCodes.DuplicateCommand, "$.slash_commands[1].name");

    [Fact]
    public void Parse_26Options_TooManyOptions()
    {
        var options = "[" + string.Join(',', Enumerable.Range(0, 26).Select(i => Opt($"o{i}", 3))) + "]";
        var error = SingleError(Command(options));
        Assert.Equal((IssueCodes.TooManyOptions, "$.slash_commands[0].options"), (error.Code, error.Path));
    }

    [Fact]
    public void Parse_26Choices_TooManyChoices()
    {
        var choices = string.Join(',', Enumerable.Range(0, 26).Select(i => $$"""{"name":"c{{i}}","value":"v{{i}}"}"""));
        var error = SingleError(Command($$"""[{{Opt("o", 3, more: $$""","choices":[{{choices}}]""")}}]"""));
        Assert.Equal((IssueCodes.TooManyChoices, "$.slash_commands[0].options[0].choices"), (error.Code, error.Path));
    }

    [Fact]
    public void Parse_RequiredAfterOptional_OptionOrderAtThatOption()
    {
        var error = SingleError(Command($"[{Opt("a", 3, true)},{Opt("b", 3)},{Opt("c", 4, true)}]"));
        Assert.Equal((IssueCodes.OptionOrder, "$.slash_commands[0].options[2].required"), (error.Code, error.Path));
    }

    [Theory]
    [InlineData(3)]
    [InlineData(4)]
    [InlineData(5)]
    [InlineData(6)]
    [InlineData(7)]
    [InlineData(8)]
    [InlineData(9)]
    [InlineData(10)]
    [InlineData(11)]
    public void Parse_PlainOptionTypes_Accepted(int type) =>
        Assert.Empty(Parse(PluginZip.Manifest(extra: (JsonObject)JsonNode.Parse(Command($"[{Opt("o", type)}]"))!)).Errors);

    [Theory]
    [InlineData("0")]
    [InlineData("12")]
    [InlineData("\"3\"")]
    [InlineData("3.5")]
    public void Parse_UnknownOptionType_InvalidOptionType(string type) =>
        AssertError(Command($$"""[{"name":"o","description":"d","type":{{type}}}]"""), IssueCodes.InvalidOptionType, "$.slash_commands[0].options[0].type");

    [Fact]
    public void Parse_GroupWithSubcommandsWithOptions_Accepted()
    {
        var sub = Opt("add", 1, more: $""","options":[{Opt("name", 3, true)},{Opt("count", 4)}]""");
        var group = Opt("items", 2, more: $""","options":[{sub},{Opt("clear", 1)}]""");
        var result = Parse(PluginZip.Manifest(extra: (JsonObject)JsonNode.Parse(Command($"[{group},{Opt("ping", 1)}]"))!));
        Assert.True(result.IsValid, string.Join("; ", result.Errors));
        var items = result.Manifest!.SlashCommands[0].Options[0];
        Assert.Equal(CommandOptionType.SubCommandGroup, items.Type);
        Assert.Equal(["name", "count"], items.Options[0].Options.Select(o => o.Name));
    }

    [Fact]
    public void Parse_GroupInsideGroup_OptionNesting()
    {
        var inner = Opt("inner", 2, more: $""","options":[{Opt("s", 1)}]""");
        var outer = Opt("outer", 2, more: $""","options":[{inner}]""");
        AssertError(Command($"[{outer}]"), IssueCodes.OptionNesting, "$.slash_commands[0].options[0].options[0].type");
    }

    [Fact]
    public void Parse_SubcommandInsideSubcommand_OptionNesting() =>
        AssertError(Command($"""[{Opt("a", 1, more: $""","options":[{Opt("b", 1)}]""")}]"""), IssueCodes.OptionNesting, "$.slash_commands[0].options[0].options[0].type");

    [Fact]
    public void Parse_PlainOptionInsideGroup_OptionNesting() =>
        AssertError(Command($"""[{Opt("g", 2, more: $""","options":[{Opt("b", 3)}]""")}]"""), IssueCodes.OptionNesting, "$.slash_commands[0].options[0].options[0].type");

    [Fact]
    public void Parse_SubcommandMixedWithPlainOption_OptionNesting() =>
        AssertError(Command($"[{Opt("s", 1)},{Opt("plain", 3)}]"), IssueCodes.OptionNesting, "$.slash_commands[0].options[1]");

    [Fact]
    public void Parse_OptionsOnPlainOption_OptionNesting() =>
        AssertError(Command($"""[{Opt("p", 3, more: $""","options":[{Opt("x", 3)}]""")}]"""), IssueCodes.OptionNesting, "$.slash_commands[0].options[0].options");

    [Fact]
    public void Parse_AutocompleteWithChoices_Refused() =>
        AssertError(Command($$"""[{{Opt("o", 3, more: ""","autocomplete":true,"choices":[{"name":"a","value":"a"}]""")}}]"""), IssueCodes.AutocompleteWithChoices, "$.slash_commands[0].options[0].autocomplete");

    [Fact]
    public void Parse_AutocompleteAlone_Accepted() =>
        Assert.Empty(Parse(PluginZip.Manifest(extra: (JsonObject)JsonNode.Parse(Command($$"""[{{Opt("o", 3, more: ""","autocomplete":true""")}}]"""))!)).Errors);

    [Theory]
    [InlineData(3, "1")]
    [InlineData(4, "\"1\"")]
    [InlineData(4, "1.5")]
    [InlineData(10, "\"1.5\"")]
    [InlineData(3, "\"\"")]
    public void Parse_ChoiceValueOfWrongType_ChoiceTypeMismatch(int type, string value) =>
        AssertError(Command($$"""[{{Opt("o", type, more: $$""","choices":[{"name":"a","value":{{value}}}]""")}}]"""), IssueCodes.ChoiceTypeMismatch, "$.slash_commands[0].options[0].choices[0].value");

    [Theory]
    [InlineData(3, "\"x\"")]
    [InlineData(4, "7")]
    [InlineData(10, "7.25")]
    [InlineData(10, "7")]
    public void Parse_ChoiceValueOfRightType_Accepted(int type, string value) =>
        Assert.Empty(Parse(PluginZip.Manifest(extra: (JsonObject)JsonNode.Parse(Command($$"""[{{Opt("o", type, more: $$""","choices":[{"name":"a","value":{{value}}}]""")}}]"""))!)).Errors);

    // --- declared responses ---

    [Fact]
    public void Parse_DeclaredResponses_ReadAllThreeKinds()
    {
        var result = Parse("""
            {"id":"a","version":"1","entrypoint":null,"slash_commands":[
              {"name":"rules","description":"d","response":{"type":"message","content":"Be nice","ephemeral":true,
                "components":[{"type":1,"components":[{"type":2,"style":1,"label":"OK","custom_id":"ok"}]}]}},
              {"name":"feedback","description":"d","response":{"type":"modal","title":"Send Feedback","custom_id":"feedback_form",
                "components":[{"type":1,"components":[{"type":4,"custom_id":"subject","label":"Subject","style":1}]}]}},
              {"name":"slow","description":"d","response":{"type":"defer","ephemeral":true}}
            ]}
            """);
        Assert.True(result.IsValid, string.Join("; ", result.Errors));
        var commands = result.Manifest!.SlashCommands;
        var message = Assert.IsType<MessageResponse>(commands[0].Response);
        Assert.Equal(("Be nice", true), (message.Content, message.Ephemeral));
        Assert.Equal("feedback_form", Assert.IsType<ModalResponse>(commands[1].Response).CustomId);
        Assert.True(Assert.IsType<DeferResponse>(commands[2].Response).Ephemeral);
        Assert.Null(result.Manifest.Entrypoint);
    }

    [Theory]
    [InlineData("""{"type":"modal","title":"t","custom_id":"","components":[{"type":1}]}""", IssueCodes.InvalidCustomId, "$.slash_commands[0].response.custom_id")]
    [InlineData("""{"type":"modal","title":"t","custom_id":"CUSTOMID_101","components":[{"type":1}]}""", IssueCodes.InvalidCustomId, "$.slash_commands[0].response.custom_id")]
    [InlineData("""{"type":"modal","title":"t","custom_id":"f","components":[{"type":1,"components":[{"type":4,"custom_id":""}]}]}""", IssueCodes.InvalidCustomId, "$.slash_commands[0].response.components[0].components[0].custom_id")]
    [InlineData("""{"type":"modal","title":"t","custom_id":"f"}""", IssueCodes.MissingField, "$.slash_commands[0].response.components")]
    [InlineData("""{"type":"message"}""", IssueCodes.InvalidResponse, "$.slash_commands[0].response")]
    [InlineData("""{"type":"popup"}""", IssueCodes.InvalidResponse, "$.slash_commands[0].response.type")]
    [InlineData("""{"type":"defer","ephemeral":"yes"}""", IssueCodes.WrongType, "$.slash_commands[0].response.ephemeral")]
    public void Parse_BadResponse_ErrorWithPath(string response, string code, string path) =>
        AssertError($$"""{"slash_commands":[{"name":"x","description":"d","response":{{response.Replace("CUSTOMID_101", new string('c', 101))}}}]}""", code, path);

    // --- crons, events, entrypoint ---

    [Theory]
    [InlineData("0 9 * * 1")]
    [InlineData("*/15 * * * *")]
    [InlineData("30 0 1 * *")]
    [InlineData("0 9 * * 0")]
    [InlineData("0 9 * * 6")]
    [InlineData("0-30/10 8-17 1,15 * 1-5")]
    public void Parse_Seed000CronSpecs_Accepted(string spec)
    {
        var result = Parse(PluginZip.Manifest(extra: new JsonObject { ["pool"] = true, ["crons"] = new JsonArray(new JsonObject { ["id"] = "c", ["spec"] = spec, ["handler"] = "weekly_report" }) }));
        Assert.True(result.IsValid, string.Join("; ", result.Errors));
        Assert.Equal(spec, Assert.Single(result.Manifest!.Crons).Spec);
        Assert.True(result.Manifest.Pool);
    }

    [Theory]
    [InlineData("0 9 * *")]
    [InlineData("0 0 9 * * 1")]
    [InlineData("61 * * * *")]
    [InlineData("0 25 * * *")]
    [InlineData("0 9 * * 8")]
    [InlineData("every monday")]
    [InlineData("0 9 * * MON")]
    [InlineData("0 0 1 JAN *")]
    [InlineData("5/15 * * * *")]
    [InlineData("*/0 * * * *")]
    [InlineData("5-1 * * * *")]
    [InlineData("0 0 30 2 *")]
    [InlineData("0 0 31 4,6,9,11 *")]
    public void Parse_BadCronSpec_InvalidCron(string spec) =>
        AssertError($$"""{"crons":[{"id":"c","spec":"{{spec}}","handler":"h"}]}""", IssueCodes.InvalidCron, "$.crons[0].spec");

    [Theory]
    [InlineData("0 0 32 * *", "cron day-of-month: 32 is outside 1-31")]
    [InlineData("0 0 30 2 *", "cron day-of-month: never fires: no selected month has a day 30")]
    [InlineData("0 9 * * MON", "cron day-of-week: names such as 'MON' are not supported: use numbers 0-6")]
    public void Parse_BadCronSpec_MessageNamesTheField(string spec, string problem) =>
        Assert.EndsWith(": " + problem, SingleError($$"""{"crons":[{"id":"c","spec":"{{spec}}","handler":"h"}]}""").Message, StringComparison.Ordinal);

    [Fact]
    public void Parse_CronSpecWrongInSeveralFields_OneErrorPerField()
    {
        var result = Parse(PluginZip.Manifest(extra: (JsonObject)JsonNode.Parse("""{"crons":[{"id":"c","spec":"60 24 * * 7","handler":"h"}]}""")!));
        Assert.Collection(result.Errors,
            e => Assert.EndsWith(": cron minute: 60 is outside 0-59", e.Message, StringComparison.Ordinal),
            e => Assert.EndsWith(": cron hour: 24 is outside 0-23", e.Message, StringComparison.Ordinal),
            e => Assert.EndsWith(": cron day-of-week: 7 is outside 0-6", e.Message, StringComparison.Ordinal));
    }

    [Fact]
    public void Parse_DuplicateCronId_Error() =>
        AssertError("""{"crons":[{"id":"c","spec":"* * * * *","handler":"h"},{"id":"c","spec":"* * * * *","handler":"h"}]}""", IssueCodes.DuplicateValue, "$.crons[1].id");

    [Fact]
    public void Parse_CronWithoutHandler_MissingField() =>
        AssertError("""{"crons":[{"id":"c","spec":"* * * * *"}]}""", IssueCodes.MissingField, "$.crons[0].handler");

    [Fact]
    public void Parse_SixteenEventsAndCustomEvent_Accepted()
    {
        var events = new JsonArray([.. DiscordEvents.Known.Select(e => (JsonNode)JsonValue.Create(e)!), JsonValue.Create("my_plugin.task_done")]);
        var result = Parse(PluginZip.Manifest(extra: new JsonObject { ["events"] = events }));
        Assert.True(result.IsValid);
        Assert.Equal(17, result.Manifest!.Events.Count);
        Assert.Equal(PluginManifest.DefaultEntrypoint, result.Manifest.Entrypoint);
    }

    [Theory]
    [InlineData("""{"slash_commands":[{"name":"x","description":"d"}]}""", "plugin.py")]
    [InlineData("""{"events":["message_create"]}""", "plugin.py")]
    [InlineData("""{"crons":[{"id":"c","spec":"* * * * *","handler":"h"}]}""", "plugin.py")]
    [InlineData("""{"slash_commands":[{"name":"x","description":"d"}],"entrypoint":"src/main.py"}""", "src/main.py")]
    [InlineData("""{"slash_commands":[{"name":"x","description":"d"}],"entrypoint":null}""", null)]
    [InlineData("""{"slash_commands":[{"name":"x","description":"d"}],"hooks":{"h":{"constant":1}}}""", null)]
    [InlineData("""{}""", null)]
    public void Parse_Entrypoint_DefaultsOnlyForCodePlugins(string extra, string? expected) =>
        Assert.Equal(expected, Parse(PluginZip.Manifest(extra: (JsonObject)JsonNode.Parse(extra)!)).Manifest!.Entrypoint);

    [Theory]
    [InlineData("../plugin.py", IssueCodes.PathTraversal)]
    [InlineData("/etc/passwd", IssueCodes.PathTraversal)]
    [InlineData("C:/x.py", IssueCodes.PathTraversal)]
    [InlineData("src\\\\main.py", IssueCodes.PathTraversal)]
    [InlineData("src//main.py", IssueCodes.InvalidEntrypoint)]
    [InlineData("", IssueCodes.InvalidEntrypoint)]
    public void Parse_EntrypointOutsideZip_Refused(string entrypoint, string code) =>
        AssertError($$"""{"entrypoint":"{{entrypoint}}"}""", code, "$.entrypoint");

    [Theory]
    [InlineData("""{"link":"not a url"}""", IssueCodes.InvalidValue, "$.link")]
    [InlineData("""{"link":"file:///etc/passwd"}""", IssueCodes.InvalidValue, "$.link")]
    [InlineData("""{"author":5}""", IssueCodes.WrongType, "$.author")]
    [InlineData("""{"author":["a",5]}""", IssueCodes.WrongType, "$.author[1]")]
    [InlineData("""{"dependencies":"a"}""", IssueCodes.WrongType, "$.dependencies")]
    [InlineData("""{"dependencies":{"a":1}}""", IssueCodes.WrongType, "$.dependencies.a")]
    [InlineData("""{"platform_version":"new"}""", IssueCodes.InvalidVersion, "$.platform_version")]
    [InlineData("""{"subcommands":{"x":1}}""", IssueCodes.WrongType, "$.subcommands.x")]
    [InlineData("""{"capabilities_required":"kv"}""", IssueCodes.WrongType, "$.capabilities_required")]
    [InlineData("""{"slash_commands":[{"name":"x","description":"d","type":2}]}""", IssueCodes.InvalidCommand, "$.slash_commands[0].type")]
    public void Parse_WrongShapes_PreciseError(string extra, string code, string path)
    {
        var error = SingleError(extra);
        Assert.Equal((code, path), (error.Code, error.Path));
    }
}
