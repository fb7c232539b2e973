using Azure.Storage.Blobs;
using Microsoft.Azure.Functions.Worker;
using Serverless.Platform.Admin;
using Serverless.Platform.Hosting;
using Serverless.Platform.Installs;
using Serverless.Platform.Interactions;
using Serverless.Platform.Invocations;
using Serverless.Platform.Packages;

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
    public async Task<IResult> ListPluginsAsync(
        [HttpTrigger(AuthorizationLevel.Function, "get", Route = "admin/plugins")] HttpRequest request,
        CancellationToken cancellationToken) =>
        AdminKey.Refusal(request) ?? await CatalogEndpoints.ListPluginsAsync(catalog, cancellationToken);

    [Function("admin-versions")]
    public async Task<IResult> ListVersionsAsync(
        [HttpTrigger(AuthorizationLevel.Function, "get", Route = "admin/plugins/{pluginId}/versions")] HttpRequest request,
        string pluginId, CancellationToken cancellationToken) =>
        AdminKey.Refusal(request) ?? await CatalogEndpoints.ListVersionsAsync(pluginId, catalog, files, cancellationToken);

    [Function("admin-reports")]
    public async Task<IResult> ListReportsAsync(
        [HttpTrigger(AuthorizationLevel.Function, "get", Route = "admin/reports")] HttpRequest request,
        CancellationToken cancellationToken) =>
        AdminKey.Refusal(request) ?? (HttpQuery.TryInt(request, "limit", out var limit)
            ? await CatalogEndpoints.ListReportsAsync(HttpQuery.Text(request, "publisher"), HttpQuery.Text(request, "plugin"), limit, blobs, cancellationToken)
            : HttpQuery.BadValue());

    [Function("admin-report")]
    public async Task<IResult> GetReportAsync(
        [HttpTrigger(AuthorizationLevel.Function, "get", Route = "admin/reports/{publisher}/{name}")] HttpRequest request,
        string publisher, string name, CancellationToken cancellationToken) =>
        AdminKey.Refusal(request) ?? await CatalogEndpoints.GetReportAsync(publisher, name, HttpQuery.Text(request, "etag"), blobs, cancellationToken);

    [Function("admin-upload")]
    public async Task<IResult> UploadAsync(
        [HttpTrigger(AuthorizationLevel.Function, "post", Route = "admin/uploads/{publisher}/{name}")] HttpRequest request,
        string publisher, string name, CancellationToken cancellationToken) =>
        AdminKey.Refusal(request) ?? await CatalogEndpoints.UploadAsync(publisher, name, request.HttpContext, blobs, validator, cancellationToken);

    [Function("admin-invocations")]
    public async Task<IResult> ListInvocationsAsync(
        [HttpTrigger(AuthorizationLevel.Function, "get", Route = "admin/invocations")] HttpRequest request,
        CancellationToken cancellationToken) =>
        AdminKey.Refusal(request) ?? (HttpQuery.TryInt(request, "limit", out var limit)
            ? await CatalogEndpoints.ListInvocationsAsync(HttpQuery.Text(request, "plugin"), HttpQuery.Text(request, "guild"), HttpQuery.Text(request, "interaction"), limit, history, cancellationToken)
            : HttpQuery.BadValue());

    [Function("admin-guilds")]
    public async Task<IResult> ListGuildsAsync(
        [HttpTrigger(AuthorizationLevel.Function, "get", Route = "admin/guilds")] HttpRequest request,
        CancellationToken cancellationToken) =>
        AdminKey.Refusal(request) ?? await CatalogEndpoints.ListGuildsAsync(installs, cancellationToken);

    [Function("admin-commands")]
    public async Task<IResult> CommandStatusAsync(
        [HttpTrigger(AuthorizationLevel.Function, "get", Route = "admin/guilds/{guildId}/commands")] HttpRequest request,
        string guildId, CancellationToken cancellationToken) =>
        AdminKey.Refusal(request) ?? await CatalogEndpoints.CommandStatusAsync(guildId, sync, cancellationToken);
}
