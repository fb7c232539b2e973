@plugin.schedule(300)   # every 5 minutes
def heartbeat(ctx: Context):
    count = ctx.ephemeral.counter("heartbeats")
    ctx.log(f"heartbeat #{count}")
