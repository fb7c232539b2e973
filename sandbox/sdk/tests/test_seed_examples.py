"""The SDK's reference examples, verbatim, run by the real runner and driven as the host would."""

from __future__ import annotations

import json
import shutil
import tempfile
import unittest
from pathlib import Path

from serverless_sdk.runner import plugin_globals
from tests.host import SEED_PLUGIN, FakeHost, Runner

SNIPPETS = Path(__file__).resolve().parent / "seed_examples"


def snippet(name: str) -> str:
    return (SNIPPETS / name).read_text(encoding="utf-8")


class SeedSnippetFilesTests(unittest.TestCase):
    def test_SeedPlugin_IsTheSnippetsConcatenated_Unchanged(self) -> None:
        parts = [p.read_text(encoding="utf-8") for p in sorted(SNIPPETS.glob("0*.py"))]
        self.assertEqual(len(parts), 7)
        self.assertEqual((SEED_PLUGIN / "plugin.py").read_text(encoding="utf-8"), "\n".join(parts))
        self.assertEqual((SEED_PLUGIN / "manifest.json").read_text(encoding="utf-8"), snippet("01_manifest.json"))

    def test_ManifestSnippet_DeclaresGreetWithUserAndMessageOptions(self) -> None:
        manifest = json.loads(snippet("01_manifest.json"))
        self.assertEqual(manifest["id"], "my_plugin")
        options = manifest["slash_commands"][0]["options"]
        self.assertEqual([(o["name"], o["type"], o["required"]) for o in options], [("user", 6, True), ("message", 3, False)])


class SeedComponentSnippetTests(unittest.TestCase):
    """The Button and SelectMenu snippets executed in-process, as the runner does."""

    def test_ButtonSnippet_RunsAndBuildsValidButtons(self) -> None:
        namespace = plugin_globals()
        exec(compile(snippet("03_button.py"), "03_button.py", "exec"), namespace)

    def test_SelectMenuSnippet_BuildsDiscordSelectJson(self) -> None:
        namespace = plugin_globals()
        exec(compile(snippet("04_select_menu.py"), "04_select_menu.py", "exec"), namespace)
        self.assertEqual(
            namespace["menu"].to_dict(),
            {
                "type": 3,
                "custom_id": "pick_role",
                "options": [
                    {
                        "label": "Gamer",
                        "value": "role_gamer",
                        "description": "Get pinged for game nights",
                        "default": False,
                    },
                    {"label": "Music", "value": "role_music", "default": False},
                    {"label": "Art", "value": "role_art", "emoji": {"name": "🎨"}, "default": False},
                ],
                "placeholder": "Pick your interests…",
                "min_values": 1,
                "max_values": 2,
                "disabled": False,
            },
        )


class EachSnippetAloneTests(unittest.TestCase):
    def test_EverySnippet_LoadsAsItsOwnPlugin_WithoutErrors(self) -> None:
        for path in sorted(SNIPPETS.glob("0*.py")):
            with self.subTest(snippet=path.name):
                with tempfile.TemporaryDirectory() as directory:
                    shutil.copy(path, Path(directory) / "plugin.py")
                    runner = Runner(Path(directory))
                    try:
                        self.assertEqual(runner.describe()["errors"], [])
                        self.assertEqual(runner.shutdown(), {"jsonrpc": "2.0", "id": 2, "result": None})
                        self.assertEqual(runner.wait(), 0)
                    finally:
                        runner.close()


class SeedPluginProtocolTests(unittest.TestCase):
    runner: Runner

    @classmethod
    def setUpClass(cls) -> None:
        cls.runner = Runner(SEED_PLUGIN)

    @classmethod
    def tearDownClass(cls) -> None:
        cls.runner.close()

    def tearDown(self) -> None:
        self.assertEqual(self.runner.corrupt_lines, [])

    def test_Describe_ListsEveryRegistration(self) -> None:
        described = self.runner.describe()
        self.assertEqual(described["protocol_version"], 1)
        self.assertEqual(described["sdk_version"], "0.5.1")
        self.assertEqual(described["slash_commands"], ["greet", "menu", "feedback"])
        self.assertEqual(described["components"], ["yes", "no"])
        self.assertEqual(described["modals"], ["feedback_form"])
        self.assertEqual(described["events"], [])
        self.assertEqual(described["schedules"], [{"id": "heartbeat", "seconds": 300}])
        self.assertEqual(
            described["crons"],
            [
                {"id": "weekly_report", "spec": "0 9 * * 1"},
                {"id": "heartbeat#2", "spec": "*/15 * * * *"},
                {"id": "monthly_rollup", "spec": "30 0 1 * *"},
            ],
        )
        self.assertEqual(described["errors"], [])

    def test_Greet_WithUserAndMessage_RespondsWithMention(self) -> None:
        event = {
            "interaction_id": "1",
            "command_name": "greet",
            "options": [{"name": "user", "type": 6, "value": "123"}, {"name": "message", "type": 3, "value": "hi"}],
        }
        outcome = self.runner.invoke("slash_command", "greet", event)
        self.assertEqual(outcome.result, {"handled": True})
        self.assertEqual(outcome.methods(), ["interaction.respond"])
        respond = outcome.call("interaction.respond")
        self.assertEqual(respond["content"], "<@123> hi")
        self.assertIs(respond["ephemeral"], False)
        self.assertIsNone(respond["components"])
        self.assertTrue(respond["invocation_id"])

    def test_Greet_WithoutMessage_UsesDefaultGreeting(self) -> None:
        event = {"interaction_id": "2", "options": [{"name": "user", "type": 6, "value": "123"}]}
        outcome = self.runner.invoke("slash_command", "greet", event)
        self.assertEqual(outcome.call("interaction.respond")["content"], "<@123> Hey there!")

    def test_Menu_RespondsWithRowOfTwoButtons(self) -> None:
        outcome = self.runner.invoke("slash_command", "menu", {"interaction_id": "3"})
        respond = outcome.call("interaction.respond")
        self.assertEqual(respond["content"], "Pick one:")
        self.assertEqual(
            respond["components"],
            [
                {
                    "type": 1,
                    "components": [
                        {"type": 2, "style": 3, "label": "Yes", "custom_id": "yes", "disabled": False},
                        {"type": 2, "style": 4, "label": "No", "custom_id": "no", "disabled": False},
                    ],
                }
            ],
        )

    def test_YesAndNoComponents_RespondEphemerally(self) -> None:
        for custom_id, content in (("yes", "✅"), ("no", "❌")):
            with self.subTest(custom_id=custom_id):
                event = {"interaction_id": "4", "custom_id": custom_id, "component_type": 2}
                outcome = self.runner.invoke("component", custom_id, event)
                self.assertEqual(outcome.result, {"handled": True})
                respond = outcome.call("interaction.respond")
                self.assertEqual(respond["content"], content)
                self.assertIs(respond["ephemeral"], True)

    def test_Feedback_SendsModalWithTwoTextInputs(self) -> None:
        outcome = self.runner.invoke("slash_command", "feedback", {"interaction_id": "5"})
        modal = outcome.call("interaction.send_modal")
        self.assertEqual(modal["title"], "Send Feedback")
        self.assertEqual(modal["custom_id"], "feedback_form")
        self.assertEqual(
            modal["components"],
            [
                {
                    "type": 1,
                    "components": [
                        {
                            "type": 4,
                            "custom_id": "subject",
                            "style": 1,
                            "label": "Subject",
                            "placeholder": "Quick summary",
                            "required": True,
                            "max_length": 100,
                        }
                    ],
                },
                {
                    "type": 1,
                    "components": [
                        {
                            "type": 4,
                            "custom_id": "details",
                            "style": 2,
                            "label": "Details",
                            "required": False,
                            "max_length": 2000,
                        }
                    ],
                },
            ],
        )

    def test_FeedbackFormSubmit_StoresValuesThenThanksEphemerally(self) -> None:
        host = FakeHost()
        values = {"subject": "Bug", "details": "It broke"}
        event = {"interaction_id": "777", "custom_id": "feedback_form", "modal_values": values}
        outcome = self.runner.invoke("modal_submit", "feedback_form", event, host)
        self.assertEqual(outcome.result, {"handled": True})
        self.assertEqual(outcome.methods(), ["kv.set", "interaction.respond"])
        self.assertEqual(outcome.call("kv.set")["key"], "feedback:777")
        self.assertEqual(host.kv, {"feedback:777": values})
        respond = outcome.call("interaction.respond")
        self.assertEqual((respond["content"], respond["ephemeral"]), ("Thanks for the feedback!", True))

    def test_Heartbeat_CountsAcrossInvocations_SharedWithCronHeartbeat(self) -> None:
        # Own install so other tests' counters cannot interfere.
        context = {"guild_id": "200", "plugin_id": "my_plugin", "install_id": "heartbeat-test", "pool": False}
        first = self.runner.invoke("schedule", "heartbeat", context=context)
        second = self.runner.invoke("schedule", "heartbeat", context=context)
        cron = self.runner.invoke("cron", "heartbeat#2", context=context)
        third = self.runner.invoke("schedule", "heartbeat", context=context)
        self.assertEqual(first.result, {"handled": True})
        self.assertEqual(first.log_messages(), ["heartbeat #1"])
        self.assertEqual(second.log_messages(), ["heartbeat #2"])
        self.assertEqual((cron.result, cron.logs, cron.calls), ({"handled": True}, [], []))
        self.assertEqual(third.log_messages(), ["heartbeat #4"])
        self.assertEqual(first.logs[0]["level"], "info")

    def test_CronTasks_RunWhenInvoked(self) -> None:
        weekly = self.runner.invoke("cron", "weekly_report")
        self.assertEqual(weekly.log_messages(), ["Sending weekly report"])
        monthly = self.runner.invoke("cron", "monthly_rollup")
        self.assertEqual((monthly.result, monthly.calls, monthly.logs), ({"handled": True}, [], []))

    def test_UnknownNames_AreNotHandled(self) -> None:
        for kind, name in (("slash_command", "nope"), ("component", "maybe"), ("event", "message_create"), ("cron", "heartbeat")):
            with self.subTest(kind=kind, name=name):
                self.assertEqual(self.runner.invoke(kind, name, {}).result, {"handled": False})

    def test_PoolMode_CronIsRefused(self) -> None:
        context = {"guild_id": "1", "plugin_id": "my_plugin", "install_id": "i", "pool": True}
        outcome = self.runner.invoke("cron", "weekly_report", context=context)
        self.assertEqual(outcome.error["code"], -32003)

    def test_PoolMode_ManifestCronRunsItsHandler(self) -> None:
        # The platform's server-side cron for pooled plugins names a task as its handler, of either kind.
        context = {"guild_id": "1", "plugin_id": "my_plugin", "install_id": "pooled", "pool": True, "manifest_cron": "weekly"}
        weekly = self.runner.invoke("cron", "weekly_report", context=context)
        heartbeat = self.runner.invoke("cron", "heartbeat", context=context)
        self.assertEqual((weekly.result, weekly.log_messages()), ({"handled": True}, ["Sending weekly report"]))
        self.assertEqual((heartbeat.result, heartbeat.log_messages()), ({"handled": True}, ["heartbeat #1"]))


if __name__ == "__main__":
    unittest.main()
