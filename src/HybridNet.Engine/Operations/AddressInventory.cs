using System;
using System.Collections.Generic;
using System.Linq;
using System.Text.Json;
using System.Threading;
using System.Threading.Tasks;
using HybridNet.Engine.Addressing;
using HybridNet.Engine.Libvirt;

namespace HybridNet.Engine.Operations;

/// <summary>
/// Builds the one view of every address in use on a bridge, from the bridge's own address,
/// libvirt's DHCP reservations, dnsmasq's leases, Docker's endpoints and the kernel's neighbour
/// table. Two sources that disagree about an address (different MACs) mark it as a conflict.
/// </summary>
public sealed class AddressInventory
{
    private readonly EngineContext _context;

    public AddressInventory(EngineContext context)
    {
        _context = context;
    }

    /// <summary>One fact from one source, before merging.</summary>
    public sealed record Fact(uint Address, string Holder, AddressHolderKind Kind, string? MacAddress, AddressSource Source);

    public async Task<IReadOnlyList<AddressRecord>> CollectAsync(BridgeDefinition bridge, CancellationToken cancellationToken)
    {
        var facts = new List<Fact>();
        var link = await _context.Ip.GetLinkAsync(bridge.Name, cancellationToken).ConfigureAwait(false);
        foreach (var cidr in link?.IPv4Cidrs ?? Array.Empty<string>())
        {
            if (Ipv4Subnet.TryParseAddress(cidr.Split('/')[0], out var address))
            {
                facts.Add(new Fact(address, $"host (bridge {bridge.Name})", AddressHolderKind.Host, link!.MacAddress, AddressSource.BridgeAddress));
            }
        }

        var vmNames = new Dictionary<string, string>(StringComparer.OrdinalIgnoreCase);
        foreach (var vm in await new MemberOperations(_context).ListVmsAsync(bridge, cancellationToken).ConfigureAwait(false))
        {
            if (vm.MacAddress is not null)
            {
                vmNames[vm.MacAddress] = vm.Name;
            }
        }

        foreach (var reservation in bridge.Reservations)
        {
            var holder = vmNames.GetValueOrDefault(reservation.MacAddress) ?? reservation.Name ?? "unattached reservation";
            facts.Add(new Fact(reservation.Address, holder, AddressHolderKind.VM, reservation.MacAddress, AddressSource.DhcpReservation));
        }

        var now = DateTimeOffset.UtcNow.ToUnixTimeSeconds();
        foreach (var lease in LeaseFile.Read(bridge.Name).Where(l => l.ExpiryTime == 0 || l.ExpiryTime > now))
        {
            var holder = vmNames.GetValueOrDefault(lease.MacAddress) ?? lease.HostName ?? "unknown DHCP client";
            var kind = vmNames.ContainsKey(lease.MacAddress) ? AddressHolderKind.VM : AddressHolderKind.Unknown;
            facts.Add(new Fact(lease.Address, holder, kind, lease.MacAddress, AddressSource.DnsmasqLease));
        }

        var network = await _context.Docker.InspectNetworkAsync(bridge.DockerNetwork, cancellationToken).ConfigureAwait(false);
        foreach (var endpoint in network?.Endpoints ?? Array.Empty<Docker.DockerEndpointInfo>())
        {
            if (endpoint.IPv4Cidr is not null && Ipv4Subnet.TryParseAddress(endpoint.IPv4Cidr.Split('/')[0], out var address))
            {
                facts.Add(new Fact(address, endpoint.ContainerName, AddressHolderKind.Container, endpoint.MacAddress, AddressSource.DockerEndpoint));
            }
        }

        foreach (var (address, mac) in await ReadNeighboursAsync(bridge.Name, cancellationToken).ConfigureAwait(false))
        {
            facts.Add(new Fact(address, "host on the segment", AddressHolderKind.Unknown, mac, AddressSource.NeighbourTable));
        }

        return Merge(facts);
    }

    /// <summary>
    /// Merges facts per address. The holder comes from the most specific source (a Docker
    /// endpoint or a reservation names the member; the neighbour table only has a MAC).
    /// </summary>
    public static IReadOnlyList<AddressRecord> Merge(IEnumerable<Fact> facts)
    {
        var records = new List<AddressRecord>();
        foreach (var group in facts.GroupBy(f => f.Address).OrderBy(g => g.Key))
        {
            var best = group.OrderBy(f => f.Kind == AddressHolderKind.Unknown ? 1 : 0).ThenBy(f => (int)f.Source).First();
            var macs = group.Select(f => f.MacAddress).Where(m => !string.IsNullOrEmpty(m))
                .Select(m => m!.ToLowerInvariant()).Distinct().ToList();
            var conflict = macs.Count > 1;
            records.Add(new AddressRecord(
                group.Key,
                best.Holder,
                best.Kind,
                best.MacAddress?.ToLowerInvariant() ?? macs.FirstOrDefault(),
                group.Select(f => f.Source).Distinct().OrderBy(s => s).ToList(),
                conflict,
                conflict ? $"{macs.Count} MAC addresses claim it: {string.Join(", ", macs)}" : null));
        }

        return records;
    }

    /// <summary>
    /// Checks whether anything responds for an address on the bridge right now: one ICMP echo
    /// from the host makes the kernel resolve the address by ARP, and an entry with a link-layer
    /// address in the neighbour table afterwards means a host holds it, even one whose firewall
    /// drops the echo.
    /// </summary>
    public async Task<string?> ProbeDuplicateAsync(string device, uint address, CancellationToken cancellationToken)
    {
        var text = Ipv4Subnet.Format(address);
        await Task.Run(() => Probing.IcmpEcho.Send(System.Net.IPAddress.Parse(text), 300), cancellationToken).ConfigureAwait(false);
        var neighbours = await ReadNeighboursAsync(device, cancellationToken).ConfigureAwait(false);
        var match = neighbours.FirstOrDefault(n => n.Address == address);
        return match.Mac is null ? null : match.Mac;
    }

    private async Task<IReadOnlyList<(uint Address, string Mac)>> ReadNeighboursAsync(string device, CancellationToken cancellationToken)
    {
        var result = await _context.Runner.RunAsync(
                "ip", new[] { "-j", "-4", "neigh", "show", "dev", device }, _context.Settings.Timeout, cancellationToken)
            .ConfigureAwait(false);
        var entries = new List<(uint, string)>();
        if (!result.Succeeded || string.IsNullOrWhiteSpace(result.StandardOutput))
        {
            return entries;
        }

        using var document = JsonDocument.Parse(result.StandardOutput);
        foreach (var entry in document.RootElement.EnumerateArray())
        {
            var state = entry.TryGetProperty("state", out var states) ? states.ToString() : string.Empty;
            if (entry.TryGetProperty("dst", out var dst) && Ipv4Subnet.TryParseAddress(dst.GetString(), out var address)
                && entry.TryGetProperty("lladdr", out var mac) && mac.GetString() is { } macText
                && !state.Contains("FAILED", StringComparison.Ordinal)
                && !state.Contains("INCOMPLETE", StringComparison.Ordinal))
            {
                entries.Add((address, macText.ToLowerInvariant()));
            }
        }

        return entries;
    }
}
