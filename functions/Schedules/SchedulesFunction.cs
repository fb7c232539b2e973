using System.Text.Json.Nodes;
using Serverless.Functions.Hosting;
using Serverless.Functions.Packages;

namespace Serverless.Functions.Schedules;

/// <summary>
/// The timer-triggered function (every 10 s in Azure; the local timer locally): fires every due
/// <c>@schedule</c>/<c>@cron</c>/manifest cron tick through the <see cref="Scheduler"/>, then judges again
/// the uploads left pending while the sandbox was unavailable (<see cref="UploadProcessor.RecheckPendingAsync"/>).
/// </summary>
public sealed class SchedulesFunction(Scheduler scheduler, UploadProcessor uploads, ILogger<SchedulesFunction> logger) : ITriggeredFunction
{
    public const string FunctionName = "schedules";
    public const string TimerBinding = "timer";

    public string Name => FunctionName;

    public async Task<FunctionInvocationResponse> RunAsync(FunctionInvocationRequest request, CancellationToken cancellationToken)
    {
        var timer = request.RequireData(TimerBinding) as JsonObject
            ?? throw new InvalidInvocationException("\"Data.timer\" must be the timer object");
        var isPastDue = timer["IsPastDue"]?.GetValueKind() == System.Text.Json.JsonValueKind.True;
        if (isPastDue)
        {
            // Nothing to catch up: due entries stay due until a tick reads them, and their next times are computed from now.
            logger.LogInformation("The schedules timer is past due");
        }
        var result = await scheduler.TickAsync(cancellationToken);
        var json = result.ToJson();
        json["tickedAt"] = result.Now.ToString("O");
        json["isPastDue"] = isPastDue;
        try
        {
            json["pendingUploadsRechecked"] = await uploads.RecheckPendingAsync(cancellationToken);
        }
        catch (Exception ex) when (!cancellationToken.IsCancellationRequested)
        {
            // Not the schedules' failure: their tick is done, and the pending uploads stay for the next one.
            logger.LogError(ex, "Rechecking pending uploads failed");
        }
        return FunctionInvocationResponse.Done(json);
    }
}
