using Microsoft.Azure.Functions.Worker;
using Serverless.Platform.Portal;

namespace Serverless.Functions.Portal;

/// <summary>
/// The dev portal's files at <c>/api/portal/</c> (the local host serves them at <c>/portal/</c> too). The page is
/// public; every admin call it makes carries the key the user types in. Links inside are relative.
/// </summary>
public sealed class PortalFunction(PortalAssets assets)
{
    [Function("portal")]
    public IResult Run(
        [HttpTrigger(AuthorizationLevel.Anonymous, "get", Route = "portal/{*path}")] HttpRequest request,
        string? path) =>
        PortalEndpoints.Serve(request.HttpContext, path, assets);
}
