using System;
using System.Collections.Generic;
using System.Linq;
using HybridNet.Engine;
using HybridNet.Engine.Addressing;
using HybridNet.Engine.Docker;
using HybridNet.Engine.Host;
using HybridNet.Engine.Libvirt;
using HybridNet.Engine.Operations;
using Xunit;

namespace HybridNet.Tests;

public class HostSurveyTests
{
    private const long Now = 1_800_000_000;

    // The uplink every input below shares: eth0 with 192.168.1.20/24 and the default route.
    private static readonly LinkInfo Uplink = Link("eth0", kind: null, "192.168.1.20/24");

    // libvirt's stock NAT network as `virsh net-dumpxml` prints it.
    private const string DefaultNetworkXml = """
        <network>
          <name>default</name>
          <uuid>6a4b8a36-3b47-4ac6-8f1f-1c1b3c2b6d5e</uuid>
          <forward mode='nat'>
            <nat><port start='1024' end='65535'/></nat>
          </forward>
          <bridge name='virbr0' stp='on' delay='0'/>
          <mac address='52:54:00:0f:7a:11'/>
          <ip address='192.168.122.1' netmask='255.255.255.0'>
            <dhcp>
              <range start='192.168.122.2' end='192.168.122.254'/>
              <host mac='52:54:00:AA:00:02' name='db' ip='192.168.122.20'/>
            </dhcp>
          </ip>
          <ip family='ipv6' address='fd00:122::1' prefix='64'/>
        </network>
        """;

    // A network HybridNet created: no forward element, HybridNet's metadata.
    private const string HybridNetworkXml = """
        <network>
          <name>lab</name>
          <metadata>
            <hybridnet:bridge xmlns:hybridnet="https://hybridnet.dev/xmlns/libvirt/bridge/1" version="1">
              <hybridnet:subnet>10.20.0.0/24</hybridnet:subnet>
              <hybridnet:dockerNetwork>lab</hybridnet:dockerNetwork>
            </hybridnet:bridge>
          </metadata>
          <bridge name='lab' stp='off' delay='0'/>
          <ip address='10.20.0.1' prefix='24'>
            <dhcp>
              <range start='10.20.0.128' end='10.20.0.254'/>
              <host mac='52:54:00:10:00:82' name='vm2' ip='10.20.0.130'/>
            </dhcp>
          </ip>
        </network>
        """;

    [Fact]
    public void LibvirtParse_ReadsForwardBridgeAndDhcp()
    {
        var network = LibvirtNetworkInfo.Parse(DefaultNetworkXml, active: true);

        Assert.Equal("default", network.Name);
        Assert.True(network.Active);
        Assert.Equal("virbr0", network.Bridge);
        Assert.Equal("nat", network.ForwardMode);
        Assert.False(network.Isolated);
        Assert.False(network.ManagedByHybridNet);
        var ip = Assert.Single(network.Ipv4);
        Assert.Equal(Ipv4Subnet.Parse("192.168.122.0/24"), ip.Subnet);
        Assert.Equal("192.168.122.1", Ipv4Subnet.Format(ip.Address));
        Assert.Equal("192.168.122.2-192.168.122.254", Assert.Single(ip.DhcpRanges).ToString());
        var reservation = Assert.Single(network.Reservations);
        Assert.Equal("52:54:00:aa:00:02", reservation.MacAddress);
    }

    [Fact]
    public void LibvirtParse_ForwardWithoutModeIsNat()
    {
        var network = LibvirtNetworkInfo.Parse("<network><name>n</name><forward/><bridge name='virbr9'/></network>", active: false);

        Assert.Equal("nat", network.ForwardMode);
        Assert.False(network.Isolated);
        Assert.Empty(network.Ipv4);
    }

    [Fact]
    public void LibvirtParse_ReadsHybridNetMetadata()
    {
        var network = LibvirtNetworkInfo.Parse(HybridNetworkXml, active: true);

        Assert.True(network.ManagedByHybridNet);
        Assert.Equal("lab", network.HybridNetDockerNetwork);
        Assert.Null(network.ForwardMode);
        Assert.True(network.Isolated);
    }

    [Fact]
    public void Classify_EveryOwner()
    {
        var input = Input() with
        {
            Links = new[]
            {
                Uplink,
                Link("virbr0", "bridge", "192.168.122.1/24"),
                Link("lab", "bridge", "10.20.0.1/24"),
                Link("docker0", "bridge", "172.17.0.1/16"),
                Link("lxdbr0", "bridge", "10.99.0.1/24"),
                Link("mybr", "bridge", "10.98.0.1/24"),
                Link("incus7", "bridge", "10.97.0.1/24"),
                Link("veth12", "veth"),
            },
            LibvirtNetworks = new[]
            {
                LibvirtNetworkInfo.Parse(DefaultNetworkXml, active: true),
                LibvirtNetworkInfo.Parse(HybridNetworkXml, active: true),
                Libvirt("stopped", "virbr5", "10.96.0.1/24", active: false),
            },
            DockerNetworks = new[] { Docker("bridge", "0123456789abcdef", "172.17.0.0/16") },
            LxdIncusBridges = new HashSet<string> { "incus7" },
        };

        var networks = HostSurveyAnalyzer.Analyze(input).Networks;

        Assert.Equal(HostNetworkOwner.LibvirtActive, Single(networks, "default").Owner);
        Assert.Equal(HostNetworkOwner.HybridNet, Single(networks, "lab").Owner);
        Assert.Equal(HostNetworkOwner.LibvirtInactive, Single(networks, "stopped").Owner);
        Assert.Equal(HostNetworkOwner.Docker, Single(networks, "bridge").Owner);
        Assert.Equal(HostNetworkOwner.LxdIncus, Single(networks, "lxdbr0").Owner);
        Assert.Equal(HostNetworkOwner.LxdIncus, Single(networks, "incus7").Owner);
        Assert.Equal(HostNetworkOwner.Unmanaged, Single(networks, "mybr").Owner);
        Assert.DoesNotContain(networks, n => n.Name is "eth0" or "veth12" or "virbr0" or "docker0");
        Assert.Equal(7, networks.Count);
    }

    [Fact]
    public void Classify_SortsByOwnerThenName()
    {
        var input = Input() with
        {
            Links = new[] { Link("zbr", "bridge"), Link("abr", "bridge"), Link("virbr0", "bridge") },
            LibvirtNetworks = new[] { LibvirtNetworkInfo.Parse(DefaultNetworkXml, active: true) },
        };

        var names = HostSurveyAnalyzer.Analyze(input).Networks.Select(n => n.Name).ToList();

        Assert.Equal(new[] { "default", "abr", "zbr" }, names);
    }

    [Fact]
    public void State_FollowsAdminFlagAndPresence()
    {
        var input = Input() with
        {
            Links = new[]
            {
                Link("upbr", "bridge") with { Flags = new[] { "NO-CARRIER", "BROADCAST", "MULTICAST", "UP" } },
                Link("downbr", "bridge") with { Flags = new[] { "BROADCAST", "MULTICAST" } },
            },
            LibvirtNetworks = new[] { Libvirt("stopped", "virbr5", "10.96.0.1/24", active: false) },
        };

        var networks = HostSurveyAnalyzer.Analyze(input).Networks;

        Assert.Equal(HostNetworkState.Up, Single(networks, "upbr").State);
        Assert.Equal(HostNetworkState.Down, Single(networks, "downbr").State);
        Assert.Equal(HostNetworkState.Absent, Single(networks, "stopped").State);
    }

    [Theory]
    [InlineData("bridge", null, "docker0")]
    [InlineData("web_default", null, "br-0123456789ab")]
    [InlineData("named", "mybr0", "mybr0")]
    public void DockerBridgeDevice_FollowsDockerNaming(string name, string? option, string expected)
    {
        var network = Docker(name, "0123456789abcdef0123", "10.1.0.0/24") with { BridgeName = option };

        Assert.Equal(expected, HostSurveyAnalyzer.DockerBridgeDevice(network));
    }

    [Fact]
    public void DockerBridgeDevice_NullForOtherDrivers()
    {
        var network = Docker("host", "feedfacefeedface", null) with { Driver = "host" };

        Assert.Null(HostSurveyAnalyzer.DockerBridgeDevice(network));
    }

    [Fact]
    public void Docker_ListsContainersAndForward()
    {
        var compose = Docker("shop_backend", "abcdef0123456789", "10.252.9.0/24",
            new DockerEndpointInfo("c2", "shop-db-1", "10.252.9.3/24", "02:42:0a:fc:09:03"),
            new DockerEndpointInfo("c1", "shop-api-1", "10.252.9.2/24", "02:42:0a:fc:09:02"));
        var internalNetwork = Docker("vault", "9999999999999999", "10.252.8.0/24") with { Internal = true };
        var routed = Docker("routed", "8888888888888888", "10.252.7.0/24") with
        {
            Options = new Dictionary<string, string> { ["com.docker.network.bridge.enable_ip_masquerade"] = "false" },
        };
        var input = Input() with
        {
            Links = new[]
            {
                Link("br-abcdef012345", "bridge", "10.252.9.1/24"),
                Link("br-999999999999", "bridge", "10.252.8.1/24"),
                Link("br-888888888888", "bridge", "10.252.7.1/24"),
            },
            DockerNetworks = new[] { compose, internalNetwork, routed },
        };

        var networks = HostSurveyAnalyzer.Analyze(input).Networks;

        var shop = Single(networks, "shop_backend");
        Assert.Equal("br-abcdef012345", shop.BridgeDevice);
        Assert.Equal("nat", shop.Forward);
        Assert.Equal(new[] { "shop-api-1", "shop-db-1" }, shop.Containers.Select(c => c.Name));
        Assert.Equal(new[] { "10.252.9.2", "10.252.9.3" }, shop.Containers.Select(c => c.IPAddress));
        Assert.All(shop.Containers, c => Assert.Equal(EndpointKind.Container, c.Kind));
        Assert.Equal("internal", Single(networks, "vault").Forward);
        Assert.Equal("route", Single(networks, "routed").Forward);
    }

    [Fact]
    public void Docker_GatewayFallsBackToBridgeAddress()
    {
        var input = Input() with
        {
            Links = new[] { Link("docker0", "bridge", "172.17.0.1/16") },
            DockerNetworks = new[] { Docker("bridge", "0123456789abcdef", "172.17.0.0/16") with { Gateway = null } },
        };

        Assert.Equal("172.17.0.1", Single(HostSurveyAnalyzer.Analyze(input).Networks, "bridge").Gateway);
    }

    [Fact]
    public void Docker_KeepsEverySubnet()
    {
        var network = Docker("dual", "7777777777777777", "10.252.1.0/24") with
        {
            Subnets = new[] { "10.252.1.0/24", "10.252.2.0/24" },
        };
        var input = Input() with { DockerNetworks = new[] { network } };

        var subnets = Single(HostSurveyAnalyzer.Analyze(input).Networks, "dual").Subnets;

        Assert.Equal(new[] { "10.252.1.0/24", "10.252.2.0/24" }, subnets.Select(s => s.ToString()));
    }

    [Fact]
    public void HybridNet_MergesItsDockerNetwork()
    {
        var input = Input() with
        {
            Links = new[] { Link("lab", "bridge", "10.20.0.1/24") },
            LibvirtNetworks = new[] { LibvirtNetworkInfo.Parse(HybridNetworkXml, active: true) },
            DockerNetworks = new[]
            {
                Docker("lab", "1111111111111111", "10.20.0.0/24",
                    new DockerEndpointInfo("c1", "web", "10.20.0.64/24", "02:42:0a:14:00:40")) with { BridgeName = "lab" },
            },
        };

        var result = HostSurveyAnalyzer.Analyze(input);

        var network = Assert.Single(result.Networks);
        Assert.Equal(HostNetworkOwner.HybridNet, network.Owner);
        Assert.Equal("lab", network.BridgeDevice);
        Assert.Equal("10.20.0.1", network.Gateway);
        Assert.Equal("10.20.0.128-10.20.0.254", Assert.Single(network.DhcpRanges).ToString());
        Assert.Equal("isolated", network.Forward);
        Assert.Equal("web", Assert.Single(network.Containers).Name);
        Assert.Empty(result.Findings);
    }

    [Fact]
    public void ClaimedTwice_DockerOnLibvirtBridge()
    {
        var input = Input() with
        {
            Links = new[] { Link("virbr0", "bridge", "192.168.122.1/24") },
            LibvirtNetworks = new[] { LibvirtNetworkInfo.Parse(DefaultNetworkXml, active: true) },
            DockerNetworks = new[] { Docker("squatter", "2222222222222222", "192.168.122.0/24") with { BridgeName = "virbr0" } },
        };

        var result = HostSurveyAnalyzer.Analyze(input);

        var finding = Assert.Single(result.Findings);
        Assert.Equal(HostFindingKind.BridgeClaimedTwice, finding.Kind);
        Assert.Equal(HostFindingSeverity.Error, finding.Severity);
        Assert.Contains("virbr0", finding.Message);
        Assert.Contains("libvirt network 'default'", finding.Message);
        Assert.Contains("Docker network 'squatter'", finding.Message);
        Assert.Equal(new[] { "default", "squatter" }, finding.NetworkNames);
        Assert.Equal(2, result.Networks.Count);
        Assert.All(result.Networks, n => Assert.Single(n.Findings));
    }

    [Fact]
    public void ClaimedTwice_LxdMarkerOnDockerBridge()
    {
        var input = Input() with
        {
            Links = new[] { Link("shared0", "bridge", "10.252.3.1/24") },
            DockerNetworks = new[] { Docker("both", "3333333333333333", "10.252.3.0/24") with { BridgeName = "shared0" } },
            LxdIncusBridges = new HashSet<string> { "shared0" },
        };

        var finding = Assert.Single(HostSurveyAnalyzer.Analyze(input).Findings);

        Assert.Equal(HostFindingKind.BridgeClaimedTwice, finding.Kind);
        Assert.Contains("LXD/Incus bridge 'shared0'", finding.Message);
    }

    [Fact]
    public void ClaimedTwice_ForwardBridgeModeIsWarning()
    {
        var bridged = LibvirtNetworkInfo.Parse(
            "<network><name>host-bridge</name><forward mode='bridge'/><bridge name='br0'/></network>", active: true);
        var input = Input() with
        {
            Links = new[] { Link("br0", "bridge", "10.252.4.1/24") },
            LibvirtNetworks = new[] { bridged },
            DockerNetworks = new[] { Docker("onbr0", "4444444444444444", "10.252.4.0/24") with { BridgeName = "br0" } },
        };

        var result = HostSurveyAnalyzer.Analyze(input);

        var finding = Assert.Single(result.Findings);
        Assert.Equal(HostFindingKind.BridgeClaimedTwice, finding.Kind);
        Assert.Equal(HostFindingSeverity.Warning, finding.Severity);
        var hostBridge = Single(result.Networks, "host-bridge");
        Assert.Equal("bridge", hostBridge.Forward);
        Assert.Equal(new[] { "10.252.4.0/24" }, hostBridge.Subnets.Select(s => s.ToString()));
        Assert.Equal("10.252.4.1", hostBridge.Gateway);
    }

    [Fact]
    public void Overlap_UnmanagedBridgeInInactiveNetwork()
    {
        var input = Input() with
        {
            Links = new[] { Uplink, Link("hnsbr0", "bridge", "10.252.5.1/24") },
            Routes = new[] { Route("default", "eth0"), Route("192.168.1.0/24", "eth0"), Route("10.252.5.0/24", "hnsbr0") },
            LibvirtNetworks = new[] { Libvirt("sleeper", "virbr7", "10.252.5.1/24", active: false) },
        };

        var result = HostSurveyAnalyzer.Analyze(input);

        var finding = Assert.Single(result.Findings);
        Assert.Equal(HostFindingKind.SubnetOverlap, finding.Kind);
        Assert.Equal(HostFindingSeverity.Warning, finding.Severity);
        Assert.Contains("inactive libvirt network 'sleeper'", finding.Message);
        Assert.Contains("unmanaged bridge 'hnsbr0'", finding.Message);
        Assert.Contains("10.252.5.0/24", finding.Message);
        Assert.Single(Single(result.Networks, "sleeper").Findings);
        Assert.Single(Single(result.Networks, "hnsbr0").Findings);
    }

    [Fact]
    public void Overlap_BetweenPresentNetworksIsError()
    {
        var input = Input() with
        {
            Links = new[] { Link("virbr0", "bridge", "192.168.122.1/24"), Link("br-555555555555", "bridge", "192.168.0.1/16") },
            LibvirtNetworks = new[] { LibvirtNetworkInfo.Parse(DefaultNetworkXml, active: true) },
            DockerNetworks = new[] { Docker("wide", "5555555555555555", "192.168.0.0/16") },
        };

        var finding = Assert.Single(HostSurveyAnalyzer.Analyze(input).Findings);

        Assert.Equal(HostFindingKind.SubnetOverlap, finding.Kind);
        Assert.Equal(HostFindingSeverity.Error, finding.Severity);
        Assert.Equal(new[] { "default", "wide" }, finding.NetworkNames);
    }

    [Fact]
    public void Overlap_WithUplinkAddressCountsOnce()
    {
        var input = Input() with
        {
            Links = new[] { Uplink, Link("br-666666666666", "bridge", "192.168.1.1/24") },
            Routes = new[] { Route("192.168.1.0/24", "eth0"), Route("192.168.1.0/24", "br-666666666666") },
            DockerNetworks = new[] { Docker("lan", "6666666666666666", "192.168.1.0/24") },
        };

        var finding = Assert.Single(HostSurveyAnalyzer.Analyze(input).Findings);

        Assert.Equal(HostFindingKind.SubnetOverlap, finding.Kind);
        Assert.Equal(HostFindingSeverity.Error, finding.Severity);
        Assert.Contains("Docker network 'lan'", finding.Message);
        Assert.Contains("192.168.1.20/24 of interface eth0", finding.Message);
    }

    [Fact]
    public void Overlap_WithRouteThroughAnotherDevice()
    {
        var input = Input() with
        {
            Links = new[] { Uplink, Link("wg0", "wireguard", "10.0.0.2/32"), Link("br-777777777777", "bridge", "10.8.1.1/24") },
            Routes = new[] { Route("default", "eth0"), Route("10.8.0.0/16", "wg0"), Route("10.8.1.0/24", "br-777777777777") },
            DockerNetworks = new[] { Docker("vpnclash", "7777777777777777", "10.8.1.0/24") },
        };

        var finding = Assert.Single(HostSurveyAnalyzer.Analyze(input).Findings);

        Assert.Equal(HostFindingKind.SubnetOverlap, finding.Kind);
        Assert.Contains("route to 10.8.0.0/16 on wg0", finding.Message);
        Assert.Contains("Docker network 'vpnclash'", finding.Message);
    }

    [Fact]
    public void Overlap_IgnoresOwnAddressAndRoute()
    {
        var input = Input() with
        {
            Links = new[] { Uplink, Link("virbr0", "bridge", "192.168.122.1/24") },
            Routes = new[] { Route("default", "eth0"), Route("192.168.1.0/24", "eth0"), Route("192.168.122.0/24", "virbr0") },
            LibvirtNetworks = new[] { LibvirtNetworkInfo.Parse(DefaultNetworkXml, active: true) },
        };

        Assert.Empty(HostSurveyAnalyzer.Analyze(input).Findings);
    }

    [Fact]
    public void NoPath_IsolatedLibvirtAndDocker()
    {
        var input = Input() with
        {
            Links = new[] { Link("virbr9", "bridge", "10.252.10.1/24"), Link("docker0", "bridge", "172.17.0.1/16") },
            Routes = new[] { Route("10.252.10.0/24", "virbr9"), Route("172.17.0.0/16", "docker0") },
            LibvirtNetworks = new[] { Libvirt("closed", "virbr9", "10.252.10.1/24", active: true) },
            DockerNetworks = new[] { Docker("bridge", "0123456789abcdef", "172.17.0.0/16") },
            DockerIsolatesBridges = true,
        };

        var finding = Assert.Single(HostSurveyAnalyzer.Analyze(input).Findings);

        Assert.Equal(HostFindingKind.NoPath, finding.Kind);
        Assert.Equal(HostFindingSeverity.Warning, finding.Severity);
        Assert.Contains("libvirt network 'closed'", finding.Message);
        Assert.Contains("Docker network 'bridge'", finding.Message);
        Assert.Contains("<forward>", finding.Message);
        Assert.DoesNotContain("DOCKER-ISOLATION", finding.Message);
    }

    [Fact]
    public void NoPath_BetweenDockerBridgesWhenIsolated()
    {
        var input = TwoDockerNetworks() with { DockerIsolatesBridges = true };

        var finding = Assert.Single(HostSurveyAnalyzer.Analyze(input).Findings);

        Assert.Equal(HostFindingKind.NoPath, finding.Kind);
        Assert.Contains("DOCKER-ISOLATION", finding.Message);
        Assert.Equal(new[] { "bridge", "shop_default" }, finding.NetworkNames);
    }

    [Theory]
    [InlineData(false)]
    [InlineData(null)]
    public void NoPath_NoneWithoutKnownIsolation(bool? isolates)
    {
        var input = TwoDockerNetworks() with { DockerIsolatesBridges = isolates };

        Assert.Empty(HostSurveyAnalyzer.Analyze(input).Findings);
    }

    [Fact]
    public void NoPath_NatLibvirtAndDockerHaveNoFinding()
    {
        var input = Input() with
        {
            Links = new[] { Link("virbr0", "bridge", "192.168.122.1/24"), Link("docker0", "bridge", "172.17.0.1/16") },
            Routes = new[] { Route("192.168.122.0/24", "virbr0"), Route("172.17.0.0/16", "docker0") },
            LibvirtNetworks = new[] { LibvirtNetworkInfo.Parse(DefaultNetworkXml, active: true) },
            DockerNetworks = new[] { Docker("bridge", "0123456789abcdef", "172.17.0.0/16") },
            DockerIsolatesBridges = true,
        };

        Assert.Empty(HostSurveyAnalyzer.Analyze(input).Findings);
    }

    [Fact]
    public void NoPath_InternalDockerAndForwardingOff()
    {
        var input = Input() with
        {
            Links = new[] { Link("virbr0", "bridge", "192.168.122.1/24"), Link("br-999999999999", "bridge", "10.252.8.1/24") },
            Routes = new[] { Route("192.168.122.0/24", "virbr0"), Route("10.252.8.0/24", "br-999999999999") },
            Forwarding = new Dictionary<string, bool> { ["virbr0"] = false, ["br-999999999999"] = true },
            LibvirtNetworks = new[] { LibvirtNetworkInfo.Parse(DefaultNetworkXml, active: true) },
            DockerNetworks = new[] { Docker("vault", "9999999999999999", "10.252.8.0/24") with { Internal = true } },
        };

        var finding = Assert.Single(HostSurveyAnalyzer.Analyze(input).Findings);

        Assert.Equal(HostFindingKind.NoPath, finding.Kind);
        Assert.Contains("Docker network 'vault' is internal", finding.Message);
        Assert.Contains("net.ipv4.conf.virbr0.forwarding is 0", finding.Message);
    }

    [Fact]
    public void NoPath_SkipsAbsentNetworks()
    {
        var input = Input() with
        {
            Links = new[] { Link("docker0", "bridge", "172.17.0.1/16") },
            Routes = new[] { Route("172.17.0.0/16", "docker0") },
            LibvirtNetworks = new[] { Libvirt("stopped", "virbr5", "10.96.0.1/24", active: false) },
            DockerNetworks = new[] { Docker("bridge", "0123456789abcdef", "172.17.0.0/16") },
            DockerIsolatesBridges = true,
        };

        Assert.Empty(HostSurveyAnalyzer.Analyze(input).Findings);
    }

    [Fact]
    public void BridgeMissing_ForRunningNetworkOnly()
    {
        var input = Input() with
        {
            LibvirtNetworks = new[]
            {
                Libvirt("ghost", "virbr6", "10.252.6.1/24", active: true),
                Libvirt("stopped", "virbr5", "10.96.0.1/24", active: false),
            },
        };

        var finding = Assert.Single(HostSurveyAnalyzer.Analyze(input).Findings);

        Assert.Equal(HostFindingKind.BridgeMissing, finding.Kind);
        Assert.Contains("virbr6", finding.Message);
        Assert.Equal(new[] { "ghost" }, finding.NetworkNames);
    }

    [Fact]
    public void Vms_RunningAndShutOffWithAddresses()
    {
        var input = Input() with
        {
            Links = new[] { Link("virbr0", "bridge", "192.168.122.1/24") },
            LibvirtNetworks = new[] { LibvirtNetworkInfo.Parse(DefaultNetworkXml, active: true) },
            Domains = new[]
            {
                Domain("web", "running", NetworkNic("default", "52:54:00:aa:00:01")),
                Domain("db", "shut off", NetworkNic("default", "52:54:00:aa:00:02")),
                Domain("old", "shut off", NetworkNic("default", "52:54:00:aa:00:03")),
                Domain("elsewhere", "running", NetworkNic("other", "52:54:00:aa:00:04")),
            },
            Leases = new Dictionary<string, IReadOnlyList<DhcpLease>>
            {
                ["virbr0"] = new[]
                {
                    Lease("192.168.122.50", "52:54:00:aa:00:01", Now - 10),
                    Lease("192.168.122.51", "52:54:00:aa:00:01", Now + 3600),
                    Lease("192.168.122.52", "52:54:00:aa:00:03", Now - 10),
                },
            },
        };

        var vms = Single(HostSurveyAnalyzer.Analyze(input).Networks, "default").Vms;

        Assert.Equal(new[] { "db", "old", "web" }, vms.Select(v => v.Name));
        Assert.Equal("192.168.122.20", vms[0].IPAddress);
        Assert.Equal("shut off", vms[0].State);
        Assert.Null(vms[1].IPAddress);
        Assert.Equal("192.168.122.51", vms[2].IPAddress);
        Assert.Equal("running", vms[2].State);
        Assert.All(vms, v => Assert.Equal(EndpointKind.VM, v.Kind));
    }

    [Fact]
    public void Vms_BridgeNicJoinsNetworkOnDevice()
    {
        var input = Input() with
        {
            Links = new[] { Link("mybr", "bridge", "10.98.0.1/24") },
            Domains = new[]
            {
                Domain("router", "running",
                    new DomainInterface("bridge", null, "mybr", "52:54:00:bb:00:01", "vnet0", "virtio")),
            },
        };

        var vm = Assert.Single(Single(HostSurveyAnalyzer.Analyze(input).Networks, "mybr").Vms);

        Assert.Equal("router", vm.Name);
        Assert.Null(vm.IPAddress);
    }

    [Fact]
    public void Unmanaged_GatewayIsFirstAddress()
    {
        var input = Input() with { Links = new[] { Link("mybr", "bridge", "10.98.0.1/24", "10.98.0.2/24", "10.97.0.1/24") } };

        var network = Single(HostSurveyAnalyzer.Analyze(input).Networks, "mybr");

        Assert.Equal("10.98.0.1", network.Gateway);
        Assert.Equal(new[] { "10.98.0.0/24", "10.97.0.0/24" }, network.Subnets.Select(s => s.ToString()));
        Assert.Null(network.Forward);
    }

    [Fact]
    public void UnreadSources_LeaveBridgesUnmanaged()
    {
        var input = Input() with
        {
            Links = new[] { Link("virbr0", "bridge", "192.168.122.1/24"), Link("docker0", "bridge", "172.17.0.1/16") },
            LibvirtNetworks = null,
            DockerNetworks = null,
        };

        var networks = HostSurveyAnalyzer.Analyze(input).Networks;

        Assert.Equal(2, networks.Count);
        Assert.All(networks, n => Assert.Equal(HostNetworkOwner.Unmanaged, n.Owner));
    }

    [Fact]
    public void DaemonJson_ReadsIptables()
    {
        Assert.False(DockerDaemonSettings.ParseIptablesSetting("""{"iptables": false, "bip": "10.1.0.1/24"}"""));
        Assert.True(DockerDaemonSettings.ParseIptablesSetting("""{"iptables": true}"""));
        Assert.Null(DockerDaemonSettings.ParseIptablesSetting("""{"log-driver": "json-file"}"""));
    }

    [Fact]
    public void DaemonFlags_ReadIptablesAndConfigFile()
    {
        Assert.False(DockerDaemonSettings.ParseIptablesFlag(new[] { "/usr/bin/dockerd", "--iptables=false" }));
        Assert.True(DockerDaemonSettings.ParseIptablesFlag(new[] { "/usr/bin/dockerd", "--iptables" }));
        Assert.True(DockerDaemonSettings.ParseIptablesFlag(new[] { "/usr/bin/dockerd", "--iptables", "false" }));
        Assert.Null(DockerDaemonSettings.ParseIptablesFlag(new[] { "/usr/bin/dockerd", "-H", "fd://" }));
        Assert.Equal("/srv/d.json", DockerDaemonSettings.ParseConfigFileFlag(new[] { "dockerd", "--config-file", "/srv/d.json" }));
        Assert.Equal("/srv/e.json", DockerDaemonSettings.ParseConfigFileFlag(new[] { "dockerd", "--config-file=/srv/e.json" }));
    }

    [Theory]
    [InlineData("lxdbr0", true)]
    [InlineData("incusbr0", true)]
    [InlineData("br-lxd", false)]
    [InlineData("virbr0", false)]
    public void LxdIncusName_MatchesDefaultBridges(string device, bool expected)
    {
        Assert.Equal(expected, HostSurveyAnalyzer.HasLxdIncusBridgeName(device));
    }

    private static HostSurveyInput TwoDockerNetworks() => Input() with
    {
        Links = new[] { Link("docker0", "bridge", "172.17.0.1/16"), Link("br-abcdef012345", "bridge", "10.252.9.1/24") },
        Routes = new[] { Route("172.17.0.0/16", "docker0"), Route("10.252.9.0/24", "br-abcdef012345") },
        DockerNetworks = new[]
        {
            Docker("bridge", "0123456789abcdef", "172.17.0.0/16"),
            Docker("shop_default", "abcdef0123456789", "10.252.9.0/24") with
            {
                Labels = new Dictionary<string, string>
                {
                    ["com.docker.compose.project"] = "shop",
                    ["com.docker.compose.network"] = "default",
                },
            },
        },
    };

    private static HostSurveyInput Input() => new() { Now = Now };

    private static HostNetwork Single(IReadOnlyList<HostNetwork> networks, string name) =>
        Assert.Single(networks, n => n.Name == name);

    private static LinkInfo Link(string name, string? kind, params string[] cidrs) =>
        new(name, 0, 1500, "UP", null, null, kind, null, cidrs) { Flags = new[] { "BROADCAST", "MULTICAST", "UP", "LOWER_UP" } };

    private static HostRoute Route(string destination, string? device) => new(destination, device);

    private static LibvirtNetworkInfo Libvirt(string name, string bridge, string gatewayCidr, bool active)
    {
        var parts = gatewayCidr.Split('/');
        var xml = $"<network><name>{name}</name><bridge name='{bridge}'/><ip address='{parts[0]}' prefix='{parts[1]}'/></network>";
        return LibvirtNetworkInfo.Parse(xml, active);
    }

    private static DockerNetworkInfo Docker(string name, string id, string? subnet, params DockerEndpointInfo[] endpoints)
    {
        var gateway = subnet is null ? null : subnet.Split('/')[0][..^1] + "1";
        return new DockerNetworkInfo(
            id, name, "bridge", subnet, gateway, null, null, Internal: false, new Dictionary<string, string>(), endpoints)
        {
            Subnets = subnet is null ? Array.Empty<string>() : new[] { subnet },
        };
    }

    private static SurveyDomain Domain(string name, string state, params DomainInterface[] nics) => new(name, state, nics);

    private static DomainInterface NetworkNic(string network, string mac) => new("network", network, null, mac, null, "virtio");

    private static DhcpLease Lease(string address, string mac, long expiry)
    {
        Ipv4Subnet.TryParseAddress(address, out var value);
        return new DhcpLease(value, mac, null, expiry);
    }
}
