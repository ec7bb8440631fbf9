using System;
using System.Collections.Generic;

namespace HybridNet;

/// <summary>Overall condition of a hybrid bridge.</summary>
public enum HybridBridgeState
{
    /// <summary>libvirt network running, bridge device present, Docker network present, no drift.</summary>
    Active,

    /// <summary>Some part is missing or drifted. <see cref="HybridBridge.Problems"/> lists which.</summary>
    Degraded,

    /// <summary>The libvirt network is defined but not running.</summary>
    Inactive,
}

/// <summary>What a hybrid bridge's members may reach beyond the bridge.</summary>
public enum HybridBridgeMode
{
    /// <summary>Members reach each other and the host, nothing else, and nothing else reaches them.</summary>
    Isolated,

    /// <summary>Members also reach beyond the host through masquerading; nothing outside reaches them.</summary>
    Nat,

    /// <summary>Members and the -AllowNetwork networks route to each other without NAT, both ways.</summary>
    Routed,
}

/// <summary>
/// A hybrid network: one Linux bridge owned by a libvirt network (DHCP for guests) with a Docker
/// bridge network laid over it (IPAM for containers), sharing one subnet.
/// </summary>
public sealed class HybridBridge
{
    internal HybridBridge(
        string name,
        HybridBridgeState state,
        string subnet,
        string gateway,
        string vmPool,
        string containerPool,
        string? staticRange,
        int mtu,
        string domain,
        string libvirtNetwork,
        string dockerNetwork,
        string? dockerNetworkId,
        bool autostart,
        IReadOnlyList<string> problems,
        HybridBridgeMode mode,
        string[] allowNetwork)
    {
        Mode = mode;
        AllowNetwork = allowNetwork;
        Name = name;
        State = state;
        Subnet = subnet;
        Gateway = gateway;
        VmPool = vmPool;
        ContainerPool = containerPool;
        StaticRange = staticRange;
        Mtu = mtu;
        Domain = domain;
        LibvirtNetwork = libvirtNetwork;
        DockerNetwork = dockerNetwork;
        DockerNetworkId = dockerNetworkId;
        Autostart = autostart;
        Problems = problems is string[] array ? array : new List<string>(problems).ToArray();
    }

    /// <summary>Name of the Linux bridge device, which is also the libvirt and Docker network name.</summary>
    public string Name { get; }

    public HybridBridgeState State { get; }

    /// <summary>IPv4 subnet in CIDR form.</summary>
    public string Subnet { get; }

    /// <summary>Gateway address, carried by the bridge device so the host reaches every member.</summary>
    public string Gateway { get; }

    /// <summary>Address range libvirt's dnsmasq leases to guests.</summary>
    public string VmPool { get; }

    /// <summary>CIDR block Docker's IPAM allocates container addresses from.</summary>
    public string ContainerPool { get; }

    /// <summary>Addresses neither allocator hands out, for explicit -IPAddress values.</summary>
    public string? StaticRange { get; }

    public int Mtu { get; }

    /// <summary>DNS domain of the members' names.</summary>
    public string Domain { get; }

    public string LibvirtNetwork { get; }

    public string DockerNetwork { get; }

    public string? DockerNetworkId { get; }

    public HybridBridgeMode Mode { get; }

    /// <summary>IPv6 /64 of the bridge, or null when it is IPv4 only.</summary>
    public string? Ipv6Subnet { get; init; }

    /// <summary>Subnets routed to and from the members in Routed mode.</summary>
    public string[] AllowNetwork { get; }

    /// <summary>Whether libvirt starts the network when libvirtd starts.</summary>
    public bool Autostart { get; }

    /// <summary>Reasons the bridge is not Active; empty when healthy.</summary>
    public string[] Problems { get; }

    public override string ToString() => Name;
}
