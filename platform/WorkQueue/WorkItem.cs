using System.Text.Json;
using System.Text.Json.Nodes;
using System.Text.Json.Serialization;

namespace Serverless.Platform.WorkQueue;

/// <summary>
/// One unit of queued work (an interaction, an event, a schedule tick…). The envelope is versioned
/// so a newer app never misreads an older message still in the queue, and vice versa.
/// </summary>
public sealed record WorkItem(
    [property: JsonPropertyName("schema")] int Schema,
    [property: JsonPropertyName("id")] string Id,
    [property: JsonPropertyName("kind")] string Kind,
    [property: JsonPropertyName("createdAt")] DateTimeOffset CreatedAt,
    [property: JsonPropertyName("body")] JsonObject? Body,
    [property: JsonPropertyName("bodyBlob")] string? BodyBlob)
{
    public const int CurrentSchema = 1;

    public static WorkItem Create(string kind, JsonObject body, string? id = null) =>
        new(CurrentSchema, id ?? Guid.NewGuid().ToString("N"), kind, DateTimeOffset.UtcNow, body, null);

    public string ToJson() => JsonSerializer.Serialize(this, WorkItemJson.Options);

    /// <summary>Reads an envelope; anything malformed or of an unknown schema is a <see cref="WorkItemFormatException"/>.</summary>
    public static WorkItem Parse(string json)
    {
        WorkItem? item;
        try
        {
            item = JsonSerializer.Deserialize<WorkItem>(json, WorkItemJson.Options);
        }
        catch (JsonException ex)
        {
            throw new WorkItemFormatException($"the work item is not valid JSON: {ex.Message}");
        }
        if (item is null)
        {
            throw new WorkItemFormatException("the work item is empty");
        }
        if (item.Schema != CurrentSchema)
        {
            throw new WorkItemFormatException($"the work item has schema {item.Schema}; this app reads schema {CurrentSchema}");
        }
        if (string.IsNullOrEmpty(item.Id) || string.IsNullOrEmpty(item.Kind))
        {
            throw new WorkItemFormatException("the work item has no id or kind");
        }
        if ((item.Body is null) == (item.BodyBlob is null))
        {
            throw new WorkItemFormatException("the work item must carry exactly one of body and bodyBlob");
        }
        return item;
    }
}

public sealed class WorkItemFormatException(string message) : Exception(message);

internal static class WorkItemJson
{
    public static readonly JsonSerializerOptions Options = new(JsonSerializerDefaults.Web)
    {
        DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull,
    };
}
