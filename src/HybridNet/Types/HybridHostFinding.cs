namespace HybridNet;

/// <summary>How serious a finding is. Same order as the engine's HostFindingSeverity.</summary>
public enum HybridHostFindingSeverity
{
    Warning,
    Error,
}

/// <summary>What a finding is about. Same order as the engine's HostFindingKind.</summary>
public enum HybridHostFindingKind
{
    /// <summary>A subnet overlaps another network's subnet, a host route or an interface address.</summary>
    SubnetOverlap,

    /// <summary>Two networks name the same bridge device.</summary>
    BridgeClaimedTwice,

    /// <summary>The configuration of two networks stops the host from forwarding between them.</summary>
    NoPath,

    /// <summary>A running network names a bridge device that does not exist.</summary>
    BridgeMissing,
}

/// <summary>A problem Get-HybridHostNetwork found in the host's networks.</summary>
public sealed class HybridHostFinding
{
    internal HybridHostFinding(HybridHostFindingSeverity severity, HybridHostFindingKind kind, string message, string[] network)
    {
        Severity = severity;
        Kind = kind;
        Message = message;
        Network = network;
    }

    public HybridHostFindingSeverity Severity { get; }

    public HybridHostFindingKind Kind { get; }

    /// <summary>What was found, naming both parties and the reason.</summary>
    public string Message { get; }

    /// <summary>Names of the surveyed networks the finding concerns, one or two.</summary>
    public string[] Network { get; }

    public override string ToString() => Message;
}
