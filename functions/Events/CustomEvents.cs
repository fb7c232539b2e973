using System.Text;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using Serverless.Functions.Invocations;
using Serverless.Functions.Packages;
using Serverless.Functions.Sandbox;
using Serverless.Functions.WorkQueue;

namespace Serverless.Functions.Events;

/// <summary>
/// <c>ctx.emit(name, payload)</c> (seed 003's custom events): a plugin announces <c>its_id.something</c>, and
/// the other installs of the same guild that listen to that name receive it, one after the other in
/// listener priority order, as <c>event</c> invocations naming the emitter in <c>source_plugin_id</c>.
/// </summary>
public sealed partial class CustomEvents(EventListeners listeners, IWorkQueue queue, PluginLogs logs)
{
    public const string EmitMethod = "events.emit";

    /// <summary>Emits from within handlers of emitted events, deeper than this, are refused: two plugins answering each other would never stop.</summary>
    public const int MaxDepth = 8;

    public const int MaxPayloadBytes = 16 * 1024;

    [GeneratedRegex(@"^[a-z0-9_]{1,64}(\.[a-z0-9_]{1,64})+\z")]
    private static partial Regex CustomEventPattern();

    /// <summary>
    /// Answers <c>events.emit</c> for any invocation (the capability was checked by <see cref="HostApi"/>).
    /// <paramref name="depth"/> is the depth of the event being handled: 0 outside event handlers.
    /// </summary>
    public async Task<RoutedCall> HandleEmitAsync(PluginInvocation invocation, JsonObject parameters, int depth, CancellationToken cancellationToken)
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
        if (depth >= MaxDepth)
        {
            await logs.AppendAsync(install.PluginId, install.GuildId, "warning", $"events.emit of {name} refused: {MaxDepth} events deep, likely a loop between plugins", invocation.Id, cancellationToken);
            throw new JsonRpcException(JsonRpcException.InvalidParams, $"events.emit: {name} would be {depth + 1} emitted events deep (limit {MaxDepth}); plugins answering each other's events form a loop");
        }
        await EmitAsync(install, name!, payload, depth + 1, cancellationToken);
        return new RoutedCall(null);
    }

    /// <summary>Enqueues the event for the guild's other listeners; returns how many there are.</summary>
    public async Task<int> EmitAsync(InstallContext emitter, string name, JsonObject payload, int depth, CancellationToken cancellationToken)
    {
        var found = await listeners.FindAsync(emitter.GuildId, name, excludePluginId: emitter.PluginId, cancellationToken);
        if (found.Count == 0)
        {
            return 0;
        }
        var work = new EventWork(emitter.GuildId, name, payload, found.Select(l => new EventTarget(l.Install.PluginId, l.Install.InstallId)).ToList(), emitter.PluginId, depth, null);
        await queue.EnqueueAsync(work.ToWorkItem(), cancellationToken);
        return found.Count;
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
