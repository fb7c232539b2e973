using System.Text.Json.Nodes;
using Serverless.Platform.WorkQueue;

namespace Serverless.Platform.Events;

/// <summary>One install an event work item goes to, named so the handler can check it is still the same install.</summary>
public sealed record EventTarget(string PluginId, string InstallId);

/// <summary>
/// The body of a work item of kind <c>event</c>: one event for one or more installs of a guild, invoked one
/// after the other in the listed order. A Discord event gets one item per install (their payloads differ by
/// capability, and they need no order); a custom event gets one item carrying its listeners in priority order.
/// <see cref="Budget"/> is what its invocations may still spend on emits (<see cref="EventChain"/>).
/// </summary>
public sealed record EventWork(
    string GuildId,
    string Event,
    JsonObject Payload,
    IReadOnlyList<EventTarget> Targets,
    string? SourcePluginId,
    int Depth,
    string? EventId,
    int Budget)
{
    public const string WorkKind = "event";

    public WorkItem ToWorkItem(string? id = null) => WorkItem.Create(WorkKind, new JsonObject
    {
        ["guild_id"] = GuildId,
        ["event"] = Event,
        ["payload"] = Payload.DeepClone(),
        ["targets"] = new JsonArray(Targets.Select(t => (JsonNode)new JsonObject { ["plugin_id"] = t.PluginId, ["install_id"] = t.InstallId }).ToArray()),
        ["source_plugin_id"] = SourcePluginId,
        ["depth"] = Depth,
        ["event_id"] = EventId,
        ["budget"] = Budget,
    }, id);

    public static EventWork FromWorkItem(WorkItem item)
    {
        var body = item.Body ?? throw new WorkItemFormatException("an event work item carries no body");
        try
        {
            return new EventWork(
                body["guild_id"]!.GetValue<string>(),
                body["event"]!.GetValue<string>(),
                body["payload"] as JsonObject ?? [],
                (body["targets"] as JsonArray ?? []).Select(t => new EventTarget(t!["plugin_id"]!.GetValue<string>(), t["install_id"]!.GetValue<string>())).ToList(),
                body["source_plugin_id"]?.GetValue<string>(),
                body["depth"]?.GetValue<int>() ?? 0,
                body["event_id"]?.GetValue<string>(),
                body["budget"]?.GetValue<int>() ?? CustomEvents.ChainBudget);
        }
        catch (Exception ex) when (ex is NullReferenceException or InvalidOperationException or FormatException)
        {
            throw new WorkItemFormatException($"malformed event work item {item.Id}: {ex.Message}");
        }
    }
}

/// <summary>What an install may see of an event.</summary>
public static class EventContent
{
    public const string ReadContent = "messages:read_content";

    /// <summary>Events whose payload carries message text.</summary>
    public static readonly IReadOnlySet<string> WithContent = new HashSet<string>(StringComparer.Ordinal) { "message_create", "message_edit" };

    /// <summary>
    /// The payload for one install: without <c>messages:read_content</c>, <c>content</c> is <c>""</c>, which
    /// is what Discord itself sends to a bot without the Message Content intent, so plugin code written for
    /// Discord's behaviour keeps working; the rest of the event (ids, author, timestamp) still arrives.
    /// </summary>
    public static JsonObject ForInstall(string eventName, JsonObject payload, IReadOnlySet<string> granted)
    {
        var copy = (JsonObject)payload.DeepClone();
        if (WithContent.Contains(eventName) && !granted.Contains(ReadContent) && copy.ContainsKey("content"))
        {
            copy["content"] = "";
        }
        return copy;
    }
}
