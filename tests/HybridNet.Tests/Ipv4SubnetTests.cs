using System;
using System.Net;
using HybridNet.Engine.Addressing;
using Xunit;

namespace HybridNet.Tests;

public class Ipv4SubnetTests
{
    // Converts with the framework parser, so expected values do not depend on the code under test.
    private static uint Ip(string text) => Ipv4Subnet.ToUInt32(IPAddress.Parse(text));

    [Theory]
    [InlineData("10.0.0.0/8", "10.0.0.0", 8)]
    [InlineData("172.16.0.0/12", "172.16.0.0", 12)]
    [InlineData("192.168.122.0/24", "192.168.122.0", 24)]
    [InlineData("10.250.1.16/28", "10.250.1.16", 28)]
    [InlineData("10.1.2.3/32", "10.1.2.3", 32)]
    [InlineData("0.0.0.0/0", "0.0.0.0", 0)]
    [InlineData("255.255.255.255/32", "255.255.255.255", 32)]
    public void ParseAcceptsCanonicalCidr(string text, string network, int prefixLength)
    {
        var parsed = Ipv4Subnet.TryParse(text, out var subnet, out var problem);

        Assert.True(parsed);
        Assert.Null(problem);
        Assert.Equal(Ip(network), subnet.Network);
        Assert.Equal(prefixLength, subnet.PrefixLength);
    }

    [Theory]
    [InlineData("  10.0.0.0/24")]
    [InlineData("10.0.0.0/24  ")]
    [InlineData("\t10.0.0.0/24\n")]
    public void ParseTrimsSurroundingWhitespace(string text)
    {
        var parsed = Ipv4Subnet.TryParse(text, out var subnet, out _);

        Assert.True(parsed);
        Assert.Equal("10.0.0.0/24", subnet.ToString());
    }

    [Theory]
    [InlineData(null)]
    [InlineData("")]
    [InlineData("   ")]
    [InlineData("10.0.0.0")]
    [InlineData("10.0.0.0/")]
    [InlineData("/24")]
    [InlineData("10.0.0.0/33")]
    [InlineData("10.0.0.0/-1")]
    [InlineData("10.0.0.0/+8")]
    [InlineData("10.0.0.0/024")]
    [InlineData("10.0.0.0/2e1")]
    [InlineData("10.0.0.0/8/8")]
    [InlineData("10.0.0.0 /24")]
    [InlineData("10.0.0.0/ 24")]
    [InlineData("10.0.0.0/24 extra")]
    [InlineData("10 .0.0.0/24")]
    [InlineData("10.1/8")]
    [InlineData("10/8")]
    [InlineData("0x0a000001/8")]
    [InlineData("0x0a.0.0.0/8")]
    [InlineData("167772160/8")]
    [InlineData("10.0.0.256/32")]
    [InlineData("10.0.0.1000/32")]
    [InlineData("0010.0.0.0/8")]
    [InlineData("10.0.0.00000000000000000000001/32")]
    [InlineData("1.2.3.4.5/32")]
    [InlineData("10..0.0/16")]
    [InlineData("a.b.c.d/24")]
    [InlineData("-1.0.0.0/8")]
    [InlineData("\uff11\uff10.0.0.0/8")]
    [InlineData("fd00::/64")]
    public void ParseRejectsMalformedInput(string? text)
    {
        var parsed = Ipv4Subnet.TryParse(text, out var subnet, out var problem);

        Assert.False(parsed);
        Assert.False(string.IsNullOrEmpty(problem));
        Assert.Equal(default, subnet);
    }

    [Theory]
    [InlineData("10.0.0.5/24", "10.0.0.0/24")]
    [InlineData("10.0.1.0/23", "10.0.0.0/23")]
    [InlineData("192.168.122.1/24", "192.168.122.0/24")]
    [InlineData("10.0.0.1/0", "0.0.0.0/0")]
    public void ParseRejectsHostBitsSet(string text, string networkInProblem)
    {
        var parsed = Ipv4Subnet.TryParse(text, out _, out var problem);

        Assert.False(parsed);
        Assert.Contains("host bits", problem, StringComparison.Ordinal);
        Assert.Contains(networkInProblem, problem, StringComparison.Ordinal);
    }

    [Fact]
    public void ParseReportsEmptyValue()
    {
        Ipv4Subnet.TryParse("  ", out _, out var problem);

        Assert.Equal("the value is empty", problem);
    }

    [Fact]
    public void ParseThrowsFormatExceptionWithValue()
    {
        var error = Assert.Throws<FormatException>(() => Ipv4Subnet.Parse("10.0.0.0/33"));

        Assert.Contains("'10.0.0.0/33'", error.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("0.0.0.0")]
    [InlineData("10.0.0.0")]
    [InlineData("10.20.30.40")]
    [InlineData("255.255.255.255")]
    public void ParseAddressAcceptsDottedQuad(string text)
    {
        var parsed = Ipv4Subnet.TryParseAddress(text, out var address);

        Assert.True(parsed);
        Assert.Equal(Ip(text), address);
    }

    [Theory]
    [InlineData(null)]
    [InlineData("")]
    [InlineData(" 10.0.0.1")]
    [InlineData("10.0.0.1 ")]
    [InlineData("10.0.0")]
    [InlineData("10.0.0.")]
    [InlineData(".10.0.0")]
    [InlineData("10.0.0.1.")]
    [InlineData("10.1")]
    [InlineData("167772161")]
    [InlineData("0x0a000001")]
    [InlineData("0x0a.0.0.1")]
    [InlineData("10.0.0.256")]
    [InlineData("10.0.0.0001")]
    [InlineData("10.0.0.999999999999999999999")]
    [InlineData("+10.0.0.1")]
    [InlineData("10.0.0.1/32")]
    public void ParseAddressRejectsMalformedInput(string? text)
    {
        var parsed = Ipv4Subnet.TryParseAddress(text, out _);

        Assert.False(parsed);
    }

    // glibc's inet_aton reads "010" as octal 8 and a decimal reading gives 10, so such a string
    // names two different hosts. glibc's inet_pton and Python's ipaddress reject these octets.
    [Theory]
    [InlineData("010.0.0.1")]
    [InlineData("10.00.0.1")]
    [InlineData("10.0.0.01")]
    public void ParseAddressRejectsLeadingZero(string text)
    {
        Assert.False(Ipv4Subnet.TryParseAddress(text, out _));
    }

    [Fact]
    public void ParseRejectsLeadingZeroNetwork()
    {
        Assert.False(Ipv4Subnet.TryParse("010.0.0.0/8", out _, out _));
    }

    [Fact]
    public void ConstructorClearsHostBits()
    {
        var subnet = new Ipv4Subnet(Ip("10.0.0.5"), 24);

        Assert.Equal(Ip("10.0.0.0"), subnet.Network);
    }

    [Theory]
    [InlineData(-1)]
    [InlineData(33)]
    public void ConstructorRejectsPrefixOutOfRange(int prefixLength)
    {
        Assert.Throws<ArgumentOutOfRangeException>(() => new Ipv4Subnet(0, prefixLength));
    }

    [Theory]
    [InlineData(0, 4294967296L)]
    [InlineData(8, 16777216L)]
    [InlineData(24, 256L)]
    [InlineData(28, 16L)]
    [InlineData(31, 2L)]
    [InlineData(32, 1L)]
    public void SizeCountsEveryAddress(int prefixLength, long expected)
    {
        Assert.Equal(expected, new Ipv4Subnet(0, prefixLength).Size);
    }

    [Theory]
    [InlineData(0, "0.0.0.0")]
    [InlineData(8, "255.0.0.0")]
    [InlineData(12, "255.240.0.0")]
    [InlineData(24, "255.255.255.0")]
    [InlineData(32, "255.255.255.255")]
    public void MaskMatchesPrefixLength(int prefixLength, string mask)
    {
        Assert.Equal(Ip(mask), Ipv4Subnet.MaskFor(prefixLength));
    }

    [Theory]
    [InlineData("10.0.0.0/24", "10.0.0.255")]
    [InlineData("10.0.0.0/8", "10.255.255.255")]
    [InlineData("172.16.4.0/22", "172.16.7.255")]
    [InlineData("10.0.0.16/28", "10.0.0.31")]
    [InlineData("10.0.0.7/32", "10.0.0.7")]
    [InlineData("0.0.0.0/0", "255.255.255.255")]
    public void BroadcastSetsAllHostBits(string cidr, string broadcast)
    {
        Assert.Equal(Ip(broadcast), Ipv4Subnet.Parse(cidr).Broadcast);
    }

    [Theory]
    [InlineData("10.0.0.0/24", "10.0.0.1", "10.0.0.254")]
    [InlineData("10.0.0.16/28", "10.0.0.17", "10.0.0.30")]
    [InlineData("10.0.0.0/8", "10.0.0.1", "10.255.255.254")]
    [InlineData("10.0.0.4/30", "10.0.0.5", "10.0.0.6")]
    [InlineData("10.0.0.4/31", "10.0.0.4", "10.0.0.5")]
    [InlineData("10.0.0.4/32", "10.0.0.4", "10.0.0.4")]
    public void HostRangeExcludesNetworkAndBroadcast(string cidr, string firstHost, string lastHost)
    {
        var subnet = Ipv4Subnet.Parse(cidr);

        Assert.Equal(Ip(firstHost), subnet.FirstHost);
        Assert.Equal(Ip(lastHost), subnet.LastHost);
    }

    [Theory]
    [InlineData("10.0.0.0", true)]
    [InlineData("10.0.0.128", true)]
    [InlineData("10.0.0.255", true)]
    [InlineData("10.0.1.0", false)]
    [InlineData("9.255.255.255", false)]
    [InlineData("11.0.0.0", false)]
    public void ContainsChecksAddressBoundaries(string address, bool expected)
    {
        var subnet = Ipv4Subnet.Parse("10.0.0.0/24");

        Assert.Equal(expected, subnet.Contains(Ip(address)));
    }

    [Theory]
    [InlineData("10.0.0.0/24", "10.0.0.0/24", true)]
    [InlineData("10.0.0.0/24", "10.0.0.64/26", true)]
    [InlineData("10.0.0.0/24", "10.0.0.255/32", true)]
    [InlineData("10.0.0.0/24", "10.0.0.0/23", false)]
    [InlineData("10.0.0.0/24", "10.0.1.0/26", false)]
    [InlineData("0.0.0.0/0", "192.168.0.0/16", true)]
    public void ContainsChecksWholeSubnet(string outer, string inner, bool expected)
    {
        Assert.Equal(expected, Ipv4Subnet.Parse(outer).Contains(Ipv4Subnet.Parse(inner)));
    }

    [Theory]
    [InlineData("10.0.0.0/24", "10.0.0.0/24", true)]
    [InlineData("10.0.0.0/16", "10.0.200.0/24", true)]
    [InlineData("10.0.200.0/24", "10.0.0.0/16", true)]
    [InlineData("10.0.0.0/24", "10.0.1.0/24", false)]
    [InlineData("10.0.0.0/25", "10.0.0.128/25", false)]
    [InlineData("172.16.0.0/12", "172.32.0.0/16", false)]
    [InlineData("0.0.0.0/0", "10.0.0.0/8", true)]
    public void OverlapsChecksBothDirections(string left, string right, bool expected)
    {
        var a = Ipv4Subnet.Parse(left);
        var b = Ipv4Subnet.Parse(right);

        Assert.Equal(expected, a.Overlaps(b));
        Assert.Equal(expected, b.Overlaps(a));
    }

    [Theory]
    [InlineData(0x00000000u, "0.0.0.0")]
    [InlineData(0x0A000001u, "10.0.0.1")]
    [InlineData(0xC0A87A01u, "192.168.122.1")]
    [InlineData(0xAC1000FFu, "172.16.0.255")]
    [InlineData(0xFFFFFFFFu, "255.255.255.255")]
    public void FormatWritesDottedQuad(uint address, string expected)
    {
        Assert.Equal(expected, Ipv4Subnet.Format(address));
    }

    [Fact]
    public void ToStringWritesCidr()
    {
        Assert.Equal("10.20.0.0/16", new Ipv4Subnet(Ip("10.20.3.4"), 16).ToString());
    }

    [Fact]
    public void ToUInt32RejectsIpv6Address()
    {
        Assert.Throws<ArgumentException>(() => Ipv4Subnet.ToUInt32(IPAddress.IPv6Loopback));
    }
}
