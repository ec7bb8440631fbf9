using System;

namespace HybridNet.Engine.Addressing;

/// <summary>An inclusive range of IPv4 addresses, such as a DHCP pool.</summary>
public readonly record struct Ipv4Range(uint First, uint Last)
{
    public long Count => First > Last ? 0 : (long)Last - First + 1;

    public bool Contains(uint address) => address >= First && address <= Last;

    public bool Overlaps(Ipv4Range other) => First <= other.Last && other.First <= Last;

    public static Ipv4Range Of(Ipv4Subnet subnet) => new(subnet.Network, subnet.Broadcast);

    /// <summary>Parses "a.b.c.d-e.f.g.h" or a CIDR block.</summary>
    public static bool TryParse(string? text, out Ipv4Range range)
    {
        range = default;
        if (string.IsNullOrWhiteSpace(text))
        {
            return false;
        }

        text = text.Trim();
        if (text.Contains('/', StringComparison.Ordinal))
        {
            if (!Ipv4Subnet.TryParse(text, out var subnet, out _))
            {
                return false;
            }

            range = Of(subnet);
            return true;
        }

        var parts = text.Split('-');
        if (parts.Length != 2
            || !Ipv4Subnet.TryParseAddress(parts[0].Trim(), out var first)
            || !Ipv4Subnet.TryParseAddress(parts[1].Trim(), out var last)
            || first > last)
        {
            return false;
        }

        range = new Ipv4Range(first, last);
        return true;
    }

    public override string ToString() => $"{Ipv4Subnet.Format(First)}-{Ipv4Subnet.Format(Last)}";
}
