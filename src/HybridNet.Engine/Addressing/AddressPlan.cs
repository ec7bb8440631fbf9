using System;
using System.Collections.Generic;
using System.Linq;

namespace HybridNet.Engine.Addressing;

/// <summary>
/// How one hybrid subnet is shared: the gateway on the bridge, the DHCP pool libvirt's dnsmasq
/// serves to guests, the range Docker's IPAM allocates containers from, and a static range that
/// neither allocator hands out, for addresses given explicitly.
/// </summary>
public sealed record AddressPlan(
    Ipv4Subnet Subnet,
    uint Gateway,
    Ipv4Range VmPool,
    Ipv4Subnet ContainerPool,
    Ipv4Range? StaticRange)
{
    /// <summary>
    /// Shortest prefix accepted. libvirt rejects an IPv4 DHCP range of more than 65535
    /// addresses (virSocketAddrGetRange), and the default VM pool of a /15 would be larger.
    /// </summary>
    public const int MinPrefixLength = 16;

    /// <summary>Longest prefix accepted; /28 is the smallest subnet with room for every pool.</summary>
    public const int MaxPrefixLength = 28;

    /// <summary>
    /// Builds the default plan: the gateway is the first host, the rest of the first quarter is
    /// the static range, the second quarter (a CIDR block, because Docker's --ip-range takes
    /// only CIDR) goes to containers, and the second half to the guests' DHCP pool.
    /// </summary>
    public static AddressPlan CreateDefault(Ipv4Subnet subnet)
    {
        CheckPrefix(subnet);
        var quarter = (uint)(subnet.Size / 4);
        var gateway = subnet.Network + 1;
        var staticRange = new Ipv4Range(subnet.Network + 2, subnet.Network + quarter - 1);
        var containerPool = new Ipv4Subnet(subnet.Network + quarter, subnet.PrefixLength + 2);
        var vmPool = new Ipv4Range(subnet.Network + 2 * quarter, subnet.Broadcast - 1);
        return new AddressPlan(subnet, gateway, vmPool, containerPool, staticRange);
    }

    /// <summary>
    /// Builds a plan from the defaults with any of the parts overridden, then validates it.
    /// When a pool or the gateway is overridden and the static range is not, the static range becomes the
    /// longest run of addresses that no pool and not the gateway covers.
    /// </summary>
    public static AddressPlan Create(
        Ipv4Subnet subnet,
        uint? gateway = null,
        Ipv4Range? vmPool = null,
        Ipv4Subnet? containerPool = null,
        Ipv4Range? staticRange = null)
    {
        var defaults = CreateDefault(subnet);
        var gatewayValue = gateway ?? defaults.Gateway;
        var vm = vmPool ?? defaults.VmPool;
        var containers = containerPool ?? defaults.ContainerPool;
        Ipv4Range? statics = staticRange;
        if (statics is null)
        {
            var poolsChanged = vmPool is not null || containerPool is not null || gateway is not null;
            statics = poolsChanged ? LongestFreeRun(subnet, gatewayValue, vm, containers) : defaults.StaticRange;
        }

        var plan = new AddressPlan(subnet, gatewayValue, vm, containers, statics);
        var problems = plan.Validate();
        if (problems.Count > 0)
        {
            throw new HybridNetException(
                ErrorIds.InvalidAddressPlan,
                FailureKind.InvalidArgument,
                subnet.ToString(),
                Messages.InvalidAddressPlan(subnet.ToString(), problems));
        }

        return plan;
    }

    /// <summary>Lists every reason the plan cannot work; empty when it is valid.</summary>
    public IReadOnlyList<string> Validate()
    {
        var problems = new List<string>();
        if (Subnet.PrefixLength < MinPrefixLength || Subnet.PrefixLength > MaxPrefixLength)
        {
            problems.Add(Messages.PrefixOutOfRange(Subnet.PrefixLength));
            return problems;
        }

        var hosts = new Ipv4Range(Subnet.FirstHost, Subnet.LastHost);
        if (!hosts.Contains(Gateway))
        {
            problems.Add($"the gateway {Ipv4Subnet.Format(Gateway)} is not a host address of {Subnet}");
        }

        if (VmPool.Count <= 0)
        {
            problems.Add("the VM DHCP pool is empty");
        }
        else if (!hosts.Contains(VmPool.First) || !hosts.Contains(VmPool.Last))
        {
            problems.Add($"the VM DHCP pool {VmPool} is not inside the host addresses of {Subnet}");
        }

        if (!Subnet.Contains(ContainerPool) || ContainerPool.PrefixLength == Subnet.PrefixLength)
        {
            problems.Add($"the container pool {ContainerPool} is not a smaller block inside {Subnet}");
        }
        else if (ContainerPool.PrefixLength > 30)
        {
            problems.Add($"the container pool {ContainerPool} is empty; use a block of /30 or larger");
        }

        var containerRange = Ipv4Range.Of(ContainerPool);
        if (VmPool.Count > 0 && VmPool.Overlaps(containerRange))
        {
            problems.Add($"the VM DHCP pool {VmPool} overlaps the container pool {ContainerPool}");
        }

        if (VmPool.Contains(Gateway) || containerRange.Contains(Gateway))
        {
            problems.Add($"the gateway {Ipv4Subnet.Format(Gateway)} lies inside a pool");
        }

        if (StaticRange is { } statics)
        {
            if (statics.Count <= 0 || !hosts.Contains(statics.First) || !hosts.Contains(statics.Last))
            {
                problems.Add($"the static range {statics} is not inside the host addresses of {Subnet}");
            }
            else if (statics.Contains(Gateway))
            {
                problems.Add($"the static range {statics} contains the gateway {Ipv4Subnet.Format(Gateway)}");
            }
            else if (statics.Overlaps(VmPool) || statics.Overlaps(containerRange))
            {
                problems.Add($"the static range {statics} overlaps a pool");
            }
        }

        return problems;
    }

    /// <summary>
    /// Checks an explicitly requested address for a member of the given kind. Returns null when
    /// it may be used, otherwise the reason. An explicit address must not lie in the other
    /// allocator's pool, because that allocator would later hand it out a second time.
    /// </summary>
    public string? CheckExplicitAddress(uint address, EndpointKind kind)
    {
        var text = Ipv4Subnet.Format(address);
        if (!Subnet.Contains(address))
        {
            return Messages.AddressOutsideSubnet(text, Subnet.ToString());
        }

        if (address == Subnet.Network || address == Subnet.Broadcast)
        {
            return $"{text} is the network or broadcast address of {Subnet}";
        }

        if (address == Gateway)
        {
            return $"{text} is the bridge's gateway address";
        }

        if (kind == EndpointKind.VM && Ipv4Range.Of(ContainerPool).Contains(address))
        {
            return $"{text} lies in the container pool {ContainerPool}; pick one in {VmPool} or {StaticRangeText}";
        }

        if (kind == EndpointKind.Container && VmPool.Contains(address))
        {
            return $"{text} lies in the VM DHCP pool {VmPool}; pick one in {ContainerPool} or {StaticRangeText}";
        }

        return null;
    }

    public string StaticRangeText => StaticRange?.ToString() ?? "(no static range)";

    private static void CheckPrefix(Ipv4Subnet subnet)
    {
        if (subnet.PrefixLength < MinPrefixLength || subnet.PrefixLength > MaxPrefixLength)
        {
            throw new HybridNetException(
                ErrorIds.InvalidSubnet,
                FailureKind.InvalidArgument,
                subnet.ToString(),
                Messages.InvalidSubnet(subnet.ToString(), Messages.PrefixOutOfRange(subnet.PrefixLength)));
        }
    }

    private static Ipv4Range? LongestFreeRun(Ipv4Subnet subnet, uint gateway, Ipv4Range vm, Ipv4Subnet containers)
    {
        var taken = new List<Ipv4Range> { vm, Ipv4Range.Of(containers), new(gateway, gateway) }
            .Where(r => r.Count > 0)
            .OrderBy(r => r.First)
            .ToList();
        Ipv4Range? best = null;
        var cursor = subnet.FirstHost;
        foreach (var range in taken.Append(new Ipv4Range(subnet.LastHost + 1, subnet.LastHost + 1)))
        {
            if (range.First > cursor)
            {
                var run = new Ipv4Range(cursor, Math.Min(range.First - 1, subnet.LastHost));
                if (run.Count > 0 && (best is null || run.Count > best.Value.Count))
                {
                    best = run;
                }
            }

            if (range.Last >= cursor)
            {
                cursor = range.Last + 1;
            }
        }

        return best;
    }
}
