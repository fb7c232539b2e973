using Azure.Storage.Queues.Models;
using Serverless.Functions.Dispatch;
using Serverless.Functions.Packages;
using Serverless.Functions.Schedules;
using Serverless.Platform.Hosting;
using Serverless.Platform.WorkQueue;
using BlobClient = Azure.Storage.Blobs.BlobClient;
using Jobs = Microsoft.Azure.WebJobs;
using Worker = Microsoft.Azure.Functions.Worker;

namespace Serverless.LocalHost;

/// <summary>
/// The queue, blob and timer functions, declared to the WebJobs SDK (the trigger engine inside the Functions host)
/// with the same queue name, blob path and schedule as their <c>[Function]</c> declarations, and handed to the very
/// same methods. The SDK then does what Azure does: retries, the poison queue, blob receipts, the timer's
/// singleton lock. Each call gets a new instance of the function's class, as the worker creates one per call.
/// As under the Functions host, setting <c>AzureWebJobs.{name}.Disabled</c> to <c>true</c> stops one function's trigger.
/// </summary>
public sealed class LocalTriggers(IServiceProvider services)
{
    [Jobs.FunctionName(DispatchFunction.FunctionName)]
    [Jobs.Disable("AzureWebJobs." + DispatchFunction.FunctionName + ".Disabled")]
    public Task DispatchAsync(
        [Jobs.QueueTrigger(WorkQueueRegistration.QueueName, Connection = StorageLayout.Connection)] QueueMessage message,
        CancellationToken cancellationToken) =>
        ActivatorUtilities.CreateInstance<DispatchFunction>(services).RunAsync(message, cancellationToken);

    [Jobs.FunctionName(PackagesFunction.FunctionName)]
    [Jobs.Disable("AzureWebJobs." + PackagesFunction.FunctionName + ".Disabled")]
    public Task PackagesAsync(
        [Jobs.BlobTrigger(PackagesFunction.UploadPath, Connection = StorageLayout.Connection)] BlobClient blob,
        CancellationToken cancellationToken) =>
        ActivatorUtilities.CreateInstance<PackagesFunction>(services).RunAsync(blob, cancellationToken);

    [Jobs.FunctionName(SchedulesFunction.FunctionName)]
    [Jobs.Disable("AzureWebJobs." + SchedulesFunction.FunctionName + ".Disabled")]
    public Task SchedulesAsync(
        [Jobs.TimerTrigger(SchedulesFunction.Schedule)] Jobs.TimerInfo timer,
        CancellationToken cancellationToken) =>
        ActivatorUtilities.CreateInstance<SchedulesFunction>(services).RunAsync(new Worker.TimerInfo { IsPastDue = timer.IsPastDue }, cancellationToken);
}
