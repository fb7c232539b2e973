using System.Text.Json.Nodes;
using Serverless.Platform.Events;
using Serverless.Platform.Packages;
using Serverless.Tests.Packages.Fixtures;

namespace Serverless.Tests.Packages;

/// <summary>
/// .NET's <c>$</c> also matches before a final newline, so a pattern ending in <c>$</c> takes <c>"abc\n"</c>.
/// Every validator of untrusted names takes a valid value and refuses it with a newline after it.
/// </summary>
public sealed class TrailingNewlineTests
{
    /// <summary>A validator: true when it accepts the value.</summary>
    public static TheoryData<string, string> Validators() => new()
    {
        { "plugin id", "my_plugin" },
        { "dependency id (object)", "my_library" },
        { "dependency id (list)", "my_library" },
        { "hook id", "on_load" },
        { "command name", "greet" },
        { "option name", "user" },
        { "event name", "kitchen_sink.rolled" },
        { "cron handler", "weekly_report" },
        { "cron spec", "0 9 * * 1" },
        { "version", "1.2.3" },
        { "version requirement", "^1.2.3" },
        { "upload path", "acme/greeter.zip" },
        { "publisher", "acme" },
        { "emitted event", "my_plugin.task_done" },
    };

    private static bool Accepts(string validator, string value) => validator switch
    {
        "plugin id" => Valid(new JsonObject { ["id"] = value }),
        "dependency id (object)" => Valid(new JsonObject { ["dependencies"] = new JsonObject { [value] = "^1.0.0" } }),
        "dependency id (list)" => Valid(new JsonObject { ["dependencies"] = new JsonArray(value) }),
        "hook id" => Valid(new JsonObject { ["hooks"] = new JsonObject { [value] = new JsonObject { ["constant"] = true } } }),
        "command name" => Valid(Command(value, "user")),
        "option name" => Valid(Command("greet", value)),
        "event name" => Valid(new JsonObject { ["events"] = new JsonArray(value) }),
        "cron handler" => Valid(new JsonObject { ["crons"] = new JsonArray(new JsonObject { ["id"] = "weekly", ["spec"] = "0 9 * * 1", ["handler"] = value }) }),
        "cron spec" => Valid(new JsonObject { ["crons"] = new JsonArray(new JsonObject { ["id"] = "weekly", ["spec"] = value, ["handler"] = "weekly_report" }) }),
        "version" => PluginVersion.TryParse(value, out _),
        "version requirement" => VersionRequirement.TryParse(value, out _, out _),
        "upload path" => UploadRef.FromBlobName(value) is not null,
        "publisher" => UploadRef.IsValidSegment(value),
        "emitted event" => CustomEvents.Validate("my_plugin", value) is null,
        _ => throw new ArgumentOutOfRangeException(nameof(validator), validator, null),
    };

    [Theory]
    [MemberData(nameof(Validators))]
    public void Validator_ValidValueWithNewlineAppended_Refused(string validator, string valid)
    {
        Assert.True(Accepts(validator, valid), $"{validator} refuses the valid {valid}");
        Assert.False(Accepts(validator, valid + "\n"), $"{validator} accepts {valid}\\n");
        Assert.False(Accepts(validator, valid + "\r\n"), $"{validator} accepts {valid}\\r\\n");
    }

    /// <summary>The manifest <c>{"id":"my_plugin","version":"1.0.0"}</c> with <paramref name="fields"/> over it.</summary>
    private static bool Valid(JsonObject fields)
    {
        var manifest = PluginZip.Manifest();
        foreach (var (key, value) in fields)
        {
            manifest[key] = value?.DeepClone();
        }
        return ManifestParser.Parse(PluginZip.Utf8(manifest)).IsValid;
    }

    private static JsonObject Command(string name, string option) => new()
    {
        ["slash_commands"] = new JsonArray(new JsonObject
        {
            ["name"] = name,
            ["description"] = "a command",
            ["options"] = new JsonArray(new JsonObject
            {
                ["name"] = option,
                ["description"] = "an option",
                ["type"] = 3,
            }),
        }),
    };
}
