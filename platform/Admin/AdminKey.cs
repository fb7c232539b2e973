using System.Security.Cryptography;
using System.Text;
using System.Text.Json.Nodes;

namespace Serverless.Platform.Admin;

/// <summary>
/// The admin functions' own check, behind the host's function-key check (defence in depth): header
/// <c>x-functions-key</c> must equal setting <c>ADMIN_API_KEY</c>, so no other key of the Functions host (its
/// master or default keys) opens the admin API. With no key configured every request is refused: an unset key
/// must not mean an open admin API.
/// </summary>
public static class AdminKey
{
    public const string HeaderName = "x-functions-key";
    public const string SettingName = "ADMIN_API_KEY";

    /// <summary>Null when the request carries the admin key (<see cref="SettingName"/> of the app's configuration); otherwise the answer it gets instead.</summary>
    public static IResult? Refusal(HttpRequest request)
    {
        var configuration = request.HttpContext.RequestServices.GetRequiredService<IConfiguration>();
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
