"""A plugin exercising every corner of the protocol; driven by test_protocol.py."""

import asyncio
import json
import os
import subprocess
import sys

from mmo_maid_sdk import ActionRow, Button, CapabilityError, Context, Plugin, PluginError, SelectMenu, SelectOption

plugin = Plugin()


@plugin.on_slash_command("fast")
def fast(ctx: Context, event: dict):
    ctx.interaction.respond(content="fast")


@plugin.on_slash_command("slow")
def slow(ctx: Context, event: dict):
    value = ctx.kv.get("slow", default="missing")
    ctx.interaction.respond(content=f"slow got {value}")


@plugin.on_slash_command("kv")
def kv_roundtrip(ctx: Context, event: dict):
    ctx.kv.set("a:1", {"n": 1})
    ctx.kv.set("a:2", [1, 2])
    ctx.kv.set("b:1", "x")
    listed = ctx.kv.list("a:")
    got = ctx.kv.get("a:1")
    ctx.kv.delete("a:1")
    after = ctx.kv.get("a:1", default="gone")
    ctx.interaction.respond(content=json.dumps({"listed": listed, "got": got, "after": after}))


@plugin.on_slash_command("announce")
def announce(ctx: Context, event: dict):
    try:
        ctx.discord.send_message("42", content="hello")
    except CapabilityError as error:
        ctx.log(f"denied: {error} [{error.capability}]", level="warning")
        ctx.interaction.respond(content="could not announce", ephemeral=True)
        return
    ctx.interaction.respond(content="announced")


@plugin.on_slash_command("announce_unchecked")
def announce_unchecked(ctx: Context, event: dict):
    ctx.discord.send_message(42, content="hello", components=[Button("Go", custom_id="go")])


@plugin.on_slash_command("boom")
def boom(ctx: Context, event: dict):
    raise RuntimeError("boom")


@plugin.on_slash_command("exit")
def exit_cmd(ctx: Context, event: dict):
    sys.exit(3)


@plugin.on_slash_command("noisy")
def noisy(ctx: Context, event: dict):
    print("stray print")
    sys.stdout.write("stray write\n")
    os.write(1, b"raw fd write\n")
    subprocess.run(["/bin/sh", "-c", "echo from child"], check=True)
    ctx.interaction.respond(content="quiet")


@plugin.on_slash_command("config set")
def config_set(ctx: Context, event: dict):
    options = {o["name"]: o["value"] for o in event.get("options", [])}
    ctx.interaction.respond(content=f"{event.get('command_path')}: {options}")


@plugin.on_slash_command("config")
def config_other(ctx: Context, event: dict):
    ctx.interaction.respond(content=f"config fallback for {event.get('command_path')}")


@plugin.on_autocomplete("search")
def search_complete(ctx: Context, event: dict):
    typed = event["focused"]["value"]
    return [fruit for fruit in ["apple", "banana", "cherry", "grape"] if typed in fruit]


@plugin.on_autocomplete("many")
def many_complete(ctx: Context, event: dict):
    return [(f"item {i}", i) for i in range(40)]


@plugin.on_slash_command("async")
async def async_cmd(ctx: Context, event: dict):
    await asyncio.sleep(0.01)
    ctx.interaction.respond(content="async ok")


@plugin.on_slash_command("whoami")
def whoami(ctx: Context, event: dict):
    info = {"guild_id": ctx.guild_id, "plugin_id": ctx.plugin_id, "install_id": ctx.install_id, "pool": ctx.pool}
    ctx.interaction.respond(content=json.dumps(info))


@plugin.on_slash_command("count")
def count(ctx: Context, event: dict):
    ctx.interaction.respond(content=str(ctx.ephemeral.counter("n")))


@plugin.on_slash_command("work")
def work(ctx: Context, event: dict):
    ctx.interaction.defer(ephemeral=True)
    message_id = ctx.interaction.followup(content="done", embeds=[{"title": "Result"}])
    ctx.interaction.edit(content=f"followed up as {message_id}")


@plugin.on_slash_command("moderate")
def moderate(ctx: Context, event: dict):
    ctx.discord.add_reaction("1", "2", "👍")
    ctx.discord.remove_reaction(1, 2, "<:custom:55>")
    ctx.discord.add_role("3", "4")
    ctx.discord.remove_role(3, 4)
    ctx.interaction.respond(
        content="roles",
        components=[
            ActionRow(
                SelectMenu(custom_id="role:pick", options=[SelectOption("A", "a"), SelectOption("B", "b")]),
            ),
            {"type": 1, "components": [{"type": 2, "style": 5, "label": "Raw", "url": "https://example.org"}]},
        ],
    )


@plugin.on_component("vote:*")
def vote(ctx: Context, event: dict):
    ctx.interaction.respond(content=f"voted {event['custom_id']}", ephemeral=True)


@plugin.on_event("message_create")
def on_message(ctx: Context, event: dict):
    ctx.emit("protocol_plugin.seen", {"message_id": event["message_id"]})


@plugin.on_event("message_create")
def on_message_second(ctx: Context, event: dict):
    ctx.log.debug(f"second listener saw {event['message_id']}")


@plugin.on_event("other_plugin.task_done")
def on_task_done(ctx: Context, event: dict):
    ctx.kv.set("last_task", event)


@plugin.on_event("member_join")
def on_join(ctx: Context, event: dict):
    try:
        ctx.interaction.respond(content="nope")
    except PluginError as error:
        ctx.log(f"as expected: {error}")


@plugin.on_lifecycle("install")
def installed(ctx: Context, event: dict):
    ctx.log(f"installed in {ctx.guild_id}")


@plugin.schedule(30)
def slow_tick(ctx: Context):
    ctx.kv.get("tick")


@plugin.schedule(60)
def quick_tick(ctx: Context):
    ctx.ephemeral.counter("quick")
