using System;
using System.Collections.Generic;
using System.Linq;
using HybridNet.Engine.Addressing;

namespace HybridNet.Engine.Operations;

/// <summary>
/// Derives the survey's findings from the classified networks and the host's links and routes.
/// Every finding rests on configuration the survey read, and none is a guess about traffic.
/// </summary>
internal static class HostSurveyFindings
{
    private static readonly Ipv4Subnet Loopback = Ipv4Subnet.Parse("127.0.0.0/8");

    public static IReadOnlyList<HostFinding> Find(HostSurveyInput input, IReadOnlyList<NetworkDraft> networks)
    {
        var findings = new List<HostFinding>();
        FindBridgesClaimedTwice(networks, findings);
        FindMissingBridges(networks, findings);
        FindOverlapsBetweenNetworks(networks, findings);
        FindOverlapsWithHost(input, networks, findings);
        FindMissingPaths(input, networks, findings);
        return findings
            .OrderByDescending(f => f.Severity)
            .ThenBy(f => f.Kind)
            .ThenBy(f => f.Message, StringComparer.Ordinal)
            .ToList();
    }

    private static void FindBridgesClaimedTwice(IReadOnlyList<NetworkDraft> networks, List<HostFinding> findings)
    {
        foreach (var group in networks.Where(n => n.BridgeDevice is not null).GroupBy(n => n.BridgeDevice!, StringComparer.Ordinal))
        {
            var claims = group.ToList();
            foreach (var (first, second) in Pairs(claims))
            {
                // A libvirt network in forward mode 'bridge' is meant to use a bridge made elsewhere.
                var severity = first.UsesExistingBridge || second.UsesExistingBridge
                    ? HostFindingSeverity.Warning
                    : HostFindingSeverity.Error;
                findings.Add(Create(severity, HostFindingKind.BridgeClaimedTwice,
                    Messages.BridgeClaimedTwice(group.Key, first.Describe(), second.Describe()), first, second));
            }
        }
    }

    private static void FindMissingBridges(IReadOnlyList<NetworkDraft> networks, List<HostFinding> findings)
    {
        foreach (var network in networks)
        {
            if (network.ExpectsBridge && network.BridgeDevice is not null && network.State == HostNetworkState.Absent)
            {
                findings.Add(Create(HostFindingSeverity.Warning, HostFindingKind.BridgeMissing,
                    Messages.BridgeMissing(network.Describe(), network.BridgeDevice), network));
            }
        }
    }

    private static void FindOverlapsBetweenNetworks(IReadOnlyList<NetworkDraft> networks, List<HostFinding> findings)
    {
        foreach (var (first, second) in Pairs(networks))
        {
            // Two networks on one device are already a BridgeClaimedTwice finding.
            if (first.BridgeDevice is not null && first.BridgeDevice == second.BridgeDevice)
            {
                continue;
            }

            var bothPresent = first.State != HostNetworkState.Absent && second.State != HostNetworkState.Absent;
            foreach (var firstSubnet in first.Subnets)
            {
                foreach (var secondSubnet in second.Subnets.Where(s => s.Overlaps(firstSubnet)))
                {
                    findings.Add(Create(
                        bothPresent ? HostFindingSeverity.Error : HostFindingSeverity.Warning,
                        HostFindingKind.SubnetOverlap,
                        Messages.SubnetsOverlap(firstSubnet.ToString(), first.Describe(), secondSubnet.ToString(), second.Describe(), bothPresent),
                        first,
                        second));
                }
            }
        }
    }

    /// <summary>
    /// Reports subnets that overlap an interface address or a route of the host. A network's own
    /// bridge address and route never count against it. Neither do addresses and routes on
    /// another network's bridge inside that network's subnets, because the overlap between the
    /// two networks is reported already.
    /// </summary>
    private static void FindOverlapsWithHost(HostSurveyInput input, IReadOnlyList<NetworkDraft> networks, List<HostFinding> findings)
    {
        var subnetsByDevice = networks
            .Where(n => n.BridgeDevice is not null)
            .GroupBy(n => n.BridgeDevice!, StringComparer.Ordinal)
            .ToDictionary(g => g.Key, g => g.SelectMany(n => n.Subnets).ToList(), StringComparer.Ordinal);
        bool CoveredByNetwork(string? device, Ipv4Subnet subnet) =>
            device is not null && subnetsByDevice.TryGetValue(device, out var owned) && owned.Any(o => o.Contains(subnet));

        var addresses = new List<(string Cidr, string Device, Ipv4Subnet Subnet)>();
        foreach (var link in input.Links)
        {
            foreach (var cidr in link.IPv4Cidrs)
            {
                if (SubnetSurvey.TryParseLoose(cidr, out var subnet) && !Loopback.Contains(subnet.Network)
                    && !CoveredByNetwork(link.Name, subnet))
                {
                    addresses.Add((cidr, link.Name, subnet));
                }
            }
        }

        var routes = new List<(HostRoute Route, Ipv4Subnet Subnet)>();
        foreach (var route in input.Routes ?? Array.Empty<HostRoute>())
        {
            if (!TryParseRoute(route.Destination, out var subnet) || CoveredByNetwork(route.Device, subnet))
            {
                continue;
            }

            // The kernel's route for an interface address repeats that address's finding.
            var isAddressRoute = input.Links.Any(l => l.Name == route.Device
                && l.IPv4Cidrs.Any(c => SubnetSurvey.TryParseLoose(c, out var own) && own == subnet));
            if (!isAddressRoute)
            {
                routes.Add((route, subnet));
            }
        }

        foreach (var network in networks)
        {
            var severity = network.State == HostNetworkState.Absent ? HostFindingSeverity.Warning : HostFindingSeverity.Error;
            foreach (var subnet in network.Subnets)
            {
                foreach (var address in addresses.Where(a => a.Device != network.BridgeDevice && a.Subnet.Overlaps(subnet)))
                {
                    findings.Add(Create(severity, HostFindingKind.SubnetOverlap,
                        Messages.SubnetOverlapsAddress(subnet.ToString(), network.Describe(), address.Cidr, address.Device), network));
                }

                foreach (var route in routes.Where(r => r.Route.Device != network.BridgeDevice && r.Subnet.Overlaps(subnet)))
                {
                    findings.Add(Create(severity, HostFindingKind.SubnetOverlap,
                        Messages.SubnetOverlapsRoute(subnet.ToString(), network.Describe(), route.Route.Destination, route.Route.Device), network));
                }
            }
        }
    }

    /// <summary>
    /// Reports pairs of networks on different, existing bridges between which the host forwards
    /// nothing, with every reason found in their configuration.
    /// </summary>
    private static void FindMissingPaths(HostSurveyInput input, IReadOnlyList<NetworkDraft> networks, List<HostFinding> findings)
    {
        var candidates = networks
            .Where(n => n.BridgeDevice is not null && n.Subnets.Count > 0 && n.State != HostNetworkState.Absent)
            .ToList();
        foreach (var (first, second) in Pairs(candidates))
        {
            if (first.BridgeDevice == second.BridgeDevice)
            {
                continue;
            }

            var reasons = new List<string>();
            foreach (var side in new[] { first, second })
            {
                if (side.LibvirtIsolated)
                {
                    reasons.Add(Messages.NoPathLibvirtIsolated(side.Describe(), side.BridgeDevice!));
                }

                if (side.DockerInternal)
                {
                    reasons.Add(Messages.NoPathDockerInternal(side.Describe(), side.BridgeDevice!));
                }
            }

            if (first.HasDockerBridgeNetwork && second.HasDockerBridgeNetwork && input.DockerIsolatesBridges == true)
            {
                reasons.Add(Messages.NoPathDockerIsolation);
            }

            foreach (var side in new[] { first, second })
            {
                if (input.Forwarding.TryGetValue(side.BridgeDevice!, out var forwarding) && !forwarding)
                {
                    reasons.Add(Messages.NoPathForwardingOff(side.BridgeDevice!));
                }

                if (input.Routes is not null && !HasRoute(input.Routes, side))
                {
                    reasons.Add(Messages.NoPathNoRoute(side.Describe(), side.BridgeDevice!));
                }
            }

            if (reasons.Count > 0)
            {
                findings.Add(Create(HostFindingSeverity.Warning, HostFindingKind.NoPath,
                    Messages.NoPath(first.Describe(), second.Describe(), reasons), first, second));
            }
        }
    }

    private static bool HasRoute(IReadOnlyList<HostRoute> routes, NetworkDraft network) =>
        routes.Any(r => r.Device == network.BridgeDevice
            && TryParseRoute(r.Destination, out var destination)
            && network.Subnets.Any(s => s.Overlaps(destination)));

    /// <summary>Parses a route destination, to which `ip -j route` adds no "/32" for a host route.</summary>
    private static bool TryParseRoute(string destination, out Ipv4Subnet subnet)
    {
        subnet = default;
        if (destination == "default")
        {
            return false;
        }

        var text = destination.Contains('/', StringComparison.Ordinal) ? destination : destination + "/32";
        return SubnetSurvey.TryParseLoose(text, out subnet);
    }

    private static IEnumerable<(NetworkDraft First, NetworkDraft Second)> Pairs(IReadOnlyList<NetworkDraft> networks)
    {
        for (var i = 0; i < networks.Count; i++)
        {
            for (var j = i + 1; j < networks.Count; j++)
            {
                yield return (networks[i], networks[j]);
            }
        }
    }

    private static HostFinding Create(HostFindingSeverity severity, HostFindingKind kind, string message, params NetworkDraft[] networks) =>
        new(severity, kind, message, networks.Select(n => n.Id).ToList(), networks.Select(n => n.Name).ToList());
}
