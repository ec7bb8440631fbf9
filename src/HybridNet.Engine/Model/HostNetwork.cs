using System;
using System.Collections.Generic;
using HybridNet.Engine.Addressing;

namespace HybridNet.Engine;

/// <summary>The manager that created a bridge or virtual network on the host.</summary>
public enum HostNetworkOwner
{
    LibvirtActive,
    LibvirtInactive,
    Docker,
    LxdIncus,
    HybridNet,
    Unmanaged,
}

/// <summary>State of a network's bridge device.</summary>
public enum HostNetworkState
{
    /// <summary>The device exists and is administratively up (flag UP), with or without carrier.</summary>
    Up,

    /// <summary>The device exists but is administratively down.</summary>
    Down,

    /// <summary>No such device exists, for example for an inactive libvirt network.</summary>
    Absent,
}

public enum HostFindingSeverity
{
    Warning,
    Error,
}

public enum HostFindingKind
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

/// <summary>A VM NIC or container endpoint on a surveyed network.</summary>
/// <param name="State">libvirt's domain state ("running", "shut off", ...), or null for a container.</param>
public sealed record HostMember(EndpointKind Kind, string Name, string? State, string? MacAddress, string? IPAddress);

/// <summary>A problem the survey found, with the networks it concerns.</summary>
/// <param name="NetworkIds">Values of <see cref="HostNetwork.Id"/>, one or two.</param>
/// <param name="NetworkNames">The same networks' names, in the same order.</param>
public sealed record HostFinding(
    HostFindingSeverity Severity,
    HostFindingKind Kind,
    string Message,
    IReadOnlyList<string> NetworkIds,
    IReadOnlyList<string> NetworkNames);

/// <summary>One bridge or virtual network on the host, merged from every source that reports it.</summary>
/// <param name="Id">
/// Key unique within one survey: "libvirt:NAME", "docker:ID" or "link:DEVICE". Names alone can
/// repeat, for example a libvirt network and a Docker network that are both called "default".
/// </param>
/// <param name="Gateway">
/// For libvirt and Docker, the gateway address of the first subnet. For LXD, Incus and unmanaged
/// bridges, the host's first address on the bridge.
/// </param>
/// <param name="Forward">
/// How traffic leaves the network. For libvirt it is the forward mode ("nat", "route", "open",
/// "bridge", ...), or "isolated" without a forward element. For Docker it is "nat", "route" (IP
/// masquerading off) or "internal". It is null when the survey cannot tell.
/// </param>
public sealed record HostNetwork(
    string Id,
    string Name,
    HostNetworkOwner Owner,
    string? BridgeDevice,
    IReadOnlyList<Ipv4Subnet> Subnets,
    string? Gateway,
    IReadOnlyList<Ipv4Range> DhcpRanges,
    HostNetworkState State,
    string? Forward,
    IReadOnlyList<HostMember> Vms,
    IReadOnlyList<HostMember> Containers)
{
    public IReadOnlyList<HostFinding> Findings { get; init; } = Array.Empty<HostFinding>();
}

/// <summary>Every network on the host and every finding, each finding also attached to its networks.</summary>
public sealed record HostSurveyResult(IReadOnlyList<HostNetwork> Networks, IReadOnlyList<HostFinding> Findings);
