using System.Text.Json.Nodes;
using Serverless.Platform.Discord;
using Serverless.Platform.Dispatch;
using Serverless.Platform.Installs;
using Serverless.Platform.Interactions;
using Serverless.Platform.Invocations;
using Serverless.Platform.Packages;
using Serverless.Platform.WorkQueue;

namespace Serverless.Platform.Events;

/// <summary>
/// The calls an event, schedule or lifecycle handler can make that leave its install: Discord actions as
/// anywhere else, and <c>events.emit</c>, drawing on the chain of the event being handled so loops end.
/// </summary>
public sealed class EventCallRouter(DiscordActions discord, CustomEvents events, EventChain chain) : IPluginCallRouter
{
    public async Task<RoutedCall?> TryHandleAsync(PluginInvocation invocation, string method, JsonObject parameters, CancellationToken cancellationToken) =>
        method == CustomEvents.EmitMethod
            ? await events.HandleEmitAsync(invocation, parameters, chain, cancellationToken)
            : await discord.TryHandleAsync(invocation, method, parameters, cancellationToken);
}

/// <summary>
/// Runs a queued event: each target install in order, as an <c>event</c> invocation. An install removed or
/// reinstalled since the event was fanned out is skipped; a failing plugin is logged and the next one still
/// runs (docs/events.md: one listener's error does not stop the others). Delivery is at least once: a host failure
/// midway retries the whole item, and installs already served see the event again.
/// </summary>
public sealed class EventWorkHandler(
    InstallStore installs,
    PluginInvoker invoker,
    DiscordActions discord,
    ChannelGuilds channels,
    CustomEvents events,
    PluginLogs logs,
    InvocationHistory history,
    ILogger<EventWorkHandler> logger) : IWorkItemHandler
{
    public string Kind => EventWork.WorkKind;

    public async Task HandleAsync(WorkItem item, Delivery delivery, CancellationToken cancellationToken)
    {
        var work = EventWork.FromWorkItem(item);
        // The bridge signed the event with its guild, so its channel is known to be there; a custom event's
        // payload is the emitting plugin's word and is not learned from.
        if (work.SourcePluginId is null && DiscordEvents.Known.Contains(work.Event)
            && (work.Payload["channel_id"] ?? (work.Event is "channel_create" or "channel_update" ? work.Payload["id"] : null)) is JsonValue channel
            && channel.TryGetValue<string>(out var channelId))
        {
            channels.Learn(channelId, work.GuildId);
        }
        var router = new EventCallRouter(discord, events, new EventChain(work.Depth, work.Budget));
        for (var i = 0; i < work.Targets.Count; i++)
        {
            var target = work.Targets[i];
            var install = await installs.GetAsync(work.GuildId, target.PluginId, cancellationToken);
            if (install is null || install.InstallId != target.InstallId)
            {
                logger.LogInformation("Event {Event} for {Plugin} in guild {Guild} skipped: no longer installed", work.Event, target.PluginId, work.GuildId);
                continue;
            }
            var context = install.ToContext();
            // Checked again here: a grant withdrawn after the fan-out must not leak the text.
            var payload = EventContent.ForInstall(work.Event, work.Payload, context.GrantedCapabilities);
            var invocation = new PluginInvocation(InvocationId(item, work, i), PluginInvocation.DiscordEvent, work.Event, payload, context) { SourcePluginId = work.SourcePluginId };
            InvocationOutcome outcome;
            try
            {
                outcome = await invoker.InvokeAsync(invocation, router, cancellationToken);
            }
            catch (Exception ex) when (ex is not OperationCanceledException)
            {
                // The queue retries the whole item, and after its last try dead-letters it.
                var status = delivery.Count >= Delivery.MaxDeliveries ? InvocationHistory.DeadLettered : InvocationHistory.Failed;
                await history.RecordWorkAsync(context, invocation.Id, item.CreatedAt, invocation.Kind, work.Event, status, null, delivery.Count, ex.Message, CancellationToken.None);
                throw;
            }
            await history.RecordWorkAsync(context, invocation.Id, item.CreatedAt, invocation.Kind, work.Event, InvocationHistory.WorkStatus(outcome.Status), outcome.Duration, delivery.Count, outcome.Error, cancellationToken);
        }
    }

    private static string InvocationId(WorkItem item, EventWork work, int target) => work.Targets.Count == 1 ? item.Id : $"{item.Id}.{target}";

    public async Task DeadLetteredAsync(WorkItem item, string reason, CancellationToken cancellationToken)
    {
        var work = EventWork.FromWorkItem(item);
        foreach (var target in work.Targets)
        {
            await logs.AppendAsync(target.PluginId, work.GuildId, "error", $"event {work.Event} {reason}", item.Id, cancellationToken);
        }
    }
}
