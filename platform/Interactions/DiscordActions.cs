using System.Text.Json.Nodes;
using Serverless.Platform.Discord;
using Serverless.Platform.Invocations;
using Serverless.Platform.Sandbox;

namespace Serverless.Platform.Interactions;

/// <summary>
/// <c>ctx.discord</c>: messages, reactions and roles, in the install's own guild only. Capabilities are
/// checked before a call gets here (<see cref="HostApi"/>). A message or reaction goes out only after
/// <see cref="ChannelGuilds"/> says its channel is in the install's guild (a DM channel is in none), and roles
/// use the install's guild in the path, so no call reaches another server. Ids that are no Discord ids are
/// refused by <see cref="DiscordRestClient"/> before any request. Serves every kind of invocation.
/// </summary>
public sealed class DiscordActions(DiscordRestClient discord, ChannelGuilds channels, PluginLogs logs, CustomIds customIds) : IPluginCallRouter
{
    public async Task<RoutedCall?> TryHandleAsync(PluginInvocation invocation, string method, JsonObject parameters, CancellationToken cancellationToken)
    {
        var install = invocation.Install;
        try
        {
            switch (method)
            {
                case "discord.send_message":
                    var target = await InstallGuildChannelAsync(invocation, method, parameters, cancellationToken);
                    var sent = await discord.CreateMessageAsync(target, PluginMessages.Message(await customIds.ForPluginAsync(install.PluginId, cancellationToken), parameters, allowEphemeral: false), cancellationToken);
                    return new RoutedCall(new JsonObject { ["message_id"] = sent.Id, ["channel_id"] = sent.ChannelId });
                case "discord.add_reaction":
                    var channel = await InstallGuildChannelAsync(invocation, method, parameters, cancellationToken);
                    await discord.AddReactionAsync(channel, Required(parameters, "message_id"), Required(parameters, "emoji"), cancellationToken);
                    return new RoutedCall(null);
                case "discord.remove_reaction":
                    var from = await InstallGuildChannelAsync(invocation, method, parameters, cancellationToken);
                    await discord.RemoveOwnReactionAsync(from, Required(parameters, "message_id"), Required(parameters, "emoji"), cancellationToken);
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
        catch (DiscordArgumentException ex)
        {
            await logs.AppendAsync(install.PluginId, install.GuildId, "warning", $"{method} refused: {ex.Message}", invocation.Id, cancellationToken);
            throw new JsonRpcException(JsonRpcException.InvalidParams, ex.Message, new JsonObject { ["parameter"] = ex.Parameter });
        }
        catch (DiscordApiException ex)
        {
            throw new JsonRpcException(HostApi.CallFailed, $"Discord refused {method}: {ex.Message}", new JsonObject { ["status"] = ex.Status, ["code"] = ex.Code });
        }
    }

    /// <summary>
    /// The call's <c>channel_id</c>, once it is known to be a channel or thread of the install's guild. A channel of
    /// another guild, a DM, one that does not exist and one the bot cannot see are refused alike, so a plugin
    /// learns nothing about other servers from the answer.
    /// </summary>
    private async Task<string> InstallGuildChannelAsync(PluginInvocation invocation, string method, JsonObject parameters, CancellationToken cancellationToken)
    {
        var install = invocation.Install;
        var channelId = Required(parameters, "channel_id");
        string? guildId;
        try
        {
            guildId = await channels.GuildOfAsync(channelId, cancellationToken);
        }
        catch (DiscordApiException ex) when (ex is not DiscordArgumentException)
        {
            throw new JsonRpcException(HostApi.CallFailed, $"{method}: could not check that channel {channelId} is in this server's guild: {ex.Message}",
                new JsonObject { ["status"] = ex.Status, ["code"] = ex.Code });
        }
        if (guildId == install.GuildId)
        {
            return channelId;
        }
        var problem = $"channel {channelId} is not in this server's guild";
        await logs.AppendAsync(install.PluginId, install.GuildId, "warning", $"{method} refused: {problem}", invocation.Id, cancellationToken);
        throw new JsonRpcException(JsonRpcException.InvalidParams, problem, new JsonObject { ["parameter"] = "channel_id" });
    }

    internal static string Required(JsonObject parameters, string name) =>
        parameters[name] is JsonValue value && (value.TryGetValue<string>(out var text) || value.TryGetValue<long>(out _))
            ? text ?? value.ToJsonString()
            : throw new JsonRpcException(JsonRpcException.InvalidParams, $"'{name}' is required");
}
