using System;
using System.Collections.Generic;

namespace HybridNet.Engine;

/// <summary>Outcome of one probe.</summary>
public enum ProbeStatus
{
    Reachable,
    Unreachable,
    Inconclusive,
}

/// <summary>The party a probe starts from or goes to.</summary>
public sealed record ProbeEndpoint(
    EndpointKind Kind,
    string Name,
    string? Address,
    int? ContainerPid,
    bool HasGuestAgent,
    bool Running);

/// <summary>One directed probe from a source's own network stack to a target address.</summary>
public sealed record ProbeResult(
    string Source,
    EndpointKind SourceKind,
    string Target,
    EndpointKind TargetKind,
    string? TargetAddress,
    string Protocol,
    ProbeStatus Status,
    double? LatencyMs,
    string Detail)
{
    /// <summary>Findings of -Diagnose, empty unless the probe failed and was diagnosed.</summary>
    public IReadOnlyList<string> Diagnosis { get; init; } = Array.Empty<string>();

    /// <summary>The layer the diagnosis points to, or null.</summary>
    public string? FailedLayer { get; init; }

    public int Sent { get; init; } = 1;

    public int Received { get; init; }

    public double? LatencyMinMs { get; init; }

    public double? LatencyMaxMs { get; init; }

    /// <summary>Largest IPv4 packet in bytes that passed with don't-fragment, when measured.</summary>
    public int? PathMtu { get; init; }
}
