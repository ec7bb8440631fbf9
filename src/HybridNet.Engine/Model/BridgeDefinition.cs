using System.Collections.Generic;
using HybridNet.Engine.Addressing;

namespace HybridNet.Engine;

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

    /// <summary>True when the network's XML carries HybridNet's metadata element.</summary>
    public bool ManagedByHybridNet { get; init; } = true;
}
