using System;
using System.Collections.Generic;
using System.Linq;
using System.Xml.Linq;
using HybridNet.Engine.Addressing;

namespace HybridNet.Engine.Libvirt;

/// <summary>One IPv4 ip element of a libvirt network: the host's address, its subnet and DHCP ranges.</summary>
public sealed record LibvirtIpv4Config(uint Address, Ipv4Subnet Subnet, IReadOnlyList<Ipv4Range> DhcpRanges);

/// <summary>Any libvirt network, HybridNet's or not, as the host survey needs to see it.</summary>
public sealed record LibvirtNetworkInfo(
    string Name,
    bool Active,
    string? Bridge,
    string? ForwardMode,
    IReadOnlyList<LibvirtIpv4Config> Ipv4,
    IReadOnlyList<DhcpReservation> Reservations,
    bool ManagedByHybridNet,
    string? HybridNetDockerNetwork)
{
    /// <summary>
    /// True when the network has no forward element. libvirt then rejects every packet routed
    /// into or out of its bridge, so guests reach only each other and the host.
    /// </summary>
    public bool Isolated => ForwardMode is null;

    /// <summary>
    /// Reads a network definition as `virsh net-dumpxml` prints it. A forward element without a
    /// mode attribute means NAT, which is libvirt's default mode.
    /// </summary>
    public static LibvirtNetworkInfo Parse(string xml, bool active)
    {
        var network = XElement.Parse(xml);
        var forward = network.Element("forward");
        var forwardMode = forward is null ? null : forward.Attribute("mode")?.Value ?? "nat";

        var ipv4 = new List<LibvirtIpv4Config>();
        var reservations = new List<DhcpReservation>();
        foreach (var ip in network.Elements("ip"))
        {
            if (ip.Attribute("family")?.Value is { } family && family != "ipv4")
            {
                continue;
            }

            if (!Ipv4Subnet.TryParseAddress(ip.Attribute("address")?.Value, out var address))
            {
                continue;
            }

            var subnet = new Ipv4Subnet(address, NetworkXml.ReadPrefixLength(ip, address));
            var dhcp = ip.Element("dhcp");
            var ranges = new List<Ipv4Range>();
            foreach (var range in dhcp?.Elements("range") ?? Enumerable.Empty<XElement>())
            {
                if (Ipv4Subnet.TryParseAddress(range.Attribute("start")?.Value, out var first)
                    && Ipv4Subnet.TryParseAddress(range.Attribute("end")?.Value, out var last))
                {
                    ranges.Add(new Ipv4Range(first, last));
                }
            }

            foreach (var host in dhcp?.Elements("host") ?? Enumerable.Empty<XElement>())
            {
                if (host.Attribute("mac")?.Value is { } mac
                    && Ipv4Subnet.TryParseAddress(host.Attribute("ip")?.Value, out var reserved))
                {
                    reservations.Add(new DhcpReservation(mac.ToLowerInvariant(), host.Attribute("name")?.Value, reserved));
                }
            }

            ipv4.Add(new LibvirtIpv4Config(address, subnet, ranges));
        }

        var metadata = network.Element("metadata")?.Element(NetworkXml.MetadataNamespace + "bridge");
        var dockerNetwork = metadata?.Element(NetworkXml.MetadataNamespace + "dockerNetwork")?.Value;
        return new LibvirtNetworkInfo(
            network.Element("name")?.Value ?? string.Empty,
            active,
            network.Element("bridge")?.Attribute("name")?.Value,
            forwardMode,
            ipv4,
            reservations,
            metadata is not null,
            string.IsNullOrEmpty(dockerNetwork) ? null : dockerNetwork);
    }
}
