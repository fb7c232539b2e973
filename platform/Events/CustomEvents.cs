using System.Text;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using Serverless.Platform.Invocations;
using Serverless.Platform.Packages;
using Serverless.Platform.Sandbox;
using Serverless.Platform.WorkQueue;

namespace Serverless.Platform.Events;

/// <summary>
/// <c>ctx.emit(name, payload)</c> (docs/events.md, "Custom events between plugins"): a plugin announces <c>its_id.something</c>, and
/// the other installs of the same guild that listen to that name receive it, one after the other in
/// listener priority order, as <c>event</c> invocations naming the emitter in <c>source_plugin_id</c>.
/// Three limits keep plugins answering each other from multiplying work (docs/events.md): depth, emits per
/// invocation, and the budget of the causal chain (<see cref="EventChain"/>).
/// </summary>
public sealed partial class CustomEvents(EventListeners listeners, IWorkQueue queue, PluginLogs logs)
{
    public const string EmitMethod = "events.emit";

    /// <summary>Emits from within handlers of emitted events, deeper than this, are refused: two plugins answering each other would never stop.</summary>
    public const int MaxDepth = 8;

    /// <summary>Emits one invocation may make.</summary>
    public const int MaxEmitsPerInvocation = 10;

    /// <summary>
    /// Deliveries a chain of events may cause in all, from the interaction, tick, lifecycle hook or gateway event
    /// that started it. 128 lets a chain of single emits reach <see cref="MaxDepth"/> under <see cref="EventChain"/>'s halving.
    /// </summary>
    public const int ChainBudget = 128;

    public const int MaxPayloadBytes = 16 * 1024;

    [GeneratedRegex(@"^[a-z0-9_]{1,64}(\.[a-z0-9_]{1,64})+\z")]
    private static partial Regex CustomEventPattern();

    /// <summary>
    /// Answers <c>events.emit</c> for any invocation (the capability was checked by <see cref="HostApi"/>).
    /// <paramref name="chain"/> is the chain the invocation belongs to: <see cref="EventChain.Start"/> outside event handlers.
    /// </summary>
    public async Task<RoutedCall> HandleEmitAsync(PluginInvocation invocation, JsonObject parameters, EventChain chain, CancellationToken cancellationToken)
    {
        var install = invocation.Install;
        var name = parameters["name"] is JsonValue value && value.TryGetValue<string>(out var text) ? text : null;
        var payload = parameters["payload"] switch
        {
            null => [],
            JsonObject o => o,
            _ => throw new JsonRpcException(JsonRpcException.InvalidParams, "events.emit: 'payload' must be an object"),
        };
        if (Validate(install.PluginId, name) is { } problem)
        {
            await logs.AppendAsync(install.PluginId, install.GuildId, "warning", $"events.emit refused: {problem}", invocation.Id, cancellationToken);
            throw new JsonRpcException(JsonRpcException.InvalidParams, problem);
        }
        if (Encoding.UTF8.GetByteCount(payload.ToJsonString()) > MaxPayloadBytes)
        {
            throw new JsonRpcException(JsonRpcException.InvalidParams, $"events.emit: the payload of {name} is larger than {MaxPayloadBytes / 1024} KiB");
        }
        if (chain.Depth >= MaxDepth)
        {
            await logs.AppendAsync(install.PluginId, install.GuildId, "warning", $"events.emit of {name} refused: {MaxDepth} events deep, likely a loop between plugins", invocation.Id, cancellationToken);
            throw new JsonRpcException(JsonRpcException.InvalidParams, $"events.emit: {name} would be {chain.Depth + 1} emitted events deep (limit {MaxDepth}); plugins answering each other's events form a loop");
        }
        var emits = chain.CountEmit(invocation.Id);
        if (emits > MaxEmitsPerInvocation)
        {
            var refusal = $"events.emit: {name} refused: this invocation has already emitted {MaxEmitsPerInvocation} events, the most one invocation may emit";
            if (emits == MaxEmitsPerInvocation + 1)
            {
                await logs.AppendAsync(install.PluginId, install.GuildId, "warning", refusal + " (later refusals in this invocation are not logged)", invocation.Id, cancellationToken);
            }
            throw new JsonRpcException(JsonRpcException.InvalidParams, refusal);
        }
        var found = await listeners.FindAsync(install.GuildId, name!, excludePluginId: install.PluginId, cancellationToken);
        if (!chain.TrySpend(found.Count, out var share))
        {
            var refusal = $"events.emit: {name} refused: the chain of events this invocation belongs to has spent its budget of {ChainBudget} deliveries " +
                "(counted from the interaction, tick or event that started it); plugins emitting to each other cannot multiply work without end";
            await logs.AppendAsync(install.PluginId, install.GuildId, "warning", refusal, invocation.Id, cancellationToken);
            throw new JsonRpcException(JsonRpcException.InvalidParams, refusal);
        }
        if (found.Count > 0)
        {
            var work = new EventWork(install.GuildId, name!, payload, found.Select(l => new EventTarget(l.Install.PluginId, l.Install.InstallId)).ToList(), install.PluginId, chain.Depth + 1, null, share);
            await queue.EnqueueAsync(work.ToWorkItem(), cancellationToken);
        }
        return new RoutedCall(null);
    }

    /// <summary>Null when <paramref name="name"/> may be emitted by <paramref name="pluginId"/>, else why not.</summary>
    public static string? Validate(string pluginId, string? name)
    {
        if (string.IsNullOrEmpty(name))
        {
            return "events.emit: 'name' must be a non-empty string";
        }
        if (DiscordEvents.Known.Contains(name))
        {
            return $"events.emit: '{name}' is a Discord event; only the gateway sends those. Emit a custom event such as '{pluginId}.{name}'";
        }
        if (!name.StartsWith(pluginId + ".", StringComparison.Ordinal))
        {
            return $"events.emit: '{name}' is outside this plugin's namespace; a plugin emits only its own events, named '{pluginId}.<event>'";
        }
        if (name.Length > 128 || !CustomEventPattern().IsMatch(name))
        {
            return $"events.emit: '{name}' is not a custom event name: '{pluginId}.' then dotted parts of lowercase letters, digits and '_'";
        }
        return null;
    }
}

/// <summary>
/// One causal chain of custom events (docs/events.md): an interaction, a tick, a lifecycle hook or one delivery of
/// a gateway event starts one with <see cref="CustomEvents.ChainBudget"/>, and every event work item it leads to
/// carries what is left for it and its own descendants. Each emit pays one per listener it reaches (one when it
/// reaches none), and the work item it creates takes the larger half of what is left; the emitter keeps the
/// rest for its further emits. So the budget is shared, never copied: the whole chain, however it branches,
/// causes at most <see cref="CustomEvents.ChainBudget"/> deliveries. The invocations of one work item share
/// one object (they run one after the other), which also counts each invocation's emits.
/// </summary>
public sealed class EventChain(int depth, int budget)
{
    private readonly Lock gate = new();
    private readonly Dictionary<string, int> emits = new(StringComparer.Ordinal);
    private int budget = budget;

    public static EventChain Start() => new(0, CustomEvents.ChainBudget);

    /// <summary>How many emitted events deep the invocations of this chain's work item are: 0 outside custom events.</summary>
    public int Depth { get; } = depth;

    /// <summary>Counts one emit of <paramref name="invocationId"/>; returns its number.</summary>
    public int CountEmit(string invocationId)
    {
        lock (gate)
        {
            var count = emits.GetValueOrDefault(invocationId) + 1;
            emits[invocationId] = count;
            return count;
        }
    }

    /// <summary>
    /// Pays for an emit reaching <paramref name="listeners"/> installs; <paramref name="share"/> is the budget of the work
    /// item that carries it (0 when there is none). False when the chain cannot pay.
    /// </summary>
    public bool TrySpend(int listeners, out int share)
    {
        lock (gate)
        {
            share = 0;
            var cost = Math.Max(1, listeners);
            if (cost > budget)
            {
                return false;
            }
            budget -= cost;
            if (listeners > 0)
            {
                share = (budget + 1) / 2;
                budget -= share;
            }
            return true;
        }
    }
}
