namespace HybridNet;

/// <summary>Outcome of one probe.</summary>
public enum HybridProbeStatus
{
    Reachable,
    Unreachable,

    /// <summary>The probe could not run; <see cref="HybridConnectivityResult.Detail"/> says why.</summary>
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
        string? failedLayer)
    {
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

    /// <summary>ICMP for echo probes.</summary>
    public string Protocol { get; }

    public HybridProbeStatus Status { get; }

    /// <summary>Round-trip time in milliseconds; null unless Reachable.</summary>
    public double? LatencyMs { get; }

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
