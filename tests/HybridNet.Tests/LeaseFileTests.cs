using System.Linq;
using System.Net;
using HybridNet.Engine.Addressing;
using HybridNet.Engine.Libvirt;
using Xunit;

namespace HybridNet.Tests;

public class LeaseFileTests
{
    // A status file as libvirt's leaseshelper writes it for a network with IPv4 and IPv6 DHCP.
    private const string StatusFile = """
        [
          {
            "ip-address": "10.20.0.130",
            "mac-address": "52:54:00:AB:CD:01",
            "hostname": "web01",
            "client-id": "01:52:54:00:ab:cd:01",
            "expiry-time": 1718000000
          },
          {
            "ip-address": "10.20.0.131",
            "mac-address": "52:54:00:ab:cd:02",
            "expiry-time": 1718000100
          },
          {
            "iaid": "13470305",
            "ip-address": "fd00:20::5",
            "mac-address": "52:54:00:ab:cd:03",
            "client-id": "00:04:f7:0e:2c:d3:bd:f4:44:51:8d:6c:b3:5e:65:90:a1:a8",
            "expiry-time": 1718000200
          },
          {
            "mac-address": "52:54:00:ab:cd:04",
            "hostname": "no-address",
            "expiry-time": 1718000300
          },
          {
            "ip-address": "10.20.0.133",
            "hostname": "no-mac",
            "expiry-time": 1718000400
          },
          {
            "ip-address": "10.20.0.134",
            "mac-address": "52:54:00:ab:cd:06"
          }
        ]
        """;

    private static uint Ip(string text) => Ipv4Subnet.ToUInt32(IPAddress.Parse(text));

    [Fact]
    public void ParseKeepsIpv4LeasesWithMac()
    {
        var leases = LeaseFile.Parse(StatusFile);

        Assert.Equal(new[] { Ip("10.20.0.130"), Ip("10.20.0.131"), Ip("10.20.0.134") }, leases.Select(l => l.Address));
    }

    [Fact]
    public void ParseReadsEveryLeaseField()
    {
        var lease = LeaseFile.Parse(StatusFile)[0];

        Assert.Equal(new DhcpLease(Ip("10.20.0.130"), "52:54:00:ab:cd:01", "web01", 1718000000), lease);
    }

    [Fact]
    public void ParseLeavesMissingHostNameNull()
    {
        var lease = LeaseFile.Parse(StatusFile)[1];

        Assert.Null(lease.HostName);
    }

    [Fact]
    public void ParseDefaultsMissingExpiryToZero()
    {
        var lease = LeaseFile.Parse(StatusFile)[2];

        Assert.Equal(0, lease.ExpiryTime);
    }

    [Theory]
    [InlineData("")]
    [InlineData("   \n")]
    [InlineData("[]")]
    [InlineData("[\n\n]\n")]
    public void ParseOfEmptyFileHasNoLeases(string json)
    {
        Assert.Empty(LeaseFile.Parse(json));
    }

    [Fact]
    public void ParseSkipsEntryWithoutIp()
    {
        const string json = """[{ "mac-address": "52:54:00:ab:cd:04", "expiry-time": 1718000300 }]""";

        Assert.Empty(LeaseFile.Parse(json));
    }

    [Fact]
    public void ParseSkipsEntryWithMalformedIp()
    {
        const string json = """[{ "ip-address": "10.20.0", "mac-address": "52:54:00:ab:cd:05" }]""";

        Assert.Empty(LeaseFile.Parse(json));
    }
}
