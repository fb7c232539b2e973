using System.Text.Json.Nodes;
using Serverless.Platform.Discord;
using Serverless.Platform.Dispatch;
using Serverless.Platform.Invocations;
using Serverless.Platform.WorkQueue;

namespace Serverless.Platform.Interactions;

/// <summary>
/// Runs a queued interaction: routes it again (the install may have changed since), invokes the plugin
/// with an <see cref="InteractionSession"/> answering its calls, then makes sure the user got an answer.
/// </summary>
public sealed class InteractionWorkHandler(
    InteractionRouter router,
    PluginInvoker invoker,
    InteractionLedger ledger,
    DiscordRestClient discord,
    DiscordActions actions,
    ChannelGuilds channels,
    Events.CustomEvents customEvents,
    PluginLogs logs,
    TimeProvider clock,
    ILogger<InteractionWorkHandler> logger,
    InvocationHistory history) : IWorkItemHandler
{
    public const string WorkKind = "interaction";

    public string Kind => WorkKind;

    public static WorkItem Create(Interaction interaction, DateTimeOffset receivedAt) =>
        WorkItem.Create(WorkKind, new JsonObject { ["interaction"] = interaction.Json.DeepClone(), ["receivedAt"] = receivedAt.ToString("O") },
            id: "ix-" + interaction.Id);

    public async Task HandleAsync(WorkItem item, Delivery delivery, CancellationToken cancellationToken)
    {
        var (interaction, receivedAt) = Read(item);
        var route = await router.RouteAsync(interaction, cancellationToken);
        if (route is null)
        {
            logger.LogWarning("Interaction {Id} no longer routes to an installed plugin; dropped", interaction.Id);
            return;
        }
        // Discord signed both: the plugin's replies in the channel it was invoked from need no lookup.
        if (route.Event["channel_id"] is JsonValue channel && channel.TryGetValue<string>(out var channelId))
        {
            channels.Learn(channelId, route.Install.GuildId);
        }
        var reference = interaction.Ref;
        var (session, invocation) = Begin(item, route, reference, receivedAt);
        if (delivery.Count > 1)
        {
            await logs.AppendAsync(route.Install.PluginId, route.Install.GuildId, "warning", $"delivery {delivery.Count} of this interaction: calls already made are not repeated", item.Id, cancellationToken);
        }
        var id = reference.Id;
        try
        {
            var outcome = await invoker.InvokeAsync(invocation, session, cancellationToken);
            await session.FinishAsync(outcome, invocation, cancellationToken);
            var status = outcome.Status switch
            {
                // The platform's "finished without replying" notice is an answer to the user, not the plugin's.
                InvocationStatus.Handled when !session.Answered && route.Kind != PluginInvocation.Autocomplete => InvocationHistory.NoResponse,
                InvocationStatus.Handled => await ledger.GetClaimAsync(id, cancellationToken) is InteractionLedger.Deferred or InteractionLedger.DeferredUpdate
                    ? InvocationHistory.Deferred
                    : InvocationHistory.Responded,
                InvocationStatus.TimedOut => InvocationHistory.TimedOut,
                _ => InvocationHistory.Failed,
            };
            var error = outcome.Error ?? status switch
            {
                InvocationHistory.Failed => outcome.Status.ToString(),
                InvocationHistory.NoResponse => "the handler returned without answering: call ctx.interaction.respond (or defer, then respond) before it returns; the user was told it finished without replying",
                _ => null,
            };
            await history.RecordRunAsync(route, id, status, outcome.Duration, delivery.Count, error, cancellationToken);
        }
        catch (Exception ex) when (ex is not OperationCanceledException)
        {
            // The queue retries, and after its last try dead-letters the message.
            var status = delivery.Count >= Delivery.MaxDeliveries ? InvocationHistory.DeadLettered : InvocationHistory.Failed;
            await history.RecordRunAsync(route, id, status, null, delivery.Count, ex.Message, CancellationToken.None);
            throw;
        }
    }

    public async Task DeadLetteredAsync(WorkItem item, string reason, CancellationToken cancellationToken)
    {
        var (interaction, receivedAt) = Read(item);
        if (await router.RouteAsync(interaction, cancellationToken) is not { } route)
        {
            return;
        }
        await logs.AppendAsync(route.Install.PluginId, route.Install.GuildId, "error", $"interaction {interaction.Id} {reason}", item.Id, cancellationToken);
        var (session, invocation) = Begin(item, route, interaction.Ref, receivedAt);
        await session.FinishAsync(new InvocationOutcome(InvocationStatus.Failed, TimeSpan.Zero, false, reason, null), invocation, cancellationToken);
    }

    /// <summary>Read again with the endpoint's reader: the queue holds what the endpoint checked.</summary>
    private static (Interaction Interaction, DateTimeOffset ReceivedAt) Read(WorkItem item)
    {
        try
        {
            return (Interaction.Read(item.Body?["interaction"] as JsonObject ?? throw new WorkItemFormatException("an interaction work item carries no interaction")),
                DateTimeOffset.Parse(item.Body!["receivedAt"]!.GetValue<string>()));
        }
        catch (InteractionFormatException ex)
        {
            throw new WorkItemFormatException($"the queued interaction cannot be read: {ex.Message}");
        }
    }

    private (InteractionSession Session, PluginInvocation Invocation) Begin(WorkItem item, RoutedInteraction route, InteractionRef reference, DateTimeOffset receivedAt) =>
        (new InteractionSession(route, reference, receivedAt, ledger, discord, actions, customEvents, logs, clock),
         new PluginInvocation(item.Id, route.Kind, route.Name, route.Event, route.Install.ToContext()));
}
