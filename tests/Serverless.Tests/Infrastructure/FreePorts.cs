using System.Net;
using System.Net.Sockets;

namespace Serverless.Tests.Infrastructure;

public static class FreePorts
{
    /// <summary>A loopback port nobody listens on right now.</summary>
    public static int Next()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }

    public static bool IsListening(int port)
    {
        try
        {
            using var client = new TcpClient();
            client.Connect(IPAddress.Loopback, port);
            return true;
        }
        catch (SocketException)
        {
            return false;
        }
    }
}

/// <summary>Tests that run <c>dotnet publish</c> of the app share its obj/Release folder, so they take turns.</summary>
[CollectionDefinition(Name)]
public sealed class PublishCollection
{
    public const string Name = "dotnet publish";
}
