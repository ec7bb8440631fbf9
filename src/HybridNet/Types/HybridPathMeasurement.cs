namespace HybridNet;

/// <summary>Latency and TCP throughput of one directed path, measured from the source's own network stack.</summary>
public sealed class HybridPathMeasurement
{
    internal HybridPathMeasurement(
        string source,
        string target,
        string? targetAddress,
        double? latencyMinMs,
        double? latencyAvgMs,
        double? latencyMaxMs,
        double? throughputMbps,
        double? seconds,
        string detail)
    {
        Source = source;
        Target = target;
        TargetAddress = targetAddress;
        LatencyMinMs = latencyMinMs;
        LatencyAvgMs = latencyAvgMs;
        LatencyMaxMs = latencyMaxMs;
        ThroughputMbps = throughputMbps;
        Seconds = seconds;
        Detail = detail;
    }

    /// <summary>Name of the source endpoint, or "host".</summary>
    public string Source { get; }

    /// <summary>Name of the target endpoint, or "host".</summary>
    public string Target { get; }

    /// <summary>IPv4 address the echoes and the TCP stream went to. It is the bridge gateway when the target is the host.</summary>
    public string? TargetAddress { get; }

    /// <summary>Shortest ICMP round-trip time in milliseconds, or null when no echo got a reply.</summary>
    public double? LatencyMinMs { get; }

    /// <summary>Mean ICMP round-trip time in milliseconds over the echoes that got a reply.</summary>
    public double? LatencyAvgMs { get; }

    /// <summary>Longest ICMP round-trip time in milliseconds.</summary>
    public double? LatencyMaxMs { get; }

    /// <summary>
    /// Payload rate of one TCP stream in megabits (10^6 bits) per second. It is null when an end is
    /// a VM, the stream was skipped, or the stream failed, and Detail gives the reason.
    /// </summary>
    public double? ThroughputMbps { get; }

    /// <summary>Time, in seconds, the receiver read the TCP stream, or null when no stream ran.</summary>
    public double? Seconds { get; }

    /// <summary>How the latency and the throughput were measured, and why a value is missing.</summary>
    public string Detail { get; }

    public override string ToString() => $"{Source} -> {Target}";
}
