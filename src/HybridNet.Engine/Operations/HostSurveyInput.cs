using System;
using System.Collections.Generic;
using HybridNet.Engine.Docker;
using HybridNet.Engine.Host;
using HybridNet.Engine.Libvirt;

namespace HybridNet.Engine.Operations;

/// <summary>A libvirt domain with its state word and the NICs of its current definition.</summary>
/// <param name="State">What `virsh domstate` prints: "running", "shut off", "paused", ...</param>
public sealed record SurveyDomain(string Name, string State, IReadOnlyList<DomainInterface> Interfaces);

/// <summary>A route of the main IPv4 table. Device is null for routes without one, such as blackhole.</summary>
public sealed record HostRoute(string Destination, string? Device);

/// <summary>
/// Everything the host survey read, before any classification. A null source list means the
/// source could not be read (the reader has already warned), which is different from an empty one.
/// </summary>
public sealed record HostSurveyInput
{
    /// <summary>Every link of `ip -j -d addr show`, with linkinfo and IPv4 addresses.</summary>
    public IReadOnlyList<LinkInfo> Links { get; init; } = Array.Empty<LinkInfo>();

    public IReadOnlyList<HostRoute>? Routes { get; init; }

    /// <summary>net.ipv4.conf.DEVICE.forwarding per bridge device. A device left out is unknown.</summary>
    public IReadOnlyDictionary<string, bool> Forwarding { get; init; } = new Dictionary<string, bool>();

    public IReadOnlyList<LibvirtNetworkInfo>? LibvirtNetworks { get; init; }

    public IReadOnlyList<SurveyDomain> Domains { get; init; } = Array.Empty<SurveyDomain>();

    /// <summary>dnsmasq leases of libvirt networks, keyed by bridge device.</summary>
    public IReadOnlyDictionary<string, IReadOnlyList<DhcpLease>> Leases { get; init; } =
        new Dictionary<string, IReadOnlyList<DhcpLease>>();

    /// <summary>Docker networks with their endpoints, as `GET /networks/{id}` returns them.</summary>
    public IReadOnlyList<DockerNetworkInfo>? DockerNetworks { get; init; }

    /// <summary>
    /// True when dockerd manages iptables, so its DOCKER-ISOLATION chains drop traffic between two
    /// Docker bridge networks. False when dockerd runs with iptables off, and null when unknown.
    /// </summary>
    public bool? DockerIsolatesBridges { get; init; }

    /// <summary>Bridge devices for which LXD or Incus keeps a network directory.</summary>
    public IReadOnlySet<string> LxdIncusBridges { get; init; } = new HashSet<string>();

    /// <summary>Time of the survey in Unix seconds, to skip expired leases.</summary>
    public long Now { get; init; }
}
