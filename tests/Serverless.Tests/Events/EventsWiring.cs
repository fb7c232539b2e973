using System.Collections.Concurrent;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Serverless.Platform.Events;
using Serverless.Platform.WorkQueue;

namespace Serverless.Tests.Events;

public static class EventsWiring
{
    /// <summary>Replaces the work queue with one that only records, for tests about what gets enqueued.</summary>
    public static IWebHostBuilder WithRecordingQueue(this IWebHostBuilder builder, RecordingWorkQueue queue) =>
        builder.ConfigureServices(services => services.AddSingleton<IWorkQueue>(queue));

    /// <summary>Keeps the real queue (and so the pump), recording a copy of everything enqueued into <paramref name="seen"/>.</summary>
    public static IWebHostBuilder WithQueueRecordedInto(this IWebHostBuilder builder, RecordingWorkQueue seen) =>
        builder.ConfigureServices(services => services.AddSingleton<IWorkQueue>(sp => new TeeWorkQueue(sp.GetRequiredService<StorageWorkQueue>(), seen)));
}

/// <summary>Enqueues on <paramref name="inner"/> and records in <paramref name="seen"/>.</summary>
public sealed class TeeWorkQueue(IWorkQueue inner, RecordingWorkQueue seen) : IWorkQueue
{
    public string Name => inner.Name;

    public async Task EnqueueAsync(WorkItem item, CancellationToken cancellationToken)
    {
        await seen.EnqueueAsync(item, cancellationToken);
        await inner.EnqueueAsync(item, cancellationToken);
    }
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
