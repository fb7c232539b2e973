using System.Text.Json.Nodes;

namespace Serverless.Functions.Packages;

/// <summary>Validates an upload and publishes it or reports why not.</summary>
public sealed class UploadProcessor
{
    public Task<JsonObject> ProcessAsync(UploadRef upload, CancellationToken cancellationToken) =>
        throw new NotImplementedException("publishing lands with the packages feature");
}
