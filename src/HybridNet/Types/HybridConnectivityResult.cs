namespace HybridNet;

/// <summary>Outcome of one probe.</summary>
public enum HybridProbeStatus
{
    Reachable,
    Unreachable,

    /// <summary>The probe could not run; <see cref="HybridConnectivityResult.Detail"/> gives the reason.</summary>
    Inconclusive,
}

/// <summary>One directed probe from a source's own network stack to a target.</summary>
public sealed class HybridConnectivityResult
{
    internal HybridConnectivityResult(
        string source,
        HybridEndpointKind sourceKind,
        string target,
        HybridEndpointKind targetKind,
        string? targetAddress,
        string protocol,
        HybridProbeStatus status,
        double? latencyMs,
        string detail,
        string[] diagnosis,
        string? failedLayer,
        int sent,
        int received,
        double? latencyMinMs,
        double? latencyMaxMs,
        int? pathMtu)
    {
        Sent = sent;
        Received = received;
        LatencyMinMs = latencyMinMs;
        LatencyMaxMs = latencyMaxMs;
        PathMtu = pathMtu;
        Diagnosis = diagnosis;
        FailedLayer = failedLayer;
        Source = source;
        SourceKind = sourceKind;
        Target = target;
        TargetKind = targetKind;
        TargetAddress = targetAddress;
        Protocol = protocol;
        Status = status;
        LatencyMs = latencyMs;
        Detail = detail;
    }

    public string Source { get; }

    public HybridEndpointKind SourceKind { get; }

    public string Target { get; }

    public HybridEndpointKind TargetKind { get; }

    public string? TargetAddress { get; }

    /// <summary>ICMP for echo probes, TCP/&lt;port&gt; for connection probes.</summary>
    public string Protocol { get; }

    public HybridProbeStatus Status { get; }

    /// <summary>Average round-trip time (TCP: connect time) in milliseconds; null unless Reachable.</summary>
    public double? LatencyMs { get; }

    public double? LatencyMinMs { get; }

    public double? LatencyMaxMs { get; }

    /// <summary>Probes sent (-Count).</summary>
    public int Sent { get; }

    /// <summary>Probes answered.</summary>
    public int Received { get; }

    /// <summary>With -PathMtu, the largest IPv4 packet in bytes that passed with don't-fragment.</summary>
    public int? PathMtu { get; }

    /// <summary>How the probe ran and, when it failed, why.</summary>
    public string Detail { get; }

    /// <summary>
    /// With -Diagnose, what each layer showed for a failed probe: neighbour resolution, bridge
    /// port state, route, reverse-path filter, MTU, firewall rules and their packet counters.
    /// </summary>
    public string[] Diagnosis { get; }

    /// <summary>With -Diagnose, the layer that drops the traffic (Firewall, BridgePort, Neighbour, Route, ReversePathFilter, Mtu).</summary>
    public string? FailedLayer { get; }

    public override string ToString() => $"{Source} -> {Target}: {Status}";
}
