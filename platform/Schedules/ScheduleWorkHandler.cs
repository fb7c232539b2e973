using System.Text.Json.Nodes;
using Serverless.Platform.Dispatch;
using Serverless.Platform.Installs;
using Serverless.Platform.Interactions;
using Serverless.Platform.Invocations;
using Serverless.Platform.WorkQueue;

namespace Serverless.Platform.Schedules;

public sealed record ScheduleRunOptions(TimeSpan RunningMarkerTtl);

/// <summary>
/// Runs one fired tick: checks the install still has that schedule (an uninstall or upgrade retires it), skips it
/// while the previous run of the same task is still running, invokes the task with <c>ctx.discord</c> available,
/// writes what went wrong to the plugin's log and how the run ended to the invocation history.
/// </summary>
public sealed class ScheduleWorkHandler(
    ScheduleStore store,
    InstallStore installs,
    PluginInvoker invoker,
    DiscordActions actions,
    Events.CustomEvents customEvents,
    PluginLogs logs,
    InvocationHistory history,
    TimeProvider clock,
    ScheduleRunOptions options,
    ILogger<ScheduleWorkHandler> logger) : IWorkItemHandler
{
    public const string WorkKind = "schedule";

    public string Kind => WorkKind;

    public static WorkItem Create(DueEntry fired, DateTimeOffset firedAt, DueEntry next) => WorkItem.Create(WorkKind, new JsonObject
    {
        ["guildId"] = fired.GuildId,
        ["pluginId"] = fired.PluginId,
        ["generation"] = fired.Generation,
        ["task"] = fired.Task.ToJson(),
        ["kind"] = fired.Task.Kind,
        ["scheduledFor"] = fired.Due.ToString("O"),
        ["firedAt"] = firedAt.ToString("O"),
        ["next"] = new JsonObject { ["partitionKey"] = next.PartitionKey, ["rowKey"] = next.RowKey },
    }, id: $"sch-{Guid.NewGuid():N}");

    public async Task HandleAsync(WorkItem item, Delivery delivery, CancellationToken cancellationToken)
    {
        var body = item.Body ?? throw new WorkItemFormatException("a schedule work item carries no body");
        var guildId = Text(body, "guildId");
        var pluginId = Text(body, "pluginId");
        var generation = Text(body, "generation");
        var task = ScheduledTask.FromJson(body["task"] as JsonObject ?? throw new WorkItemFormatException("a schedule work item carries no task"));

        var registration = await store.GetRegistrationAsync(guildId, pluginId, cancellationToken);
        var install = registration?.Generation == generation ? await installs.GetAsync(guildId, pluginId, cancellationToken) : null;
        if (install is null)
        {
            // Uninstalled or rescheduled since this entry was written: drop the tick and the entry it was moved to.
            if (body["next"] is JsonObject next)
            {
                await store.Table.DeleteEntityAsync(Text(next, "partitionKey"), Text(next, "rowKey"), cancellationToken: cancellationToken);
            }
            logger.LogInformation("Dropped {Task} of {Plugin} in guild {Guild}: no longer scheduled", task, pluginId, guildId);
            return;
        }

        var marker = await store.TryMarkRunningAsync(guildId, pluginId, task.Key, item.Id, clock.GetUtcNow(), options.RunningMarkerTtl, cancellationToken);
        var context = install.ToContext();
        if (marker is null)
        {
            await logs.AppendAsync(pluginId, guildId, "info", $"{task.Kind} '{task.Name}' skipped: the previous run is still running", item.Id, cancellationToken);
            await history.RecordWorkAsync(context, item.Id, item.CreatedAt, task.Kind, task.Name, InvocationHistory.Skipped, null, delivery.Count, null, cancellationToken);
            return;
        }
        try
        {
            var invocation = new PluginInvocation(item.Id, task.Kind, task.Name, null, context) { ManifestCron = task.ManifestCron };
            InvocationOutcome outcome;
            try
            {
                outcome = await invoker.InvokeAsync(invocation, new Events.EventCallRouter(actions, customEvents, Events.EventChain.Start()), cancellationToken);
            }
            catch (Exception ex) when (ex is not OperationCanceledException)
            {
                // The queue retries, and after its last try dead-letters the tick.
                var status = delivery.Count >= Delivery.MaxDeliveries ? InvocationHistory.DeadLettered : InvocationHistory.Failed;
                await history.RecordWorkAsync(context, item.Id, item.CreatedAt, task.Kind, task.Name, status, null, delivery.Count, ex.Message, CancellationToken.None);
                throw;
            }
            var notHandled = outcome.Status == InvocationStatus.NotHandled ? $"no handler for {task.Kind} '{task.Name}' in {install.PluginId} {install.Version.Text}" : null;
            await history.RecordWorkAsync(context, item.Id, item.CreatedAt, task.Kind, task.Name, InvocationHistory.WorkStatus(outcome.Status), outcome.Duration, delivery.Count, outcome.Error ?? notHandled, cancellationToken);
            switch (outcome.Status)
            {
                case InvocationStatus.Skipped:
                    await logs.AppendAsync(pluginId, guildId, "info", $"{task.Kind} '{task.Name}' skipped: the previous run is still running", item.Id, cancellationToken);
                    break;
                case InvocationStatus.NotHandled:
                    await logs.AppendAsync(pluginId, guildId, "warning", $"{task.Kind} '{task.Name}' has no handler in {install.PluginId} {install.Version.Text}", item.Id, cancellationToken);
                    break;
            }
        }
        finally
        {
            await store.ClearRunningAsync(guildId, pluginId, task.Key, marker.Value, CancellationToken.None);
        }
    }

    private static string Text(JsonObject body, string name) =>
        body[name] is JsonValue value && value.TryGetValue<string>(out var text) && text.Length > 0
            ? text
            : throw new WorkItemFormatException($"a schedule work item carries no '{name}'");

    public async Task DeadLetteredAsync(WorkItem item, string reason, CancellationToken cancellationToken)
    {
        if (item.Body?["pluginId"]?.GetValue<string>() is { } pluginId)
        {
            await logs.AppendAsync(pluginId, item.Body["guildId"]?.GetValue<string>(), "error", $"scheduled task {item.Body["task"]?["id"]} {reason}", item.Id, cancellationToken);
        }
    }
}
