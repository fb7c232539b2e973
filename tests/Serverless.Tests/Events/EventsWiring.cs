using System.Collections.Concurrent;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Serverless.Functions.Events;
using Serverless.Functions.WorkQueue;

namespace Serverless.Tests.Events;

/// <summary>
/// Puts the events feature into the app under test the way Program.cs will (<c>AddEvents</c>,
/// <c>MapEvents</c>), unless Program.cs already does: then this does nothing, so these tests keep working
/// once the feature is wired for real.
/// </summary>
public static class EventsWiring
{
    public static IWebHostBuilder WithEvents(this IWebHostBuilder builder) =>
        builder.ConfigureServices((context, services) =>
        {
            if (services.Any(d => d.ServiceType == typeof(EventsOptions)))
            {
                return;
            }
            services.AddEvents(context.Configuration);
            services.AddSingleton<IStartupFilter, MapEventsFilter>();
        });

    /// <summary>Replaces the work queue with one that only records, for tests about what gets enqueued.</summary>
    public static IWebHostBuilder WithRecordingQueue(this IWebHostBuilder builder, RecordingWorkQueue queue) =>
        builder.ConfigureServices(services => services.AddSingleton<IWorkQueue>(queue));

    // Endpoints of our own in front of the app's: a request to /api/events is answered here, any other falls through.
    private sealed class MapEventsFilter : IStartupFilter
    {
        public Action<IApplicationBuilder> Configure(Action<IApplicationBuilder> next) => app =>
        {
            app.UseRouting();
            app.UseEndpoints(endpoints => endpoints.MapEvents());
            next(app);
        };
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
