using System.Collections.Generic;
using System.Linq;
using HybridNet.Engine;
using HybridNet.Engine.Probing;
using Xunit;

namespace HybridNet.Tests;

public class ProbePairsTests
{
    private static List<ProbeEndpoint> Endpoints(int count) =>
        Enumerable.Range(0, count)
            .Select(i => i % 2 == 0
                ? new ProbeEndpoint(EndpointKind.VM, $"vm{i}", $"10.20.0.{130 + i}", null, true, true)
                : new ProbeEndpoint(EndpointKind.Container, $"ct{i}", $"10.20.0.{70 + i}", 1000 + i, false, true))
            .ToList();

    [Theory]
    [InlineData(0)]
    [InlineData(1)]
    [InlineData(2)]
    [InlineData(3)]
    [InlineData(6)]
    public void PairsCountWithHost(int count)
    {
        var pairs = ConnectivityProber.Pairs(Endpoints(count), includeHost: true);

        Assert.Equal(count * (count - 1) + count, pairs.Count);
    }

    [Theory]
    [InlineData(0)]
    [InlineData(1)]
    [InlineData(2)]
    [InlineData(6)]
    public void PairsCountWithoutHost(int count)
    {
        var pairs = ConnectivityProber.Pairs(Endpoints(count), includeHost: false);

        Assert.Equal(count * (count - 1), pairs.Count);
    }

    [Fact]
    public void PairsCoverEveryOrderedPair()
    {
        var endpoints = Endpoints(3);

        var pairs = ConnectivityProber.Pairs(endpoints, includeHost: false)
            .Select(p => (p.Source.Name, p.Target.Name))
            .ToHashSet();

        var expected = new HashSet<(string, string)>
        {
            ("vm0", "ct1"), ("vm0", "vm2"), ("ct1", "vm0"), ("ct1", "vm2"), ("vm2", "vm0"), ("vm2", "ct1"),
        };
        Assert.Equal(expected, pairs);
    }

    [Fact]
    public void PairsNeverProbeEndpointItself()
    {
        var pairs = ConnectivityProber.Pairs(Endpoints(4), includeHost: true);

        Assert.DoesNotContain(pairs, p => ReferenceEquals(p.Source, p.Target));
    }

    [Fact]
    public void HostPairsStartAtHost()
    {
        var endpoints = Endpoints(3);

        var hostPairs = ConnectivityProber.Pairs(endpoints, includeHost: true)
            .Where(p => p.Source.Kind == EndpointKind.Host)
            .ToList();

        Assert.Equal(endpoints, hostPairs.Select(p => p.Target));
        Assert.All(hostPairs, p => Assert.Equal(ConnectivityProber.HostName, p.Source.Name));
        Assert.All(hostPairs, p => Assert.True(p.Source.Running));
    }

    [Fact]
    public void PairsWithoutHostHaveNoHostSource()
    {
        var pairs = ConnectivityProber.Pairs(Endpoints(3), includeHost: false);

        Assert.DoesNotContain(pairs, p => p.Source.Kind == EndpointKind.Host);
    }

    [Fact]
    public void PairsSkipDuplicateEndpoint()
    {
        // Two records for the same container (for example listed twice by the caller).
        var endpoints = new List<ProbeEndpoint>
        {
            new(EndpointKind.Container, "web", "10.20.0.70", 1001, false, true),
            new(EndpointKind.Container, "web", "10.20.0.70", 1001, false, true),
            new(EndpointKind.VM, "db", "10.20.0.130", null, true, true),
        };

        var pairs = ConnectivityProber.Pairs(endpoints, includeHost: false);

        Assert.DoesNotContain(pairs, p => p.Source.Name == "web" && p.Target.Name == "web");
        Assert.Equal(4, pairs.Count);
    }

    [Fact]
    public void PairsKeepSameNameOfOtherKind()
    {
        var endpoints = new List<ProbeEndpoint>
        {
            new(EndpointKind.Container, "web", "10.20.0.70", 1001, false, true),
            new(EndpointKind.VM, "web", "10.20.0.130", null, true, true),
        };

        var pairs = ConnectivityProber.Pairs(endpoints, includeHost: false);

        Assert.Equal(2, pairs.Count);
    }
}
