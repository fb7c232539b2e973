using Azure;
using Azure.Data.Tables;

namespace Serverless.Platform.Hosting;

/// <summary>
/// The four system properties every table row has; each store's row record adds its own columns.
/// </summary>
public abstract record TableRow : ITableEntity
{
    public string PartitionKey { get; set; } = "";

    public string RowKey { get; set; } = "";

    public DateTimeOffset? Timestamp { get; set; }

    public ETag ETag { get; set; }
}
