using System;
using System.Globalization;
using System.Net;
using System.Net.Sockets;

namespace HybridNet.Engine.Addressing;

/// <summary>An IPv4 network in CIDR form, always normalised to its network address.</summary>
public readonly record struct Ipv4Subnet
{
    public Ipv4Subnet(uint network, int prefixLength)
    {
        if (prefixLength < 0 || prefixLength > 32)
        {
            throw new ArgumentOutOfRangeException(nameof(prefixLength));
        }

        PrefixLength = prefixLength;
        Network = network & MaskFor(prefixLength);
    }

    /// <summary>Network address as a host-order integer.</summary>
    public uint Network { get; }

    public int PrefixLength { get; }

    public uint Mask => MaskFor(PrefixLength);

    /// <summary>Number of addresses, network and broadcast included.</summary>
    public long Size => 1L << (32 - PrefixLength);

    public uint Broadcast => Network | ~Mask;

    public uint FirstHost => PrefixLength >= 31 ? Network : Network + 1;

    public uint LastHost => PrefixLength >= 31 ? Broadcast : Broadcast - 1;

    public static uint MaskFor(int prefixLength) =>
        prefixLength == 0 ? 0u : uint.MaxValue << (32 - prefixLength);

    /// <summary>
    /// Parses "a.b.c.d/n". Host bits must be zero, so a typo such as 10.0.1.5/24 is reported
    /// instead of silently becoming 10.0.1.0/24.
    /// </summary>
    public static bool TryParse(string? text, out Ipv4Subnet subnet, out string? problem)
    {
        subnet = default;
        problem = null;
        if (string.IsNullOrWhiteSpace(text))
        {
            problem = "the value is empty";
            return false;
        }

        var parts = text.Trim().Split('/');
        if (parts.Length != 2)
        {
            problem = "it is not in CIDR form a.b.c.d/prefix";
            return false;
        }

        if (!TryParseAddress(parts[0], out var address))
        {
            problem = $"'{parts[0]}' is not a dotted-quad IPv4 address";
            return false;
        }

        if (!int.TryParse(parts[1], NumberStyles.None, CultureInfo.InvariantCulture, out var prefix)
            || prefix > 32 || parts[1].Length > 2)
        {
            problem = $"'{parts[1]}' is not a prefix length from 0 to 32";
            return false;
        }

        var candidate = new Ipv4Subnet(address, prefix);
        if (candidate.Network != address)
        {
            problem = $"host bits are set; the network address is {candidate}";
            return false;
        }

        subnet = candidate;
        return true;
    }

    public static Ipv4Subnet Parse(string text)
    {
        if (!TryParse(text, out var subnet, out var problem))
        {
            throw new FormatException($"'{text}' is not a valid IPv4 subnet: {problem}.");
        }

        return subnet;
    }

    /// <summary>
    /// Parses a strict dotted quad. IPAddress.TryParse alone accepts forms such as "10.1" or
    /// "0x0a000001", which are never what a user of a network tool means.
    /// </summary>
    public static bool TryParseAddress(string? text, out uint address)
    {
        address = 0;
        if (string.IsNullOrEmpty(text))
        {
            return false;
        }

        var octets = text.Split('.');
        if (octets.Length != 4)
        {
            return false;
        }

        foreach (var octet in octets)
        {
            // A leading zero is rejected: inet_aton reads 010 as octal 8, so the same text would
            // mean another address to ping than to HybridNet.
            if (octet.Length == 0 || octet.Length > 3 || (octet.Length > 1 && octet[0] == '0')
                || !byte.TryParse(octet, NumberStyles.None, CultureInfo.InvariantCulture, out var value))
            {
                address = 0;
                return false;
            }

            address = (address << 8) | value;
        }

        return true;
    }

    public static uint ToUInt32(IPAddress address)
    {
        if (address.AddressFamily != AddressFamily.InterNetwork)
        {
            throw new ArgumentException($"{address} is not an IPv4 address.", nameof(address));
        }

        var bytes = address.GetAddressBytes();
        return ((uint)bytes[0] << 24) | ((uint)bytes[1] << 16) | ((uint)bytes[2] << 8) | bytes[3];
    }

    public static string Format(uint address) =>
        string.Create(CultureInfo.InvariantCulture,
            $"{address >> 24}.{(address >> 16) & 0xff}.{(address >> 8) & 0xff}.{address & 0xff}");

    public bool Contains(uint address) => (address & Mask) == Network;

    public bool Contains(Ipv4Subnet other) =>
        other.PrefixLength >= PrefixLength && Contains(other.Network);

    public bool Overlaps(Ipv4Subnet other) => Contains(other.Network) || other.Contains(Network);

    public override string ToString() =>
        string.Create(CultureInfo.InvariantCulture, $"{Format(Network)}/{PrefixLength}");
}
