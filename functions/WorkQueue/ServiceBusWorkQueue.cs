using System.Text.Json.Nodes;
using Azure.Core;
using Azure.Core.Pipeline;

namespace Serverless.Functions.WorkQueue;

/// <summary>
/// The Azure work queue. Sending is one REST call, <c>POST https://{namespace}/{queue}/messages</c>
/// with a Bearer token; receiving is the Functions host's <c>serviceBusTrigger</c>. The work item id
/// becomes the MessageId so the queue's duplicate detection drops a re-sent item.
/// </summary>
public sealed class ServiceBusWorkQueue : IWorkQueue
{
    /// <summary>Service Bus Standard allows 256 KiB per message, headers included.</summary>
    private const int InlineLimitBytes = 192 * 1024;

    private readonly Uri _endpoint;
    private readonly WorkItemBodies _bodies;
    private readonly HttpPipeline _pipeline;

    public ServiceBusWorkQueue(string fullyQualifiedNamespace, string queueName, TokenCredential credential, WorkItemBodies bodies, ClientOptions? options = null)
    {
        var host = fullyQualifiedNamespace.Contains("://", StringComparison.Ordinal) ? new Uri(fullyQualifiedNamespace) : new Uri("https://" + fullyQualifiedNamespace);
        _endpoint = new Uri(host, $"/{Uri.EscapeDataString(queueName)}/messages");
        Name = queueName;
        _bodies = bodies;
        _pipeline = HttpPipelineBuilder.Build(
            options ?? new ServiceBusRestOptions(),
            new BearerTokenAuthenticationPolicy(credential, "https://servicebus.azure.net/.default"));
    }

    public string Name { get; }

    public async Task EnqueueAsync(WorkItem item, CancellationToken cancellationToken)
    {
        var text = await _bodies.EncodeAsync(item, InlineLimitBytes, cancellationToken);
        using var message = _pipeline.CreateMessage();
        var request = message.Request;
        request.Method = RequestMethod.Post;
        request.Uri.Reset(_endpoint);
        request.Headers.Add("Content-Type", "application/json;type=entry;charset=utf-8");
        request.Headers.Add("BrokerProperties", new JsonObject { ["MessageId"] = item.Id, ["ContentType"] = "application/json" }.ToJsonString());
        request.Content = RequestContent.Create(BinaryData.FromString(text));
        await _pipeline.SendAsync(message, cancellationToken);
        if (message.Response.Status != 201)
        {
            throw new WorkQueueException($"Service Bus refused the message: {message.Response.Status} {message.Response.ReasonPhrase} {message.Response.Content}");
        }
    }

    private sealed class ServiceBusRestOptions : ClientOptions;
}

public sealed class WorkQueueException(string message) : Exception(message);
