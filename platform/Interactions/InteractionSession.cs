using System.Text.Json.Nodes;
using Serverless.Platform.Discord;
using Serverless.Platform.Invocations;
using Serverless.Platform.Sandbox;

namespace Serverless.Platform.Interactions;

/// <summary>
/// The plugin's side of the deadline protocol for one interaction (docs/protocol.md §4): the first answer claims
/// the initial response if nobody has (so a modal from code works), after the platform's deferral
/// <c>respond</c> edits <c>@original</c> once and follows up after that, and <c>send_modal</c> after a
/// deferral is refused with a clear error. Every call happens at most once, even on redelivery.
/// </summary>
public sealed class InteractionSession(
    RoutedInteraction route,
    InteractionRef interaction,
    DateTimeOffset receivedAt,
    InteractionLedger ledger,
    DiscordRestClient discord,
    DiscordActions actions,
    Events.CustomEvents customEvents,
    PluginLogs logs,
    TimeProvider clock) : IPluginCallRouter
{
    /// <summary>Discord's interaction tokens stop working after 15 minutes.</summary>
    public static readonly TimeSpan TokenLifetime = TimeSpan.FromMinutes(15);

    private readonly Events.EventChain _chain = Events.EventChain.Start();
    private int _sequence;

    /// <summary>True once the plugin made any interaction call.</summary>
    public bool Answered { get; private set; }

    private string PluginId => route.Install.PluginId;

    public async Task<RoutedCall?> TryHandleAsync(PluginInvocation invocation, string method, JsonObject parameters, CancellationToken cancellationToken)
    {
        if (method == Events.CustomEvents.EmitMethod)
        {
            return await customEvents.HandleEmitAsync(invocation, parameters, _chain, cancellationToken);
        }
        if (!method.StartsWith("interaction.", StringComparison.Ordinal))
        {
            return await actions.TryHandleAsync(invocation, method, parameters, cancellationToken);
        }
        var sequence = Interlocked.Increment(ref _sequence);
        Answered = true;
        if (!await ledger.TryBeginCallAsync(interaction.Id, sequence, method, cancellationToken))
        {
            // Done by an earlier delivery of this same invocation: Discord already has it.
            return new RoutedCall(null);
        }
        try
        {
            switch (method)
            {
                case "interaction.respond":
                    await RespondAsync(PluginMessages.Message(route.CustomIds, parameters), invocation, cancellationToken);
                    return new RoutedCall(null);
                case "interaction.followup":
                    await FollowupAsync(PluginMessages.Message(route.CustomIds, parameters), invocation, cancellationToken);
                    return new RoutedCall(null);
                case "interaction.edit":
                    await discord.EditOriginalResponseAsync(interaction, PluginMessages.Message(route.CustomIds, parameters, allowEphemeral: false), cancellationToken);
                    return new RoutedCall(null);
                case "interaction.defer":
                    await DeferAsync(parameters["ephemeral"] is JsonValue ephemeral && ephemeral.TryGetValue<bool>(out var isEphemeral) && isEphemeral, cancellationToken);
                    return new RoutedCall(null);
                case "interaction.send_modal":
                    await SendModalAsync(PluginMessages.Modal(route.CustomIds, parameters), invocation, cancellationToken);
                    return new RoutedCall(null);
                default:
                    throw new JsonRpcException(JsonRpcException.MethodNotFound, $"unknown interaction method '{method}'");
            }
        }
        catch (DiscordApiException ex)
        {
            throw new JsonRpcException(HostApi.CallFailed, $"Discord refused {method}: {ex.Message}", new JsonObject { ["status"] = ex.Status, ["code"] = ex.Code });
        }
    }

    private bool Expired => clock.GetUtcNow() - receivedAt > TokenLifetime;

    private string DeferKind => route.Kind == PluginInvocation.Component ? InteractionLedger.DeferredUpdate : InteractionLedger.Deferred;

    public async Task RespondAsync(JsonObject message, PluginInvocation invocation, CancellationToken cancellationToken)
    {
        var (won, kind) = await ledger.TryClaimAsync(interaction.Id, InteractionLedger.Responded, cancellationToken);
        if (won)
        {
            await discord.CreateInteractionResponseAsync(interaction, InteractionCallback.Message(message), cancellationToken);
        }
        else if (kind == InteractionLedger.Deferred && await ledger.TryTakeOriginalAsync(interaction.Id, cancellationToken))
        {
            // The "thinking…" message becomes the answer; its visibility was fixed by the deferral.
            message.Remove("flags");
            await discord.EditOriginalResponseAsync(interaction, message, cancellationToken);
        }
        else
        {
            await FollowupAsync(message, invocation, cancellationToken);
        }
    }

    private async Task FollowupAsync(JsonObject message, PluginInvocation invocation, CancellationToken cancellationToken)
    {
        if (!Expired)
        {
            await discord.CreateFollowupMessageAsync(interaction, message, cancellationToken);
            return;
        }
        var channel = route.Event["channel_id"]?.GetValue<string>();
        if (channel is not null && route.Install.Capabilities.Contains("messages:send"))
        {
            message.Remove("flags");
            await discord.CreateMessageAsync(channel, message, cancellationToken);
            return;
        }
        await logs.AppendAsync(PluginId, route.Install.GuildId, "warning", "follow-up dropped: the interaction's token expired after 15 minutes and the plugin lacks messages:send to post in the channel instead", invocation.Id, cancellationToken);
    }

    public async Task DeferAsync(bool ephemeral, CancellationToken cancellationToken)
    {
        var (won, _) = await ledger.TryClaimAsync(interaction.Id, DeferKind, cancellationToken);
        if (won)
        {
            var callback = DeferKind == InteractionLedger.DeferredUpdate ? InteractionCallback.DeferredUpdate() : InteractionCallback.DeferredMessage(ephemeral);
            await discord.CreateInteractionResponseAsync(interaction, callback, cancellationToken);
        }
    }

    private async Task SendModalAsync(JsonObject modal, PluginInvocation invocation, CancellationToken cancellationToken)
    {
        var (won, kind) = await ledger.TryClaimAsync(interaction.Id, InteractionLedger.Modal, cancellationToken);
        if (won)
        {
            await discord.CreateInteractionResponseAsync(interaction, InteractionCallback.Modal(modal), cancellationToken);
            return;
        }
        var message = kind is InteractionLedger.Deferred or InteractionLedger.DeferredUpdate
            ? "send_modal failed: the interaction was already deferred (the handler took longer than the platform's budget to answer, or called defer), and Discord only accepts a modal as the first response. Open the modal first, or declare it in the manifest."
            : "send_modal failed: the interaction was already answered, and Discord only accepts a modal as the first response.";
        await logs.AppendAsync(PluginId, route.Install.GuildId, "error", message, invocation.Id, cancellationToken);
        throw new JsonRpcException(HostApi.CallFailed, message);
    }

    /// <summary>After the handler: the user never waits on a "thinking…" that nobody will finish.</summary>
    public async Task FinishAsync(InvocationOutcome outcome, PluginInvocation invocation, CancellationToken cancellationToken)
    {
        if (route.Kind == PluginInvocation.Autocomplete)
        {
            var choices = outcome.Result?["choices"] as JsonArray ?? [];
            var (won, _) = await ledger.TryClaimAsync(interaction.Id, InteractionLedger.Responded, cancellationToken);
            if (won)
            {
                await discord.CreateInteractionResponseAsync(interaction, InteractionCallback.AutocompleteResult((JsonArray)choices.DeepClone()), cancellationToken);
            }
            return;
        }
        var text = outcome.Status switch
        {
            InvocationStatus.Handled when Answered => null,
            InvocationStatus.Handled => $"{PluginId} finished without replying.",
            InvocationStatus.NotHandled => $"{PluginId} has no handler for this.",
            InvocationStatus.TimedOut => $"{PluginId} took too long and was stopped.",
            _ => $"{PluginId} failed to answer. Its developer can see why in the plugin's log.",
        };
        if (text is null)
        {
            return;
        }
        var notice = new JsonObject { ["content"] = "⚠️ " + text, ["flags"] = MessageFlags.Ephemeral, ["allowed_mentions"] = new JsonObject { ["parse"] = new JsonArray() } };
        try
        {
            await RespondAsync(notice, invocation, cancellationToken);
        }
        catch (DiscordApiException)
        {
            // Best effort: the plugin log already holds the reason.
        }
    }
}
