namespace Serverless.Platform.Hosting;

public static class RequestBodies
{
    /// <summary>
    /// The whole body, or null when it is larger than <paramref name="maxBytes"/>: refused on its declared
    /// length at once, and cut off while reading when the declared length lies or is absent.
    /// </summary>
    public static async Task<byte[]?> ReadCappedAsync(HttpRequest request, int maxBytes, CancellationToken cancellationToken)
    {
        if (request.ContentLength > maxBytes)
        {
            return null;
        }
        using var buffer = new MemoryStream();
        var chunk = new byte[16 * 1024];
        int read;
        while ((read = await request.Body.ReadAsync(chunk, cancellationToken)) > 0)
        {
            if (buffer.Length + read > maxBytes)
            {
                return null;
            }
            buffer.Write(chunk, 0, read);
        }
        return buffer.ToArray();
    }
}
