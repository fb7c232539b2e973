from __future__ import annotations

import importlib
import unittest
from typing import Any

import serverless_sdk
from serverless_sdk import CapabilityError, Context, Plugin, PluginError
from serverless_sdk.context import EphemeralStore
from serverless_sdk.errors import RegistrationError
from serverless_sdk.plugin import EVENT_NAMES


def handler(ctx: Any, event: Any = None) -> None:
    pass


class RegistrationTests(unittest.TestCase):
    def test_OnEvent_AllSixteenSeedEvents_AreAccepted(self) -> None:
        self.assertEqual(len(EVENT_NAMES), 16)
        plugin = Plugin()
        for name in sorted(EVENT_NAMES):
            plugin.on_event(name)(handler)
        self.assertEqual(sorted(plugin.describe()["events"]), sorted(EVENT_NAMES))

    def test_OnEvent_UnknownName_RaisesValueError(self) -> None:
        for name in ("message_created", "MESSAGE_CREATE", "ready", "", "no_dot_custom", "Bad.Name", "a..b"):
            with self.subTest(name=name):
                with self.assertRaises(ValueError):
                    Plugin().on_event(name)

    def test_OnEvent_NamespacedCustomEvent_IsAccepted(self) -> None:
        plugin = Plugin()
        plugin.on_event("other_plugin.task_done")(handler)
        plugin.on_event("other_plugin.task_done")(handler)  # several listeners are fine
        self.assertEqual(plugin.events["other_plugin.task_done"], [handler, handler])

    def test_OnEvent_Priority_ListenersRunLowestFirstThenInRegistrationOrder(self) -> None:
        plugin = Plugin()

        def late(ctx: Any, event: Any = None) -> None:
            pass

        def default_a(ctx: Any, event: Any = None) -> None:
            pass

        def early(ctx: Any, event: Any = None) -> None:
            pass

        def default_b(ctx: Any, event: Any = None) -> None:
            pass

        plugin.on_event("other_plugin.task_done", priority=2000)(late)
        plugin.on_event("other_plugin.task_done")(default_a)
        plugin.on_event("other_plugin.task_done", priority=500)(early)
        plugin.on_event("other_plugin.task_done")(default_b)
        plugin.on_event("message_create")(handler)

        self.assertEqual(plugin.events["other_plugin.task_done"], [early, default_a, default_b, late])
        described = plugin.describe()
        self.assertEqual(described["events"], ["other_plugin.task_done", "message_create"])
        self.assertEqual(described["event_priorities"], {"other_plugin.task_done": 500, "message_create": 1000})

    def test_OnEvent_NonIntPriority_RaisesValueError(self) -> None:
        for priority in ("high", 1.5, True, None):
            with self.subTest(priority=priority):
                with self.assertRaises(ValueError):
                    Plugin().on_event("message_create", priority=priority)  # type: ignore[arg-type]

    def test_Schedule_MinimumIs30Seconds(self) -> None:
        plugin = Plugin()
        plugin.schedule(30)(handler)
        for seconds in (29, 29.9, 0, -5):
            with self.subTest(seconds=seconds):
                with self.assertRaises(ValueError):
                    plugin.schedule(seconds)
        for bad in ("300", True, None):
            with self.subTest(bad=bad):
                with self.assertRaises(ValueError):
                    plugin.schedule(bad)  # type: ignore[arg-type]

    def test_Cron_InvalidSpec_RaisesValueErrorAtRegistration(self) -> None:
        with self.assertRaises(ValueError) as raised:
            Plugin().cron("0 25 * * *")
        self.assertIsInstance(raised.exception, RegistrationError)
        self.assertIn("0 25 * * *", str(raised.exception))

    def test_TaskIds_SameFunctionName_GetNumberedInRegistrationOrder(self) -> None:
        plugin = Plugin()

        def heartbeat(ctx: Any) -> None: ...

        plugin.schedule(300)(heartbeat)
        plugin.cron("*/15 * * * *")(heartbeat)
        plugin.cron("0 * * * *")(heartbeat)
        plugin.cron("0 0 * * *", name="nightly")(heartbeat)
        self.assertEqual(list(plugin.tasks), ["heartbeat", "heartbeat#2", "heartbeat#3", "nightly"])
        with self.assertRaises(ValueError):
            plugin.schedule(60, name="nightly")(heartbeat)
        with self.assertRaises(ValueError):
            plugin.schedule(60, name="bad#name")(heartbeat)

    def test_Decorators_ReturnTheFunctionUnchanged(self) -> None:
        plugin = Plugin()
        self.assertIs(plugin.on_slash_command("a")(handler), handler)
        self.assertIs(plugin.schedule(60)(handler), handler)
        self.assertIs(plugin.cron("* * * * *")(handler), handler)

    def test_SlashCommand_PathsAndDuplicates(self) -> None:
        plugin = Plugin()
        plugin.on_slash_command("config  set")(handler)
        self.assertEqual(plugin.describe()["slash_commands"], ["config set"])
        with self.assertRaises(ValueError):
            plugin.on_slash_command("config set")(handler)
        for bad in ("", "Greet", "a b c d", "x" * 33, "bad!"):
            with self.subTest(bad=bad):
                with self.assertRaises(ValueError):
                    plugin.on_slash_command(bad)
        found = plugin.find_slash_command("config set")
        self.assertEqual(found and found[0], "config set")
        self.assertIsNone(plugin.find_slash_command("config get"))

    def test_Validators_ValidNameWithNewlineAppended_Refused(self) -> None:
        # Each accepts the bare name; with "\n" or "\r\n" after it, each must refuse ($ would not).
        checks = {
            "on_event": lambda name: Plugin().on_event(name),
            "on_slash_command": lambda name: Plugin().on_slash_command(name),
            "on_slash_command subcommand": lambda name: Plugin().on_slash_command("config " + name),
            "on_autocomplete": lambda name: Plugin().on_autocomplete(name),
            "schedule name": lambda name: Plugin().schedule(60, name=name)(handler),
            "cron name": lambda name: Plugin().cron("0 9 * * 1", name=name)(handler),
            "emit": lambda name: make_ctx(RecordingHost()).emit(name, {}),
        }
        valid = {"on_event": "other_plugin.task_done", "emit": "my_plugin.task_done"}
        for what, check in checks.items():
            name = valid.get(what, "greet")
            check(name)
            for suffix in ("\n", "\r\n"):
                with self.subTest(what=what, suffix=suffix):
                    with self.assertRaises(ValueError):
                        check(name + suffix)

    def test_BareDecorator_IsAClearError(self) -> None:
        plugin = Plugin()
        for decorator in (plugin.on_slash_command, plugin.on_component, plugin.on_event, plugin.schedule, plugin.cron):
            with self.subTest(decorator=decorator.__name__):
                with self.assertRaises(ValueError):
                    decorator(handler)  # type: ignore[arg-type]

    def test_ComponentPatterns_ExactBeatsPrefix_LongestPrefixWins(self) -> None:
        plugin = Plugin()

        def a(ctx: Any, e: Any) -> None: ...
        def b(ctx: Any, e: Any) -> None: ...
        def c(ctx: Any, e: Any) -> None: ...

        plugin.on_component("vote:*")(a)
        plugin.on_component("vote:special:*")(b)
        plugin.on_component("vote:1")(c)
        self.assertIs(plugin.find_component("vote:1"), c)
        self.assertIs(plugin.find_component("vote:2"), a)
        self.assertIs(plugin.find_component("vote:special:9"), b)
        self.assertIsNone(plugin.find_component("other"))
        with self.assertRaises(ValueError):
            plugin.on_component("a*b")


class RecordingHost:
    def __init__(self, replies: dict[str, Any] | None = None) -> None:
        self.calls: list[tuple[str, dict[str, Any]]] = []
        self.notes: list[tuple[str, dict[str, Any]]] = []
        self.replies = replies or {}

    def call(self, method: str, params: dict[str, Any]) -> Any:
        self.calls.append((method, params))
        reply = self.replies.get(method)
        if isinstance(reply, Exception):
            raise reply
        return reply

    def notify(self, method: str, params: dict[str, Any]) -> None:
        self.notes.append((method, params))


def make_ctx(host: RecordingHost, kind: str = "slash_command", install: str = "i1", store: EphemeralStore | None = None) -> Context:
    info = {"guild_id": "g", "plugin_id": "p", "install_id": install, "pool": False}
    return Context(host, "inv-1", kind, "name", info, store)


class ContextTests(unittest.TestCase):
    def test_KvGet_NullValueGivesDefault(self) -> None:
        host = RecordingHost({"kv.get": {"value": None}})
        self.assertEqual(make_ctx(host).kv.get("k", default=5), 5)
        self.assertEqual(host.calls, [("kv.get", {"invocation_id": "inv-1", "key": "k"})])

    def test_KvSet_NonJsonValue_RaisesBeforeCallingHost(self) -> None:
        host = RecordingHost()
        ctx = make_ctx(host)
        for value in ({1, 2}, float("nan"), object()):
            with self.subTest(value=value):
                with self.assertRaises(ValueError):
                    ctx.kv.set("k", value)
        with self.assertRaises(ValueError):
            ctx.kv.set("", 1)
        self.assertEqual(host.calls, [])

    def test_Ephemeral_CounterGetSet_NoHostCall(self) -> None:
        host = RecordingHost()
        store = EphemeralStore()
        ctx = make_ctx(host, store=store)
        self.assertEqual([ctx.ephemeral.counter("n"), ctx.ephemeral.counter("n"), ctx.ephemeral.counter("n", by=5)], [1, 2, 7])
        ctx.ephemeral.set("last", {"x": 1})
        self.assertEqual(ctx.ephemeral.get("last"), {"x": 1})
        self.assertEqual(ctx.ephemeral.get("missing", "d"), "d")
        self.assertEqual(make_ctx(host, install="other", store=store).ephemeral.counter("n"), 1)
        self.assertEqual((host.calls, host.notes), ([], []))

    def test_Log_IsCallableWithLevels(self) -> None:
        host = RecordingHost()
        ctx = make_ctx(host)
        ctx.log("one")
        ctx.log("two", level="warn")
        ctx.log.error("three")
        self.assertEqual(
            [(p["level"], p["message"]) for _, p in host.notes], [("info", "one"), ("warning", "two"), ("error", "three")]
        )
        with self.assertRaises(ValueError):
            ctx.log("x", level="loud")

    def test_ClosedContext_RaisesPluginError(self) -> None:
        ctx = make_ctx(RecordingHost())
        ctx.close()
        with self.assertRaises(PluginError):
            ctx.kv.get("k")
        with self.assertRaises(PluginError):
            ctx.log("late")

    def test_Interaction_OnlyInInteractionKinds(self) -> None:
        for kind in ("event", "schedule", "cron", "autocomplete", "lifecycle"):
            with self.subTest(kind=kind):
                with self.assertRaises(PluginError):
                    make_ctx(RecordingHost(), kind=kind).interaction.respond(content="x")

    def test_Respond_ValidatesContent(self) -> None:
        with self.assertRaises(ValueError):
            make_ctx(RecordingHost()).interaction.respond(content="x" * 2001)

    def test_Emit_RequiresNamespacedNameAndDictPayload(self) -> None:
        host = RecordingHost()
        ctx = make_ctx(host)
        ctx.emit("my_plugin.task_done", {"ok": True})
        self.assertEqual(host.calls, [("events.emit", {"invocation_id": "inv-1", "name": "my_plugin.task_done", "payload": {"ok": True}})])
        for name, payload in (("task_done", {}), ("message_create", {}), ("my_plugin.x", [1])):
            with self.subTest(name=name):
                with self.assertRaises(ValueError):
                    ctx.emit(name, payload)  # type: ignore[arg-type]

    def test_Discord_IdsNotSnowflakes_RaiseValueErrorBeforeCallingHost(self) -> None:
        host = RecordingHost()
        discord = make_ctx(host).discord
        bad_ids = ["..", ".", "%2e%2e", "123/456", "123?x", "@me", "", " 123", "123\n", "1e5", "-1", "١٢٣", "１２３", "²",
                   "1" * 21, "18446744073709551616", True, 1.5, None, -1]
        for bad in bad_ids:
            for name, call in [
                ("user_id", lambda v: discord.remove_role(v, "555")),
                ("role_id", lambda v: discord.add_role("555", v)),
                ("channel_id", lambda v: discord.send_message(v, content="x")),
                ("channel_id", lambda v: discord.add_reaction(v, "1", "👍")),
                ("message_id", lambda v: discord.remove_reaction("1", v, "👍")),
            ]:
                with self.subTest(bad=bad, parameter=name):
                    with self.assertRaisesRegex(ValueError, f"^{name} must be a Discord id \\(digits only\\), got "):
                        call(bad)
        self.assertEqual(host.calls, [])

    def test_Discord_EmojiNeitherUnicodeNorNameColonId_RaisesValueErrorBeforeCallingHost(self) -> None:
        host = RecordingHost()
        discord = make_ctx(host).discord
        for bad in ["..", ".", "%2e%2e", "a/b", "👍/..", "?", "#", "1", "x", "", " 👍", "👍\n", "١٢٣", "é", "name:..", "n:123",
                    ":123", "name:12a", "<:name:..>", "<b:name:123>", "<>", "1\ufe0f\u20e3x", "\u202e👍", "👍" * 33, None, 5]:
            with self.subTest(bad=bad):
                with self.assertRaisesRegex(ValueError, "^emoji must be a Unicode emoji or a custom emoji as name:id"):
                    discord.add_reaction("1", "2", bad)
        self.assertEqual(host.calls, [])

    def test_Discord_ValidIdsAndEmoji_SentAsGiven(self) -> None:
        host = RecordingHost()
        discord = make_ctx(host).discord
        for emoji in ["👍", "❤️", "👍🏽", "👨\u200d👩\u200d👧", "1️⃣", "#️⃣", "🇫🇷", "ℹ️", "party_2:123", "<:party:123>", "<a:dance:123>"]:
            discord.add_reaction(1, "18446744073709551615", emoji)
        discord.remove_role(0, "00000000000000000001")
        self.assertEqual([params["emoji"] for method, params in host.calls if method == "discord.add_reaction"][-3:], ["party_2:123", "<:party:123>", "<a:dance:123>"])
        self.assertEqual(host.calls[-1], ("discord.remove_role", {"invocation_id": "inv-1", "user_id": "0", "role_id": "00000000000000000001"}))

    def test_CapabilityError_IsAPluginError_WithCapability(self) -> None:
        error = CapabilityError("capability 'messages:send' not granted", -32001, {"capability": "messages:send"})
        self.assertIsInstance(error, PluginError)
        self.assertEqual(error.capability, "messages:send")


class AliasTests(unittest.TestCase):
    def test_MmoMaidSdk_IsTheSameModuleObjects(self) -> None:
        alias = importlib.import_module("mmo_maid_sdk")
        for name in serverless_sdk.__all__:
            with self.subTest(name=name):
                self.assertIs(getattr(alias, name), getattr(serverless_sdk, name))
        for sub in ("components", "context", "cron", "errors", "plugin", "rpc", "runner"):
            with self.subTest(sub=sub):
                self.assertIs(importlib.import_module(f"mmo_maid_sdk.{sub}"), importlib.import_module(f"serverless_sdk.{sub}"))
        from mmo_maid_sdk import ActionRow, Button, Context as AliasContext, Plugin as AliasPlugin, TextInput  # noqa: F401

        self.assertIs(AliasPlugin, Plugin)
        self.assertIs(AliasContext, Context)
        self.assertEqual(alias.__version__, "0.5.1")


if __name__ == "__main__":
    unittest.main()
