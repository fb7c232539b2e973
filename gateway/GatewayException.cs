namespace Serverless.Gateway;

/// <summary>
/// The bridge cannot go on: Discord refused the token or the intents, or closed with a code that forbids
/// reconnecting. Retrying would only loop, so the worker stops and says why.
/// </summary>
public sealed class GatewayException(string message, int? closeCode = null) : Exception(message)
{
    /// <summary>The gateway close code, when Discord closed the connection.</summary>
    public int? CloseCode { get; } = closeCode;
}
