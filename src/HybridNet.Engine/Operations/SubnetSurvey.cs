using System;
using System.Collections.Generic;
using System.Linq;
using System.Threading;
using System.Threading.Tasks;
using HybridNet.Engine.Addressing;
using HybridNet.Engine.Libvirt;

namespace HybridNet.Engine.Operations;

/// <summary>A subnet something on the host already uses, and who.</summary>
public sealed record OccupiedSubnet(Ipv4Subnet Subnet, string Owner, string? Device)
{
    public string Describe() => Device is null ? $"{Owner} ({Subnet})" : $"{Owner} ({Subnet} on {Device})";
}

/// <summary>
/// Collects every IPv4 subnet in use on the host: routes, interface addresses, Docker networks
/// and libvirt networks, inactive ones included, because an inactive network claims its subnet
/// the moment it starts.
/// </summary>
public static class SubnetSurvey
{
    public static async Task<IReadOnlyList<OccupiedSubnet>> CollectAsync(EngineContext context, CancellationToken cancellationToken)
    {
        var occupied = new List<OccupiedSubnet>();
        foreach (var (destination, device) in await context.Ip.GetRoutesAsync(cancellationToken).ConfigureAwait(false))
        {
            if (destination == "default")
            {
                continue;
            }

            var text = destination.Contains('/', StringComparison.Ordinal) ? destination : destination + "/32";
            if (Ipv4Subnet.TryParse(text, out var subnet, out _) || TryParseLoose(text, out subnet))
            {
                occupied.Add(new OccupiedSubnet(subnet, $"a route to {destination}", device));
            }
        }

        foreach (var link in await context.Ip.GetLinksAsync(cancellationToken).ConfigureAwait(false))
        {
            foreach (var cidr in link.IPv4Cidrs)
            {
                if (TryParseLoose(cidr, out var subnet) && !subnet.Contains(Ipv4Subnet.Parse("127.0.0.0/8").Network))
                {
                    occupied.Add(new OccupiedSubnet(subnet, $"the address {cidr} of interface {link.Name}", link.Name));
                }
            }
        }

        foreach (var network in await context.Docker.ListNetworksAsync(cancellationToken).ConfigureAwait(false))
        {
            if (network.Subnet is not null && TryParseLoose(network.Subnet, out var subnet))
            {
                occupied.Add(new OccupiedSubnet(subnet, $"Docker network '{network.Name}'", network.BridgeName));
            }
        }

        var active = await context.Virsh.ListNetworksAsync(includeInactive: false, cancellationToken).ConfigureAwait(false);
        foreach (var name in await context.Virsh.ListNetworksAsync(includeInactive: true, cancellationToken).ConfigureAwait(false))
        {
            var xml = await context.Virsh.GetNetworkXmlAsync(name, inactive: true, cancellationToken).ConfigureAwait(false);
            if (xml is null)
            {
                continue;
            }

            var (bridge, subnets) = NetworkXml.ReadBridgeAndSubnets(xml);
            var state = active.Contains(name) ? "active" : "inactive";
            foreach (var subnet in subnets)
            {
                occupied.Add(new OccupiedSubnet(subnet, $"{state} libvirt network '{name}'", bridge));
            }

            if (subnets.Count == 0 && bridge is not null)
            {
                occupied.Add(new OccupiedSubnet(new Ipv4Subnet(0, 32), $"{state} libvirt network '{name}'", bridge));
            }
        }

        return occupied;
    }

    /// <summary>Returns the first block of the given prefix length in the pools that overlaps nothing.</summary>
    public static Ipv4Subnet? PickFree(IReadOnlyList<Ipv4Subnet> pools, int prefixLength, IReadOnlyList<OccupiedSubnet> occupied)
    {
        foreach (var pool in pools)
        {
            if (prefixLength < pool.PrefixLength)
            {
                continue;
            }

            var step = 1L << (32 - prefixLength);
            for (long network = pool.Network; network <= pool.Broadcast; network += step)
            {
                var candidate = new Ipv4Subnet((uint)network, prefixLength);
                if (!occupied.Any(o => o.Subnet.PrefixLength > 0 && o.Subnet.Overlaps(candidate)))
                {
                    return candidate;
                }
            }
        }

        return null;
    }

    /// <summary>Parses a CIDR whose host bits may be set (an interface address), returning its network.</summary>
    public static bool TryParseLoose(string text, out Ipv4Subnet subnet)
    {
        subnet = default;
        var parts = text.Split('/');
        if (parts.Length != 2 || !Ipv4Subnet.TryParseAddress(parts[0], out var address)
            || !int.TryParse(parts[1], out var prefix) || prefix is < 0 or > 32)
        {
            return false;
        }

        subnet = new Ipv4Subnet(address, prefix);
        return true;
    }
}
