using System;
using System.Diagnostics;
using System.Net;
using System.Net.NetworkInformation;

namespace HybridNet.Engine.Probing;

/// <summary>Outcome of one ICMP echo.</summary>
public sealed record EchoReply(bool Success, double? LatencyMs, string Detail);

/// <summary>
/// One ICMP echo from the calling thread's network namespace. As root, .NET sends it on a raw
/// socket it opens inside the call, so the probe leaves from whatever namespace the thread has
/// joined.
/// </summary>
public static class IcmpEcho
{
    /// <summary>Payload size of a default probe, in bytes.</summary>
    public const int DefaultPayloadSize = 32;

    /// <summary>
    /// Sends one echo with <paramref name="payloadSize"/> bytes of payload. A payload larger than
    /// the default is sent with the don't-fragment bit, so it fails where a link's MTU is smaller.
    /// </summary>
    public static EchoReply Send(IPAddress target, int timeoutMs, int payloadSize = DefaultPayloadSize)
    {
        using var ping = new Ping();
        var stopwatch = Stopwatch.StartNew();
        try
        {
            var options = payloadSize > DefaultPayloadSize ? new PingOptions { DontFragment = true } : null;
            var reply = ping.Send(target, timeoutMs, new byte[payloadSize], options);
            stopwatch.Stop();
            return reply.Status == IPStatus.Success
                ? new EchoReply(true, Math.Round(stopwatch.Elapsed.TotalMilliseconds, 3), "ICMP echo reply received")
                : new EchoReply(false, null, $"no echo reply within {timeoutMs} ms ({reply.Status})");
        }
        catch (PingException ex)
        {
            return new EchoReply(false, null, $"ICMP echo failed: {ex.InnerException?.Message ?? ex.Message}");
        }
    }
}
