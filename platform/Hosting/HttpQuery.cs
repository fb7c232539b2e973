using System.Globalization;

namespace Serverless.Platform.Hosting;

/// <summary>
/// Query-string values for HTTP functions, which bind route values only: absent is null, and a number
/// that does not parse is the 400 that minimal-API binding answered before.
/// </summary>
public static class HttpQuery
{
    public static string? Text(HttpRequest request, string name) =>
        request.Query.TryGetValue(name, out var values) && values.Count > 0 ? values[0] : null;

    public static bool TryInt(HttpRequest request, string name, out int? value)
    {
        value = null;
        if (Text(request, name) is not { Length: > 0 } text)
        {
            return true;
        }
        if (!int.TryParse(text, NumberStyles.Integer, CultureInfo.InvariantCulture, out var parsed))
        {
            return false;
        }
        value = parsed;
        return true;
    }

    public static bool TryLong(HttpRequest request, string name, out long? value)
    {
        value = null;
        if (Text(request, name) is not { Length: > 0 } text)
        {
            return true;
        }
        if (!long.TryParse(text, NumberStyles.Integer, CultureInfo.InvariantCulture, out var parsed))
        {
            return false;
        }
        value = parsed;
        return true;
    }

    public static IResult BadValue() => Results.BadRequest();
}
