namespace Serverless.Cli;

/// <summary>
/// The files <c>new</c> writes: a working SDK plugin (sandbox/sdk/README.md) with one /greet command, a README
/// and a stdlib-unittest test that runs the handler in-process against a fake ctx.
/// </summary>
public static class PluginTemplate
{
    public static IReadOnlyList<(string Path, string Content)> Files(string id, string name) =>
    [
        ("manifest.json", Manifest(id, name)),
        ("plugin.py", Plugin(name)),
        ("README.md", Readme(id, name)),
        ("tests/__init__.py", ""),
        ("tests/test_plugin.py", Test),
        (".gitignore", "__pycache__/\n*.pyc\ndist/\n"),
    ];

    public static string Manifest(string id, string name) => $$"""
        {
          "id": "{{id}}",
          "name": {{System.Text.Json.JsonSerializer.Serialize(name)}},
          "version": "0.1.0",
          "description": "Greets people.",
          "capabilities_required": ["interaction:respond"],
          "slash_commands": [
            {
              "name": "greet",
              "description": "Say hello to someone",
              "options": [
                {
                  "name": "user",
                  "description": "Who to greet (default: you)",
                  "type": 6,
                  "required": false
                },
                {
                  "name": "message",
                  "description": "What to say (default: Hello!)",
                  "type": 3,
                  "required": false
                }
              ]
            }
          ]
        }

        """;

    private static string Plugin(string name) => $$""""
        """{{name}}: a plugin for the Discord plugin platform (SDK API of mmo_maid_sdk)."""

        from mmo_maid_sdk import Context, Plugin

        plugin = Plugin()


        @plugin.on_slash_command("greet")
        def greet(ctx: Context, event: dict) -> None:
            options = {opt["name"]: opt["value"] for opt in event.get("options", [])}
            # A user option's value is the user's id; <@id> is how Discord shows a mention.
            who = options.get("user") or event.get("user_id")
            message = options.get("message") or "Hello!"
            ctx.log(f"greeting {who}")
            # A command handler must respond, defer or send a modal within Discord's 3 seconds.
            ctx.interaction.respond(content=f"<@{who}> {message}")

        """";

    private const string Test = """"
        """Runs the plugin's handlers in-process against a fake ctx: no sandbox, no Discord.

        From the plugin folder:  PYTHONPATH=<repo>/sandbox/sdk python3 -m unittest
        """

        import os
        import sys
        import unittest

        sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

        try:
            import mmo_maid_sdk  # noqa: F401
        except ModuleNotFoundError:
            raise ModuleNotFoundError(
                "mmo_maid_sdk is not importable: put the SDK on the path, "
                "e.g. PYTHONPATH=<repo>/sandbox/sdk python3 -m unittest"
            ) from None

        import plugin as plugin_module


        class FakeInteraction:
            """Records what a handler answers, as ctx.interaction would send it to Discord."""

            def __init__(self):
                self.calls = []

            def respond(self, content=None, **kwargs):
                self.calls.append(("respond", {"content": content, **kwargs}))

            def defer(self, **kwargs):
                self.calls.append(("defer", kwargs))

            def send_modal(self, **kwargs):
                self.calls.append(("send_modal", kwargs))


        class FakeContext:
            def __init__(self):
                self.interaction = FakeInteraction()
                self.logs = []

            def log(self, message, level="info"):
                self.logs.append((level, message))


        def run_command(name, event):
            found = plugin_module.plugin.find_slash_command(name)
            if found is None:
                raise AssertionError(f"no handler for /{name}")
            _, handler = found
            ctx = FakeContext()
            handler(ctx, event)
            return ctx


        class GreetTest(unittest.TestCase):
            def test_greet_greets_the_caller(self):
                ctx = run_command("greet", {"interaction_id": "1", "user_id": "42", "options": []})
                self.assertEqual(ctx.interaction.calls, [("respond", {"content": "<@42> Hello!"})])
                self.assertEqual(ctx.logs, [("info", "greeting 42")])

            def test_greet_greets_the_given_user_with_the_given_message(self):
                options = [{"name": "user", "type": 6, "value": "123"}, {"name": "message", "type": 3, "value": "hi"}]
                ctx = run_command("greet", {"interaction_id": "2", "user_id": "42", "options": options})
                self.assertEqual(ctx.interaction.calls, [("respond", {"content": "<@123> hi"})])


        if __name__ == "__main__":
            unittest.main()

        """";

    private static string Readme(string id, string name) => $"""
        # {name}

        A plugin for the Discord plugin platform. Plugin id: `{id}`.

        | file | what |
        | --- | --- |
        | `manifest.json` | id, version, capabilities and the `/greet` slash command (see `docs/manifest.schema.json` in the platform repo) |
        | `plugin.py` | the code: `plugin = Plugin()` and a handler per command, written against `mmo_maid_sdk` |
        | `tests/test_plugin.py` | runs the handlers in-process against a fake `ctx` (standard-library unittest) |

        From this folder, with the platform repo at `$REPO`:

        ```sh
        PYTHONPATH=$REPO/sandbox/sdk python3 -m unittest   # the plugin's tests
        $REPO/local/plugin validate .                      # the platform's own checks
        $REPO/local/plugin pack .                          # dist/{id}-0.1.0.zip, byte-identical every time
        $REPO/local/plugin upload . --publisher YOU        # publish to the local platform (local/up running)
        ```

        `pack` leaves out `tests/`, `dist/`, dot-files, `__pycache__/` and `*.pyc`. Bump `version` in
        `manifest.json` for every upload: a published version never changes.

        """;
}
