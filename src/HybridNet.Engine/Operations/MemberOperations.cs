using System;
using System.Collections.Generic;
using System.Linq;
using System.Threading;
using System.Threading.Tasks;
using HybridNet.Engine.Addressing;
using HybridNet.Engine.Docker;
using HybridNet.Engine.Libvirt;

namespace HybridNet.Engine.Operations;

/// <summary>Finds the VMs and containers on a hybrid bridge and the addresses they hold.</summary>
public sealed class MemberOperations
{
    private readonly EngineContext _context;

    public MemberOperations(EngineContext context)
    {
        _context = context;
    }

    public async Task<IReadOnlyList<EndpointState>> ListAsync(BridgeDefinition bridge, CancellationToken cancellationToken)
    {
        var members = new List<EndpointState>();
        members.AddRange(await ListVmsAsync(bridge, cancellationToken).ConfigureAwait(false));
        members.AddRange(await ListContainersAsync(bridge, cancellationToken).ConfigureAwait(false));
        return members;
    }

    /// <summary>Lists every NIC of every domain (running or shut off) whose source is this network.</summary>
    public async Task<IReadOnlyList<EndpointState>> ListVmsAsync(BridgeDefinition bridge, CancellationToken cancellationToken)
    {
        var endpoints = new List<EndpointState>();
        var leases = LeaseFile.Read(bridge.Name);
        foreach (var name in await _context.Virsh.ListDomainsAsync(cancellationToken).ConfigureAwait(false))
        {
            endpoints.AddRange(await DescribeVmAsync(bridge, name, leases, cancellationToken).ConfigureAwait(false));
        }

        return endpoints;
    }

    /// <summary>Describes the NICs one domain has on the bridge; empty when it has none.</summary>
    public async Task<IReadOnlyList<EndpointState>> DescribeVmAsync(
        BridgeDefinition bridge, string domain, IReadOnlyList<DhcpLease>? leases, CancellationToken cancellationToken)
    {
        var xml = await _context.Virsh.GetDomainXmlAsync(domain, inactive: false, cancellationToken).ConfigureAwait(false);
        if (xml is null)
        {
            return Array.Empty<EndpointState>();
        }

        var info = DomainXml.Parse(xml);
        // Only NICs on the libvirt network count: a type='bridge' NIC on the same device was not
        // attached by HybridNet, gets no reservation and is left to the tool that added it.
        var nics = info.Interfaces.Where(i => i.SourceNetwork == bridge.Name).ToList();
        if (nics.Count == 0)
        {
            return Array.Empty<EndpointState>();
        }

        var state = await _context.Virsh.GetDomainStateAsync(info.Name, cancellationToken).ConfigureAwait(false);
        var running = state.StartsWith("running", StringComparison.Ordinal);
        leases ??= LeaseFile.Read(bridge.Name);
        return nics.Select(nic => new EndpointState(
                EndpointKind.VM,
                info.Name,
                bridge.Name,
                AddressOfMac(bridge, leases, nic.MacAddress),
                nic.MacAddress,
                running ? nic.TargetDevice : null,
                info.Uuid,
                running,
                null,
                info.HasGuestAgentChannel))
            .ToList();
    }

    public async Task<IReadOnlyList<EndpointState>> ListContainersAsync(BridgeDefinition bridge, CancellationToken cancellationToken)
    {
        var network = await _context.Docker.InspectNetworkAsync(bridge.DockerNetwork, cancellationToken).ConfigureAwait(false);
        if (network is null)
        {
            return Array.Empty<EndpointState>();
        }

        var endpoints = new List<EndpointState>();
        foreach (var endpoint in network.Endpoints)
        {
            var container = await _context.Docker.InspectContainerAsync(endpoint.ContainerId, cancellationToken)
                .ConfigureAwait(false);
            if (container is not null)
            {
                endpoints.Add(await DescribeContainerAsync(bridge, container, cancellationToken).ConfigureAwait(false));
            }
        }

        return endpoints;
    }

    /// <summary>
    /// Describes a container's endpoint on the bridge, including the host side of its veth pair,
    /// which is found by reading the peer index of the container's interface from inside its
    /// network namespace.
    /// </summary>
    public async Task<EndpointState> DescribeContainerAsync(
        BridgeDefinition bridge, ContainerInfo container, CancellationToken cancellationToken)
    {
        var attachment = container.Networks.FirstOrDefault(n => n.NetworkName == bridge.DockerNetwork);
        string? hostInterface = null;
        if (container.Running && container.Pid > 0 && attachment?.MacAddress is { } mac)
        {
            hostInterface = HostPeerFromSysfs(container.Pid, mac);
            if (hostInterface is null)
            {
                var inside = await _context.Ip.GetLinksAsync(cancellationToken, container.Pid).ConfigureAwait(false);
                var peerIndex = inside.FirstOrDefault(l => string.Equals(l.MacAddress, mac, StringComparison.OrdinalIgnoreCase))?.PeerIndex;
                if (peerIndex is { } index)
                {
                    var host = await _context.Ip.GetLinksAsync(cancellationToken).ConfigureAwait(false);
                    hostInterface = host.FirstOrDefault(l => l.Index == index)?.Name;
                }
            }
        }

        return new EndpointState(
            EndpointKind.Container,
            container.Name,
            bridge.Name,
            attachment?.IPAddress,
            attachment?.MacAddress,
            hostInterface,
            container.Id,
            container.Running,
            container.Running ? container.Pid : null,
            false)
        {
            IPv6Address = attachment?.IPv6Address,
            HostsPath = container.HostsPath,
        };
    }

    /// <summary>
    /// Returns a description of the holder of an address on the bridge, or null when the address is free. Checks every
    /// source of <see cref="AddressInventory"/>, then probes the segment live, so a host with a
    /// static address that no allocator records is found too.
    /// </summary>
    public async Task<string?> FindHolderAsync(BridgeDefinition bridge, uint address, CancellationToken cancellationToken)
    {
        var inventory = new AddressInventory(_context);
        var records = await inventory.CollectAsync(bridge, cancellationToken).ConfigureAwait(false);
        var record = records.FirstOrDefault(r => r.Address == address);
        if (record is not null)
        {
            var mac = record.MacAddress is null ? string.Empty : $", MAC {record.MacAddress}";
            return $"{record.Kind} '{record.Holder}' ({string.Join(", ", record.Sources)}{mac})";
        }

        var answering = await inventory.ProbeDuplicateAsync(bridge.Name, address, cancellationToken).ConfigureAwait(false);
        return answering is null ? null : $"an unknown host with MAC {answering} that answers ARP on {bridge.Name}";
    }

    /// <summary>Every address the bridge's allocators or members already hold.</summary>
    public async Task<ISet<uint>> CollectUsedAddressesAsync(BridgeDefinition bridge, CancellationToken cancellationToken)
    {
        var used = new HashSet<uint> { bridge.Plan.Gateway };
        used.UnionWith(bridge.Reservations.Select(r => r.Address));
        used.UnionWith(LeaseFile.Read(bridge.Name).Select(l => l.Address));
        var network = await _context.Docker.InspectNetworkAsync(bridge.DockerNetwork, cancellationToken).ConfigureAwait(false);
        foreach (var endpoint in network?.Endpoints ?? Array.Empty<DockerEndpointInfo>())
        {
            if (endpoint.IPv4Cidr is not null && Ipv4Subnet.TryParseAddress(endpoint.IPv4Cidr.Split('/')[0], out var address))
            {
                used.Add(address);
            }
        }

        return used;
    }

    /// <summary>
    /// Finds the host side of a container's veth from sysfs alone: the container's own sysfs
    /// (reached through /proc/&lt;pid&gt;/root, which Docker mounts read-only) gives the peer's
    /// ifindex in iflink, and the host's sysfs maps that index to a name. Returns null when the
    /// container has no sysfs, and the caller asks `ip` inside the namespace instead.
    /// </summary>
    private static string? HostPeerFromSysfs(int pid, string mac)
    {
        try
        {
            var inside = $"/proc/{pid}/root/sys/class/net";
            if (!System.IO.Directory.Exists(inside))
            {
                return null;
            }

            foreach (var device in System.IO.Directory.EnumerateDirectories(inside))
            {
                var address = System.IO.File.ReadAllText(System.IO.Path.Combine(device, "address")).Trim();
                if (!string.Equals(address, mac, StringComparison.OrdinalIgnoreCase))
                {
                    continue;
                }

                var peer = System.IO.File.ReadAllText(System.IO.Path.Combine(device, "iflink")).Trim();
                foreach (var hostDevice in System.IO.Directory.EnumerateDirectories("/sys/class/net"))
                {
                    var indexPath = System.IO.Path.Combine(hostDevice, "ifindex");
                    if (System.IO.File.Exists(indexPath) && System.IO.File.ReadAllText(indexPath).Trim() == peer)
                    {
                        return System.IO.Path.GetFileName(hostDevice);
                    }
                }
            }
        }
        catch (Exception ex) when (ex is System.IO.IOException or UnauthorizedAccessException)
        {
            return null;
        }

        return null;
    }

    private static string? AddressOfMac(BridgeDefinition bridge, IReadOnlyList<DhcpLease> leases, string? mac)
    {
        if (mac is null)
        {
            return null;
        }

        var reservation = bridge.Reservations.FirstOrDefault(r => r.MacAddress == mac);
        if (reservation is not null)
        {
            return Ipv4Subnet.Format(reservation.Address);
        }

        var lease = leases.Where(l => l.MacAddress == mac).OrderByDescending(l => l.ExpiryTime).FirstOrDefault();
        return lease is null ? null : Ipv4Subnet.Format(lease.Address);
    }
}
