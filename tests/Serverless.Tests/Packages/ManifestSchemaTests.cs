using System.Text.Json;
using System.Text.RegularExpressions;
using Serverless.Platform.Packages;

namespace Serverless.Tests.Packages;

/// <summary>docs/manifest.schema.json and the parser describe the same manifest; these tests keep them from drifting.</summary>
public class ManifestSchemaTests
{
    private static readonly Lazy<JsonDocument> Schema = new(() => JsonDocument.Parse(File.ReadAllText(FindSchema())));

    private static string FindSchema()
    {
        for (var directory = new DirectoryInfo(AppContext.BaseDirectory); directory is not null; directory = directory.Parent)
        {
            var candidate = Path.Combine(directory.FullName, "docs", "manifest.schema.json");
            if (File.Exists(candidate))
            {
                return candidate;
            }
        }
        throw new FileNotFoundException("docs/manifest.schema.json not found above the test output folder");
    }

    private static HashSet<string> PropertiesOf(JsonElement schemaObject) =>
        schemaObject.GetProperty("properties").EnumerateObject().Select(p => p.Name).ToHashSet();

    private static JsonElement Def(string name) => Schema.Value.RootElement.GetProperty("$defs").GetProperty(name);

    [Fact]
    public void Schema_Draft202012_ParsesAndRequiresNothingAtTheTop()
    {
        // Every field is optional: id, version and name fall back (the upload's name, 0.0.0, the id) with a warning.
        var root = Schema.Value.RootElement;
        Assert.Equal("https://json-schema.org/draft/2020-12/schema", root.GetProperty("$schema").GetString());
        Assert.False(root.TryGetProperty("required", out _));
    }

    [Fact]
    public void Schema_TopLevelProperties_EqualParserKnownFields() =>
        Assert.Equal(ManifestParser.KnownFields.ToHashSet(), PropertiesOf(Schema.Value.RootElement));

    [Fact]
    public void Schema_CommandAndOptionProperties_EqualParserFields()
    {
        Assert.Equal(ManifestParser.CommandFields.ToHashSet(), PropertiesOf(Def("command")));
        Assert.Equal(ManifestParser.OptionFields.ToHashSet(), PropertiesOf(Def("option")));
    }

    [Fact]
    public void Schema_CapabilitiesAndEvents_EqualParserLists()
    {
        var properties = Schema.Value.RootElement.GetProperty("properties");
        var capabilityItems = properties.GetProperty("capabilities_required").GetProperty("items").GetProperty("anyOf");
        var capabilities = capabilityItems[0].GetProperty("enum").EnumerateArray().Select(e => e.GetString()!);
        Assert.Equal(Capabilities.Known.ToHashSet(), capabilities.ToHashSet());
        Assert.Equal(Capabilities.Kv, capabilityItems[1].GetProperty("const").GetString());
        Assert.True(capabilityItems[1].GetProperty("deprecated").GetBoolean());
        var events = properties.GetProperty("events").GetProperty("items").GetProperty("anyOf")[0].GetProperty("enum").EnumerateArray().Select(e => e.GetString()!);
        Assert.Equal(DiscordEvents.Known.ToHashSet(), events.ToHashSet());
    }

    [Theory]
    [InlineData("1.0.0", true)]
    [InlineData("2.0", true)]
    [InlineData("1.2.3-pre4", true)]
    [InlineData("1.8.9-rc.8", true)]
    [InlineData("1.14.1-beta.4+build.54", true)]
    [InlineData("v1", false)]
    [InlineData("1..0", false)]
    public void Schema_VersionPattern_AgreesWithPluginVersion(string version, bool valid)
    {
        var pattern = Def("version").GetProperty("pattern").GetString()!;
        Assert.Equal(valid, Regex.IsMatch(version, pattern));
        Assert.Equal(valid, PluginVersion.TryParse(version, out _));
    }

    [Theory]
    [InlineData("plugin.py", true)]
    [InlineData("src/main.py", true)]
    [InlineData("../x.py", false)]
    [InlineData("a/../x.py", false)]
    [InlineData("/x.py", false)]
    [InlineData("C:/x.py", false)]
    [InlineData("a\\x.py", false)]
    [InlineData("a//x.py", false)]
    [InlineData("./x.py", false)]
    public void Schema_EntrypointPattern_AgreesWithParser(string path, bool valid)
    {
        var pattern = Schema.Value.RootElement.GetProperty("properties").GetProperty("entrypoint").GetProperty("pattern").GetString()!;
        Assert.Equal(valid, Regex.IsMatch(path, pattern));
        Assert.Equal(valid, ManifestParser.Parse(System.Text.Encoding.UTF8.GetBytes(JsonSerializer.Serialize(new { id = "a", version = "1", entrypoint = path }))).IsValid);
    }

    public static IEnumerable<TheoryDataRow<string>> Fixtures() => ValidManifests.All.Select(m => new TheoryDataRow<string>(m));

    /// <summary>A structural check: every key a valid fixture uses is one the schema declares, at every level it describes.</summary>
    [Theory]
    [MemberData(nameof(Fixtures))]
    public void Schema_ValidFixture_UsesOnlyDeclaredKeysAndRequiredOnesPresent(string json)
    {
        using var manifest = JsonDocument.Parse(json);
        var root = manifest.RootElement;
        AssertKeys(root, Schema.Value.RootElement, "$");
        if (root.TryGetProperty("slash_commands", out var commands))
        {
            foreach (var command in commands.EnumerateArray())
            {
                AssertKeys(command, Def("command"), "$.slash_commands[]");
                foreach (var option in Flatten(command))
                {
                    AssertKeys(option, Def("option"), "option");
                }
            }
        }
        if (root.TryGetProperty("crons", out var crons))
        {
            foreach (var cron in crons.EnumerateArray())
            {
                AssertKeys(cron, Def("cron"), "$.crons[]");
            }
        }
        if (root.TryGetProperty("hooks", out var hooks))
        {
            foreach (var hook in hooks.EnumerateObject())
            {
                AssertKeys(hook.Value, Def("hook"), hook.Name);
            }
        }
    }

    private static IEnumerable<JsonElement> Flatten(JsonElement owner)
    {
        if (!owner.TryGetProperty("options", out var options))
        {
            yield break;
        }
        foreach (var option in options.EnumerateArray())
        {
            yield return option;
            foreach (var child in Flatten(option))
            {
                yield return child;
            }
        }
    }

    private static void AssertKeys(JsonElement instance, JsonElement schema, string where)
    {
        var declared = PropertiesOf(schema);
        foreach (var property in instance.EnumerateObject())
        {
            Assert.True(declared.Contains(property.Name), $"{where}: '{property.Name}' is not declared in the schema");
        }
        if (schema.TryGetProperty("required", out var required))
        {
            foreach (var name in required.EnumerateArray())
            {
                Assert.True(instance.TryGetProperty(name.GetString()!, out _), $"{where}: required '{name}' missing");
            }
        }
    }
}
