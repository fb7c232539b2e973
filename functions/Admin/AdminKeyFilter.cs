using System.Security.Cryptography;
using System.Text;
using System.Text.Json.Nodes;

namespace Serverless.Functions.Admin;

/// <summary>
/// Guards <c>/api/admin/</c> endpoints: header <c>x-functions-key</c> must equal setting
/// <c>ADMIN_API_KEY</c>. Use as <c>.AddEndpointFilter&lt;AdminKeyFilter&gt;()</c> on an endpoint or group.
/// With no key configured every request is refused: an unset key must not mean an open admin API.
/// </summary>
public sealed class AdminKeyFilter(IConfiguration configuration) : IEndpointFilter
{
    public const string HeaderName = "x-functions-key";
    public const string SettingName = "ADMIN_API_KEY";

    public async ValueTask<object?> InvokeAsync(EndpointFilterInvocationContext context, EndpointFilterDelegate next)
    {
        var expected = configuration[SettingName];
        if (string.IsNullOrEmpty(expected))
        {
            return Results.Json(new JsonObject { ["error"] = $"{SettingName} is not set; the admin API is closed" }, statusCode: StatusCodes.Status503ServiceUnavailable);
        }
        var presented = context.HttpContext.Request.Headers[HeaderName].ToString();
        if (!KeysMatch(presented, expected))
        {
            return Results.Json(new JsonObject { ["error"] = $"missing or wrong {HeaderName}" }, statusCode: StatusCodes.Status401Unauthorized);
        }
        return await next(context);
    }

    /// <summary>
    /// Constant time in the keys' contents and lengths: both are hashed first, so neither a
    /// matching prefix nor the length shows in how long the comparison takes.
    /// </summary>
    public static bool KeysMatch(string presented, string expected) =>
        presented.Length > 0 && CryptographicOperations.FixedTimeEquals(
            SHA256.HashData(Encoding.UTF8.GetBytes(presented)),
            SHA256.HashData(Encoding.UTF8.GetBytes(expected)));
}
