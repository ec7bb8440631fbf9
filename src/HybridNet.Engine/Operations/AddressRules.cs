using System.Threading;
using System.Threading.Tasks;
using HybridNet.Engine.Addressing;

namespace HybridNet.Engine.Operations;

/// <summary>Checks of explicitly requested member addresses.</summary>
public static class AddressRules
{
    public static uint? ParseOptional(string? text)
    {
        if (string.IsNullOrEmpty(text))
        {
            return null;
        }

        if (!Ipv4Subnet.TryParseAddress(text.Trim(), out var address))
        {
            throw new HybridNetException(
                ErrorIds.InvalidIPAddress,
                FailureKind.InvalidArgument,
                text,
                Messages.InvalidIPAddress(text));
        }

        return address;
    }

    /// <summary>
    /// Fails unless the address lies in the bridge's subnet outside the other allocator's pool
    /// and no member or neighbour uses it yet.
    /// </summary>
    public static async Task EnsureUsableAsync(
        MemberOperations members, BridgeDefinition bridge, uint address, EndpointKind kind, CancellationToken cancellationToken)
    {
        var text = Ipv4Subnet.Format(address);
        var problem = bridge.Plan.CheckExplicitAddress(address, kind);
        if (problem is not null)
        {
            var outside = !bridge.Plan.Subnet.Contains(address);
            throw new HybridNetException(
                outside ? ErrorIds.AddressOutsideSubnet : ErrorIds.AddressNotAllowed,
                FailureKind.InvalidArgument,
                text,
                Messages.AddressNotAllowed(bridge.Name, problem));
        }

        var holder = await members.FindHolderAsync(bridge, address, cancellationToken).ConfigureAwait(false);
        if (holder is not null)
        {
            throw new HybridNetException(
                ErrorIds.AddressInUse,
                FailureKind.ResourceExists,
                text,
                Messages.AddressInUse(text, bridge.Name, holder),
                Messages.AddressInUseAction);
        }
    }
}
