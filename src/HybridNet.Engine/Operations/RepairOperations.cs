using System;
using System.Collections.Generic;
using System.Globalization;
using System.Linq;
using System.Threading;
using System.Threading.Tasks;
using HybridNet.Engine.Firewall;
using HybridNet.Engine.Host;

namespace HybridNet.Engine.Operations;

/// <summary>
/// Finds what drifted on a hybrid bridge and plans the steps that put it back: the libvirt
/// network and its bridge device, the Docker network, the members' links on the bridge, the
/// firewall chain, the MTU and the names. Nothing is planned for parts that are in order, so a
/// healthy bridge gives an empty plan.
/// </summary>
public sealed class RepairOperations
{
    private readonly EngineContext _context;

    public RepairOperations(EngineContext context)
    {
        _context = context;
    }

    public async Task<IReadOnlyList<ChangeStep>> PlanAsync(string name, CancellationToken cancellationToken)
    {
        NameRules.ValidateBridgeName(name);
        var bridges = new BridgeOperations(_context);
        var definition = await bridges.RequireDefinitionAsync(name, cancellationToken).ConfigureAwait(false);
        var virsh = _context.Virsh;
        var steps = new List<ChangeStep>();

        var active = (await virsh.ListNetworksAsync(includeInactive: false, cancellationToken).ConfigureAwait(false)).Contains(name);
        var link = await _context.Ip.GetLinkAsync(name, cancellationToken).ConfigureAwait(false);
        if (active && link is null)
        {
            // libvirt still counts the network as running, but its bridge is gone: only a
            // restart of the network makes libvirt create the bridge and its dnsmasq again.
            steps.Add(new ChangeStep(name, $"Stop libvirt network '{name}', whose bridge device is missing",
                virsh.CommandLine("net-destroy", name), ct => virsh.DestroyNetworkAsync(name, ct), null));
            active = false;
        }

        var recreate = link is null;
        if (!active && link is not null)
        {
            // The network is down but a device of that name exists: Docker re-creates the bridge
            // of its network when dockerd starts while the libvirt network is stopped. libvirt
            // refuses to start on a bridge it did not create, so that device goes first; members
            // are plugged into the new bridge below.
            steps.Add(LinkStep(name, $"Delete bridge {name}, which another manager created while libvirt network '{name}' was down",
                "link", "delete", "dev", name));
            recreate = true;
        }

        if (!active)
        {
            steps.Add(new ChangeStep(name, $"Start libvirt network '{name}' (creates bridge {name} with its gateway and DHCP)",
                virsh.CommandLine("net-start", name), ct => virsh.StartNetworkAsync(name, ct), null));
        }

        var info = await virsh.RunAsync(cancellationToken, "net-info", name).ConfigureAwait(false);
        if (info.Succeeded && !info.StandardOutput.Split('\n').Any(l =>
                l.StartsWith("Autostart:", StringComparison.Ordinal) && l.TrimEnd().EndsWith("yes", StringComparison.Ordinal)))
        {
            steps.Add(new ChangeStep(name, $"Mark libvirt network '{name}' to start with libvirtd",
                virsh.CommandLine("net-autostart", name), ct => virsh.SetNetworkAutostartAsync(name, ct), null));
        }

        var docker = await _context.Docker.InspectNetworkAsync(definition.DockerNetwork, cancellationToken).ConfigureAwait(false);
        if (docker is null)
        {
            var spec = BridgeOperations.DockerSpec(definition);
            steps.Add(new ChangeStep(name, $"Create the missing Docker network '{spec.Name}' on bridge {name}",
                $"POST {_context.Docker.Host}/networks/create name={spec.Name} subnet={spec.Subnet} ip-range={spec.IPRange} bridge={name}",
                async ct => await _context.Docker.CreateNetworkAsync(spec, ct).ConfigureAwait(false), null));
        }

        steps.AddRange(await PlugStepsAsync(definition, recreate, cancellationToken).ConfigureAwait(false));

        var gateway = Addressing.Ipv4Subnet.Format(definition.Plan.Gateway) + "/"
            + definition.Plan.Subnet.PrefixLength.ToString(CultureInfo.InvariantCulture);
        if (active && link is not null && !link.IPv4Cidrs.Contains(gateway))
        {
            steps.Add(LinkStep(name, $"Put the gateway address {gateway} back on bridge {name}",
                "addr", "add", gateway, "dev", name));
        }

        if (link is not null && link.Mtu != definition.Mtu)
        {
            steps.Add(LinkStep(name, $"Set the MTU of bridge {name} back to {definition.Mtu}",
                "link", "set", "dev", name, "mtu", definition.Mtu.ToString(CultureInfo.InvariantCulture)));
        }

        var firewallProblems = await new FirewallOperations(_context).CheckAsync(definition, cancellationToken).ConfigureAwait(false);
        if (firewallProblems.Count > 0 || steps.Count > 0)
        {
            // A restarted network or a re-created Docker network rewrites FORWARD, so the chain
            // is written again whenever anything else was repaired.
            // No undo: taking the chain away again would leave the bridge worse off than before.
            steps.Add(bridges.FirewallStep(definition) with { Undo = null });
        }

        var names = new NameService(_context);
        var nameChanges = steps.Count > 0
            ? new[] { "Write DNS records and hosts blocks again" }
            : await names.SyncAsync(name, cancellationToken, dryRun: true).ConfigureAwait(false);
        if (nameChanges.Count > 0)
        {
            steps.Add(new ChangeStep(name, $"Restore member names of '{name}': {string.Join("; ", nameChanges)}",
                "virsh net-update dns-host; edit member containers' hosts files",
                async ct => await names.SyncAsync(name, ct).ConfigureAwait(false), null));
        }

        return steps;
    }

    /// <summary>
    /// Steps that put running members' host-side links (VM taps, container veths) back on the
    /// bridge. When the bridge is missing now, the plan re-plugs every running member after the
    /// network restart creates the bridge again.
    /// </summary>
    private async Task<IReadOnlyList<ChangeStep>> PlugStepsAsync(BridgeDefinition definition, bool recreate, CancellationToken cancellationToken)
    {
        var steps = new List<ChangeStep>();
        var members = await new MemberOperations(_context).ListAsync(definition, cancellationToken).ConfigureAwait(false);
        var links = await _context.Ip.GetLinksAsync(cancellationToken).ConfigureAwait(false);
        foreach (var member in members.Where(m => m.Running && m.HostInterface is not null))
        {
            var link = links.FirstOrDefault(l => l.Name == member.HostInterface);
            if (link is null || (!recreate && link.Master == definition.Name))
            {
                continue;
            }

            steps.Add(LinkStep(member.Name,
                $"Plug {member.Kind} '{member.Name}' ({member.HostInterface}) back into bridge {definition.Name}",
                "link", "set", "dev", member.HostInterface!, "master", definition.Name, "up"));
        }

        return steps;
    }

    private ChangeStep LinkStep(string target, string action, params string[] arguments) =>
        new(target, action, CliCommandRunner.FormatCommandLine("ip", arguments), async ct =>
        {
            var result = await _context.Runner.RunAsync("ip", arguments, _context.Settings.Timeout, ct).ConfigureAwait(false);
            if (!result.Succeeded)
            {
                throw new HybridNetException(ErrorIds.CommandFailed, FailureKind.InvalidOperation, target, Messages.CommandFailed(result));
            }
        }, null);
}
