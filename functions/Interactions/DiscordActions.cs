using System.Text.Json.Nodes;
using Serverless.Functions.Discord;
using Serverless.Functions.Invocations;
using Serverless.Functions.Sandbox;

namespace Serverless.Functions.Interactions;

/// <summary>
/// <c>ctx.discord</c>: messages, reactions and roles, in the install's own guild only. Capabilities are
/// checked before a call gets here (<see cref="HostApi"/>). Serves every kind of invocation.
/// </summary>
public sealed class DiscordActions(DiscordRestClient discord, CustomIds customIds) : IPluginCallRouter
{
    public async Task<RoutedCall?> TryHandleAsync(PluginInvocation invocation, string method, JsonObject parameters, CancellationToken cancellationToken)
    {
        var install = invocation.Install;
        try
        {
            switch (method)
            {
                case "discord.send_message":
                    var sent = await discord.CreateMessageAsync(Required(parameters, "channel_id"), PluginMessages.Message(await customIds.ForPluginAsync(install.PluginId, cancellationToken), parameters, allowEphemeral: false), cancellationToken);
                    return new RoutedCall(new JsonObject { ["message_id"] = sent.Id, ["channel_id"] = sent.ChannelId });
                case "discord.add_reaction":
                    await discord.AddReactionAsync(Required(parameters, "channel_id"), Required(parameters, "message_id"), Required(parameters, "emoji"), cancellationToken);
                    return new RoutedCall(null);
                case "discord.remove_reaction":
                    await discord.RemoveOwnReactionAsync(Required(parameters, "channel_id"), Required(parameters, "message_id"), Required(parameters, "emoji"), cancellationToken);
                    return new RoutedCall(null);
                case "discord.add_role":
                    await discord.AddMemberRoleAsync(install.GuildId, Required(parameters, "user_id"), Required(parameters, "role_id"), $"plugin {install.PluginId}", cancellationToken);
                    return new RoutedCall(null);
                case "discord.remove_role":
                    await discord.RemoveMemberRoleAsync(install.GuildId, Required(parameters, "user_id"), Required(parameters, "role_id"), $"plugin {install.PluginId}", cancellationToken);
                    return new RoutedCall(null);
                default:
                    return null;
            }
        }
        catch (DiscordApiException ex)
        {
            throw new JsonRpcException(HostApi.CallFailed, $"Discord refused {method}: {ex.Message}", new JsonObject { ["status"] = ex.Status, ["code"] = ex.Code });
        }
    }

    internal static string Required(JsonObject parameters, string name) =>
        parameters[name] is JsonValue value && (value.TryGetValue<string>(out var text) || value.TryGetValue<long>(out _))
            ? text ?? value.ToJsonString()
            : throw new JsonRpcException(JsonRpcException.InvalidParams, $"'{name}' is required");
}
