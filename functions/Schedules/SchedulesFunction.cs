using System.Text.Json.Nodes;
using Serverless.Functions.Hosting;

namespace Serverless.Functions.Schedules;

/// <summary>
/// The timer-triggered function (every 10 s in Azure; the local timer locally). It reads the host's
/// timer payload; evaluating due <c>@schedule</c>/<c>@cron</c> ticks lands with the schedules feature.
/// </summary>
public sealed class SchedulesFunction(TimeProvider clock, ILogger<SchedulesFunction> logger) : ITriggeredFunction
{
    public const string FunctionName = "schedules";
    public const string TimerBinding = "timer";

    public string Name => FunctionName;

    public Task<FunctionInvocationResponse> RunAsync(FunctionInvocationRequest request, CancellationToken cancellationToken)
    {
        var timer = request.RequireData(TimerBinding) as JsonObject
            ?? throw new InvalidInvocationException("\"Data.timer\" must be the timer object");
        var isPastDue = timer["IsPastDue"]?.GetValueKind() == System.Text.Json.JsonValueKind.True;
        var now = clock.GetUtcNow();
        logger.LogDebug("Timer tick at {Now} (past due: {PastDue})", now, isPastDue);
        return Task.FromResult(FunctionInvocationResponse.Done(new JsonObject
        {
            ["tickedAt"] = now.ToString("O"),
            ["isPastDue"] = isPastDue,
        }));
    }
}
