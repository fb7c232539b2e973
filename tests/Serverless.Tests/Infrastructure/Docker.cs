using System.Net.Sockets;

namespace Serverless.Tests.Infrastructure;

public static class Docker
{
    public const string SocketPath = "/var/run/docker.sock";

    /// <summary>True when a Docker engine accepts connections on its unix socket.</summary>
    public static bool IsReachable()
    {
        try
        {
            using var socket = new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified);
            socket.Connect(new UnixDomainSocketEndPoint(SocketPath));
            return true;
        }
        catch (SocketException)
        {
            return false;
        }
    }
}
