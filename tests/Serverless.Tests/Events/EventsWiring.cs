using System.Collections.Concurrent;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Serverless.Functions.Events;
using Serverless.Functions.WorkQueue;

namespace Serverless.Tests.Events;

public static class EventsWiring
{
    /// <summary>Replaces the work queue with one that only records, for tests about what gets enqueued.</summary>
    public static IWebHostBuilder WithRecordingQueue(this IWebHostBuilder builder, RecordingWorkQueue queue) =>
        builder.ConfigureServices(services => services.AddSingleton<IWorkQueue>(queue));
}

public sealed class RecordingWorkQueue : IWorkQueue
{
    public string Name => "recording";

    public ConcurrentQueue<WorkItem> Items { get; } = new();

    public Task EnqueueAsync(WorkItem item, CancellationToken cancellationToken)
    {
        Items.Enqueue(WorkItem.Parse(item.ToJson()));
        return Task.CompletedTask;
    }

    public IReadOnlyList<EventWork> EventsFor(string guildId) =>
        Items.Where(i => i.Kind == EventWork.WorkKind).Select(EventWork.FromWorkItem).Where(w => w.GuildId == guildId).ToList();
}
