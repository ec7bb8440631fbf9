using System.Net;
using HybridNet.Engine.Addressing;
using Xunit;

namespace HybridNet.Tests;

public class Ipv4RangeTests
{
    private static uint Ip(string text) => Ipv4Subnet.ToUInt32(IPAddress.Parse(text));

    [Theory]
    [InlineData("10.0.0.10-10.0.0.20", "10.0.0.10", "10.0.0.20")]
    [InlineData("10.0.0.10 - 10.0.0.20", "10.0.0.10", "10.0.0.20")]
    [InlineData("  10.0.0.5-10.0.0.5  ", "10.0.0.5", "10.0.0.5")]
    [InlineData("10.0.0.250-10.0.1.4", "10.0.0.250", "10.0.1.4")]
    [InlineData("10.0.0.64/26", "10.0.0.64", "10.0.0.127")]
    [InlineData("10.0.0.7/32", "10.0.0.7", "10.0.0.7")]
    public void ParseAcceptsDashAndCidrForms(string text, string first, string last)
    {
        var parsed = Ipv4Range.TryParse(text, out var range);

        Assert.True(parsed);
        Assert.Equal(Ip(first), range.First);
        Assert.Equal(Ip(last), range.Last);
    }

    [Theory]
    [InlineData(null)]
    [InlineData("")]
    [InlineData("   ")]
    [InlineData("10.0.0.1")]
    [InlineData("10.0.0.1-")]
    [InlineData("-10.0.0.1")]
    [InlineData("10.0.0.20-10.0.0.10")]
    [InlineData("10.0.0.1-10.0.0.2-10.0.0.3")]
    [InlineData("10.0.0.1--10.0.0.2")]
    [InlineData("10.0.0.1-10.0.0.256")]
    [InlineData("10.1-10.2")]
    [InlineData("0x0a000001-0x0a000002")]
    [InlineData("10.0.0.5/24")]
    [InlineData("10.0.0.0/33")]
    [InlineData("10.0.0.0/24-10.0.1.0/24")]
    public void ParseRejectsMalformedInput(string? text)
    {
        var parsed = Ipv4Range.TryParse(text, out var range);

        Assert.False(parsed);
        Assert.Equal(default, range);
    }

    [Theory]
    [InlineData("10.0.0.5", "10.0.0.5", 1L)]
    [InlineData("10.0.0.10", "10.0.0.20", 11L)]
    [InlineData("10.0.0.20", "10.0.0.10", 0L)]
    [InlineData("0.0.0.0", "255.255.255.255", 4294967296L)]
    public void CountIncludesBothEnds(string first, string last, long expected)
    {
        Assert.Equal(expected, new Ipv4Range(Ip(first), Ip(last)).Count);
    }

    [Theory]
    [InlineData("10.0.0.10", true)]
    [InlineData("10.0.0.15", true)]
    [InlineData("10.0.0.20", true)]
    [InlineData("10.0.0.9", false)]
    [InlineData("10.0.0.21", false)]
    public void ContainsIncludesBothEnds(string address, bool expected)
    {
        var range = new Ipv4Range(Ip("10.0.0.10"), Ip("10.0.0.20"));

        Assert.Equal(expected, range.Contains(Ip(address)));
    }

    [Theory]
    [InlineData("10.0.0.10-10.0.0.20", "10.0.0.20-10.0.0.30", true)]
    [InlineData("10.0.0.10-10.0.0.20", "10.0.0.21-10.0.0.30", false)]
    [InlineData("10.0.0.10-10.0.0.20", "10.0.0.12-10.0.0.13", true)]
    [InlineData("10.0.0.10-10.0.0.20", "10.0.0.0-10.0.0.255", true)]
    [InlineData("10.0.0.10-10.0.0.20", "10.0.0.1-10.0.0.9", false)]
    [InlineData("10.0.0.10-10.0.0.10", "10.0.0.10-10.0.0.10", true)]
    public void OverlapsChecksBothDirections(string left, string right, bool expected)
    {
        Assert.True(Ipv4Range.TryParse(left, out var a));
        Assert.True(Ipv4Range.TryParse(right, out var b));

        Assert.Equal(expected, a.Overlaps(b));
        Assert.Equal(expected, b.Overlaps(a));
    }

    [Fact]
    public void OfSubnetSpansNetworkToBroadcast()
    {
        var range = Ipv4Range.Of(Ipv4Subnet.Parse("10.0.0.64/26"));

        Assert.Equal(Ip("10.0.0.64"), range.First);
        Assert.Equal(Ip("10.0.0.127"), range.Last);
    }

    [Fact]
    public void ToStringWritesDashForm()
    {
        var range = new Ipv4Range(Ip("10.0.0.10"), Ip("10.0.0.20"));

        Assert.Equal("10.0.0.10-10.0.0.20", range.ToString());
    }
}
