using System;
using System.Collections.Generic;
using System.Linq;
using HybridNet.Engine.Addressing;
using HybridNet.Engine.Docker;
using HybridNet.Engine.Host;
using HybridNet.Engine.Libvirt;

namespace HybridNet.Engine.Operations;

/// <summary>
/// Builds the host survey from inputs that are already read: classifies every bridge and virtual
/// network by its manager, merges the libvirt and Docker halves of a HybridNet bridge into one
/// network, attaches VMs and containers, and derives the findings. It reads nothing itself.
/// </summary>
public static class HostSurveyAnalyzer
{
    private const string DockerMasqueradeOption = "com.docker.network.bridge.enable_ip_masquerade";

    public static HostSurveyResult Analyze(HostSurveyInput input)
    {
        var links = new Dictionary<string, LinkInfo>(StringComparer.Ordinal);
        foreach (var link in input.Links)
        {
            links.TryAdd(link.Name, link);
        }

        var drafts = new List<NetworkDraft>();
        AddLibvirtNetworks(input, drafts);
        AddDockerNetworks(input, drafts);
        AddLinkBridges(input, drafts);
        foreach (var draft in drafts)
        {
            draft.State = StateOf(draft, links);
            if (draft.BridgeDevice is null || !links.TryGetValue(draft.BridgeDevice, out var link))
            {
                continue;
            }

            // A libvirt network in forward mode 'bridge' has no ip element, so the addresses of
            // the bridge it uses are its subnets.
            if (draft.UsesExistingBridge && draft.Subnets.Count == 0)
            {
                AddAddressSubnets(draft, link);
            }

            // Docker 20.10 leaves the gateway out of the IPAM configuration of its default
            // network, so the bridge's address in the subnet is used instead.
            draft.Gateway ??= BridgeAddressIn(link, draft.Subnets);
        }

        AttachVms(input, drafts);
        var findings = HostSurveyFindings.Find(input, drafts);
        var networks = drafts
            .OrderBy(d => d.Owner)
            .ThenBy(d => d.Name, StringComparer.Ordinal)
            .Select(d => d.ToNetwork(findings.Where(f => f.NetworkIds.Contains(d.Id)).ToList()))
            .ToList();
        return new HostSurveyResult(networks, findings);
    }

    /// <summary>
    /// Returns the Linux bridge of a Docker network of the bridge driver, or null for other drivers.
    /// Docker names it after the option com.docker.network.bridge.name, else docker0 for its
    /// default network "bridge", else "br-" and the first 12 characters of the network id.
    /// </summary>
    public static string? DockerBridgeDevice(DockerNetworkInfo network)
    {
        if (network.Driver != "bridge")
        {
            return null;
        }

        if (!string.IsNullOrEmpty(network.BridgeName))
        {
            return network.BridgeName;
        }

        return network.Name == "bridge" ? "docker0" : "br-" + network.Id[..Math.Min(12, network.Id.Length)];
    }

    /// <summary>True for the device names LXD and Incus give their default bridges (lxdbr0, incusbr0, ...).</summary>
    public static bool HasLxdIncusBridgeName(string device) =>
        device.StartsWith("lxdbr", StringComparison.Ordinal) || device.StartsWith("incusbr", StringComparison.Ordinal);

    private static void AddLibvirtNetworks(HostSurveyInput input, List<NetworkDraft> drafts)
    {
        foreach (var network in input.LibvirtNetworks ?? Array.Empty<LibvirtNetworkInfo>())
        {
            var owner = network.ManagedByHybridNet ? HostNetworkOwner.HybridNet
                : network.Active ? HostNetworkOwner.LibvirtActive
                : HostNetworkOwner.LibvirtInactive;
            var draft = new NetworkDraft("libvirt:" + network.Name, network.Name, owner, network.Bridge)
            {
                Gateway = network.Ipv4.Count > 0 ? Ipv4Subnet.Format(network.Ipv4[0].Address) : null,
                Forward = network.ForwardMode ?? "isolated",
                LibvirtName = network.Name,
                LibvirtActive = network.Active,
                LibvirtIsolated = network.Isolated,
                UsesExistingBridge = network.ForwardMode == "bridge",
                Reservations = network.Reservations,
                HybridNetDockerNetwork = network.ManagedByHybridNet ? network.HybridNetDockerNetwork ?? network.Name : null,
            };
            foreach (var ip in network.Ipv4)
            {
                draft.Subnets.Add(ip.Subnet);
                draft.DhcpRanges.AddRange(ip.DhcpRanges);
            }

            drafts.Add(draft);
        }
    }

    private static void AddDockerNetworks(HostSurveyInput input, List<NetworkDraft> drafts)
    {
        var hybridByDockerName = drafts
            .Where(d => d.HybridNetDockerNetwork is not null)
            .GroupBy(d => d.HybridNetDockerNetwork!, StringComparer.Ordinal)
            .ToDictionary(g => g.Key, g => g.First(), StringComparer.Ordinal);

        foreach (var network in input.DockerNetworks ?? Array.Empty<DockerNetworkInfo>())
        {
            var device = DockerBridgeDevice(network);
            if (device is null)
            {
                continue;
            }

            var containers = network.Endpoints
                .Select(e => new HostMember(EndpointKind.Container, e.ContainerName, null, e.MacAddress, AddressOnly(e.IPv4Cidr)))
                .OrderBy(m => m.Name, StringComparer.Ordinal);

            // A HybridNet bridge's own Docker network is the second half of that bridge, not a
            // second network: same name as in the bridge's metadata, laid over the same device.
            if (hybridByDockerName.TryGetValue(network.Name, out var hybrid) && hybrid.BridgeDevice == device)
            {
                hybrid.Containers.AddRange(containers);
                hybrid.HasDockerBridgeNetwork = true;
                hybrid.DockerInternal |= network.Internal;
                continue;
            }

            var draft = new NetworkDraft("docker:" + network.Id, network.Name, HostNetworkOwner.Docker, device)
            {
                Gateway = network.Gateway,
                Forward = network.Internal ? "internal"
                    : network.Options.TryGetValue(DockerMasqueradeOption, out var masquerade) && masquerade == "false" ? "route"
                    : "nat",
                HasDockerBridgeNetwork = true,
                DockerInternal = network.Internal,
                DockerRunning = true,
            };
            var subnets = network.Subnets.Count > 0 ? network.Subnets
                : network.Subnet is null ? Array.Empty<string>()
                : new[] { network.Subnet };
            foreach (var text in subnets)
            {
                if (SubnetSurvey.TryParseLoose(text, out var subnet))
                {
                    draft.Subnets.Add(subnet);
                }
            }

            draft.Containers.AddRange(containers);
            drafts.Add(draft);
        }
    }

    /// <summary>
    /// Adds every bridge device no libvirt or Docker network claims, as LXD/Incus or Unmanaged.
    /// A device with an LXD or Incus network directory is added even when claimed, so that the
    /// double claim becomes a finding.
    /// </summary>
    private static void AddLinkBridges(HostSurveyInput input, List<NetworkDraft> drafts)
    {
        var claimed = drafts
            .Where(d => d.BridgeDevice is not null)
            .Select(d => d.BridgeDevice!)
            .ToHashSet(StringComparer.Ordinal);
        foreach (var link in input.Links.Where(l => l.Kind == "bridge"))
        {
            var hasMarker = input.LxdIncusBridges.Contains(link.Name);
            if (claimed.Contains(link.Name) && !hasMarker)
            {
                continue;
            }

            var owner = hasMarker || HasLxdIncusBridgeName(link.Name) ? HostNetworkOwner.LxdIncus : HostNetworkOwner.Unmanaged;
            var draft = new NetworkDraft("link:" + link.Name, link.Name, owner, link.Name);
            AddAddressSubnets(draft, link);
            drafts.Add(draft);
        }
    }

    /// <summary>Adds the subnet of each IPv4 address of the link, and takes the first address as gateway.</summary>
    private static void AddAddressSubnets(NetworkDraft draft, LinkInfo link)
    {
        foreach (var cidr in link.IPv4Cidrs)
        {
            if (SubnetSurvey.TryParseLoose(cidr, out var subnet) && !draft.Subnets.Contains(subnet))
            {
                draft.Subnets.Add(subnet);
                draft.Gateway ??= AddressOnly(cidr);
            }
        }
    }

    private static HostNetworkState StateOf(NetworkDraft draft, IReadOnlyDictionary<string, LinkInfo> links)
    {
        if (draft.BridgeDevice is null)
        {
            // libvirt forward modes such as passthrough or hostdev have no bridge to look at.
            return draft.LibvirtActive ? HostNetworkState.Up : HostNetworkState.Absent;
        }

        if (!links.TryGetValue(draft.BridgeDevice, out var link))
        {
            return HostNetworkState.Absent;
        }

        return link.Flags.Contains("UP") ? HostNetworkState.Up : HostNetworkState.Down;
    }

    /// <summary>
    /// Attaches every NIC of every domain to the network it names: a type='network' NIC by the
    /// libvirt network's name, a type='bridge' NIC to each network on that bridge device.
    /// </summary>
    private static void AttachVms(HostSurveyInput input, List<NetworkDraft> drafts)
    {
        var byLibvirtName = drafts
            .Where(d => d.LibvirtName is not null)
            .ToDictionary(d => d.LibvirtName!, StringComparer.Ordinal);
        foreach (var domain in input.Domains)
        {
            foreach (var nic in domain.Interfaces)
            {
                IEnumerable<NetworkDraft> targets;
                if (nic.SourceNetwork is not null && byLibvirtName.TryGetValue(nic.SourceNetwork, out var named))
                {
                    targets = new[] { named };
                }
                else if (nic.SourceBridge is not null)
                {
                    targets = drafts.Where(d => d.BridgeDevice == nic.SourceBridge);
                }
                else
                {
                    continue;
                }

                foreach (var target in targets)
                {
                    var address = FindVmAddress(input, target, nic.MacAddress);
                    target.Vms.Add(new HostMember(EndpointKind.VM, domain.Name, domain.State, nic.MacAddress, address));
                }
            }
        }

        foreach (var draft in drafts)
        {
            draft.Vms.Sort((a, b) => string.CompareOrdinal(a.Name, b.Name));
        }
    }

    /// <summary>
    /// Returns the address of the newest unexpired dnsmasq lease for the MAC address on the
    /// network's bridge, else the address of its DHCP reservation, else null.
    /// </summary>
    private static string? FindVmAddress(HostSurveyInput input, NetworkDraft network, string? macAddress)
    {
        if (macAddress is null)
        {
            return null;
        }

        if (network.BridgeDevice is not null && input.Leases.TryGetValue(network.BridgeDevice, out var leases))
        {
            // dnsmasq writes expiry-time 0 for an infinite lease.
            var lease = leases
                .Where(l => l.MacAddress == macAddress && (l.ExpiryTime == 0 || l.ExpiryTime > input.Now))
                .OrderByDescending(l => l.ExpiryTime == 0 ? long.MaxValue : l.ExpiryTime)
                .FirstOrDefault();
            if (lease is not null)
            {
                return Ipv4Subnet.Format(lease.Address);
            }
        }

        var reservation = network.Reservations.FirstOrDefault(r => r.MacAddress == macAddress);
        return reservation is null ? null : Ipv4Subnet.Format(reservation.Address);
    }

    private static string? BridgeAddressIn(LinkInfo link, IReadOnlyList<Ipv4Subnet> subnets)
    {
        foreach (var cidr in link.IPv4Cidrs)
        {
            if (Ipv4Subnet.TryParseAddress(AddressOnly(cidr), out var address) && subnets.Any(s => s.Contains(address)))
            {
                return AddressOnly(cidr);
            }
        }

        return null;
    }

    private static string? AddressOnly(string? cidr) =>
        string.IsNullOrEmpty(cidr) ? null : cidr.Split('/')[0];
}

/// <summary>A network while the survey is being built, with the facts the findings need.</summary>
internal sealed class NetworkDraft
{
    public NetworkDraft(string id, string name, HostNetworkOwner owner, string? bridgeDevice)
    {
        Id = id;
        Name = name;
        Owner = owner;
        BridgeDevice = bridgeDevice;
    }

    public string Id { get; }

    public string Name { get; }

    public HostNetworkOwner Owner { get; }

    public string? BridgeDevice { get; }

    public List<Ipv4Subnet> Subnets { get; } = new();

    public string? Gateway { get; set; }

    public List<Ipv4Range> DhcpRanges { get; } = new();

    public HostNetworkState State { get; set; }

    public string? Forward { get; set; }

    public List<HostMember> Vms { get; } = new();

    public List<HostMember> Containers { get; } = new();

    public string? LibvirtName { get; init; }

    public bool LibvirtActive { get; init; }

    /// <summary>A libvirt network without a forward element, so libvirt rejects forwarded traffic.</summary>
    public bool LibvirtIsolated { get; init; }

    /// <summary>A libvirt network of forward mode 'bridge', which uses a bridge someone else made.</summary>
    public bool UsesExistingBridge { get; init; }

    public IReadOnlyList<DhcpReservation> Reservations { get; init; } = Array.Empty<DhcpReservation>();

    /// <summary>For a HybridNet bridge, the name of its Docker network from the metadata.</summary>
    public string? HybridNetDockerNetwork { get; init; }

    /// <summary>A Docker bridge network is laid over the device (for HybridNet, once it is merged).</summary>
    public bool HasDockerBridgeNetwork { get; set; }

    public bool DockerInternal { get; set; }

    /// <summary>A Docker network, which exists for as long as Docker reports it.</summary>
    public bool DockerRunning { get; init; }

    /// <summary>True when the manager reports the network as running, so its bridge device should exist.</summary>
    public bool ExpectsBridge => LibvirtActive || DockerRunning;

    public string Describe() => Messages.HostNetworkParty(Owner, Name);

    public HostNetwork ToNetwork(IReadOnlyList<HostFinding> findings) =>
        new(Id, Name, Owner, BridgeDevice, Subnets, Gateway, DhcpRanges, State, Forward, Vms, Containers)
        {
            Findings = findings,
        };
}
