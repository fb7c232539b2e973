using Azure.Data.Tables;
using Serverless.Platform.Hosting;

namespace Serverless.Platform.Packages;

/// <summary>An upload whose boot check could not run (the sandbox was unavailable), and when to try it again.</summary>
public sealed record PendingUpload(UploadRef Upload, int Attempts, DateTimeOffset NextAttemptAt);

/// <summary>
/// Table <c>pendinguploads</c> (partition: publisher, row: upload name): the uploads whose report says
/// <c>pending</c>. The row is written before the pending report and deleted after the final one, so a
/// crash in between only means one more try. The timer tries each again when it is due
/// (<see cref="UploadProcessor.RecheckPendingAsync"/>), backing off up to <see cref="MaxDelay"/>, forever.
/// </summary>
public sealed class PendingUploads(TableServiceClient tables)
{
    public const string TableName = "pendinguploads";

    public static readonly TimeSpan FirstDelay = TimeSpan.FromSeconds(10);
    public static readonly TimeSpan MaxDelay = TimeSpan.FromMinutes(10);

    private TableClient Table => tables.GetTableClient(TableName);

    /// <summary>10 s, 20 s, 40 s … then every 10 minutes.</summary>
    public static TimeSpan DelayAfter(int attempts) =>
        TimeSpan.FromTicks(Math.Min(MaxDelay.Ticks, FirstDelay.Ticks << Math.Clamp(attempts - 1, 0, 16)));

    public async Task<int> AttemptsAsync(UploadRef upload, CancellationToken cancellationToken) =>
        (await Table.GetEntityIfExistsAsync<PendingUploadRow>(upload.Publisher, upload.Name, ["Attempts"], cancellationToken)) is { HasValue: true } row ? row.Value!.Attempts : 0;

    public async Task SaveAsync(PendingUpload pending, CancellationToken cancellationToken) =>
        await Table.UpsertEntityAsync(new PendingUploadRow
        {
            PartitionKey = pending.Upload.Publisher,
            RowKey = pending.Upload.Name,
            Attempts = pending.Attempts,
            NextAttemptAt = pending.NextAttemptAt,
        }, TableUpdateMode.Replace, cancellationToken);

    public async Task DeleteAsync(UploadRef upload, CancellationToken cancellationToken) =>
        await Table.DeleteEntityAsync(upload.Publisher, upload.Name, cancellationToken: cancellationToken);

    public async Task<IReadOnlyList<PendingUpload>> DueAsync(DateTimeOffset now, CancellationToken cancellationToken)
    {
        var due = new List<PendingUpload>();
        await foreach (var row in Table.QueryAsync<PendingUploadRow>(TableClient.CreateQueryFilter($"NextAttemptAt le {now}"), cancellationToken: cancellationToken))
        {
            if (UploadRef.FromBlobName($"{row.PartitionKey}/{row.RowKey}.zip") is { } upload)
            {
                due.Add(new PendingUpload(upload, row.Attempts, row.NextAttemptAt));
            }
        }
        return due;
    }
}

/// <summary>A row of table <c>pendinguploads</c>.</summary>
public sealed record PendingUploadRow : TableRow
{
    public int Attempts { get; set; }

    public DateTimeOffset NextAttemptAt { get; set; }
}
