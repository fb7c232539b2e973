using System.Security.Cryptography;
using System.Text;
using System.Text.Json.Nodes;

namespace Serverless.LocalHost;

/// <summary>
/// What the Functions host does for a function of <c>AuthorizationLevel.Function</c>, with one key:
/// header <c>x-functions-key</c> must equal setting <c>ADMIN_API_KEY</c> (in Azure, deployment makes that
/// value a function key of the app). With no key configured every call is refused: an unset key must not
/// mean an open admin API.
/// </summary>
public static class FunctionKeys
{
    public const string HeaderName = "x-functions-key";
    public const string SettingName = "ADMIN_API_KEY";

    /// <summary>Null when the request may run; otherwise the answer it gets instead.</summary>
    public static IResult? Refusal(HttpRequest request, IConfiguration configuration)
    {
        var expected = configuration[SettingName];
        if (string.IsNullOrEmpty(expected))
        {
            return Results.Json(new JsonObject { ["error"] = $"{SettingName} is not set; the admin API is closed" }, statusCode: StatusCodes.Status503ServiceUnavailable);
        }
        return KeysMatch(request.Headers[HeaderName].ToString(), expected)
            ? null
            : Results.Json(new JsonObject { ["error"] = $"missing or wrong {HeaderName}" }, statusCode: StatusCodes.Status401Unauthorized);
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
