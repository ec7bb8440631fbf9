using System;
using System.Collections.Generic;
using System.Globalization;
using System.Linq;
using System.Xml.Linq;
using HybridNet.Engine.Addressing;

namespace HybridNet.Engine.Libvirt;

/// <summary>Builds and reads the libvirt network XML of a hybrid bridge.</summary>
public static class NetworkXml
{
    /// <summary>Namespace of HybridNet's element inside the network's metadata.</summary>
    public static readonly XNamespace MetadataNamespace = "https://hybridnet.dev/xmlns/libvirt/bridge/1";

    /// <summary>
    /// Builds the definition of an isolated libvirt network that owns the Linux bridge. It has
    /// no forward element, so libvirt adds no NAT. The gateway address sits on the bridge, DHCP
    /// leases come only from the VM pool, and names under the bridge's DNS domain resolve locally.
    /// </summary>
    public static string Build(BridgeDefinition definition)
    {
        var plan = definition.Plan;
        var network = new XElement("network",
            new XElement("name", definition.Name),
            new XElement("metadata", MetadataElement(definition)),
            new XElement("bridge",
                new XAttribute("name", definition.Name),
                new XAttribute("stp", "off"),
                new XAttribute("delay", "0")),
            new XElement("mtu", new XAttribute("size", definition.Mtu.ToString(CultureInfo.InvariantCulture))),
            new XElement("domain",
                new XAttribute("name", definition.DnsDomain),
                new XAttribute("localOnly", "yes")),
            DnsElement(definition),
            new XElement("ip",
                new XAttribute("address", Ipv4Subnet.Format(plan.Gateway)),
                new XAttribute("prefix", plan.Subnet.PrefixLength.ToString(CultureInfo.InvariantCulture)),
                new XElement("dhcp",
                    new XElement("range",
                        new XAttribute("start", Ipv4Subnet.Format(plan.VmPool.First)),
                        new XAttribute("end", Ipv4Subnet.Format(plan.VmPool.Last))),
                    definition.Reservations.Select(ReservationElement))),
            Ipv6Element(definition));
        return network.ToString();
    }

    /// <summary>
    /// The IPv6 address of the bridge. With no DHCPv6 range, libvirt's dnsmasq only sends router
    /// advertisements, so guests configure themselves by SLAAC.
    /// </summary>
    private static XElement? Ipv6Element(BridgeDefinition definition) =>
        definition.Ipv6Subnet is null
            ? null
            : new XElement("ip",
                new XAttribute("family", "ipv6"),
                new XAttribute("address", Ipv6Prefix.Gateway(definition.Ipv6Subnet)),
                new XAttribute("prefix", Ipv6Prefix.PrefixLength.ToString(CultureInfo.InvariantCulture)));

    /// <summary>
    /// Rewrites an existing definition with new settings, keeping everything libvirt added
    /// (UUID, bridge MAC) so `virsh net-define` updates the network in place.
    /// </summary>
    public static string Update(string existingXml, BridgeDefinition definition)
    {
        var network = XElement.Parse(existingXml);
        var fresh = XElement.Parse(Build(definition));
        foreach (var name in new[] { "metadata", "mtu", "domain", "dns", "ip" })
        {
            network.Elements(name).Remove();
        }

        var anchor = network.Element("bridge") ?? network.Element("name")!;
        anchor.AddAfterSelf(fresh.Elements().Where(e => e.Name.LocalName is "mtu" or "domain" or "dns" or "ip"));
        network.Element("name")!.AddAfterSelf(fresh.Element("metadata"));
        return network.ToString();
    }

    private static XElement? DnsElement(BridgeDefinition definition) =>
        definition.DnsHosts.Count == 0
            ? null
            : new XElement("dns", definition.DnsHosts.Select(h => XElement.Parse(DnsHostXml(h))));

    private static XElement MetadataElement(BridgeDefinition definition)
    {
        var plan = definition.Plan;
        return new XElement(MetadataNamespace + "bridge",
            new XAttribute(XNamespace.Xmlns + "hybridnet", MetadataNamespace),
            new XAttribute("version", "1"),
            new XElement(MetadataNamespace + "subnet", plan.Subnet.ToString()),
            new XElement(MetadataNamespace + "gateway", Ipv4Subnet.Format(plan.Gateway)),
            new XElement(MetadataNamespace + "vmPool", plan.VmPool.ToString()),
            new XElement(MetadataNamespace + "containerPool", plan.ContainerPool.ToString()),
            new XElement(MetadataNamespace + "staticRange", plan.StaticRange?.ToString() ?? string.Empty),
            new XElement(MetadataNamespace + "dockerNetwork", definition.DockerNetwork),
            new XElement(MetadataNamespace + "mode", definition.Mode.ToString()),
            definition.Ipv6Subnet is null ? null : new XElement(MetadataNamespace + "ipv6Subnet", definition.Ipv6Subnet),
            definition.AllowedNetworks.Select(n => new XElement(MetadataNamespace + "allow", n.ToString())));
    }

    /// <summary>The ip-dhcp-host element `virsh net-update` takes for one reservation.</summary>
    public static string ReservationXml(DhcpReservation reservation) => ReservationElement(reservation).ToString();

    /// <summary>The dns-host element `virsh net-update` takes for one name record.</summary>
    public static string DnsHostXml(DnsHostRecord record) =>
        new XElement("host",
            new XAttribute("ip", Ipv4Subnet.Format(record.Address)),
            record.HostNames.Select(n => new XElement("hostname", n))).ToString();

    /// <summary>
    /// Reads a network definition. Returns null when the network carries no HybridNet metadata,
    /// which means HybridNet did not create it and must not change it.
    /// </summary>
    public static BridgeDefinition? Parse(string xml)
    {
        var network = XElement.Parse(xml);
        var name = network.Element("name")?.Value ?? string.Empty;
        var metadata = network.Element("metadata")?.Element(MetadataNamespace + "bridge");
        if (metadata is null)
        {
            return null;
        }

        string Meta(string element) => metadata.Element(MetadataNamespace + element)?.Value ?? string.Empty;

        var subnet = Ipv4Subnet.Parse(Meta("subnet"));
        Ipv4Subnet.TryParseAddress(Meta("gateway"), out var gateway);
        Ipv4Range.TryParse(Meta("vmPool"), out var vmPool);
        var containerPool = Ipv4Subnet.Parse(Meta("containerPool"));
        Ipv4Range? staticRange = Ipv4Range.TryParse(Meta("staticRange"), out var statics) ? statics : null;
        var plan = new AddressPlan(subnet, gateway, vmPool, containerPool, staticRange);

        var mtuText = network.Element("mtu")?.Attribute("size")?.Value;
        var mtu = int.TryParse(mtuText, NumberStyles.None, CultureInfo.InvariantCulture, out var parsedMtu)
            ? parsedMtu
            : 1500;
        var domain = network.Element("domain")?.Attribute("name")?.Value ?? string.Empty;

        var ip = network.Elements("ip").FirstOrDefault(e => e.Attribute("family")?.Value is null or "ipv4");
        var reservations = new List<DhcpReservation>();
        foreach (var host in ip?.Element("dhcp")?.Elements("host") ?? Enumerable.Empty<XElement>())
        {
            if (host.Attribute("mac")?.Value is { } mac
                && Ipv4Subnet.TryParseAddress(host.Attribute("ip")?.Value, out var address))
            {
                reservations.Add(new DhcpReservation(mac.ToLowerInvariant(), host.Attribute("name")?.Value, address));
            }
        }

        var dnsHosts = new List<DnsHostRecord>();
        foreach (var host in network.Element("dns")?.Elements("host") ?? Enumerable.Empty<XElement>())
        {
            if (Ipv4Subnet.TryParseAddress(host.Attribute("ip")?.Value, out var address))
            {
                dnsHosts.Add(new DnsHostRecord(address, host.Elements("hostname").Select(h => h.Value).ToList()));
            }
        }

        var mode = Enum.TryParse<BridgeMode>(Meta("mode"), out var parsedMode) ? parsedMode : BridgeMode.Isolated;
        var allowed = metadata.Elements(MetadataNamespace + "allow")
            .Select(e => Ipv4Subnet.TryParse(e.Value, out var subnet, out _) ? subnet : (Ipv4Subnet?)null)
            .Where(s => s is not null)
            .Select(s => s!.Value)
            .ToList();
        return new BridgeDefinition(name, plan, mtu, domain, Meta("dockerNetwork"))
        {
            Reservations = reservations,
            DnsHosts = dnsHosts,
            Mode = mode,
            AllowedNetworks = allowed,
            Ipv6Subnet = string.IsNullOrEmpty(Meta("ipv6Subnet")) ? null : Meta("ipv6Subnet"),
        };
    }

    /// <summary>Reads the bridge device and IPv4 subnets of any libvirt network, ours or not.</summary>
    public static (string? Bridge, IReadOnlyList<Ipv4Subnet> Subnets) ReadBridgeAndSubnets(string xml)
    {
        var network = XElement.Parse(xml);
        var bridge = network.Element("bridge")?.Attribute("name")?.Value;
        var subnets = new List<Ipv4Subnet>();
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

            subnets.Add(new Ipv4Subnet(address, ReadPrefixLength(ip, address)));
        }

        return (bridge, subnets);
    }

    /// <summary>
    /// Reads the prefix length of an ip element from its prefix or netmask attribute, or the
    /// classful default libvirt uses when both are missing.
    /// </summary>
    public static int ReadPrefixLength(XElement ip, uint address)
    {
        var prefix = ip.Attribute("prefix")?.Value;
        var netmask = ip.Attribute("netmask")?.Value;
        int length;
        if (prefix is not null && int.TryParse(prefix, NumberStyles.None, CultureInfo.InvariantCulture, out var p))
        {
            length = p;
        }
        else if (netmask is not null && Ipv4Subnet.TryParseAddress(netmask, out var mask))
        {
            length = 32 - System.Numerics.BitOperations.TrailingZeroCount(mask == 0 ? 1UL << 32 : mask);
        }
        else
        {
            // libvirt falls back to the classful prefix (virSocketAddrGetIPPrefix).
            length = (address >> 24) < 128 ? 8 : (address >> 24) < 192 ? 16 : 24;
        }

        return Math.Clamp(length, 0, 32);
    }

    private static XElement ReservationElement(DhcpReservation reservation)
    {
        var host = new XElement("host", new XAttribute("mac", reservation.MacAddress));
        if (!string.IsNullOrEmpty(reservation.Name))
        {
            host.Add(new XAttribute("name", reservation.Name));
        }

        host.Add(new XAttribute("ip", Ipv4Subnet.Format(reservation.Address)));
        return host;
    }
}
