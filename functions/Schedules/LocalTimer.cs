using System.Text.Json.Nodes;
using Serverless.Functions.Hosting;

namespace Serverless.Functions.Schedules;

/// <summary>
/// Locally no Functions host fires the timer, so this does, with the payload the host would send for
/// <c>schedules/function.json</c> ("*/10 * * * * *").
/// </summary>
public sealed class LocalTimer(SchedulesFunction schedules, TimeProvider clock, ILogger<LocalTimer> logger) : BackgroundService
{
    public static readonly TimeSpan Period = TimeSpan.FromSeconds(10);

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        DateTimeOffset? last = null;
        while (!stoppingToken.IsCancellationRequested)
        {
            var now = clock.GetUtcNow();
            var next = NextTick(now);
            try
            {
                await Task.Delay(next - now, clock, stoppingToken);
            }
            catch (OperationCanceledException)
            {
                break;
            }
            try
            {
                await schedules.RunAsync(TimerPayload(last, next, isPastDue: clock.GetUtcNow() - next > Period), stoppingToken);
            }
            catch (Exception ex) when (!stoppingToken.IsCancellationRequested)
            {
                logger.LogError(ex, "Schedules tick at {Tick} failed", next);
            }
            last = next;
        }
    }

    public static DateTimeOffset NextTick(DateTimeOffset now)
    {
        var ticks = Period.Ticks;
        return new DateTimeOffset((now.UtcTicks / ticks + 1) * ticks, TimeSpan.Zero);
    }

    public static FunctionInvocationRequest TimerPayload(DateTimeOffset? last, DateTimeOffset next, bool isPastDue) => new(
        new JsonObject
        {
            [SchedulesFunction.TimerBinding] = new JsonObject
            {
                ["Schedule"] = new JsonObject { ["AdjustForDST"] = true },
                ["ScheduleStatus"] = new JsonObject
                {
                    ["Last"] = (last ?? DateTimeOffset.MinValue).ToString("O"),
                    ["Next"] = (next + Period).ToString("O"),
                    ["LastUpdated"] = next.ToString("O"),
                },
                ["IsPastDue"] = isPastDue,
            },
        },
        new JsonObject
        {
            ["sys"] = new JsonObject
            {
                ["MethodName"] = SchedulesFunction.FunctionName,
                ["UtcNow"] = next.ToString("O"),
                ["RandGuid"] = Guid.NewGuid().ToString(),
            },
        });
}
