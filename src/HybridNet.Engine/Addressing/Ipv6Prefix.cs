using System;
using System.Net;
using System.Net.Sockets;

namespace HybridNet.Engine.Addressing;

/// <summary>
/// The IPv6 side of a hybrid bridge: one /64, because guests configure themselves by SLAAC from
/// the router advertisements of the bridge's dnsmasq, and SLAAC works only on a /64. The gateway
/// is the first address after the prefix; Docker hands containers the following ones.
/// </summary>
public static class Ipv6Prefix
{
    public const int PrefixLength = 64;

    /// <summary>Returns the normalised prefix (for example fd00:1::/64), or null with the reason.</summary>
    public static string? Normalize(string? text, out string? problem)
    {
        problem = null;
        if (string.IsNullOrWhiteSpace(text) || !IPNetwork.TryParse(text.Trim(), out var network)
            || network.BaseAddress.AddressFamily != AddressFamily.InterNetworkV6)
        {
            problem = "it is not an IPv6 prefix in CIDR form such as fd00:1::/64";
            return null;
        }

        if (network.PrefixLength != PrefixLength)
        {
            problem = $"the prefix length is /{network.PrefixLength}, and guests configure themselves (SLAAC) only on a /64";
            return null;
        }

        if (network.BaseAddress.IsIPv6LinkLocal || network.BaseAddress.IsIPv6Multicast)
        {
            problem = "link-local and multicast prefixes cannot be routed on a bridge";
            return null;
        }

        return network.ToString();
    }

    /// <summary>The gateway address: the prefix with interface identifier 1.</summary>
    public static string Gateway(string prefix)
    {
        var network = IPNetwork.Parse(prefix);
        var bytes = network.BaseAddress.GetAddressBytes();
        bytes[15] = 1;
        return new IPAddress(bytes).ToString();
    }

    public static bool Contains(string prefix, string address) =>
        IPNetwork.TryParse(prefix, out var network) && IPAddress.TryParse(address, out var parsed) && network.Contains(parsed);
}
