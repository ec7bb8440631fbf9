using System.Linq;
using HybridNet.Engine.Host;
using Xunit;

namespace HybridNet.Tests;

public class IpRoute2ParsingTests
{
    // `ip -j -d addr show` on a host with a hybrid bridge: loopback, an uplink with a secondary
    // address, the bridge, a guest's tap port, a container's veth port and a dummy link without
    // an addr_info key. The veth's peer is in another namespace, so iproute2 prints link_index.
    private const string HostLinks = """
        [{"ifindex":1,"ifname":"lo","flags":["LOOPBACK","UP","LOWER_UP"],"mtu":65536,"qdisc":"noqueue",
          "operstate":"UNKNOWN","group":"default","txqlen":1000,"link_type":"loopback",
          "address":"00:00:00:00:00:00","broadcast":"00:00:00:00:00:00","promiscuity":0,"allmulti":0,
          "min_mtu":0,"max_mtu":0,"num_tx_queues":1,"num_rx_queues":1,"gso_max_size":65536,"gso_max_segs":65535,
          "addr_info":[
            {"family":"inet","local":"127.0.0.1","prefixlen":8,"scope":"host","label":"lo",
             "valid_life_time":4294967295,"preferred_life_time":4294967295},
            {"family":"inet6","local":"::1","prefixlen":128,"scope":"host","noprefixroute":true,
             "valid_life_time":4294967295,"preferred_life_time":4294967295}]},
         {"ifindex":2,"ifname":"eth0","flags":["BROADCAST","MULTICAST","UP","LOWER_UP"],"mtu":1500,
          "qdisc":"fq_codel","operstate":"UP","group":"default","txqlen":1000,"link_type":"ether",
          "address":"02:42:ac:11:00:02","broadcast":"ff:ff:ff:ff:ff:ff","promiscuity":0,"allmulti":0,
          "min_mtu":68,"max_mtu":65535,"num_tx_queues":1,"num_rx_queues":1,
          "addr_info":[
            {"family":"inet","local":"192.168.1.20","prefixlen":24,"broadcast":"192.168.1.255","scope":"global",
             "dynamic":true,"label":"eth0","valid_life_time":85365,"preferred_life_time":85365},
            {"family":"inet","local":"192.168.1.21","prefixlen":24,"scope":"global","secondary":true,
             "label":"eth0","valid_life_time":4294967295,"preferred_life_time":4294967295},
            {"family":"inet6","local":"2001:db8::20","prefixlen":64,"scope":"global","dynamic":true,
             "mngtmpaddr":true,"valid_life_time":86300,"preferred_life_time":14300},
            {"family":"inet6","local":"fe80::42:acff:fe11:2","prefixlen":64,"scope":"link",
             "valid_life_time":4294967295,"preferred_life_time":4294967295}]},
         {"ifindex":5,"ifname":"hnlab","flags":["BROADCAST","MULTICAST","UP","LOWER_UP"],"mtu":9000,
          "qdisc":"noqueue","operstate":"UP","group":"default","txqlen":1000,"link_type":"ether",
          "address":"52:54:00:1a:2b:3c","broadcast":"ff:ff:ff:ff:ff:ff","promiscuity":0,"allmulti":0,
          "min_mtu":68,"max_mtu":65535,
          "linkinfo":{"info_kind":"bridge","info_data":{"forward_delay":0,"hello_time":200,"max_age":2000,
            "ageing_time":30000,"stp_state":0,"priority":32768,"vlan_filtering":0,"vlan_protocol":"802.1Q"}},
          "num_tx_queues":1,"num_rx_queues":1,
          "addr_info":[
            {"family":"inet","local":"10.20.0.1","prefixlen":24,"broadcast":"10.20.0.255","scope":"global",
             "label":"hnlab","valid_life_time":4294967295,"preferred_life_time":4294967295}]},
         {"ifindex":6,"ifname":"vnet3","flags":["BROADCAST","MULTICAST","UP","LOWER_UP"],"mtu":9000,
          "qdisc":"noqueue","master":"hnlab","operstate":"UNKNOWN","group":"default","txqlen":1000,
          "link_type":"ether","address":"fe:54:00:ab:cd:01","broadcast":"ff:ff:ff:ff:ff:ff","promiscuity":1,
          "allmulti":1,"min_mtu":68,"max_mtu":65521,
          "linkinfo":{"info_kind":"tun","info_data":{"type":"tap","pi":false,"vnet_hdr":true,"multi_queue":false,
            "persist":false},"info_slave_kind":"bridge","info_slave_data":{"state":"forwarding","priority":32,
            "cost":100}},
          "addr_info":[
            {"family":"inet6","local":"fe80::fc54:ff:feab:cd01","prefixlen":64,"scope":"link",
             "valid_life_time":4294967295,"preferred_life_time":4294967295}]},
         {"ifindex":8,"link_index":7,"ifname":"vethhn1a2b","flags":["BROADCAST","MULTICAST","UP","LOWER_UP"],
          "mtu":9000,"qdisc":"noqueue","master":"hnlab","operstate":"UP","group":"default","txqlen":1000,
          "link_type":"ether","address":"9a:3c:11:22:33:44","broadcast":"ff:ff:ff:ff:ff:ff","link_netnsid":0,
          "promiscuity":1,"allmulti":1,"min_mtu":68,"max_mtu":65535,
          "linkinfo":{"info_kind":"veth","info_slave_kind":"bridge","info_slave_data":{"state":"forwarding",
            "priority":32,"cost":2}},
          "addr_info":[]},
         {"ifindex":9,"ifname":"dummy0","flags":["BROADCAST","NOARP"],"mtu":1500,"qdisc":"noop",
          "operstate":"DOWN","group":"default","txqlen":1000,"link_type":"ether",
          "address":"ce:11:22:33:44:55","broadcast":"ff:ff:ff:ff:ff:ff","promiscuity":0,
          "linkinfo":{"info_kind":"dummy"}}]
        """;

    // The same veth seen from inside the container with `nsenter --net=... ip -j -d addr show`.
    private const string ContainerLinks = """
        [{"ifindex":1,"ifname":"lo","flags":["LOOPBACK","UP","LOWER_UP"],"mtu":65536,"qdisc":"noqueue",
          "operstate":"UNKNOWN","group":"default","txqlen":1000,"link_type":"loopback",
          "address":"00:00:00:00:00:00","broadcast":"00:00:00:00:00:00",
          "addr_info":[{"family":"inet","local":"127.0.0.1","prefixlen":8,"scope":"host","label":"lo"}]},
         {"ifindex":7,"link_index":8,"ifname":"eth0","flags":["BROADCAST","MULTICAST","UP","LOWER_UP"],
          "mtu":9000,"qdisc":"noqueue","operstate":"UP","group":"default","link_type":"ether",
          "address":"02:42:0a:14:00:46","broadcast":"ff:ff:ff:ff:ff:ff","link_netnsid":0,
          "linkinfo":{"info_kind":"veth"},
          "addr_info":[{"family":"inet","local":"10.20.0.70","prefixlen":24,"broadcast":"10.20.0.255",
            "scope":"global","label":"eth0"}]}]
        """;

    // `bridge -j link show` for the hybrid bridge's ports and a port of libvirt's default network.
    private const string BridgePorts = """
        [{"ifindex":6,"ifname":"vnet3","flags":["BROADCAST","MULTICAST","UP","LOWER_UP"],"mtu":9000,
          "master":"hnlab","state":"forwarding","priority":32,"cost":100},
         {"ifindex":8,"link_index":7,"ifname":"vethhn1a2b","flags":["BROADCAST","MULTICAST","UP","LOWER_UP"],
          "mtu":9000,"master":"hnlab","state":"forwarding","priority":32,"cost":2},
         {"ifindex":11,"ifname":"vnet9","flags":["BROADCAST","MULTICAST"],"mtu":1500,"master":"virbr0",
          "state":"disabled","priority":32,"cost":100}]
        """;

    private static LinkInfo Link(string name) =>
        IpRoute2.ParseLinks(HostLinks).Single(l => l.Name == name);

    [Fact]
    public void ParseLinksListsEveryLink()
    {
        var links = IpRoute2.ParseLinks(HostLinks);

        Assert.Equal(new[] { "lo", "eth0", "hnlab", "vnet3", "vethhn1a2b", "dummy0" }, links.Select(l => l.Name));
        Assert.Equal(new[] { 1, 2, 5, 6, 8, 9 }, links.Select(l => l.Index));
    }

    [Fact]
    public void ParseLinksReadsBridge()
    {
        var bridge = Link("hnlab");

        Assert.Equal(9000, bridge.Mtu);
        Assert.Equal("UP", bridge.OperState);
        Assert.Null(bridge.Master);
        Assert.Equal("52:54:00:1a:2b:3c", bridge.MacAddress);
        Assert.Equal("bridge", bridge.Kind);
        Assert.Null(bridge.PeerIndex);
        Assert.Equal(new[] { "10.20.0.1/24" }, bridge.IPv4Cidrs);
    }

    [Fact]
    public void ParseLinksKeepsOnlyIpv4Addresses()
    {
        Assert.Equal(new[] { "192.168.1.20/24", "192.168.1.21/24" }, Link("eth0").IPv4Cidrs);
        Assert.Equal(new[] { "127.0.0.1/8" }, Link("lo").IPv4Cidrs);
    }

    [Fact]
    public void ParseLinksReadsTapPort()
    {
        var tap = Link("vnet3");

        Assert.Equal("hnlab", tap.Master);
        Assert.Equal("tun", tap.Kind);
        Assert.Equal("UNKNOWN", tap.OperState);
        Assert.Empty(tap.IPv4Cidrs);
    }

    [Fact]
    public void ParseLinksReadsVethPeerIndex()
    {
        var veth = Link("vethhn1a2b");

        Assert.Equal(7, veth.PeerIndex);
        Assert.Equal("hnlab", veth.Master);
        Assert.Equal("veth", veth.Kind);
        Assert.Empty(veth.IPv4Cidrs);
    }

    [Fact]
    public void ParseLinksAcceptsMissingAddrInfo()
    {
        var dummy = Link("dummy0");

        Assert.Equal("DOWN", dummy.OperState);
        Assert.Equal("dummy", dummy.Kind);
        Assert.Null(dummy.PeerIndex);
        Assert.Empty(dummy.IPv4Cidrs);
    }

    [Fact]
    public void ParseLinksReadsContainerSide()
    {
        var eth0 = IpRoute2.ParseLinks(ContainerLinks).Single(l => l.Name == "eth0");

        Assert.Equal(7, eth0.Index);
        Assert.Equal(8, eth0.PeerIndex);
        Assert.Equal(new[] { "10.20.0.70/24" }, eth0.IPv4Cidrs);
    }

    [Theory]
    [InlineData("")]
    [InlineData(" \n")]
    [InlineData("[]")]
    public void ParseLinksOfEmptyOutput(string json)
    {
        Assert.Empty(IpRoute2.ParseLinks(json));
    }

    [Fact]
    public void ParseBridgePortsReadsEveryPort()
    {
        var ports = IpRoute2.ParseBridgePorts(BridgePorts);

        Assert.Equal(
            new[]
            {
                new BridgePort("vnet3", 6, "hnlab", "forwarding"),
                new BridgePort("vethhn1a2b", 8, "hnlab", "forwarding"),
                new BridgePort("vnet9", 11, "virbr0", "disabled"),
            },
            ports);
    }

    [Fact]
    public void ParseBridgePortsFillsMissingFields()
    {
        var port = Assert.Single(IpRoute2.ParseBridgePorts("""[{"ifindex":12,"ifname":"vnet10"}]"""));

        Assert.Equal(new BridgePort("vnet10", 12, string.Empty, "unknown"), port);
    }

    [Theory]
    [InlineData("")]
    [InlineData("[]")]
    public void ParseBridgePortsOfEmptyOutput(string json)
    {
        Assert.Empty(IpRoute2.ParseBridgePorts(json));
    }

    [Fact]
    public void NsenterArgumentsEnterNetworkNamespace()
    {
        var arguments = IpRoute2.NsenterArguments(4242, "ip", new[] { "-j", "addr" });

        Assert.Equal(new[] { "--net=/proc/4242/ns/net", "--", "ip", "-j", "addr" }, arguments);
    }
}
