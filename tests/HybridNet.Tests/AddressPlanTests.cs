using System;
using System.Net;
using HybridNet.Engine;
using HybridNet.Engine.Addressing;
using Xunit;

namespace HybridNet.Tests;

public class AddressPlanTests
{
    private static readonly Ipv4Subnet Lab = Ipv4Subnet.Parse("10.0.0.0/24");

    public static TheoryData<int> SupportedPrefixLengths()
    {
        var data = new TheoryData<int>();
        for (var prefix = AddressPlan.MinPrefixLength; prefix <= AddressPlan.MaxPrefixLength; prefix++)
        {
            data.Add(prefix);
        }

        return data;
    }

    private static uint Ip(string text) => Ipv4Subnet.ToUInt32(IPAddress.Parse(text));

    // Builds the range directly, so reversed (empty) ranges are possible, which TryParse rejects.
    private static Ipv4Range Range(string first, string last) => new(Ip(first), Ip(last));

    // Reads "first-last" without TryParse's order check, so test data can hold empty ranges.
    private static Ipv4Range? RangeOrNull(string? text)
    {
        if (text is null)
        {
            return null;
        }

        var ends = text.Split('-');
        return Range(ends[0], ends[1]);
    }

    private static AddressPlan DefaultFor(int prefixLength) =>
        AddressPlan.CreateDefault(new Ipv4Subnet(Ip("10.0.0.0"), prefixLength));

    private static Ipv4Range HostsOf(Ipv4Subnet subnet) => new(subnet.FirstHost, subnet.LastHost);

    [Fact]
    public void CreateDefaultSplitsSlash24IntoQuarters()
    {
        var plan = AddressPlan.CreateDefault(Lab);

        Assert.Equal(Ip("10.0.0.1"), plan.Gateway);
        Assert.Equal(Range("10.0.0.2", "10.0.0.63"), plan.StaticRange);
        Assert.Equal(Ipv4Subnet.Parse("10.0.0.64/26"), plan.ContainerPool);
        Assert.Equal(Range("10.0.0.128", "10.0.0.254"), plan.VmPool);
    }

    [Fact]
    public void CreateDefaultSplitsSlash28IntoQuarters()
    {
        var plan = AddressPlan.CreateDefault(Ipv4Subnet.Parse("10.9.8.16/28"));

        Assert.Equal(Ip("10.9.8.17"), plan.Gateway);
        Assert.Equal(Range("10.9.8.18", "10.9.8.19"), plan.StaticRange);
        Assert.Equal(Ipv4Subnet.Parse("10.9.8.20/30"), plan.ContainerPool);
        Assert.Equal(Range("10.9.8.24", "10.9.8.30"), plan.VmPool);
    }

    [Theory]
    [MemberData(nameof(SupportedPrefixLengths))]
    public void DefaultPoolsAreNotEmpty(int prefixLength)
    {
        var plan = DefaultFor(prefixLength);

        Assert.True(plan.VmPool.Count > 0, $"VM pool {plan.VmPool} is empty");
        Assert.True(Ipv4Range.Of(plan.ContainerPool).Count > 0, $"container pool {plan.ContainerPool} is empty");
        Assert.NotNull(plan.StaticRange);
        Assert.True(plan.StaticRange!.Value.Count > 0, $"static range {plan.StaticRange} is empty");
    }

    [Theory]
    [MemberData(nameof(SupportedPrefixLengths))]
    public void DefaultPoolsDoNotOverlap(int prefixLength)
    {
        var plan = DefaultFor(prefixLength);
        var containers = Ipv4Range.Of(plan.ContainerPool);
        var statics = plan.StaticRange!.Value;

        Assert.False(plan.VmPool.Overlaps(containers), $"{plan.VmPool} overlaps {containers}");
        Assert.False(plan.VmPool.Overlaps(statics), $"{plan.VmPool} overlaps {statics}");
        Assert.False(statics.Overlaps(containers), $"{statics} overlaps {containers}");
    }

    [Theory]
    [MemberData(nameof(SupportedPrefixLengths))]
    public void DefaultGatewayLiesOutsidePools(int prefixLength)
    {
        var plan = DefaultFor(prefixLength);

        Assert.False(plan.VmPool.Contains(plan.Gateway));
        Assert.False(Ipv4Range.Of(plan.ContainerPool).Contains(plan.Gateway));
        Assert.False(plan.StaticRange!.Value.Contains(plan.Gateway));
    }

    [Theory]
    [MemberData(nameof(SupportedPrefixLengths))]
    public void DefaultPartsLieInsideSubnet(int prefixLength)
    {
        var plan = DefaultFor(prefixLength);
        var hosts = HostsOf(plan.Subnet);

        Assert.True(hosts.Contains(plan.Gateway));
        Assert.True(hosts.Contains(plan.VmPool.First));
        Assert.True(hosts.Contains(plan.VmPool.Last));
        Assert.True(plan.Subnet.Contains(plan.ContainerPool));
        Assert.True(hosts.Contains(plan.StaticRange!.Value.First));
        Assert.True(hosts.Contains(plan.StaticRange!.Value.Last));
    }

    [Theory]
    [MemberData(nameof(SupportedPrefixLengths))]
    public void DefaultPlanPassesValidation(int prefixLength)
    {
        Assert.Empty(DefaultFor(prefixLength).Validate());
    }

    // libvirt rejects a DHCP range whose first two octets differ with "range ... is too large
    // (> 65535)" (virSocketAddrGetRange in libvirt's src/util/virsocketaddr.c). So `virsh
    // net-define` fails for any plan whose VM pool crosses a /16 boundary.
    [Theory]
    [MemberData(nameof(SupportedPrefixLengths))]
    public void DefaultVmPoolFitsLibvirtRangeLimit(int prefixLength)
    {
        var plan = DefaultFor(prefixLength);

        Assert.True(
            plan.VmPool.First >> 16 == plan.VmPool.Last >> 16,
            $"VM pool {plan.VmPool} of {plan.Subnet} spans more than one /16");
    }

    [Theory]
    [InlineData(0)]
    [InlineData(7)]
    [InlineData(29)]
    [InlineData(30)]
    [InlineData(31)]
    [InlineData(32)]
    public void CreateDefaultRejectsUnsupportedPrefix(int prefixLength)
    {
        var subnet = new Ipv4Subnet(0, prefixLength);

        var error = Assert.Throws<HybridNetException>(() => AddressPlan.CreateDefault(subnet));

        Assert.Equal(ErrorIds.InvalidSubnet, error.ErrorId);
        Assert.Equal(FailureKind.InvalidArgument, error.Kind);
    }

    [Fact]
    public void CreateWithoutOverridesMatchesDefault()
    {
        Assert.Equal(AddressPlan.CreateDefault(Lab), AddressPlan.Create(Lab));
    }

    [Theory]
    [InlineData("gateway is the network address", "10.0.0.0", null, null, null)]
    [InlineData("gateway is the broadcast address", "10.0.0.255", null, null, null)]
    [InlineData("gateway outside the subnet", "10.0.1.1", null, null, null)]
    [InlineData("gateway inside the VM pool", "10.0.0.200", null, null, null)]
    [InlineData("gateway inside the container pool", "10.0.0.70", null, null, null)]
    [InlineData("VM pool overlaps container pool", null, "10.0.0.100-10.0.0.254", null, null)]
    [InlineData("VM pool reaches the broadcast address", null, "10.0.0.128-10.0.0.255", null, null)]
    [InlineData("VM pool starts at the network address", null, "10.0.0.0-10.0.0.20", "10.0.0.128/26", null)]
    [InlineData("VM pool leaves the subnet", null, "10.0.0.128-10.0.1.10", null, null)]
    [InlineData("VM pool is empty", null, "10.0.0.200-10.0.0.150", null, null)]
    [InlineData("container pool is the whole subnet", null, null, "10.0.0.0/24", null)]
    [InlineData("container pool is larger than the subnet", null, null, "10.0.0.0/23", null)]
    [InlineData("container pool lies outside the subnet", null, null, "10.0.1.0/26", null)]
    [InlineData("container pool overlaps VM pool", null, null, "10.0.0.128/26", null)]
    [InlineData("container pool is a /31", null, null, "10.0.0.64/31", null)]
    [InlineData("container pool is a /32", null, null, "10.0.0.64/32", null)]
    [InlineData("static range overlaps VM pool", null, null, null, "10.0.0.2-10.0.0.130")]
    [InlineData("static range overlaps container pool", null, null, null, "10.0.0.2-10.0.0.64")]
    [InlineData("static range is empty", null, null, null, "10.0.0.40-10.0.0.30")]
    [InlineData("static range leaves the subnet", null, null, null, "10.0.0.2-10.0.1.5")]
    [InlineData("static range starts at the network address", null, null, null, "10.0.0.0-10.0.0.10")]
    public void CreateRejectsInvalidOverride(
        string reason, string? gateway, string? vmPool, string? containerPool, string? staticRange)
    {
        uint? gatewayValue = gateway is null ? null : Ip(gateway);
        Ipv4Range? vm = RangeOrNull(vmPool);
        Ipv4Subnet? containers = containerPool is null ? null : Ipv4Subnet.Parse(containerPool);
        Ipv4Range? statics = RangeOrNull(staticRange);

        var error = Assert.Throws<HybridNetException>(
            () => AddressPlan.Create(Lab, gatewayValue, vm, containers, statics));

        Assert.True(error.ErrorId == ErrorIds.InvalidAddressPlan, $"{reason}: error id {error.ErrorId}");
        Assert.True(error.Kind == FailureKind.InvalidArgument, $"{reason}: kind {error.Kind}");
    }

    [Fact]
    public void CreateNamesSubnetAsTarget()
    {
        var error = Assert.Throws<HybridNetException>(
            () => AddressPlan.Create(Lab, vmPool: Range("10.0.0.100", "10.0.0.254")));

        Assert.Equal("10.0.0.0/24", error.Target);
    }

    [Fact]
    public void CreateMessageNamesOverlappingPools()
    {
        var error = Assert.Throws<HybridNetException>(
            () => AddressPlan.Create(Lab, vmPool: Range("10.0.0.100", "10.0.0.254")));

        Assert.Contains("10.0.0.100-10.0.0.254", error.Message, StringComparison.Ordinal);
        Assert.Contains("10.0.0.64/26", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void ValidateListsEveryProblem()
    {
        var plan = new AddressPlan(
            Lab,
            Ip("10.0.0.200"),
            Range("10.0.0.100", "10.0.0.254"),
            Ipv4Subnet.Parse("10.0.0.64/26"),
            Range("10.0.0.2", "10.0.0.70"));

        var problems = plan.Validate();

        Assert.Contains(problems, p => p.Contains("overlaps the container pool", StringComparison.Ordinal));
        Assert.Contains(problems, p => p.Contains("lies inside a pool", StringComparison.Ordinal));
        Assert.Contains(problems, p => p.Contains("static range", StringComparison.Ordinal));
    }

    [Fact]
    public void ValidateRejectsPrefixOutsideRange()
    {
        var plan = AddressPlan.CreateDefault(Lab) with { Subnet = Ipv4Subnet.Parse("10.0.0.0/29") };

        var problems = plan.Validate();

        Assert.Single(problems);
        Assert.Contains("/29", problems[0], StringComparison.Ordinal);
    }

    [Fact]
    public void CreateKeepsValidOverrides()
    {
        var plan = AddressPlan.Create(
            Lab,
            Ip("10.0.0.254"),
            Range("10.0.0.100", "10.0.0.199"),
            Ipv4Subnet.Parse("10.0.0.32/27"),
            Range("10.0.0.200", "10.0.0.253"));

        Assert.Equal(Ip("10.0.0.254"), plan.Gateway);
        Assert.Equal(Range("10.0.0.100", "10.0.0.199"), plan.VmPool);
        Assert.Equal(Ipv4Subnet.Parse("10.0.0.32/27"), plan.ContainerPool);
        Assert.Equal(Range("10.0.0.200", "10.0.0.253"), plan.StaticRange);
    }

    [Fact]
    public void StaticRangeAfterVmPoolOverride()
    {
        // Free runs: .2-.63 (62 addresses) and .128-.199 (72 addresses).
        var plan = AddressPlan.Create(Lab, vmPool: Range("10.0.0.200", "10.0.0.254"));

        Assert.Equal(Range("10.0.0.128", "10.0.0.199"), plan.StaticRange);
    }

    [Fact]
    public void StaticRangeAfterContainerPoolOverride()
    {
        // The only free run is .2-.127 (126 addresses), because the pools take .128-.255.
        var plan = AddressPlan.Create(
            Lab, vmPool: Range("10.0.0.128", "10.0.0.191"), containerPool: Ipv4Subnet.Parse("10.0.0.192/26"));

        Assert.Equal(Range("10.0.0.2", "10.0.0.127"), plan.StaticRange);
    }

    [Fact]
    public void StaticRangeSkipsOverriddenGateway()
    {
        // Free runs: .1-.9 (9 addresses) and .11-.63 (53 addresses).
        var plan = AddressPlan.Create(Lab, gateway: Ip("10.0.0.10"));

        Assert.Equal(Range("10.0.0.11", "10.0.0.63"), plan.StaticRange);
    }

    [Fact]
    public void StaticRangeStartsAtFirstHost()
    {
        // The gateway moves to the last host, so .1 is free and starts the only run.
        var plan = AddressPlan.Create(Lab, gateway: Ip("10.0.0.254"), vmPool: Range("10.0.0.128", "10.0.0.253"));

        Assert.Equal(Range("10.0.0.1", "10.0.0.63"), plan.StaticRange);
    }

    [Fact]
    public void StaticRangeNullWhenPoolsFillSubnet()
    {
        var plan = AddressPlan.Create(
            Lab, vmPool: Range("10.0.0.2", "10.0.0.127"), containerPool: Ipv4Subnet.Parse("10.0.0.128/25"));

        Assert.Null(plan.StaticRange);
        Assert.Equal("(no static range)", plan.StaticRangeText);
    }

    [Fact]
    public void ExplicitStaticRangeBeatsFreeRun()
    {
        var plan = AddressPlan.Create(
            Lab, vmPool: Range("10.0.0.200", "10.0.0.254"), staticRange: Range("10.0.0.10", "10.0.0.20"));

        Assert.Equal(Range("10.0.0.10", "10.0.0.20"), plan.StaticRange);
    }

    [Theory]
    [InlineData("10.0.0.130", EndpointKind.VM)]
    [InlineData("10.0.0.254", EndpointKind.VM)]
    [InlineData("10.0.0.10", EndpointKind.VM)]
    [InlineData("10.0.0.70", EndpointKind.Container)]
    [InlineData("10.0.0.127", EndpointKind.Container)]
    [InlineData("10.0.0.10", EndpointKind.Container)]
    [InlineData("10.0.0.2", EndpointKind.Container)]
    public void ExplicitAddressAcceptedForKind(string address, EndpointKind kind)
    {
        var plan = AddressPlan.CreateDefault(Lab);

        Assert.Null(plan.CheckExplicitAddress(Ip(address), kind));
    }

    [Theory]
    [InlineData("10.0.0.70", EndpointKind.VM, "lies in the container pool 10.0.0.64/26")]
    [InlineData("10.0.0.64", EndpointKind.VM, "lies in the container pool 10.0.0.64/26")]
    [InlineData("10.0.0.130", EndpointKind.Container, "lies in the VM DHCP pool 10.0.0.128-10.0.0.254")]
    [InlineData("10.0.0.254", EndpointKind.Container, "lies in the VM DHCP pool 10.0.0.128-10.0.0.254")]
    [InlineData("10.0.1.5", EndpointKind.VM, "is not inside the bridge subnet 10.0.0.0/24")]
    [InlineData("192.168.0.5", EndpointKind.Container, "is not inside the bridge subnet 10.0.0.0/24")]
    [InlineData("10.0.0.1", EndpointKind.VM, "gateway")]
    [InlineData("10.0.0.1", EndpointKind.Container, "gateway")]
    [InlineData("10.0.0.0", EndpointKind.VM, "network or broadcast")]
    [InlineData("10.0.0.255", EndpointKind.Container, "network or broadcast")]
    public void ExplicitAddressRejectedWithReason(string address, EndpointKind kind, string reason)
    {
        var plan = AddressPlan.CreateDefault(Lab);

        var problem = plan.CheckExplicitAddress(Ip(address), kind);

        Assert.NotNull(problem);
        Assert.Contains(reason, problem, StringComparison.Ordinal);
    }

    [Fact]
    public void ExplicitAddressReasonSuggestsAlternatives()
    {
        var plan = AddressPlan.CreateDefault(Lab);

        var problem = plan.CheckExplicitAddress(Ip("10.0.0.70"), EndpointKind.VM);

        Assert.NotNull(problem);
        Assert.Contains("10.0.0.128-10.0.0.254", problem, StringComparison.Ordinal);
        Assert.Contains("10.0.0.2-10.0.0.63", problem, StringComparison.Ordinal);
    }
}
