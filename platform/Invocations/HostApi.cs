using System.Text.Json.Nodes;
using Serverless.Platform.Sandbox;

namespace Serverless.Platform.Invocations;

/// <summary>
/// Answers a plugin's calls during one invocation (docs/protocol.md §4), each behind the capability it needs.
/// A refused call is a JSON-RPC error the plugin sees as <c>CapabilityError</c>; the plugin keeps running.
/// </summary>
public sealed class HostApi(KvStore kv, PluginLogs logs)
{
    public const int CapabilityDenied = -32001;
    public const int CallFailed = -32010;

    /// <summary>Methods and the capability each needs; kv and log need none, being the install's own state.</summary>
    public static string? CapabilityFor(string method) => method switch
    {
        _ when method.StartsWith("interaction.", StringComparison.Ordinal) => "interaction:respond",
        "discord.send_message" => "messages:send",
        "discord.add_reaction" => "reactions:add",
        "discord.remove_reaction" => "reactions:remove",
        "discord.add_role" => "roles:add",
        "discord.remove_role" => "roles:remove",
        "events.emit" => "events:emit",
        _ => null,
    };

    /// <summary>
    /// Answers <paramref name="invocation"/>'s calls; the sandbox hands over only the calls that carry its id
    /// while it runs (<see cref="JsonRpcPeer.Serve"/>), and a call refused once it finished goes to its log.
    /// </summary>
    public InvocationCalls CallsFor(PluginInvocation invocation, IPluginCallRouter? router) => new(
        (request, cancellationToken) => HandleAsync(invocation, router, request, cancellationToken),
        (_, reason, cancellationToken) => logs.AppendAsync(invocation.Install.PluginId, invocation.Install.GuildId, "warning", reason, invocation.Id, cancellationToken));

    private async Task<JsonNode?> HandleAsync(PluginInvocation invocation, IPluginCallRouter? router, JsonRpcRequest request, CancellationToken cancellationToken)
    {
        var install = invocation.Install;
        var parameters = request.Params as JsonObject ?? [];
        if (CapabilityFor(request.Method) is { } capability && !install.GrantedCapabilities.Contains(capability))
        {
            await logs.AppendAsync(install.PluginId, install.GuildId, "warning", $"{request.Method} refused: capability '{capability}' not granted to this install", invocation.Id, cancellationToken);
            throw new JsonRpcException(CapabilityDenied, $"capability '{capability}' not granted", new JsonObject { ["capability"] = capability });
        }

        try
        {
            switch (request.Method)
            {
                case "log":
                    await logs.AppendAsync(install.PluginId, install.GuildId, PluginLogs.NormalizeLevel(Text(parameters, "level")), Text(parameters, "message") ?? "", invocation.Id, cancellationToken);
                    return null;
                case "kv.get":
                    return new JsonObject { ["value"] = await kv.GetAsync(install.InstallId, Required(parameters, "key"), cancellationToken) };
                case "kv.set":
                    await kv.SetAsync(install.InstallId, Required(parameters, "key"), parameters["value"]?.DeepClone(), cancellationToken);
                    return null;
                case "kv.delete":
                    return new JsonObject { ["deleted"] = await kv.DeleteAsync(install.InstallId, Required(parameters, "key"), cancellationToken) };
                case "kv.list":
                    return new JsonObject { ["keys"] = new JsonArray((await kv.ListAsync(install.InstallId, Text(parameters, "prefix") ?? "", cancellationToken)).Select(k => (JsonNode)k).ToArray()) };
            }
        }
        catch (KvException ex)
        {
            throw new JsonRpcException(CallFailed, ex.Message);
        }

        if (router is not null && await router.TryHandleAsync(invocation, request.Method, parameters, cancellationToken) is { } routed)
        {
            return routed.Result;
        }
        throw new JsonRpcException(JsonRpcException.MethodNotFound, $"'{request.Method}' is not available in a {invocation.Kind} invocation");
    }

    private static string? Text(JsonObject parameters, string name) =>
        parameters[name] is JsonValue value && value.TryGetValue<string>(out var text) ? text : null;

    private static string Required(JsonObject parameters, string name) =>
        Text(parameters, name) ?? throw new JsonRpcException(JsonRpcException.InvalidParams, $"'{name}' must be a string");
}

/// <summary>A routed call's answer (null result is a valid answer).</summary>
public sealed record RoutedCall(JsonNode? Result);

/// <summary>
/// Calls that reach outside the install: Discord (interaction responses, messages, reactions, roles) and
/// other plugins (custom events). Each kind of invocation has its own: an interaction's session, the
/// event and schedule routers, plain Discord actions.
/// </summary>
public interface IPluginCallRouter
{
    /// <summary>Null when the method is not one this router knows.</summary>
    Task<RoutedCall?> TryHandleAsync(PluginInvocation invocation, string method, JsonObject parameters, CancellationToken cancellationToken);
}
