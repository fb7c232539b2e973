using System.Text.Json;
using System.Text.Json.Nodes;
using System.Text.Json.Serialization;

namespace Serverless.Functions.Hosting;

/// <summary>
/// The Functions host's custom-handler request for a non-HTTP trigger:
/// <c>POST /{functionName}</c> with <c>{"Data": {binding: value}, "Metadata": {...}}</c>.
/// </summary>
public sealed record FunctionInvocationRequest(JsonObject Data, JsonObject Metadata)
{
    public static FunctionInvocationRequest Parse(ReadOnlySpan<byte> body)
    {
        JsonNode? root;
        try
        {
            root = JsonNode.Parse(body);
        }
        catch (JsonException ex)
        {
            throw new InvalidInvocationException($"the invocation payload is not JSON: {ex.Message}");
        }
        if (root is not JsonObject payload)
        {
            throw new InvalidInvocationException("the invocation payload must be a JSON object with \"Data\" and \"Metadata\"");
        }
        var data = payload["Data"] as JsonObject ?? throw new InvalidInvocationException("the invocation payload has no \"Data\" object");
        var metadata = payload["Metadata"] as JsonObject ?? [];
        return new FunctionInvocationRequest(data, metadata);
    }

    /// <summary>The trigger's value; the host may send a JSON document either as JSON or as a JSON string.</summary>
    public JsonNode RequireData(string binding) =>
        Data[binding] ?? throw new InvalidInvocationException($"the invocation payload has no \"Data.{binding}\"");

    public string? MetadataString(string name) => Metadata[name] switch
    {
        JsonValue value when value.TryGetValue<string>(out var text) => text,
        JsonValue value => value.ToJsonString(),
        _ => null,
    };

    public int? MetadataInt(string name) => Metadata[name] switch
    {
        JsonValue value when value.TryGetValue<int>(out var number) => number,
        JsonValue value when value.TryGetValue<string>(out var text) && int.TryParse(text, out var parsed) => parsed,
        _ => null,
    };
}

/// <summary>
/// The custom handler's answer: <c>{"Outputs": {...}, "Logs": [...], "ReturnValue": ...}</c>.
/// The host base64-decodes output strings that happen to be valid base64, so outputs and the
/// return value are always JSON objects, never bare strings.
/// </summary>
public sealed record FunctionInvocationResponse(
    [property: JsonPropertyName("Outputs")] JsonObject Outputs,
    [property: JsonPropertyName("Logs")] IReadOnlyList<string> Logs,
    [property: JsonPropertyName("ReturnValue")] JsonObject? ReturnValue)
{
    public static FunctionInvocationResponse Done(JsonObject? result, params IEnumerable<string> logs) =>
        new([], logs.ToList(), result);
}

public sealed class InvalidInvocationException(string message) : Exception(message);
