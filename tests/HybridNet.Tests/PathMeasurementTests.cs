using System;
using HybridNet.Engine.Probing;
using Xunit;

namespace HybridNet.Tests;

public class PathMeasurementTests
{
    private const string BusyboxOutput = """
        PING 10.20.0.64 (10.20.0.64): 56 data bytes
        64 bytes from 10.20.0.64: seq=0 ttl=64 time=5.812 ms
        64 bytes from 10.20.0.64: seq=1 ttl=64 time=0.734 ms
        64 bytes from 10.20.0.64: seq=2 ttl=64 time=1.250 ms
        64 bytes from 10.20.0.64: seq=3 ttl=64 time=0.902 ms

        --- 10.20.0.64 ping statistics ---
        4 packets transmitted, 4 packets received, 0% packet loss
        round-trip min/avg/max = 0.734/2.174/5.812 ms
        """;

    private const string IputilsOutput = """
        PING 10.20.0.64 (10.20.0.64) 56(84) bytes of data.
        64 bytes from 10.20.0.64: icmp_seq=1 ttl=64 time=4.10 ms
        64 bytes from 10.20.0.64: icmp_seq=2 ttl=64 time=0.512 ms
        64 bytes from 10.20.0.64: icmp_seq=3 ttl=64 time=0.488 ms

        --- 10.20.0.64 ping statistics ---
        3 packets transmitted, 3 received, 0% packet loss, time 2003ms
        rtt min/avg/max/mdev = 0.488/1.700/4.100/1.697 ms
        """;

    [Fact]
    public void BusyboxWarmUpLeftOut()
    {
        var sample = PathMeasurement.ParseGuestPing(BusyboxOutput, 3);

        Assert.Equal(new[] { 0.734, 1.250, 0.902 }, sample.RoundTripsMs);
        Assert.Equal(3, sample.Sent);
    }

    [Fact]
    public void BusyboxStatistics()
    {
        var sample = PathMeasurement.ParseGuestPing(BusyboxOutput, 3);

        Assert.Equal(0.734, sample.MinMs);
        Assert.Equal(0.962, sample.AvgMs);
        Assert.Equal(1.250, sample.MaxMs);
    }

    [Fact]
    public void IputilsWarmUpLeftOut()
    {
        var sample = PathMeasurement.ParseGuestPing(IputilsOutput, 2);

        Assert.Equal(new[] { 0.512, 0.488 }, sample.RoundTripsMs);
    }

    [Fact]
    public void LostWarmUpKeepsOtherReplies()
    {
        var output = "64 bytes from 10.20.0.64: seq=1 ttl=64 time=0.700 ms\n64 bytes from 10.20.0.64: seq=2 ttl=64 time=0.800 ms\n";

        var sample = PathMeasurement.ParseGuestPing(output, 2);

        Assert.Equal(new[] { 0.700, 0.800 }, sample.RoundTripsMs);
    }

    [Fact]
    public void NoReplyGivesEmptyValues()
    {
        var sample = PathMeasurement.ParseGuestPing("PING 10.20.0.64 (10.20.0.64): 56 data bytes\n", 5);

        Assert.Empty(sample.RoundTripsMs);
        Assert.Equal(5, sample.Sent);
        Assert.Null(sample.MinMs);
        Assert.Null(sample.AvgMs);
        Assert.Null(sample.MaxMs);
    }

    [Fact]
    public void ThroughputInMegabitsPerSecond()
    {
        var sample = new ThroughputSample(125_000_000, TimeSpan.FromSeconds(2));

        Assert.Equal(500.0, sample.Mbps, 6);
    }

    [Fact]
    public void ThroughputWithoutTimeIsZero()
    {
        var sample = new ThroughputSample(0, TimeSpan.Zero);

        Assert.Equal(0.0, sample.Mbps);
    }
}
