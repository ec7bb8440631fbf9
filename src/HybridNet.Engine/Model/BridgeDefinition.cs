using System.Collections.Generic;
using HybridNet.Engine.Addressing;

namespace HybridNet.Engine;

/// <summary>What a hybrid bridge's members may reach beyond the bridge.</summary>
public enum BridgeMode
{
    /// <summary>Members reach each other and the host, nothing else, and nothing else reaches them.</summary>
    Isolated,

    /// <summary>Members also reach beyond the host through masquerading; nothing outside reaches them.</summary>
    Nat,

    /// <summary>Members and the allowed networks route to each other without NAT, both ways.</summary>
    Routed,
}

/// <summary>A DHCP reservation of the libvirt network: a MAC address bound to an address.</summary>
public sealed record DhcpReservation(string MacAddress, string? Name, uint Address);

/// <summary>A DNS host record served by the network's dnsmasq.</summary>
public sealed record DnsHostRecord(uint Address, IReadOnlyList<string> HostNames);

/// <summary>
/// Everything HybridNet stores about one hybrid bridge. The libvirt network's definition is the
/// record of truth: the plan lives in its metadata element, so it survives restarts.
/// </summary>
public sealed record BridgeDefinition(
    string Name,
    AddressPlan Plan,
    int Mtu,
    string DnsDomain,
    string DockerNetwork)
{
    public IReadOnlyList<DhcpReservation> Reservations { get; init; } = new List<DhcpReservation>();

    public IReadOnlyList<DnsHostRecord> DnsHosts { get; init; } = new List<DnsHostRecord>();

    public BridgeMode Mode { get; init; } = BridgeMode.Isolated;

    /// <summary>IPv6 /64 of the bridge, or null when the bridge is IPv4 only.</summary>
    public string? Ipv6Subnet { get; init; }

    /// <summary>Subnets routed to and from the members in <see cref="BridgeMode.Routed"/> mode.</summary>
    public IReadOnlyList<Addressing.Ipv4Subnet> AllowedNetworks { get; init; } = new List<Addressing.Ipv4Subnet>();

    /// <summary>True when the network's XML carries HybridNet's metadata element.</summary>
    public bool ManagedByHybridNet { get; init; } = true;
}
