"""The runner as a subprocess, driven over its pipes exactly as the host does."""

from __future__ import annotations

import json
import tempfile
import textwrap
import unittest
from pathlib import Path

from tests.host import DEFAULT_CONTEXT, PROTOCOL_PLUGIN, FakeHost, Runner


class ProtocolTests(unittest.TestCase):
    runner: Runner

    def setUp(self) -> None:
        self.runner = Runner(PROTOCOL_PLUGIN)

    def tearDown(self) -> None:
        self.runner.close()
        self.assertEqual(self.runner.corrupt_lines, [], "stdout must carry only JSON-RPC lines")

    def test_Describe_ReportsAllKindsOfRegistration(self) -> None:
        described = self.runner.describe()
        self.assertEqual(described["errors"], [])
        self.assertIn("config set", described["slash_commands"])
        self.assertEqual(described["autocompletes"], ["search", "many"])
        self.assertEqual(described["components"], ["vote:*"])
        self.assertEqual(described["events"], ["message_create", "other_plugin.task_done", "member_join"])
        self.assertEqual(described["lifecycle"], ["install"])
        self.assertEqual(described["schedules"], [{"id": "slow_tick", "seconds": 30}, {"id": "quick_tick", "seconds": 60}])

    def test_KvMethods_RoundTripThroughTheHost(self) -> None:
        host = FakeHost()
        outcome = self.runner.invoke("slash_command", "kv", {}, host)
        self.assertEqual(
            outcome.methods(),
            ["kv.set", "kv.set", "kv.set", "kv.list", "kv.get", "kv.delete", "kv.get", "interaction.respond"],
        )
        self.assertEqual(
            json.loads(outcome.call("interaction.respond")["content"]),
            {"listed": ["a:1", "a:2"], "got": {"n": 1}, "after": "gone"},
        )
        self.assertEqual(host.kv, {"a:2": [1, 2], "b:1": "x"})
        self.assertEqual(outcome.calls[0]["params"], {"invocation_id": outcome.calls[0]["params"]["invocation_id"], "key": "a:1", "value": {"n": 1}})
        ids = [call["id"] for call in outcome.calls]
        self.assertEqual(len(set(ids)), len(ids))
        self.assertTrue(all(isinstance(i, str) and i.startswith("p") for i in ids))

    def test_CapabilityDenied_RaisesCapabilityErrorInHandler_AndRunnerKeepsServing(self) -> None:
        host = FakeHost(denied={"discord.send_message": "messages:send"})
        outcome = self.runner.invoke("slash_command", "announce", {}, host)
        self.assertEqual(outcome.result, {"handled": True})
        self.assertEqual(outcome.logs[0]["level"], "warning")
        self.assertEqual(outcome.logs[0]["message"], "denied: capability 'messages:send' not granted [messages:send]")
        self.assertEqual(outcome.call("interaction.respond")["content"], "could not announce")
        self.assertEqual(self.runner.invoke("slash_command", "fast", {}).call("interaction.respond")["content"], "fast")

    def test_UncaughtCapabilityError_BecomesHandlerErrorWithHostError(self) -> None:
        host = FakeHost(denied={"discord.send_message": "messages:send"})
        outcome = self.runner.invoke("slash_command", "announce_unchecked", {}, host)
        error = outcome.error
        self.assertEqual(error["code"], -32000)
        self.assertEqual(error["data"]["type"], "CapabilityError")
        self.assertEqual(error["data"]["host_error"]["code"], -32001)
        self.assertEqual(error["data"]["host_error"]["data"], {"capability": "messages:send"})
        send = outcome.call("discord.send_message")
        self.assertEqual(send["channel_id"], "42")
        self.assertEqual(send["components"][0]["type"], 1)

    def test_HandlerException_ReturnsErrorWithTraceback_AndNextInvokeWorks(self) -> None:
        outcome = self.runner.invoke("slash_command", "boom", {})
        error = outcome.error
        self.assertEqual(error["code"], -32000)
        self.assertIn("RuntimeError: boom", error["message"])
        self.assertIn("raise RuntimeError(\"boom\")", error["data"]["traceback"])
        self.assertEqual(self.runner.invoke("slash_command", "fast", {}).result, {"handled": True})
        # The reply is the one report: the host logs it once, so neither a log notification nor stderr repeats it.
        self.assertEqual(outcome.logs, [])
        self.runner.shutdown()
        self.assertEqual(self.runner.wait(), 0)
        self.assertNotIn("boom", self.runner.stderr)

    def test_SysExitInHandler_IsAnErrorNotAnExit(self) -> None:
        self.assertEqual(self.runner.invoke("slash_command", "exit", {}).error["data"]["type"], "SystemExit")
        self.assertEqual(self.runner.invoke("slash_command", "fast", {}).result, {"handled": True})

    def test_PrintAndRawWrites_GoToStderr_NotTheChannel(self) -> None:
        outcome = self.runner.invoke("slash_command", "noisy", {})
        self.assertEqual(outcome.call("interaction.respond")["content"], "quiet")
        self.runner.shutdown()
        self.assertEqual(self.runner.wait(), 0)
        for text in ("stray print", "stray write", "raw fd write", "from child"):
            self.assertIn(text, self.runner.stderr)
        self.assertFalse(any(b"stray" in line or b"child" in line for line in self.runner.stdout_lines))

    def test_ConcurrentInvokes_SecondCompletesWhileFirstWaitsOnHost(self) -> None:
        runner = self.runner
        slow_id = runner.start_invoke("slash_command", "slow", {}, invocation_id="slow-1")
        kv_get = runner.next_message()
        self.assertEqual((kv_get["method"], kv_get["params"]["invocation_id"]), ("kv.get", "slow-1"))

        fast_id = runner.start_invoke("slash_command", "fast", {}, invocation_id="fast-1")
        respond = runner.next_message()
        self.assertEqual((respond["method"], respond["params"]["invocation_id"]), ("interaction.respond", "fast-1"))
        runner.answer(respond, {"result": None})
        self.assertEqual(runner.next_message(), {"jsonrpc": "2.0", "id": fast_id, "result": {"handled": True}})

        runner.answer(kv_get, {"result": {"value": "late"}})
        outcome = runner.serve_until(slow_id, FakeHost())
        self.assertEqual(outcome.result, {"handled": True})
        self.assertEqual(outcome.call("interaction.respond")["content"], "slow got late")

    def test_SubcommandPath_RoutesFromNestedOptionsOrPath(self) -> None:
        nested = {"options": [{"name": "set", "type": 1, "options": [{"name": "key", "type": 3, "value": "k"}]}]}
        by_nesting = self.runner.invoke("slash_command", "config", nested)
        self.assertEqual(by_nesting.call("interaction.respond")["content"], "config set: {'key': 'k'}")
        by_path = self.runner.invoke("slash_command", "config set", {"options": [{"name": "key", "type": 3, "value": "v"}]})
        self.assertEqual(by_path.call("interaction.respond")["content"], "None: {'key': 'v'}")
        fallback = self.runner.invoke("slash_command", "config", {"options": [{"name": "get", "type": 1}]})
        self.assertEqual(fallback.call("interaction.respond")["content"], "config fallback for config get")

    def test_Autocomplete_ReturnsChoices(self) -> None:
        event = {"options": [{"name": "fruit", "type": 3, "value": "ap", "focused": True}]}
        outcome = self.runner.invoke("autocomplete", "search", event)
        self.assertEqual(
            outcome.result,
            {"handled": True, "choices": [{"name": "apple", "value": "apple"}, {"name": "grape", "value": "grape"}]},
        )
        many = self.runner.invoke("autocomplete", "many", {"options": []})
        self.assertEqual(len(many.result["choices"]), 25)
        self.assertEqual(many.result["choices"][0], {"name": "item 0", "value": 0})
        self.assertEqual(many.logs[0]["level"], "warning")

    def test_AsyncHandler_IsAwaited(self) -> None:
        outcome = self.runner.invoke("slash_command", "async", {})
        self.assertEqual(outcome.call("interaction.respond")["content"], "async ok")

    def test_Context_CarriesInvocationContext(self) -> None:
        context = {"guild_id": "555", "plugin_id": "p", "install_id": "inst-9", "pool": True}
        outcome = self.runner.invoke("slash_command", "whoami", {}, context=context)
        self.assertEqual(json.loads(outcome.call("interaction.respond")["content"]), context)

    def test_Ephemeral_IsPerInstall(self) -> None:
        def count(install: str) -> str:
            context = {**DEFAULT_CONTEXT, "install_id": install}
            return self.runner.invoke("slash_command", "count", {}, context=context).call("interaction.respond")["content"]

        self.assertEqual([count("a"), count("a"), count("b"), count("a")], ["1", "2", "1", "3"])

    def test_DeferFollowupEdit_SendTheirParams(self) -> None:
        outcome = self.runner.invoke("slash_command", "work", {})
        self.assertEqual(outcome.methods(), ["interaction.defer", "interaction.followup", "interaction.edit"])
        self.assertEqual(outcome.call("interaction.defer")["ephemeral"], True)
        followup = outcome.call("interaction.followup")
        self.assertEqual((followup["content"], followup["embeds"], followup["ephemeral"]), ("done", [{"title": "Result"}], False))
        edit = outcome.call("interaction.edit")
        self.assertEqual(edit["content"], "followed up as 999")
        self.assertIsNone(edit["components"])
        self.assertNotIn("ephemeral", edit)

    def test_DiscordActions_SendIdsAsStrings(self) -> None:
        outcome = self.runner.invoke("slash_command", "moderate", {})
        self.assertEqual(
            [(c["method"], {k: v for k, v in c["params"].items() if k != "invocation_id"}) for c in outcome.calls[:4]],
            [
                ("discord.add_reaction", {"channel_id": "1", "message_id": "2", "emoji": "👍"}),
                ("discord.remove_reaction", {"channel_id": "1", "message_id": "2", "emoji": "<:custom:55>"}),
                ("discord.add_role", {"user_id": "3", "role_id": "4"}),
                ("discord.remove_role", {"user_id": "3", "role_id": "4"}),
            ],
        )
        rows = outcome.call("interaction.respond")["components"]
        self.assertEqual(rows[0]["components"][0]["type"], 3)
        self.assertEqual(rows[1]["components"][0]["url"], "https://example.org")

    def test_ComponentPrefixPattern_MatchesDynamicCustomIds(self) -> None:
        outcome = self.runner.invoke("component", "vote:42", {"custom_id": "vote:42"})
        self.assertEqual(outcome.call("interaction.respond")["content"], "voted vote:42")

    def test_Events_RunEveryListener_AndEmitCustomEvents(self) -> None:
        outcome = self.runner.invoke("event", "message_create", {"message_id": "m1", "channel_id": "c1"})
        self.assertEqual(outcome.result, {"handled": True})
        emit = outcome.call("events.emit")
        self.assertEqual((emit["name"], emit["payload"]), ("protocol_plugin.seen", {"message_id": "m1"}))
        self.assertEqual(outcome.logs, [{"invocation_id": emit["invocation_id"], "level": "debug", "message": "second listener saw m1"}])

        host = FakeHost()
        custom = self.runner.invoke("event", "other_plugin.task_done", {"task": 7}, host)
        self.assertEqual((custom.result, host.kv), ({"handled": True}, {"last_task": {"task": 7}}))

    def test_InteractionOutsideInteraction_RaisesPluginErrorLocally(self) -> None:
        outcome = self.runner.invoke("event", "member_join", {"user_id": "1"})
        self.assertEqual(outcome.calls, [])
        self.assertIn("as expected: ctx.interaction is only available", outcome.log_messages()[0])

    def test_Lifecycle_InvokesHook(self) -> None:
        outcome = self.runner.invoke("lifecycle", "install", {})
        self.assertEqual(outcome.log_messages(), ["installed in 100"])

    def test_ScheduleStillRunning_SkipsTheNextTick(self) -> None:
        runner = self.runner
        first = runner.start_invoke("schedule", "slow_tick", invocation_id="tick-1")
        kv_get = runner.next_message()
        second = runner.start_invoke("schedule", "slow_tick", invocation_id="tick-2")
        self.assertEqual(runner.next_message(), {"jsonrpc": "2.0", "id": second, "result": {"handled": False, "skipped": True}})
        other_install = runner.start_invoke("schedule", "slow_tick", context={**DEFAULT_CONTEXT, "install_id": "other"})
        other_get = runner.next_message()
        runner.answer(other_get, {"result": {"value": None}})
        self.assertEqual(runner.next_message()["id"], other_install)
        runner.answer(kv_get, {"result": {"value": None}})
        self.assertEqual(runner.next_message(), {"jsonrpc": "2.0", "id": first, "result": {"handled": True}})
        self.assertEqual(runner.invoke("schedule", "slow_tick").result, {"handled": True})

    def test_BackToBackTicks_AreNeverSkipped(self) -> None:
        # The next tick may arrive the instant the previous reply is read.
        results = [self.runner.invoke("schedule", "quick_tick").result for _ in range(40)]
        self.assertEqual(results, [{"handled": True}] * 40)

    def test_MalformedInput_GetsJsonRpcErrors(self) -> None:
        runner = self.runner
        runner.send(b"this is not json\n")
        self.assertEqual(runner.next_message()["error"]["code"], -32700)
        runner.send({"jsonrpc": "2.0", "id": 7, "method": "nope"})
        self.assertEqual(runner.next_message(), {"jsonrpc": "2.0", "id": 7, "error": {"code": -32601, "message": "method not found: nope"}})
        runner.send({"jsonrpc": "2.0", "id": 8, "method": "invoke", "params": {"kind": "bogus"}})
        error = runner.next_message()["error"]
        self.assertEqual(error["code"], -32602)
        self.assertIn("invocation_id", error["message"])
        runner.send({"id": 9, "method": "describe"})
        self.assertEqual(runner.next_message()["error"]["code"], -32600)
        self.assertEqual(runner.describe()["errors"], [])

    def test_DuplicateInvocationId_WhileRunning_IsRejected(self) -> None:
        runner = self.runner
        first = runner.start_invoke("slash_command", "slow", {}, invocation_id="dup")
        kv_get = runner.next_message()
        runner.start_invoke("slash_command", "fast", {}, invocation_id="dup")
        self.assertEqual(runner.next_message()["error"]["code"], -32602)
        runner.answer(kv_get, {"result": {"value": 1}})
        self.assertEqual(runner.serve_until(first, FakeHost()).result, {"handled": True})

    def test_Shutdown_DrainsInFlightInvokes_RefusesNewOnes_ThenExitsZero(self) -> None:
        runner = self.runner
        slow = runner.start_invoke("slash_command", "slow", {}, invocation_id="draining")
        kv_get = runner.next_message()
        shutdown = runner.request("shutdown")
        late = runner.start_invoke("slash_command", "fast", {})
        self.assertEqual(runner.next_message()["error"], {"code": -32004, "message": "the runner is shutting down"})
        runner.answer(kv_get, {"result": {"value": "v"}})
        outcome = runner.serve_until(slow, FakeHost())
        self.assertEqual(outcome.result, {"handled": True})
        self.assertEqual(runner.next_message(), {"jsonrpc": "2.0", "id": shutdown, "result": None})
        self.assertEqual(runner.wait(), 0)
        self.assertNotEqual(late, shutdown)

    def test_Ping_AnswersPong(self) -> None:
        self.assertEqual(self.runner.serve_until(self.runner.request("ping"), FakeHost()).result, "pong")

    def test_EndOfInput_FailsPendingHostCallsWithPluginError_ThenExitsZero(self) -> None:
        runner = self.runner
        slow = runner.start_invoke("slash_command", "slow", {})
        self.assertEqual(runner.next_message()["method"], "kv.get")
        assert runner.process.stdin is not None
        runner.process.stdin.close()
        outcome = runner.serve_until(slow, FakeHost())
        reply = outcome.response
        self.assertEqual(reply["error"]["data"]["type"], "PluginError")
        self.assertEqual(runner.wait(), 0)

    def test_EndOfInput_ExitsZero(self) -> None:
        assert self.runner.process.stdin is not None
        self.runner.process.stdin.close()
        self.assertEqual(self.runner.wait(), 0)


class BootErrorTests(unittest.TestCase):
    def describe(self, source: str | None, entrypoint: str | None = None) -> tuple[dict, Runner]:
        directory = tempfile.TemporaryDirectory()
        self.addCleanup(directory.cleanup)
        if source is not None:
            (Path(directory.name) / "plugin.py").write_text(textwrap.dedent(source), encoding="utf-8")
        runner = Runner(Path(directory.name), entrypoint)
        self.addCleanup(runner.close)
        return runner.describe(), runner

    def test_InvalidCronSpec_IsReportedByDescribe_AndEarlierHandlersStillWork(self) -> None:
        described, runner = self.describe(
            """
            @plugin.on_slash_command("ok")
            def ok(ctx: Context, event: dict):
                ctx.interaction.respond(content="still here")

            @plugin.cron("61 * * * *")
            def broken(ctx: Context):
                pass
            """
        )
        self.assertEqual(len(described["errors"]), 1)
        error = described["errors"][0]
        self.assertEqual((error["code"], error["path"], error["line"]), ("registration_error", "plugin.py", 6))
        self.assertIn("61", error["message"])
        self.assertEqual(described["slash_commands"], ["ok"])
        self.assertEqual(described["crons"], [])
        outcome = runner.invoke("slash_command", "ok", {})
        self.assertEqual(outcome.call("interaction.respond")["content"], "still here")
        self.assertEqual(runner.shutdown()["result"], None)
        self.assertEqual(runner.wait(), 0)

    def test_RegistrationMistakes_AreReportedWithTheirCode(self) -> None:
        cases = {
            "schedule below minimum": ("@plugin.schedule(10)\ndef t(ctx): pass\n", "registration_error", "at least 30"),
            "unknown event": ('@plugin.on_event("message_created")\ndef t(ctx, e): pass\n', "registration_error", "unknown event"),
            "bare decorator": ("@plugin.on_slash_command\ndef t(ctx, e): pass\n", "registration_error", "needs a name"),
            "syntax error": ("def broken(:\n", "syntax_error", "line 1"),
            "import error": ("import does_not_exist_anywhere\n", "import_error", "ModuleNotFoundError"),
            "plugin replaced": ("plugin = 42\n", "no_plugin", "Plugin instance"),
        }
        for name, (source, code, fragment) in cases.items():
            with self.subTest(name):
                described, _ = self.describe(source)
                self.assertEqual([e["code"] for e in described["errors"]], [code])
                self.assertIn(fragment, described["errors"][0]["message"])

    def test_MissingEntrypoint_IsReported(self) -> None:
        described, _ = self.describe(None, entrypoint="main.py")
        self.assertEqual(described["errors"][0]["code"], "entrypoint_not_found")

    def test_OwnPluginInstance_ReplacesThePreloadedOne(self) -> None:
        described, _ = self.describe(
            """
            from mmo_maid_sdk import Plugin, Context

            @plugin.on_slash_command("lost")
            def lost(ctx: Context, event: dict):
                pass

            plugin = Plugin()

            @plugin.on_slash_command("kept")
            def kept(ctx: Context, event: dict):
                pass
            """
        )
        self.assertEqual((described["slash_commands"], described["errors"]), (["kept"], []))

    def test_PluginDirFromEnvironment_AndSiblingImports(self) -> None:
        directory = tempfile.TemporaryDirectory()
        self.addCleanup(directory.cleanup)
        root = Path(directory.name)
        (root / "helpers.py").write_text("GREETING = 'from a sibling module'\n", encoding="utf-8")
        (root / "plugin.py").write_text(
            "from helpers import GREETING\n"
            "@plugin.on_slash_command('hi')\n"
            "def hi(ctx, event):\n"
            "    ctx.interaction.respond(content=GREETING)\n",
            encoding="utf-8",
        )
        runner = Runner(PROTOCOL_PLUGIN.parent, env={"PLUGIN_DIR": str(root)})
        self.addCleanup(runner.close)
        outcome = runner.invoke("slash_command", "hi", {})
        self.assertEqual(outcome.call("interaction.respond")["content"], "from a sibling module")


if __name__ == "__main__":
    unittest.main()
