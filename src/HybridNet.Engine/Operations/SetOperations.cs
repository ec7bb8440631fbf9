using System;
using System.Collections.Generic;
using System.Globalization;
using System.Linq;
using System.Threading;
using System.Threading.Tasks;
using HybridNet.Engine.Addressing;
using HybridNet.Engine.Firewall;
using HybridNet.Engine.Host;
using HybridNet.Engine.Libvirt;

namespace HybridNet.Engine.Operations;

/// <summary>What Set-HybridBridge was asked to change; null parts stay as they are.</summary>
public sealed record SetBridgeRequest(
    string Name,
    BridgeMode? Mode,
    IReadOnlyList<string>? AllowNetwork,
    int? Mtu,
    string? DnsDomain,
    Ipv4Range? VmRange,
    Ipv4Subnet? ContainerRange);

/// <summary>Changes the settings of an existing hybrid bridge.</summary>
public sealed class SetOperations
{
    private readonly EngineContext _context;

    public SetOperations(EngineContext context)
    {
        _context = context;
    }

    /// <summary>
    /// Validates the request and returns the steps, each with its undo. Settings libvirt can
    /// change on the running network (mode, DHCP pool, MTU of live links) are changed live; a new
    /// DNS domain needs a restart of the libvirt network, after which the plan plugs every
    /// running member back into the bridge.
    /// </summary>
    public async Task<(BridgeDefinition Updated, IReadOnlyList<ChangeStep> Steps)> PlanAsync(
        SetBridgeRequest request, CancellationToken cancellationToken)
    {
        NameRules.ValidateBridgeName(request.Name);
        var bridges = new BridgeOperations(_context);
        var current = await bridges.RequireDefinitionAsync(request.Name, cancellationToken).ConfigureAwait(false);
        var updated = current;
        var name = current.Name;

        if (request.DnsDomain is { } domain)
        {
            NameRules.ValidateDnsDomain(domain);
            updated = updated with { DnsDomain = domain };
        }

        if (request.Mode is { } mode)
        {
            updated = updated with { Mode = mode };
        }

        if (request.AllowNetwork is { } allow)
        {
            var subnets = new List<Ipv4Subnet>();
            foreach (var entry in allow)
            {
                subnets.AddRange(await ResolveNetworkAsync(entry, name, cancellationToken).ConfigureAwait(false));
            }

            updated = updated with { AllowedNetworks = subnets.Distinct().ToList() };
        }

        if (request.Mtu is { } mtu)
        {
            updated = updated with { Mtu = mtu };
        }

        if (request.VmRange is not null || request.ContainerRange is not null)
        {
            var plan = current.Plan with
            {
                VmPool = request.VmRange ?? current.Plan.VmPool,
                ContainerPool = request.ContainerRange ?? current.Plan.ContainerPool,
            };
            var problems = plan.Validate();
            if (problems.Count > 0)
            {
                throw new HybridNetException(ErrorIds.InvalidAddressPlan, FailureKind.InvalidArgument, name,
                    Messages.InvalidAddressPlan(plan.Subnet.ToString(), problems));
            }

            updated = updated with { Plan = plan };
        }

        var members = await new MemberOperations(_context).ListAsync(current, cancellationToken).ConfigureAwait(false);
        if (request.ContainerRange is { } containers && containers != current.Plan.ContainerPool
            && members.Any(m => m.Kind == EndpointKind.Container))
        {
            throw new HybridNetException(ErrorIds.SettingNotChangeable, FailureKind.InvalidOperation, name,
                Messages.ContainerRangeInUse(name),
                Messages.ContainerRangeInUseAction);
        }

        var steps = new List<ChangeStep>();
        if (updated == current)
        {
            return (current, steps);
        }

        var virsh = _context.Virsh;
        var oldXml = await virsh.GetNetworkXmlAsync(name, inactive: true, cancellationToken).ConfigureAwait(false) ?? string.Empty;
        var newXml = NetworkXml.Update(oldXml, updated);
        steps.Add(new ChangeStep(name, $"Store the new settings in the definition of libvirt network '{name}'",
            virsh.CommandLine("net-define", "<network XML>"),
            ct => virsh.DefineNetworkAsync(newXml, ct),
            ct => virsh.DefineNetworkAsync(oldXml, ct)));

        var active = (await virsh.ListNetworksAsync(includeInactive: false, cancellationToken).ConfigureAwait(false)).Contains(name);
        if (updated.Plan.VmPool != current.Plan.VmPool && active)
        {
            var oldRange = RangeXml(current.Plan.VmPool);
            var newRange = RangeXml(updated.Plan.VmPool);
            steps.Add(new ChangeStep(name, $"Change the running DHCP pool of '{name}' to {updated.Plan.VmPool}",
                virsh.CommandLine("net-update", name, "add-last", "ip-dhcp-range", newRange, "--live"),
                async ct =>
                {
                    await virsh.UpdateNetworkAsync(name, "add-last", "ip-dhcp-range", newRange, live: true, ct, config: false).ConfigureAwait(false);
                    await virsh.UpdateNetworkAsync(name, "delete", "ip-dhcp-range", oldRange, live: true, ct, config: false).ConfigureAwait(false);
                },
                null));
        }

        if (updated.Plan.ContainerPool != current.Plan.ContainerPool)
        {
            var spec = BridgeOperations.DockerSpec(updated);
            var oldSpec = BridgeOperations.DockerSpec(current);
            steps.Add(new ChangeStep(name, $"Re-create Docker network '{spec.Name}' with container range {spec.IPRange}",
                $"DELETE {_context.Docker.Host}/networks/{spec.Name}; POST {_context.Docker.Host}/networks/create ip-range={spec.IPRange}",
                async ct =>
                {
                    await _context.Docker.RemoveNetworkAsync(spec.Name, ct).ConfigureAwait(false);
                    await _context.Docker.CreateNetworkAsync(spec, ct).ConfigureAwait(false);
                },
                async ct =>
                {
                    await _context.Docker.RemoveNetworkAsync(spec.Name, ct).ConfigureAwait(false);
                    await _context.Docker.CreateNetworkAsync(oldSpec, ct).ConfigureAwait(false);
                }));
        }

        if (updated.Mtu != current.Mtu)
        {
            var text = updated.Mtu.ToString(CultureInfo.InvariantCulture);
            var links = new List<string> { name };
            links.AddRange(members.Where(m => m.Running && m.HostInterface is not null).Select(m => m.HostInterface!));
            foreach (var link in links)
            {
                var arguments = new[] { "link", "set", "dev", link, "mtu", text };
                var undo = new[] { "link", "set", "dev", link, "mtu", current.Mtu.ToString(CultureInfo.InvariantCulture) };
                steps.Add(new ChangeStep(link, $"Set the MTU of {link} to {text}", CliCommandRunner.FormatCommandLine("ip", arguments),
                    ct => RunIpAsync(arguments, ct), ct => RunIpAsync(undo, ct)));
            }
        }

        if (!string.Equals(updated.DnsDomain, current.DnsDomain, StringComparison.OrdinalIgnoreCase) && active)
        {
            steps.Add(new ChangeStep(name, $"Restart libvirt network '{name}' so its dnsmasq serves domain {updated.DnsDomain}",
                virsh.CommandLine("net-destroy", name) + "; " + virsh.CommandLine("net-start", name),
                async ct =>
                {
                    await virsh.DestroyNetworkAsync(name, ct).ConfigureAwait(false);
                    await virsh.StartNetworkAsync(name, ct).ConfigureAwait(false);
                },
                null));
            foreach (var member in members.Where(m => m.Running && m.HostInterface is not null))
            {
                var arguments = new[] { "link", "set", "dev", member.HostInterface!, "master", name, "up" };
                steps.Add(new ChangeStep(member.Name, $"Plug {member.Kind} '{member.Name}' back into the restarted bridge",
                    CliCommandRunner.FormatCommandLine("ip", arguments), ct => RunIpAsync(arguments, ct), null));
            }
        }

        if (updated.Mode != current.Mode || !updated.AllowedNetworks.SequenceEqual(current.AllowedNetworks)
            || updated.DnsDomain != current.DnsDomain || updated.Plan.ContainerPool != current.Plan.ContainerPool)
        {
            var step = bridges.FirewallStep(updated);
            steps.Add(step with { Undo = ct => new FirewallOperations(_context).ApplyAsync(current, ct) });
        }

        return (updated, steps);
    }

    /// <summary>
    /// Turns an -AllowNetwork entry into subnets: a CIDR block as given, or the subnets of the
    /// libvirt network or Docker network of that name.
    /// </summary>
    public async Task<IReadOnlyList<Ipv4Subnet>> ResolveNetworkAsync(string entry, string bridge, CancellationToken cancellationToken)
    {
        if (Ipv4Subnet.TryParse(entry, out var subnet, out _))
        {
            return new[] { subnet };
        }

        NameRules.ValidateMemberName("network name", entry);

        var xml = await _context.Virsh.GetNetworkXmlAsync(entry, inactive: true, cancellationToken).ConfigureAwait(false);
        if (xml is not null)
        {
            var (_, subnets) = NetworkXml.ReadBridgeAndSubnets(xml);
            if (subnets.Count > 0)
            {
                return subnets;
            }
        }

        var docker = await _context.Docker.InspectNetworkAsync(entry, cancellationToken).ConfigureAwait(false);
        if (docker?.Subnet is not null && Ipv4Subnet.TryParse(docker.Subnet, out var dockerSubnet, out _))
        {
            return new[] { dockerSubnet };
        }

        throw new HybridNetException(ErrorIds.UnknownNetwork, FailureKind.ObjectNotFound, entry,
            Messages.UnknownNetwork(entry, bridge), Messages.UnknownNetworkAction);
    }

    private static string RangeXml(Ipv4Range range) =>
        $"<range start='{Ipv4Subnet.Format(range.First)}' end='{Ipv4Subnet.Format(range.Last)}'/>";

    private async Task RunIpAsync(IReadOnlyList<string> arguments, CancellationToken cancellationToken)
    {
        var result = await _context.Runner.RunAsync("ip", arguments, _context.Settings.Timeout, cancellationToken).ConfigureAwait(false);
        if (!result.Succeeded)
        {
            throw new HybridNetException(ErrorIds.CommandFailed, FailureKind.InvalidOperation, result.CommandLine, Messages.CommandFailed(result));
        }
    }
}
