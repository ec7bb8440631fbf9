using System;
using System.Collections.Generic;
using System.Linq;
using System.Threading;
using System.Threading.Tasks;
using HybridNet.Engine.Addressing;
using HybridNet.Engine.Libvirt;

namespace HybridNet.Engine.Operations;

/// <summary>
/// Adds virtio NICs on a hybrid bridge to libvirt domains. Every NIC gets a DHCP reservation
/// before it is plugged in, so its address is known at once and dnsmasq never hands it to
/// anyone else.
/// </summary>
public sealed class VmOperations
{
    private readonly EngineContext _context;
    private readonly BridgeOperations _bridges;
    private readonly MemberOperations _members;

    public VmOperations(EngineContext context)
    {
        _context = context;
        _bridges = new BridgeOperations(context);
        _members = new MemberOperations(context);
    }

    /// <summary>
    /// Plans the attach of a NIC to <paramref name="domain"/>. A running domain gets the NIC
    /// live and in its persistent definition; a shut-off domain, or any domain when
    /// <paramref name="persistentOnly"/> is set, only in its definition.
    /// </summary>
    public async Task<MemberPlan> PlanConnectAsync(
        string bridgeName, string domain, string? ipAddress, bool persistentOnly, CancellationToken cancellationToken)
    {
        NameRules.ValidateBridgeName(bridgeName);
        NameRules.ValidateMemberName("domain name", domain);
        var requested = AddressRules.ParseOptional(ipAddress);
        await _context.Virsh.EnsureReachableAsync(cancellationToken).ConfigureAwait(false);
        var bridge = await _bridges.RequireDefinitionAsync(bridgeName, cancellationToken).ConfigureAwait(false);
        var info = await RequireDomainAsync(domain, cancellationToken).ConfigureAwait(false);

        var existingNic = info.Interfaces.FirstOrDefault(i => i.SourceNetwork == bridge.Name);
        if (existingNic is not null)
        {
            var reserved = bridge.Reservations.FirstOrDefault(r => r.MacAddress == existingNic.MacAddress);
            if (requested is { } wanted && reserved?.Address != wanted)
            {
                var current = reserved is null ? "no reserved address" : $"address {Ipv4Subnet.Format(reserved.Address)}";
                throw new HybridNetException(
                    ErrorIds.AlreadyConnected,
                    FailureKind.ResourceExists,
                    info.Name,
                    Messages.AlreadyConnectedDifferently(info.Name, bridge.Name, current),
                    Messages.AlreadyConnectedAction);
            }

            var described = await DescribeAsync(bridge, info.Name, existingNic.MacAddress, cancellationToken).ConfigureAwait(false);
            return new MemberPlan(Array.Empty<ChangeStep>(), described, _ => Task.FromResult<EndpointState?>(described));
        }

        var state = await _context.Virsh.GetDomainStateAsync(info.Name, cancellationToken).ConfigureAwait(false);
        var running = state.StartsWith("running", StringComparison.Ordinal) || state.StartsWith("paused", StringComparison.Ordinal);
        var live = running && !persistentOnly;

        uint address;
        if (requested is { } explicitAddress)
        {
            await AddressRules.EnsureUsableAsync(_members, bridge, explicitAddress, EndpointKind.VM, cancellationToken)
                .ConfigureAwait(false);
            address = explicitAddress;
        }
        else
        {
            var used = await _members.CollectUsedAddressesAsync(bridge, cancellationToken).ConfigureAwait(false);
            address = AllocateFromPool(bridge, used);
        }

        var takenMacs = new HashSet<string>(bridge.Reservations.Select(r => r.MacAddress), StringComparer.OrdinalIgnoreCase);
        takenMacs.UnionWith(info.Interfaces.Where(i => i.MacAddress is not null).Select(i => i.MacAddress!));
        takenMacs.UnionWith(LeaseFile.Read(bridge.Name).Select(l => l.MacAddress));
        var mac = DomainXml.NewMacAddress(takenMacs, Random.Shared);

        var reservation = new DhcpReservation(mac, HostNameFor(info.Name), address);
        var steps = new List<ChangeStep>
        {
            ReservationStep(bridge, reservation, add: true),
            AttachStep(bridge, info.Name, mac, live, attach: true),
        };
        return new MemberPlan(steps, null, ct => DescribeAsync(bridge, info.Name, mac, ct));
    }

    public async Task<MemberPlan> PlanDisconnectAsync(string bridgeName, string domain, CancellationToken cancellationToken)
    {
        NameRules.ValidateBridgeName(bridgeName);
        NameRules.ValidateMemberName("domain name", domain);
        await _context.Virsh.EnsureReachableAsync(cancellationToken).ConfigureAwait(false);
        var bridge = await _bridges.RequireDefinitionAsync(bridgeName, cancellationToken).ConfigureAwait(false);
        var info = await RequireDomainAsync(domain, cancellationToken).ConfigureAwait(false);
        var steps = await DisconnectStepsAsync(bridge, info.Name, cancellationToken).ConfigureAwait(false);
        var before = steps.Count == 0
            ? null
            : (await _members.DescribeVmAsync(bridge, info.Name, null, cancellationToken).ConfigureAwait(false)).FirstOrDefault();
        return new MemberPlan(steps, before, _ => Task.FromResult(before));
    }

    /// <summary>
    /// The steps that take every NIC on the bridge out of a domain, live and persistent as
    /// each one exists, and drop their DHCP reservations.
    /// </summary>
    public async Task<IReadOnlyList<ChangeStep>> DisconnectStepsAsync(
        BridgeDefinition bridge, string domain, CancellationToken cancellationToken)
    {
        var liveXml = await _context.Virsh.GetDomainXmlAsync(domain, inactive: false, cancellationToken).ConfigureAwait(false);
        var configXml = await _context.Virsh.GetDomainXmlAsync(domain, inactive: true, cancellationToken).ConfigureAwait(false);
        var state = await _context.Virsh.GetDomainStateAsync(domain, cancellationToken).ConfigureAwait(false);
        var running = state.StartsWith("running", StringComparison.Ordinal) || state.StartsWith("paused", StringComparison.Ordinal);
        var liveMacs = running && liveXml is not null
            ? DomainXml.Parse(liveXml).Interfaces.Where(i => i.SourceNetwork == bridge.Name).Select(i => i.MacAddress).ToHashSet()
            : new HashSet<string?>();
        var configMacs = configXml is not null
            ? DomainXml.Parse(configXml).Interfaces.Where(i => i.SourceNetwork == bridge.Name).Select(i => i.MacAddress).ToHashSet()
            : new HashSet<string?>();

        var steps = new List<ChangeStep>();
        foreach (var mac in liveMacs.Union(configMacs).Where(m => m is not null).Select(m => m!))
        {
            var inLive = liveMacs.Contains(mac);
            var inConfig = configMacs.Contains(mac);
            steps.Add(DetachStep(bridge, domain, mac, inLive, inConfig));
            var reservation = bridge.Reservations.FirstOrDefault(r => r.MacAddress == mac);
            if (reservation is not null)
            {
                steps.Add(ReservationStep(bridge, reservation, add: false));
            }
        }

        return steps;
    }

    private ChangeStep ReservationStep(BridgeDefinition bridge, DhcpReservation reservation, bool add)
    {
        var virsh = _context.Virsh;
        var xml = NetworkXml.ReservationXml(reservation);
        var address = Ipv4Subnet.Format(reservation.Address);
        var command = add ? "add-last" : "delete";
        var undoCommand = add ? "delete" : "add-last";
        return new ChangeStep(
            bridge.Name,
            add
                ? $"Reserve {address} for MAC {reservation.MacAddress} in the DHCP server of '{bridge.Name}'"
                : $"Remove the DHCP reservation of {address} (MAC {reservation.MacAddress}) from '{bridge.Name}'",
            virsh.CommandLine("net-update", bridge.Name, command, "ip-dhcp-host", xml, "--config", "--live"),
            ct => UpdateReservationAsync(bridge.Name, command, xml, ct),
            ct => UpdateReservationAsync(bridge.Name, undoCommand, xml, ct));
    }

    private async Task UpdateReservationAsync(string network, string command, string xml, CancellationToken cancellationToken)
    {
        var active = await _context.Virsh.ListNetworksAsync(includeInactive: false, cancellationToken).ConfigureAwait(false);
        await _context.Virsh.UpdateNetworkAsync(network, command, "ip-dhcp-host", xml, active.Contains(network), cancellationToken)
            .ConfigureAwait(false);
    }

    private ChangeStep AttachStep(BridgeDefinition bridge, string domain, string mac, bool live, bool attach)
    {
        var xml = DomainXml.BuildNetworkInterface(bridge.Name, mac);
        var flags = live ? new[] { "--live", "--config" } : new[] { "--config" };
        var where = live ? "the running domain and its definition" : "the domain's definition (takes effect at next start)";
        return new ChangeStep(
            domain,
            $"Add a virtio NIC (MAC {mac}) on bridge '{bridge.Name}' to {where}",
            _context.Virsh.CommandLine(new[] { "attach-device", domain, "<interface XML>" }.Concat(flags).ToArray()),
            ct => AttachAsync(domain, xml, live, ct),
            ct => _context.Virsh.ChangeDeviceAsync(domain, attach: false, xml, live, config: true, ct));
    }

    private async Task AttachAsync(string domain, string xml, bool live, CancellationToken cancellationToken)
    {
        try
        {
            await _context.Virsh.ChangeDeviceAsync(domain, attach: true, xml, live, config: true, cancellationToken)
                .ConfigureAwait(false);
        }
        catch (HybridNetException ex) when (live && ex.ErrorId == ErrorIds.LibvirtOperationFailed)
        {
            throw new HybridNetException(
                ErrorIds.HotplugFailed,
                FailureKind.InvalidOperation,
                domain,
                Messages.HotplugFailed(domain, ex.Message),
                Messages.HotplugFailedAction,
                ex);
        }
    }

    private ChangeStep DetachStep(BridgeDefinition bridge, string domain, string mac, bool live, bool config)
    {
        var xml = DomainXml.BuildNetworkInterface(bridge.Name, mac);
        var flags = new List<string>();
        if (live)
        {
            flags.Add("--live");
        }

        if (config)
        {
            flags.Add("--config");
        }

        return new ChangeStep(
            domain,
            $"Remove the NIC with MAC {mac} on bridge '{bridge.Name}' from domain '{domain}'",
            _context.Virsh.CommandLine(new[] { "detach-device", domain, "<interface XML>" }.Concat(flags).ToArray()),
            ct => _context.Virsh.ChangeDeviceAsync(domain, attach: false, xml, live, config, ct),
            ct => _context.Virsh.ChangeDeviceAsync(domain, attach: true, xml, live, config, ct));
    }

    private async Task<EndpointState?> DescribeAsync(BridgeDefinition bridge, string domain, string? mac, CancellationToken cancellationToken)
    {
        var current = await _bridges.RequireDefinitionAsync(bridge.Name, cancellationToken).ConfigureAwait(false);
        var endpoints = await _members.DescribeVmAsync(current, domain, null, cancellationToken).ConfigureAwait(false);
        var endpoint = endpoints.FirstOrDefault(e => e.MacAddress == mac);
        if (endpoint is not null)
        {
            return endpoint;
        }

        // A NIC added only to the persistent definition is absent from the live XML until the
        // next start, so describe it from the reservation.
        var reservation = current.Reservations.FirstOrDefault(r => r.MacAddress == mac);
        var info = await RequireDomainAsync(domain, cancellationToken).ConfigureAwait(false);
        var state = await _context.Virsh.GetDomainStateAsync(domain, cancellationToken).ConfigureAwait(false);
        return new EndpointState(
            EndpointKind.VM, info.Name, bridge.Name,
            reservation is null ? null : Ipv4Subnet.Format(reservation.Address),
            mac, null, info.Uuid, state.StartsWith("running", StringComparison.Ordinal), null, info.HasGuestAgentChannel);
    }

    private async Task<DomainInfo> RequireDomainAsync(string domain, CancellationToken cancellationToken)
    {
        var xml = await _context.Virsh.GetDomainXmlAsync(domain, inactive: true, cancellationToken).ConfigureAwait(false)
            ?? throw new HybridNetException(
                ErrorIds.DomainNotFound,
                FailureKind.ObjectNotFound,
                domain,
                Messages.DomainNotFound(domain),
                Messages.DomainNotFoundAction);
        return DomainXml.Parse(xml);
    }

    private static uint AllocateFromPool(BridgeDefinition bridge, ISet<uint> used)
    {
        var pool = bridge.Plan.VmPool;
        for (var address = pool.First; address <= pool.Last && address != 0; address++)
        {
            if (!used.Contains(address))
            {
                return address;
            }
        }

        throw new HybridNetException(
            ErrorIds.AddressPoolExhausted,
            FailureKind.ResourceUnavailable,
            bridge.Name,
            Messages.AddressPoolExhausted(bridge.Name, pool.ToString()));
    }

    /// <summary>The DHCP host name for a domain: its name when that is a valid DNS label.</summary>
    public static string? HostNameFor(string domain)
    {
        var valid = domain.Length is > 0 and <= 63 && domain[0] != '-' && domain[^1] != '-'
            && domain.All(c => char.IsAsciiLetterOrDigit(c) || c == '-');
        return valid ? domain : null;
    }
}
