using System.IO.Compression;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace Serverless.Tests.Packages.Fixtures;

/// <summary>
/// Builds valid plugin zips from an in-memory file map, the way an author's tool would
/// (System.IO.Compression, deflate, fixed timestamps so the bytes are deterministic).
/// Reusable by every feature that needs a plugin package.
/// </summary>
public static class PluginZip
{
    private static readonly DateTimeOffset Timestamp = new(2026, 1, 1, 0, 0, 0, TimeSpan.Zero);

    /// <summary>A zip with exactly these files; string contents are written as UTF-8.</summary>
    public static byte[] Build(IReadOnlyDictionary<string, object> files)
    {
        using var buffer = new MemoryStream();
        using (var archive = new ZipArchive(buffer, ZipArchiveMode.Create, leaveOpen: true))
        {
            foreach (var (path, content) in files.OrderBy(pair => pair.Key, StringComparer.Ordinal))
            {
                var entry = archive.CreateEntry(path, CompressionLevel.Optimal);
                entry.LastWriteTime = Timestamp;
                using var stream = entry.Open();
                stream.Write(content switch
                {
                    byte[] bytes => bytes,
                    string text => Encoding.UTF8.GetBytes(text),
                    JsonNode node => Encoding.UTF8.GetBytes(node.ToJsonString()),
                    _ => throw new ArgumentException($"unsupported content for {path}: {content.GetType()}"),
                });
            }
        }
        return buffer.ToArray();
    }

    /// <summary>A manifest with id and version and whatever else <paramref name="extra"/> adds.</summary>
    public static JsonObject Manifest(string id = "my_plugin", string version = "1.0.0", JsonObject? extra = null)
    {
        var manifest = new JsonObject { ["id"] = id, ["version"] = version };
        foreach (var (key, value) in extra ?? [])
        {
            manifest[key] = value?.DeepClone();
        }
        return manifest;
    }

    /// <summary>The SDK's reference example (sandbox/sdk/tests/seed_examples/01_manifest.json): one slash command, code in plugin.py.</summary>
    public static JsonObject GreetManifest(string id = "my_plugin", string version = "1.0.0") => (JsonObject)JsonNode.Parse($$"""
        {
          "id": "{{id}}",
          "name": "My Plugin",
          "version": "{{version}}",
          "capabilities_required": ["interaction:respond"],
          "slash_commands": [
            {
              "name": "greet",
              "description": "Say hello to someone",
              "options": [
                { "name": "user", "description": "Who to greet", "type": 6, "required": true },
                { "name": "message", "description": "Custom greeting", "type": 3, "required": false }
              ]
            }
          ]
        }
        """)!;

    public const string GreetPlugin = """
        from mmo_maid_sdk import Plugin, Context

        plugin = Plugin()

        @plugin.on_slash_command("greet")
        def greet(ctx: Context, event: dict):
            options = {opt["name"]: opt["value"] for opt in event.get("options", [])}
            ctx.interaction.respond(content=f"<@{options.get('user')}> {options.get('message', 'Hey there!')}")
        """;

    /// <summary>A complete, valid SDK plugin: the reference examples' greet command and its plugin.py.</summary>
    public static byte[] Greet(string id = "my_plugin", string version = "1.0.0", IReadOnlyDictionary<string, object>? moreFiles = null)
    {
        var files = new Dictionary<string, object> { ["manifest.json"] = GreetManifest(id, version), ["plugin.py"] = GreetPlugin };
        foreach (var (path, content) in moreFiles ?? new Dictionary<string, object>())
        {
            files[path] = content;
        }
        return Build(files);
    }

    /// <summary>Manifest bytes for parser tests.</summary>
    public static byte[] Utf8(JsonNode node) => Encoding.UTF8.GetBytes(node.ToJsonString(new JsonSerializerOptions { WriteIndented = true }));
}
