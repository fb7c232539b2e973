namespace Serverless.Tests.Packages;

/// <summary>Valid manifests used as fixtures; the schema test checks each against docs/manifest.schema.json.</summary>
public static class ValidManifests
{
    public const string Minimal = """{"id":"hello_world","version":"1.0.0","name":"My Hello World Plugin"}""";

    public const string Seed000 = """
        {
          "id": "my_plugin",
          "name": "My Plugin",
          "version": "1.0.0",
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
        """;

    public const string Everything = """
        {
          "$schema": "https://example.invalid/manifest.schema.json",
          "id": "kitchen_sink",
          "version": "1.14.1-beta.4+build.54",
          "name": "Kitchen Sink",
          "description": "Uses every field",
          "author": ["ann", "bob"],
          "link": "https://github.com/example/kitchen_sink",
          "help": "Try /roll",
          "dependencies": { "platform": ">=1.0.0 <2.0", "my_library": "^1.2.3" },
          "platform_version": "1.0",
          "hooks": { "on_load": { "constant": true }, "export": { "executable": "${PLUGIN_DIR}/bin/export", "args": ["--json"] } },
          "subcommands": { "export": "Export data" },
          "protocol_version": 1,
          "raw_transfer": false,
          "capabilities_required": ["messages:send", "events:emit"],
          "slash_commands": [
            {
              "name": "roll",
              "description": "Roll dice",
              "default_member_permissions": "0",
              "nsfw": false,
              "options": [
                { "name": "sides", "description": "Sides", "type": 4, "required": true, "min_value": 2, "max_value": 100,
                  "choices": [ { "name": "d6", "value": 6 }, { "name": "d20", "value": 20 } ] },
                { "name": "label", "description": "Label", "type": 3, "min_length": 1, "max_length": 20, "autocomplete": true },
                { "name": "where", "description": "Channel", "type": 7, "channel_types": [0] }
              ],
              "response": { "type": "defer", "ephemeral": true }
            },
            {
              "name": "admin",
              "description": "Admin tools",
              "options": [
                { "name": "users", "description": "Users", "type": 2, "options": [
                  { "name": "kick", "description": "Kick", "type": 1, "options": [
                    { "name": "who", "description": "Who", "type": 6, "required": true } ] } ] },
                { "name": "ping", "description": "Ping", "type": 1 }
              ],
              "response": { "type": "message", "content": "Working on it", "ephemeral": true }
            }
          ],
          "crons": [ { "id": "weekly", "spec": "0 9 * * 1", "handler": "weekly_report" } ],
          "pool": true,
          "entrypoint": "src/plugin.py",
          "events": ["message_create", "kitchen_sink.rolled"]
        }
        """;

    public static IReadOnlyList<string> All { get; } = [Minimal, Seed000, Everything];
}
