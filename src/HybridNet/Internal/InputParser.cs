using HybridNet.Engine;
using HybridNet.Engine.Addressing;

namespace HybridNet.Internal;

/// <summary>Parses address parameters into engine values, failing with the engine's error ids.</summary>
internal static class InputParser
{
    public static Ipv4Subnet Subnet(string value, string parameter)
    {
        if (!Ipv4Subnet.TryParse(value, out var subnet, out var problem))
        {
            throw new Engine.HybridNetException(
                ErrorIds.InvalidSubnet,
                FailureKind.InvalidArgument,
                value,
                Messages.InvalidSubnet(value, $"{problem} (parameter -{parameter})"),
                Messages.InvalidSubnetAction);
        }

        return subnet;
    }

    public static Ipv4Range Range(string value, string parameter)
    {
        if (!Ipv4Range.TryParse(value, out var range))
        {
            throw new Engine.HybridNetException(
                ErrorIds.InvalidAddressPlan,
                FailureKind.InvalidArgument,
                value,
                Messages.InvalidName("address range", value, $"use first-last or CIDR form (parameter -{parameter})"));
        }

        return range;
    }

    public static uint Address(string value, string parameter)
    {
        if (!Ipv4Subnet.TryParseAddress(value, out var address))
        {
            throw new Engine.HybridNetException(
                ErrorIds.InvalidIPAddress,
                FailureKind.InvalidArgument,
                value,
                Messages.InvalidIPAddress(value) + $" (parameter -{parameter})");
        }

        return address;
    }
}
