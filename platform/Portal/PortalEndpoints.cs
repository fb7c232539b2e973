using System.Reflection;
using System.Security.Cryptography;

namespace Serverless.Platform.Portal;

/// <summary>One file of the portal, ready to serve.</summary>
public sealed record PortalAsset(string Name, byte[] Content, string ContentType, string ETag);

/// <summary>
/// The dev portal's static files (Portal/Assets), embedded in the assembly so the publish output needs
/// nothing beside the executable and the function folders. The page itself is public; every admin call it
/// makes carries the key the user types in.
/// </summary>
public sealed class PortalAssets
{
    private const string Prefix = "portal/";

    private readonly Dictionary<string, PortalAsset> _assets = new(StringComparer.Ordinal);

    public PortalAssets()
    {
        var assembly = typeof(PortalAssets).Assembly;
        foreach (var resource in assembly.GetManifestResourceNames().Where(n => n.StartsWith(Prefix, StringComparison.Ordinal)))
        {
            using var stream = assembly.GetManifestResourceStream(resource)!;
            using var buffer = new MemoryStream();
            stream.CopyTo(buffer);
            var content = buffer.ToArray();
            var name = resource[Prefix.Length..];
            _assets[name] = new PortalAsset(name, content, ContentType(name), $"\"{Convert.ToHexStringLower(SHA256.HashData(content))[..16]}\"");
        }
    }

    public PortalAsset? Find(string? path) => _assets.GetValueOrDefault(string.IsNullOrEmpty(path) ? "index.html" : path);

    private static string ContentType(string name) => Path.GetExtension(name) switch
    {
        ".html" => "text/html; charset=utf-8",
        ".css" => "text/css; charset=utf-8",
        ".js" => "text/javascript; charset=utf-8",
        ".svg" => "image/svg+xml",
        ".png" => "image/png",
        _ => "application/octet-stream",
    };
}

public static class PortalEndpoints
{
    /// <summary>No inline code, nothing from elsewhere: plugin-provided text can never become script.</summary>
    public const string ContentSecurityPolicy =
        "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; frame-ancestors 'none'; base-uri 'none'; form-action 'self'";

    public static IServiceCollection AddPortal(this IServiceCollection services)
    {
        services.AddSingleton<PortalAssets>();
        return services;
    }

    public static IResult Serve(HttpContext http, string? path, PortalAssets assets)
    {
        var requestPath = http.Request.Path.Value ?? "";
        if (requestPath.EndsWith("/portal", StringComparison.Ordinal))
        {
            // Relative links (portal.css, portal.js) need the trailing slash.
            return Results.Redirect(requestPath + "/" + http.Request.QueryString);
        }
        if (assets.Find(path) is not { } asset)
        {
            return Results.NotFound();
        }
        var headers = http.Response.Headers;
        headers.CacheControl = "no-cache";
        headers.ETag = asset.ETag;
        headers.XContentTypeOptions = "nosniff";
        headers["Referrer-Policy"] = "no-referrer";
        headers.ContentSecurityPolicy = ContentSecurityPolicy;
        if (http.Request.Headers.IfNoneMatch == asset.ETag)
        {
            return Results.StatusCode(StatusCodes.Status304NotModified);
        }
        return Results.Bytes(asset.Content, asset.ContentType);
    }
}
