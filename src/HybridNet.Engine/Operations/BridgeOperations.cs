using System;
using System.Collections.Generic;
using System.Globalization;
using System.Linq;
using System.Threading;
using System.Threading.Tasks;
using HybridNet.Engine.Addressing;
using HybridNet.Engine.Docker;
using HybridNet.Engine.Firewall;
using HybridNet.Engine.Libvirt;

namespace HybridNet.Engine.Operations;

/// <summary>What the user asked New-HybridBridge for; null parts take the defaults.</summary>
public sealed record NewBridgeRequest(
    string Name,
    Ipv4Subnet? Subnet,
    IReadOnlyList<Ipv4Subnet> SubnetPool,
    int SubnetPrefixLength,
    int? Mtu,
    string? DnsDomain,
    uint? Gateway,
    Ipv4Range? VmRange,
    Ipv4Subnet? ContainerRange,
    Ipv4Range? StaticRange)
{
    /// <summary>Default MTU of a new bridge, in bytes.</summary>
    public const int DefaultMtu = 1500;

    /// <summary>Mode of a new bridge; null keeps an existing bridge's mode and means Isolated for a new one.</summary>
    public BridgeMode? Mode { get; init; }

    /// <summary>IPv6 /64 for the bridge, or null for IPv4 only.</summary>
    public string? Ipv6Subnet { get; init; }

    /// <summary>-AllowNetwork entries: CIDR subnets or libvirt/Docker network names.</summary>
    public IReadOnlyList<string> AllowNetwork { get; init; } = new List<string>();
}

/// <summary>The steps that create a bridge, or the bridge that already matches the request.</summary>
public sealed record CreatePlan(BridgeDefinition Definition, IReadOnlyList<ChangeStep> Steps, BridgeState? Existing);

/// <summary>Creates, reads and removes hybrid bridges.</summary>
public sealed class BridgeOperations
{
    /// <summary>Label on every Docker network HybridNet creates; its value is the bridge name.</summary>
    public const string DockerLabel = "dev.hybridnet.bridge";

    /// <summary>Where New-HybridBridge looks for a free subnet when none is given.</summary>
    public static readonly Ipv4Subnet DefaultSubnetPool = Ipv4Subnet.Parse("10.213.0.0/16");

    private readonly EngineContext _context;

    public BridgeOperations(EngineContext context)
    {
        _context = context;
    }

    /// <summary>
    /// The default DNS domain, &lt;name&gt;.internal, with '_' and '.' turned into '-' because a bridge
    /// name allows them and a DNS label does not.
    /// </summary>
    public static string DefaultDnsDomain(string bridge) =>
        bridge.ToLowerInvariant().Replace('_', '-').Replace('.', '-').TrimEnd('-') + ".internal";

    /// <summary>Reads the stored definition, or null when no libvirt network has that name.</summary>
    public async Task<BridgeDefinition?> ReadDefinitionAsync(string name, CancellationToken cancellationToken)
    {
        NameRules.ValidateBridgeName(name);
        var xml = await _context.Virsh.GetNetworkXmlAsync(name, inactive: true, cancellationToken).ConfigureAwait(false);
        if (xml is null)
        {
            return null;
        }

        return NetworkXml.Parse(xml) ?? new BridgeDefinition(
            name, AddressPlan.CreateDefault(Ipv4Subnet.Parse("10.0.0.0/24")), 0, string.Empty, string.Empty)
        {
            ManagedByHybridNet = false,
        };
    }

    /// <summary>Reads a bridge HybridNet manages, or fails with BridgeNotFound.</summary>
    public async Task<BridgeDefinition> RequireDefinitionAsync(string name, CancellationToken cancellationToken)
    {
        var definition = await ReadDefinitionAsync(name, cancellationToken).ConfigureAwait(false);
        if (definition is null || !definition.ManagedByHybridNet)
        {
            throw new HybridNetException(
                ErrorIds.BridgeNotFound,
                FailureKind.ObjectNotFound,
                name,
                Messages.BridgeNotFound(name),
                Messages.BridgeNotFoundAction);
        }

        return definition;
    }

    /// <summary>Lists every hybrid bridge, optionally only the names matching a filter.</summary>
    public async Task<IReadOnlyList<BridgeState>> ListAsync(Func<string, bool> nameFilter, CancellationToken cancellationToken)
    {
        var all = await _context.Virsh.ListNetworksAsync(includeInactive: true, cancellationToken).ConfigureAwait(false);
        var active = await _context.Virsh.ListNetworksAsync(includeInactive: false, cancellationToken).ConfigureAwait(false);
        var states = new List<BridgeState>();
        foreach (var name in all.Where(nameFilter))
        {
            var definition = await ReadDefinitionAsync(name, cancellationToken).ConfigureAwait(false);
            if (definition is { ManagedByHybridNet: true })
            {
                states.Add(await ReadStateAsync(definition, active.Contains(name), cancellationToken).ConfigureAwait(false));
            }
        }

        return states;
    }

    public async Task<BridgeState> GetStateAsync(string name, CancellationToken cancellationToken)
    {
        var definition = await RequireDefinitionAsync(name, cancellationToken).ConfigureAwait(false);
        var active = await _context.Virsh.ListNetworksAsync(includeInactive: false, cancellationToken).ConfigureAwait(false);
        return await ReadStateAsync(definition, active.Contains(name), cancellationToken).ConfigureAwait(false);
    }

    /// <summary>
    /// Validates a New-HybridBridge request against the host and returns the steps that create
    /// it. Nothing changes here. When a bridge of that name already exists with the same
    /// settings, the plan has no steps and carries the existing bridge.
    /// </summary>
    public async Task<CreatePlan> PlanCreateAsync(NewBridgeRequest request, CancellationToken cancellationToken)
    {
        NameRules.ValidateBridgeName(request.Name);
        var domain = request.DnsDomain ?? DefaultDnsDomain(request.Name);
        NameRules.ValidateDnsDomain(domain);
        await _context.Virsh.EnsureReachableAsync(cancellationToken).ConfigureAwait(false);
        await _context.Docker.EnsureReachableAsync(cancellationToken).ConfigureAwait(false);

        var existing = await ReadDefinitionAsync(request.Name, cancellationToken).ConfigureAwait(false);
        if (existing is not null)
        {
            return await PlanForExistingAsync(request, existing, domain, cancellationToken).ConfigureAwait(false);
        }

        var occupied = await SubnetSurvey.CollectAsync(_context, cancellationToken).ConfigureAwait(false);
        await EnsureNameFreeAsync(request.Name, occupied, cancellationToken).ConfigureAwait(false);

        Ipv4Subnet subnet;
        if (request.Subnet is { } requested)
        {
            var clash = occupied.FirstOrDefault(o => o.Subnet.Overlaps(requested));
            if (clash is not null)
            {
                throw new HybridNetException(
                    ErrorIds.SubnetInUse,
                    FailureKind.ResourceExists,
                    requested.ToString(),
                    Messages.SubnetInUse(requested.ToString(), clash.Describe()),
                    Messages.SubnetInUseAction);
            }

            subnet = requested;
        }
        else
        {
            subnet = SubnetSurvey.PickFree(request.SubnetPool, request.SubnetPrefixLength, occupied)
                ?? throw new HybridNetException(
                    ErrorIds.SubnetInUse,
                    FailureKind.ResourceUnavailable,
                    string.Join(", ", request.SubnetPool),
                    Messages.NoFreeSubnet(string.Join(", ", request.SubnetPool), request.SubnetPrefixLength),
                    Messages.SubnetInUseAction);
        }

        var plan = AddressPlan.Create(subnet, request.Gateway, request.VmRange, request.ContainerRange, request.StaticRange);
        var allowed = new List<Ipv4Subnet>();
        foreach (var entry in request.AllowNetwork)
        {
            allowed.AddRange(await new SetOperations(_context).ResolveNetworkAsync(entry, request.Name, cancellationToken).ConfigureAwait(false));
        }

        string? ipv6 = null;
        if (request.Ipv6Subnet is not null)
        {
            ipv6 = Ipv6Prefix.Normalize(request.Ipv6Subnet, out var problem) ?? throw new HybridNetException(
                ErrorIds.InvalidSubnet, FailureKind.InvalidArgument, request.Ipv6Subnet,
                Messages.InvalidSubnet(request.Ipv6Subnet, problem!), Messages.InvalidIpv6SubnetAction);
            var owner = await FindIpv6OwnerAsync(ipv6, cancellationToken).ConfigureAwait(false);
            if (owner is not null)
            {
                throw new HybridNetException(
                    ErrorIds.SubnetInUse, FailureKind.ResourceExists, ipv6,
                    Messages.SubnetInUse(ipv6, owner), Messages.SubnetInUseAction);
            }
        }

        var definition = new BridgeDefinition(request.Name, plan, request.Mtu ?? NewBridgeRequest.DefaultMtu, domain, request.Name)
        {
            Ipv6Subnet = ipv6,
            Mode = request.Mode ?? BridgeMode.Isolated,
            AllowedNetworks = allowed.Distinct().ToList(),
        };
        return new CreatePlan(definition, CreateSteps(definition), null);
    }

    /// <summary>The ordered steps that bring a defined bridge into existence, each with its undo.</summary>
    public IReadOnlyList<ChangeStep> CreateSteps(BridgeDefinition definition)
    {
        var virsh = _context.Virsh;
        var name = definition.Name;
        var xml = NetworkXml.Build(definition);
        var spec = DockerSpec(definition);
        return new List<ChangeStep>
        {
            new(name, $"Define libvirt network '{name}' owning bridge {name} ({definition.Plan.Subnet})",
                virsh.CommandLine("net-define", "<network XML>"),
                ct => virsh.DefineNetworkAsync(xml, ct),
                ct => virsh.UndefineNetworkAsync(name, ct)),
            new(name, $"Start libvirt network '{name}' (bridge {name}, gateway {Ipv4Subnet.Format(definition.Plan.Gateway)}, DHCP {definition.Plan.VmPool})",
                virsh.CommandLine("net-start", name),
                ct => virsh.StartNetworkAsync(name, ct),
                ct => virsh.DestroyNetworkAsync(name, ct)),
            new(name, $"Mark libvirt network '{name}' to start with libvirtd",
                virsh.CommandLine("net-autostart", name),
                ct => virsh.SetNetworkAutostartAsync(name, ct),
                null),
            new(name, $"Create Docker network '{name}' on bridge {name} with container range {definition.Plan.ContainerPool}",
                $"POST {_context.Docker.Host}/networks/create name={name} subnet={spec.Subnet} ip-range={spec.IPRange} bridge={name}",
                async ct => await _context.Docker.CreateNetworkAsync(spec, ct).ConfigureAwait(false),
                ct => _context.Docker.RemoveNetworkAsync(name, ct)),
            FirewallStep(definition),
        };
    }

    /// <summary>The step that (re)writes the bridge's firewall chain for its mode.</summary>
    public ChangeStep FirewallStep(BridgeDefinition definition)
    {
        var firewall = new FirewallOperations(_context);
        var chain = FirewallRules.ChainName(definition.Name);
        return new ChangeStep(
            definition.Name,
            $"Install firewall chain {chain} for mode {definition.Mode} (accept traffic within {definition.Name}, "
                + "jumped to from FORWARD and DOCKER-USER)",
            string.Join("; ", FirewallRules.ChainRules(definition).Select(r => "iptables " + r)),
            ct => firewall.ApplyAsync(definition, ct),
            ct => firewall.RemoveAsync(definition, ct));
    }

    public static DockerNetworkSpec DockerSpec(BridgeDefinition definition) => new(
        definition.DockerNetwork,
        definition.Name,
        definition.Plan.Subnet.ToString(),
        Ipv4Subnet.Format(definition.Plan.Gateway),
        definition.Plan.ContainerPool.ToString(),
        definition.Mtu,
        Masquerade: false,
        new Dictionary<string, string> { [DockerLabel] = definition.Name })
    {
        Ipv6Subnet = definition.Ipv6Subnet,
        Ipv6Gateway = definition.Ipv6Subnet is null ? null : Ipv6Prefix.Gateway(definition.Ipv6Subnet),
    };

    /// <summary>
    /// The steps that remove the bridge's Docker network and libvirt network. Members must be
    /// disconnected first. The Linux bridge goes with the libvirt network that owns it; Docker
    /// never deletes a bridge it did not create, so the order cannot leave guests cut off.
    /// </summary>
    public async Task<IReadOnlyList<ChangeStep>> RemoveStepsAsync(BridgeDefinition definition, CancellationToken cancellationToken)
    {
        var name = definition.Name;
        var firewall = new FirewallOperations(_context);
        var steps = new List<ChangeStep>
        {
            new(name, $"Remove firewall chain {FirewallRules.ChainName(name)} and its jumps",
                $"iptables -D FORWARD/DOCKER-USER -m comment --comment {FirewallRules.Comment(name)} -j {FirewallRules.ChainName(name)}; "
                    + $"iptables -F/-X {FirewallRules.ChainName(name)}",
                ct => firewall.RemoveAsync(definition, ct),
                ct => firewall.ApplyAsync(definition, ct)),
        };
        var dockerNetwork = await _context.Docker.InspectNetworkAsync(definition.DockerNetwork, cancellationToken)
            .ConfigureAwait(false);
        if (dockerNetwork is not null && dockerNetwork.Labels.TryGetValue(DockerLabel, out var owner) && owner == name)
        {
            steps.Add(new ChangeStep(name, $"Remove Docker network '{dockerNetwork.Name}'",
                $"DELETE {_context.Docker.Host}/networks/{dockerNetwork.Id}",
                ct => _context.Docker.RemoveNetworkAsync(dockerNetwork.Id, ct),
                null));
        }

        var active = await _context.Virsh.ListNetworksAsync(includeInactive: false, cancellationToken).ConfigureAwait(false);
        if (active.Contains(name))
        {
            steps.Add(new ChangeStep(name, $"Stop libvirt network '{name}' and delete bridge {name}",
                _context.Virsh.CommandLine("net-destroy", name),
                ct => _context.Virsh.DestroyNetworkAsync(name, ct),
                null));
        }

        steps.Add(new ChangeStep(name, $"Delete the definition of libvirt network '{name}'",
            _context.Virsh.CommandLine("net-undefine", name),
            ct => _context.Virsh.UndefineNetworkAsync(name, ct),
            null));
        return steps;
    }

    private async Task<CreatePlan> PlanForExistingAsync(
        NewBridgeRequest request, BridgeDefinition existing, string domain, CancellationToken cancellationToken)
    {
        if (!existing.ManagedByHybridNet)
        {
            throw new HybridNetException(
                ErrorIds.BridgeNameInUse,
                FailureKind.ResourceExists,
                request.Name,
                Messages.BridgeNameInUse(request.Name, $"libvirt network '{request.Name}'"),
                Messages.BridgeNameInUseAction);
        }

        var differences = new List<string>();
        if (request.Subnet is { } subnet && subnet != existing.Plan.Subnet)
        {
            differences.Add($"subnet {existing.Plan.Subnet}, not {subnet}");
        }

        if (request.Mtu is { } mtu && mtu != existing.Mtu)
        {
            differences.Add(string.Create(CultureInfo.InvariantCulture, $"MTU {existing.Mtu}, not {mtu}"));
        }

        if (request.Gateway is { } gateway && gateway != existing.Plan.Gateway)
        {
            differences.Add($"gateway {Ipv4Subnet.Format(existing.Plan.Gateway)}, not {Ipv4Subnet.Format(gateway)}");
        }

        if (request.StaticRange is { } statics && statics != existing.Plan.StaticRange)
        {
            differences.Add($"static range {existing.Plan.StaticRangeText}, not {statics}");
        }

        if (request.DnsDomain is not null && !string.Equals(domain, existing.DnsDomain, StringComparison.OrdinalIgnoreCase))
        {
            differences.Add($"DNS domain {existing.DnsDomain}, not {domain}");
        }

        if (request.VmRange is { } vm && vm != existing.Plan.VmPool)
        {
            differences.Add($"VM pool {existing.Plan.VmPool}, not {vm}");
        }

        if (request.ContainerRange is { } containers && containers != existing.Plan.ContainerPool)
        {
            differences.Add($"container pool {existing.Plan.ContainerPool}, not {containers}");
        }

        if (request.Ipv6Subnet is { } v6 && Ipv6Prefix.Normalize(v6, out _) != existing.Ipv6Subnet)
        {
            differences.Add($"IPv6 subnet {existing.Ipv6Subnet ?? "(none)"}, not {v6}");
        }

        if (request.Mode is { } mode && mode != existing.Mode)
        {
            differences.Add($"mode {existing.Mode}, not {mode}");
        }

        if (differences.Count > 0)
        {
            throw new HybridNetException(
                ErrorIds.BridgeConflict,
                FailureKind.ResourceExists,
                request.Name,
                Messages.BridgeConflict(request.Name, string.Join("; ", differences)),
                Messages.BridgeConflictAction);
        }

        var state = await GetStateAsync(request.Name, cancellationToken).ConfigureAwait(false);
        return new CreatePlan(existing, Array.Empty<ChangeStep>(), state);
    }

    /// <summary>Names the Docker network, libvirt network or interface that already uses an IPv6 prefix.</summary>
    private async Task<string?> FindIpv6OwnerAsync(string prefix, CancellationToken cancellationToken)
    {
        var wanted = System.Net.IPNetwork.Parse(prefix);
        bool Overlaps(string? other) =>
            other is not null && System.Net.IPNetwork.TryParse(other, out var network)
            && (network.Contains(wanted.BaseAddress) || wanted.Contains(network.BaseAddress));

        foreach (var network in await _context.Docker.ListNetworksAsync(cancellationToken).ConfigureAwait(false))
        {
            if (network.Ipv6Subnets.Any(Overlaps))
            {
                return $"Docker network '{network.Name}'";
            }
        }

        foreach (var name in await _context.Virsh.ListNetworksAsync(includeInactive: true, cancellationToken).ConfigureAwait(false))
        {
            var xml = await _context.Virsh.GetNetworkXmlAsync(name, inactive: true, cancellationToken).ConfigureAwait(false);
            if (xml is null)
            {
                continue;
            }

            var element = System.Xml.Linq.XElement.Parse(xml);
            foreach (var ip in element.Elements("ip").Where(e => e.Attribute("family")?.Value == "ipv6"))
            {
                if (Overlaps($"{ip.Attribute("address")?.Value}/{ip.Attribute("prefix")?.Value ?? "64"}"))
                {
                    return $"libvirt network '{name}'";
                }
            }
        }

        return null;
    }

    private async Task EnsureNameFreeAsync(string name, IReadOnlyList<OccupiedSubnet> occupied, CancellationToken cancellationToken)
    {
        var link = await _context.Ip.GetLinkAsync(name, cancellationToken).ConfigureAwait(false);
        if (link is not null)
        {
            throw new HybridNetException(
                ErrorIds.BridgeNameInUse,
                FailureKind.ResourceExists,
                name,
                Messages.BridgeNameInUse(name, $"the existing network interface '{name}'"),
                Messages.BridgeNameInUseAction);
        }

        var docker = await _context.Docker.InspectNetworkAsync(name, cancellationToken).ConfigureAwait(false);
        if (docker is not null)
        {
            throw new HybridNetException(
                ErrorIds.BridgeNameInUse,
                FailureKind.ResourceExists,
                name,
                Messages.BridgeNameInUse(name, $"the Docker network '{docker.Name}'"),
                Messages.BridgeNameInUseAction);
        }

        var sameBridge = occupied.FirstOrDefault(o => o.Device == name);
        if (sameBridge is not null)
        {
            throw new HybridNetException(
                ErrorIds.BridgeNameInUse,
                FailureKind.ResourceExists,
                name,
                Messages.BridgeNameInUse(name, sameBridge.Describe()),
                Messages.BridgeNameInUseAction);
        }
    }

    /// <summary>Finds running members whose link left the bridge, MTU mismatches and missing names.</summary>
    private async Task<IReadOnlyList<string>> CheckMembersAsync(BridgeDefinition definition, CancellationToken cancellationToken)
    {
        var problems = new List<string>();
        var members = await new MemberOperations(_context).ListAsync(definition, cancellationToken).ConfigureAwait(false);
        var links = await _context.Ip.GetLinksAsync(cancellationToken).ConfigureAwait(false);
        foreach (var member in members.Where(m => m.Running && m.HostInterface is not null))
        {
            var link = links.FirstOrDefault(l => l.Name == member.HostInterface);
            if (link is null || link.Master != definition.Name)
            {
                problems.Add($"{member.Kind} '{member.Name}' is not plugged into the bridge ({member.HostInterface})");
            }
            else if (link.Mtu != definition.Mtu)
            {
                problems.Add(string.Create(CultureInfo.InvariantCulture,
                    $"MTU mismatch: {member.Kind} '{member.Name}' ({member.HostInterface}) has {link.Mtu}, the bridge {definition.Mtu}"));
            }
        }

        var names = await new NameService(_context)
            .SyncAsync(definition.Name, cancellationToken, dryRun: true, definition, members)
            .ConfigureAwait(false);
        problems.AddRange(names.Select(n => $"DNS entry missing or stale: {n}"));
        return problems;
    }

    private async Task<BridgeState> ReadStateAsync(BridgeDefinition definition, bool libvirtActive, CancellationToken cancellationToken)
    {
        var problems = new List<string>();
        var link = await _context.Ip.GetLinkAsync(definition.Name, cancellationToken).ConfigureAwait(false);
        DockerNetworkInfo? docker = null;
        try
        {
            docker = await _context.Docker.InspectNetworkAsync(definition.DockerNetwork, cancellationToken).ConfigureAwait(false);
        }
        catch (HybridNetException ex) when (ex.ErrorId is ErrorIds.DockerUnreachable or ErrorIds.DockerPermissionDenied)
        {
            problems.Add($"Docker is not reachable: {ex.Message}");
        }

        if (!libvirtActive)
        {
            problems.Add($"libvirt network '{definition.Name}' is not running");
        }

        if (link is null)
        {
            problems.Add($"bridge device '{definition.Name}' is missing");
        }
        else
        {
            var gateway = Ipv4Subnet.Format(definition.Plan.Gateway) + "/" + definition.Plan.Subnet.PrefixLength.ToString(CultureInfo.InvariantCulture);
            if (!link.IPv4Cidrs.Contains(gateway))
            {
                problems.Add($"bridge device '{definition.Name}' does not carry the gateway address {gateway}");
            }

            if (link.Mtu != definition.Mtu)
            {
                problems.Add(string.Create(CultureInfo.InvariantCulture,
                    $"bridge device MTU is {link.Mtu}, the definition says {definition.Mtu}"));
            }
        }

        if (docker is null && problems.All(p => !p.StartsWith("Docker is not reachable", StringComparison.Ordinal)))
        {
            problems.Add($"Docker network '{definition.DockerNetwork}' is missing");
        }

        if (docker is not null && link is not null)
        {
            problems.AddRange(await CheckMembersAsync(definition, cancellationToken).ConfigureAwait(false));
        }

        try
        {
            problems.AddRange(await new FirewallOperations(_context).CheckAsync(definition, cancellationToken).ConfigureAwait(false));
        }
        catch (HybridNetException ex) when (ex.ErrorId is ErrorIds.CommandNotFound)
        {
            problems.Add("iptables is not installed, so the bridge's firewall rules cannot be checked");
        }

        var autostart = false;
        var info = await _context.Virsh.RunAsync(cancellationToken, "net-info", definition.Name).ConfigureAwait(false);
        if (info.Succeeded)
        {
            // net-info prints "Autostart:      yes"; libvirt offers no structured form of it.
            autostart = info.StandardOutput.Split('\n').Any(l =>
                l.StartsWith("Autostart:", StringComparison.Ordinal) && l.TrimEnd().EndsWith("yes", StringComparison.Ordinal));
        }

        var health = !libvirtActive && link is null ? BridgeHealth.Inactive
            : problems.Count == 0 ? BridgeHealth.Active
            : BridgeHealth.Degraded;
        return new BridgeState(definition, libvirtActive, autostart, docker?.Id, link is not null, link?.Mtu, health, problems);
    }
}
