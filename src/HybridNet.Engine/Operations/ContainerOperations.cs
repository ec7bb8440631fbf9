using System;
using System.Collections.Generic;
using System.Linq;
using System.Threading;
using System.Threading.Tasks;
using HybridNet.Engine.Addressing;
using HybridNet.Engine.Docker;

namespace HybridNet.Engine.Operations;

/// <summary>
/// Attaches containers to a hybrid bridge through the Docker network API. Docker stores the
/// attachment with the container, so it comes back with the same address after a restart of
/// the container or of dockerd.
/// </summary>
public sealed class ContainerOperations
{
    private readonly EngineContext _context;
    private readonly BridgeOperations _bridges;
    private readonly MemberOperations _members;

    public ContainerOperations(EngineContext context)
    {
        _context = context;
        _bridges = new BridgeOperations(context);
        _members = new MemberOperations(context);
    }

    public async Task<MemberPlan> PlanConnectAsync(
        string bridgeName, string containerReference, string? ipAddress, CancellationToken cancellationToken)
    {
        NameRules.ValidateBridgeName(bridgeName);
        NameRules.ValidateMemberName("container name", containerReference);
        var requested = AddressRules.ParseOptional(ipAddress);
        await _context.Docker.EnsureReachableAsync(cancellationToken).ConfigureAwait(false);

        // An explicit address is checked against the reservations as they are now. An automatic
        // one comes from Docker's IPAM, so the definition read earlier in this pipeline will do.
        var bridge = requested is null
            ? await _context.GetDefinitionOnceAsync(bridgeName, ct => _bridges.RequireDefinitionAsync(bridgeName, ct), cancellationToken)
                .ConfigureAwait(false)
            : await _bridges.RequireDefinitionAsync(bridgeName, cancellationToken).ConfigureAwait(false);
        var container = await RequireContainerAsync(containerReference, cancellationToken).ConfigureAwait(false);

        var attachment = container.Networks.FirstOrDefault(n => n.NetworkName == bridge.DockerNetwork);
        if (attachment is not null)
        {
            if (requested is { } wanted && attachment.IPAddress != Ipv4Subnet.Format(wanted))
            {
                throw new HybridNetException(
                    ErrorIds.AlreadyConnected,
                    FailureKind.ResourceExists,
                    container.Name,
                    Messages.AlreadyConnectedDifferently(container.Name, bridge.Name, $"address {attachment.IPAddress ?? "(none yet)"}"),
                    Messages.AlreadyConnectedAction);
            }

            var existing = await _members.DescribeContainerAsync(bridge, container, cancellationToken).ConfigureAwait(false);
            return new MemberPlan(Array.Empty<ChangeStep>(), existing, _ => Task.FromResult<EndpointState?>(existing));
        }

        string? addressText = null;
        if (requested is { } address)
        {
            await AddressRules.EnsureUsableAsync(_members, bridge, address, EndpointKind.Container, cancellationToken)
                .ConfigureAwait(false);
            addressText = Ipv4Subnet.Format(address);
        }

        var network = bridge.DockerNetwork;
        var id = container.Id;
        var step = new ChangeStep(
            container.Name,
            $"Connect container '{container.Name}' to Docker network '{network}'"
                + (addressText is null ? string.Empty : $" with address {addressText}"),
            $"POST {_context.Docker.Host}/networks/{network}/connect container={id}"
                + (addressText is null ? string.Empty : $" ipv4={addressText}"),
            ct => _context.Docker.ConnectAsync(network, id, addressText, null, ct),
            ct => _context.Docker.DisconnectAsync(network, id, force: true, ct));
        return new MemberPlan(new[] { step }, null, async ct =>
        {
            var current = await RequireContainerAsync(id, ct).ConfigureAwait(false);
            return await _members.DescribeContainerAsync(bridge, current, ct).ConfigureAwait(false);
        });
    }

    public async Task<MemberPlan> PlanDisconnectAsync(string bridgeName, string containerReference, CancellationToken cancellationToken)
    {
        NameRules.ValidateBridgeName(bridgeName);
        NameRules.ValidateMemberName("container name", containerReference);
        await _context.Docker.EnsureReachableAsync(cancellationToken).ConfigureAwait(false);
        var bridge = await _bridges.RequireDefinitionAsync(bridgeName, cancellationToken).ConfigureAwait(false);
        var container = await RequireContainerAsync(containerReference, cancellationToken).ConfigureAwait(false);
        var attachment = container.Networks.FirstOrDefault(n => n.NetworkName == bridge.DockerNetwork);
        if (attachment is null)
        {
            return new MemberPlan(Array.Empty<ChangeStep>(), null, _ => Task.FromResult<EndpointState?>(null));
        }

        var before = await _members.DescribeContainerAsync(bridge, container, cancellationToken).ConfigureAwait(false);
        return new MemberPlan(DisconnectSteps(bridge, container.Id, container.Name, attachment.IPAddress), before,
            _ => Task.FromResult<EndpointState?>(before));
    }

    /// <summary>The steps that detach a container; undo re-attaches it with the same address.</summary>
    public IReadOnlyList<ChangeStep> DisconnectSteps(BridgeDefinition bridge, string id, string name, string? address)
    {
        var network = bridge.DockerNetwork;
        var names = new NameService(_context);
        return new[]
        {
            new ChangeStep(
                name,
                $"Remove the names of bridge '{bridge.Name}' from /etc/hosts of container '{name}'",
                $"edit the hosts file of container {id} (block '{NameService.BlockStart(bridge.Name)}')",
                async ct =>
                {
                    var container = await _context.Docker.InspectContainerAsync(id, ct).ConfigureAwait(false);
                    if (container is not null)
                    {
                        await names.RemoveBlockAsync(bridge.Name, container, ct).ConfigureAwait(false);
                    }
                },
                async ct => await names.SyncAsync(bridge.Name, ct).ConfigureAwait(false)),
            new ChangeStep(
                name,
                $"Disconnect container '{name}' from Docker network '{network}'",
                $"POST {_context.Docker.Host}/networks/{network}/disconnect container={id} force=true",
                ct => _context.Docker.DisconnectAsync(network, id, force: true, ct),
                ct => _context.Docker.ConnectAsync(network, id, address, null, ct)),
        };
    }

    private async Task<ContainerInfo> RequireContainerAsync(string reference, CancellationToken cancellationToken)
    {
        return await _context.Docker.InspectContainerAsync(reference, cancellationToken).ConfigureAwait(false)
            ?? throw new HybridNetException(
                ErrorIds.ContainerNotFound,
                FailureKind.ObjectNotFound,
                reference,
                Messages.ContainerNotFound(reference),
                Messages.ContainerNotFoundAction);
    }
}
