using System.Text.Json.Nodes;
using Microsoft.Azure.Functions.Worker;
using Serverless.Platform.Packages;
using Serverless.Platform.Schedules;

namespace Serverless.Functions.Schedules;

/// <summary>
/// The timer-triggered function, every 10 s (a singleton: one tick at a time across instances): fires every due
/// <c>@schedule</c>/<c>@cron</c>/manifest cron tick through the <see cref="Scheduler"/>, then judges again
/// the uploads left pending while the sandbox was unavailable (<see cref="UploadProcessor.RecheckPendingAsync"/>).
/// </summary>
public sealed class SchedulesFunction(Scheduler scheduler, UploadProcessor uploads, ILogger<SchedulesFunction> logger)
{
    public const string FunctionName = "schedules";

    /// <summary>Six fields, seconds first: every 10 seconds.</summary>
    public const string Schedule = "*/10 * * * * *";

    [Function(FunctionName)]
    public Task RunAsync([TimerTrigger(Schedule)] TimerInfo timer, CancellationToken cancellationToken) =>
        TickAsync(timer.IsPastDue, cancellationToken);

    /// <summary>One tick; what it did (<see cref="TickResult"/>, plus the pending uploads it judged again).</summary>
    public async Task<JsonObject> TickAsync(bool isPastDue, CancellationToken cancellationToken)
    {
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
        return json;
    }
}
