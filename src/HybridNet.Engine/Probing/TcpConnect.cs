using System;
using System.Diagnostics;
using System.Net;
using System.Net.Sockets;

namespace HybridNet.Engine.Probing;

/// <summary>
/// One TCP connection attempt from the calling thread's network namespace. The socket is
/// created on the calling thread, so it belongs to whatever namespace that thread joined.
/// </summary>
public static class TcpConnect
{
    public static EchoReply Send(IPAddress target, int port, int timeoutMs)
    {
        using var socket = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        var stopwatch = Stopwatch.StartNew();
        try
        {
            var connect = socket.ConnectAsync(new IPEndPoint(target, port));
            if (!connect.Wait(timeoutMs))
            {
                return new EchoReply(false, null, $"no answer to a TCP connection to port {port} within {timeoutMs} ms (filtered or host down)");
            }

            stopwatch.Stop();
            return new EchoReply(true, Math.Round(stopwatch.Elapsed.TotalMilliseconds, 3), $"TCP port {port} accepted the connection");
        }
        catch (AggregateException ex) when (ex.InnerException is SocketException socketError)
        {
            var detail = socketError.SocketErrorCode == SocketError.ConnectionRefused
                ? $"TCP port {port} refused the connection: the host is reachable but nothing listens there"
                : $"TCP connection to port {port} failed: {socketError.SocketErrorCode}";
            return new EchoReply(false, null, detail);
        }
    }
}
