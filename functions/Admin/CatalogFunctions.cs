using Microsoft.Azure.Functions.Worker;
using Serverless.Functions.Hosting;
using Serverless.Functions.Installs;
using Serverless.Functions.Interactions;
using Serverless.Functions.Invocations;
using Serverless.Functions.Packages;
using Serverless.Functions.Storage;

namespace Serverless.Functions.Admin;

/// <summary>The admin API's read side and browser uploads (<see cref="CatalogEndpoints"/>); admin key.</summary>
public sealed class CatalogFunctions(
    PluginCatalog catalog,
    PluginFiles files,
    BlobServiceClient blobs,
    PackageValidator validator,
    InvocationHistory history,
    InstallStore installs,
    CommandSync sync)
{
    [Function("admin-plugins")]
    public Task<IResult> ListPluginsAsync(
        [HttpTrigger(AuthorizationLevel.Function, "get", Route = "admin/plugins")] HttpRequest request,
        CancellationToken cancellationToken) =>
        CatalogEndpoints.ListPluginsAsync(catalog, cancellationToken);

    [Function("admin-versions")]
    public Task<IResult> ListVersionsAsync(
        [HttpTrigger(AuthorizationLevel.Function, "get", Route = "admin/plugins/{pluginId}/versions")] HttpRequest request,
        string pluginId, CancellationToken cancellationToken) =>
        CatalogEndpoints.ListVersionsAsync(pluginId, catalog, files, cancellationToken);

    [Function("admin-reports")]
    public Task<IResult> ListReportsAsync(
        [HttpTrigger(AuthorizationLevel.Function, "get", Route = "admin/reports")] HttpRequest request,
        CancellationToken cancellationToken) =>
        HttpQuery.TryInt(request, "limit", out var limit)
            ? CatalogEndpoints.ListReportsAsync(HttpQuery.Text(request, "publisher"), HttpQuery.Text(request, "plugin"), limit, blobs, cancellationToken)
            : Task.FromResult(HttpQuery.BadValue());

    [Function("admin-report")]
    public Task<IResult> GetReportAsync(
        [HttpTrigger(AuthorizationLevel.Function, "get", Route = "admin/reports/{publisher}/{name}")] HttpRequest request,
        string publisher, string name, CancellationToken cancellationToken) =>
        CatalogEndpoints.GetReportAsync(publisher, name, HttpQuery.Text(request, "etag"), blobs, cancellationToken);

    [Function("admin-upload")]
    public Task<IResult> UploadAsync(
        [HttpTrigger(AuthorizationLevel.Function, "post", Route = "admin/uploads/{publisher}/{name}")] HttpRequest request,
        string publisher, string name, CancellationToken cancellationToken) =>
        CatalogEndpoints.UploadAsync(publisher, name, request.HttpContext, blobs, validator, cancellationToken);

    [Function("admin-invocations")]
    public Task<IResult> ListInvocationsAsync(
        [HttpTrigger(AuthorizationLevel.Function, "get", Route = "admin/invocations")] HttpRequest request,
        CancellationToken cancellationToken) =>
        HttpQuery.TryInt(request, "limit", out var limit)
            ? CatalogEndpoints.ListInvocationsAsync(HttpQuery.Text(request, "plugin"), HttpQuery.Text(request, "guild"), HttpQuery.Text(request, "interaction"), limit, history, cancellationToken)
            : Task.FromResult(HttpQuery.BadValue());

    [Function("admin-guilds")]
    public Task<IResult> ListGuildsAsync(
        [HttpTrigger(AuthorizationLevel.Function, "get", Route = "admin/guilds")] HttpRequest request,
        CancellationToken cancellationToken) =>
        CatalogEndpoints.ListGuildsAsync(installs, cancellationToken);

    [Function("admin-commands")]
    public Task<IResult> CommandStatusAsync(
        [HttpTrigger(AuthorizationLevel.Function, "get", Route = "admin/guilds/{guildId}/commands")] HttpRequest request,
        string guildId, CancellationToken cancellationToken) =>
        CatalogEndpoints.CommandStatusAsync(guildId, sync, cancellationToken);
}
