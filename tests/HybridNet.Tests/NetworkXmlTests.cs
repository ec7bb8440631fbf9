using System.Collections.Generic;
using System.Linq;
using System.Net;
using System.Xml.Linq;
using HybridNet.Engine;
using HybridNet.Engine.Addressing;
using HybridNet.Engine.Libvirt;
using Xunit;

namespace HybridNet.Tests;

public class NetworkXmlTests
{
    // A network HybridNet defined, as `virsh net-dumpxml` prints it once libvirt has added uuid
    // and mac elements. It also carries DNS host records and IPv6 entries.
    private const string DumpedHybridNetwork = """
        <network>
          <name>hnlab</name>
          <uuid>3e3fce45-4f53-4fa7-bb32-11f34168b82b</uuid>
          <metadata>
            <hybridnet:bridge xmlns:hybridnet="https://hybridnet.dev/xmlns/libvirt/bridge/1" version="1">
              <hybridnet:subnet>10.20.0.0/24</hybridnet:subnet>
              <hybridnet:gateway>10.20.0.1</hybridnet:gateway>
              <hybridnet:vmPool>10.20.0.128-10.20.0.254</hybridnet:vmPool>
              <hybridnet:containerPool>10.20.0.64/26</hybridnet:containerPool>
              <hybridnet:staticRange>10.20.0.2-10.20.0.63</hybridnet:staticRange>
              <hybridnet:dockerNetwork>hnlab</hybridnet:dockerNetwork>
            </hybridnet:bridge>
          </metadata>
          <bridge name='hnlab' stp='off' delay='0'/>
          <mtu size='9000'/>
          <mac address='52:54:00:1a:2b:3c'/>
          <domain name='hnlab.internal' localOnly='yes'/>
          <dns>
            <host ip='10.20.0.70'>
              <hostname>web</hostname>
              <hostname>web.hnlab.internal</hostname>
            </host>
            <host ip='fd00:20::70'>
              <hostname>web6</hostname>
            </host>
          </dns>
          <ip address='10.20.0.1' prefix='24'>
            <dhcp>
              <range start='10.20.0.128' end='10.20.0.254'/>
              <host mac='52:54:00:AA:BB:CC' name='vm1' ip='10.20.0.130'/>
              <host mac='52:54:00:aa:bb:cd' ip='10.20.0.131'/>
              <host name='no-mac' ip='10.20.0.132'/>
            </dhcp>
          </ip>
          <ip family='ipv6' address='fd00:20::1' prefix='64'>
            <dhcp>
              <host id='0:1:0:1:2c:0:0:1' ip='fd00:20::5'/>
            </dhcp>
          </ip>
        </network>
        """;

    // libvirt's stock NAT network, which HybridNet did not create.
    private const string DefaultNetwork = """
        <network>
          <name>default</name>
          <uuid>9a05da11-e96b-47f3-8253-a3a482e445f5</uuid>
          <forward mode='nat'>
            <nat>
              <port start='1024' end='65535'/>
            </nat>
          </forward>
          <bridge name='virbr0' stp='on' delay='0'/>
          <mac address='52:54:00:0a:cd:21'/>
          <ip address='192.168.122.1' netmask='255.255.255.0'>
            <dhcp>
              <range start='192.168.122.2' end='192.168.122.254'/>
            </dhcp>
          </ip>
        </network>
        """;

    private static uint Ip(string text) => Ipv4Subnet.ToUInt32(IPAddress.Parse(text));

    private static BridgeDefinition SampleDefinition()
    {
        var subnet = Ipv4Subnet.Parse("10.30.0.0/24");
        var plan = AddressPlan.Create(
            subnet,
            Ip("10.30.0.254"),
            new Ipv4Range(Ip("10.30.0.100"), Ip("10.30.0.199")),
            Ipv4Subnet.Parse("10.30.0.32/27"),
            new Ipv4Range(Ip("10.30.0.200"), Ip("10.30.0.253")));
        return new BridgeDefinition("hnlab", plan, 9000, "lab.example", "hnlab-docker")
        {
            Reservations = new List<DhcpReservation>
            {
                new("52:54:00:aa:bb:cc", "vm1", Ip("10.30.0.150")),
                new("52:54:00:aa:bb:cd", null, Ip("10.30.0.151")),
            },
        };
    }

    [Fact]
    public void RoundTripKeepsAddressPlan()
    {
        var definition = SampleDefinition();

        var parsed = NetworkXml.Parse(NetworkXml.Build(definition));

        Assert.NotNull(parsed);
        Assert.Equal(definition.Plan, parsed.Plan);
    }

    [Fact]
    public void RoundTripKeepsBridgeSettings()
    {
        var definition = SampleDefinition();

        var parsed = NetworkXml.Parse(NetworkXml.Build(definition));

        Assert.NotNull(parsed);
        Assert.Equal("hnlab", parsed.Name);
        Assert.Equal(9000, parsed.Mtu);
        Assert.Equal("lab.example", parsed.DnsDomain);
        Assert.Equal("hnlab-docker", parsed.DockerNetwork);
        Assert.True(parsed.ManagedByHybridNet);
    }

    [Fact]
    public void RoundTripKeepsReservations()
    {
        var definition = SampleDefinition();

        var parsed = NetworkXml.Parse(NetworkXml.Build(definition));

        Assert.NotNull(parsed);
        Assert.Equal(definition.Reservations, parsed.Reservations);
    }

    [Fact]
    public void RoundTripKeepsMissingStaticRange()
    {
        var subnet = Ipv4Subnet.Parse("10.30.0.0/24");
        var plan = AddressPlan.Create(
            subnet,
            vmPool: new Ipv4Range(Ip("10.30.0.2"), Ip("10.30.0.127")),
            containerPool: Ipv4Subnet.Parse("10.30.0.128/25"));
        var definition = new BridgeDefinition("hnfull", plan, 1500, "hnfull.internal", "hnfull");

        var parsed = NetworkXml.Parse(NetworkXml.Build(definition));

        Assert.NotNull(parsed);
        Assert.Null(parsed.Plan.StaticRange);
        Assert.Equal(plan, parsed.Plan);
    }

    [Fact]
    public void BuildDefinesIsolatedNetwork()
    {
        var network = XElement.Parse(NetworkXml.Build(SampleDefinition()));

        Assert.Null(network.Element("forward"));
        Assert.Equal("hnlab", network.Element("bridge")?.Attribute("name")?.Value);
        Assert.Equal("off", network.Element("bridge")?.Attribute("stp")?.Value);
        Assert.Equal("yes", network.Element("domain")?.Attribute("localOnly")?.Value);
    }

    [Fact]
    public void BuildPutsGatewayOnBridge()
    {
        var ip = XElement.Parse(NetworkXml.Build(SampleDefinition())).Element("ip");

        Assert.NotNull(ip);
        Assert.Equal("10.30.0.254", ip.Attribute("address")?.Value);
        Assert.Equal("24", ip.Attribute("prefix")?.Value);
    }

    [Fact]
    public void BuildServesDhcpFromVmPool()
    {
        var range = XElement.Parse(NetworkXml.Build(SampleDefinition())).Element("ip")?.Element("dhcp")?.Element("range");

        Assert.NotNull(range);
        Assert.Equal("10.30.0.100", range.Attribute("start")?.Value);
        Assert.Equal("10.30.0.199", range.Attribute("end")?.Value);
    }

    [Fact]
    public void ParseReadsDumpedNetwork()
    {
        var parsed = NetworkXml.Parse(DumpedHybridNetwork);

        Assert.NotNull(parsed);
        Assert.Equal("hnlab", parsed.Name);
        Assert.Equal(AddressPlan.CreateDefault(Ipv4Subnet.Parse("10.20.0.0/24")), parsed.Plan);
        Assert.Equal(9000, parsed.Mtu);
        Assert.Equal("hnlab.internal", parsed.DnsDomain);
        Assert.Equal("hnlab", parsed.DockerNetwork);
    }

    [Fact]
    public void ParseLowercasesReservationMacs()
    {
        var parsed = NetworkXml.Parse(DumpedHybridNetwork);

        Assert.NotNull(parsed);
        Assert.Equal(
            new[]
            {
                new DhcpReservation("52:54:00:aa:bb:cc", "vm1", Ip("10.20.0.130")),
                new DhcpReservation("52:54:00:aa:bb:cd", null, Ip("10.20.0.131")),
            },
            parsed.Reservations);
    }

    [Fact]
    public void ParseReadsIpv4DnsHostsOnly()
    {
        var parsed = NetworkXml.Parse(DumpedHybridNetwork);

        Assert.NotNull(parsed);
        var host = Assert.Single(parsed.DnsHosts);
        Assert.Equal(Ip("10.20.0.70"), host.Address);
        Assert.Equal(new[] { "web", "web.hnlab.internal" }, host.HostNames);
    }

    [Fact]
    public void ParseDefaultsMissingMtuTo1500()
    {
        var xml = DumpedHybridNetwork.Replace("<mtu size='9000'/>", string.Empty, System.StringComparison.Ordinal);

        var parsed = NetworkXml.Parse(xml);

        Assert.NotNull(parsed);
        Assert.Equal(1500, parsed.Mtu);
    }

    [Fact]
    public void ParseReturnsNullWithoutMetadata()
    {
        Assert.Null(NetworkXml.Parse(DefaultNetwork));
    }

    [Fact]
    public void ParseReturnsNullForForeignMetadata()
    {
        const string xml = """
            <network>
              <name>other</name>
              <metadata>
                <app:settings xmlns:app="https://example.com/app/1">
                  <app:subnet>10.40.0.0/24</app:subnet>
                </app:settings>
              </metadata>
              <bridge name='other0'/>
            </network>
            """;

        Assert.Null(NetworkXml.Parse(xml));
    }

    [Fact]
    public void ReadSubnetsOfNetmaskNetwork()
    {
        var (bridge, subnets) = NetworkXml.ReadBridgeAndSubnets(DefaultNetwork);

        Assert.Equal("virbr0", bridge);
        Assert.Equal(new[] { Ipv4Subnet.Parse("192.168.122.0/24") }, subnets);
    }

    [Fact]
    public void ReadSubnetsSkipsIpv6Entries()
    {
        var (bridge, subnets) = NetworkXml.ReadBridgeAndSubnets(DumpedHybridNetwork);

        Assert.Equal("hnlab", bridge);
        Assert.Equal(new[] { Ipv4Subnet.Parse("10.20.0.0/24") }, subnets);
    }

    [Fact]
    public void ReadSubnetsMixesPrefixAndNetmask()
    {
        const string xml = """
            <network>
              <name>multi</name>
              <bridge name='virbr7'/>
              <ip address='10.50.3.1' prefix='22'/>
              <ip family='ipv4' address='172.20.5.1' netmask='255.255.0.0'/>
              <ip address='192.168.9.1' netmask='0.0.0.0'/>
              <ip family='ipv6' address='fd00:50::1' prefix='64'/>
              <ip address='fd00:51::1' prefix='64'/>
            </network>
            """;

        var (_, subnets) = NetworkXml.ReadBridgeAndSubnets(xml);

        Assert.Equal(
            new[]
            {
                Ipv4Subnet.Parse("10.50.0.0/22"),
                Ipv4Subnet.Parse("172.20.0.0/16"),
                Ipv4Subnet.Parse("0.0.0.0/0"),
            },
            subnets);
    }

    [Fact]
    public void ReadSubnetsOfBridgeWithoutIp()
    {
        const string xml = """
            <network>
              <name>host-bridge</name>
              <forward mode='bridge'/>
              <bridge name='br0'/>
            </network>
            """;

        var (bridge, subnets) = NetworkXml.ReadBridgeAndSubnets(xml);

        Assert.Equal("br0", bridge);
        Assert.Empty(subnets);
    }

    [Fact]
    public void ReadSubnetsWithoutBridgeElement()
    {
        const string xml = """
            <network>
              <name>macvtap</name>
              <forward mode='bridge'>
                <interface dev='eth0'/>
              </forward>
            </network>
            """;

        var (bridge, _) = NetworkXml.ReadBridgeAndSubnets(xml);

        Assert.Null(bridge);
    }

    // With neither prefix nor netmask, libvirt takes the classful prefix of the address
    // (virSocketAddrGetIPPrefix in libvirt's src/util/virsocketaddr.c), so 10.5.0.1 is a /8.
    [Theory]
    [InlineData("10.5.0.1", "10.0.0.0/8")]
    [InlineData("172.16.5.1", "172.16.0.0/16")]
    [InlineData("192.168.5.1", "192.168.5.0/24")]
    public void ReadSubnetsUsesClassfulDefaultPrefix(string address, string expected)
    {
        var xml = $"<network><name>legacy</name><ip address='{address}'/></network>";

        var (_, subnets) = NetworkXml.ReadBridgeAndSubnets(xml);

        Assert.Equal(new[] { Ipv4Subnet.Parse(expected) }, subnets);
    }

    [Fact]
    public void ReservationXmlWritesHostElement()
    {
        var xml = NetworkXml.ReservationXml(new DhcpReservation("52:54:00:aa:bb:cc", "vm1", Ip("10.20.0.130")));

        Assert.Equal("<host mac=\"52:54:00:aa:bb:cc\" name=\"vm1\" ip=\"10.20.0.130\" />", xml);
    }

    [Fact]
    public void ReservationXmlOmitsMissingName()
    {
        var xml = NetworkXml.ReservationXml(new DhcpReservation("52:54:00:aa:bb:cd", null, Ip("10.20.0.131")));

        Assert.Equal("<host mac=\"52:54:00:aa:bb:cd\" ip=\"10.20.0.131\" />", xml);
    }

    [Fact]
    public void DnsHostXmlListsEveryHostName()
    {
        var record = new DnsHostRecord(Ip("10.20.0.70"), new[] { "web", "web.hnlab.internal" });

        var host = XElement.Parse(NetworkXml.DnsHostXml(record));

        Assert.Equal("host", host.Name.LocalName);
        Assert.Equal("10.20.0.70", host.Attribute("ip")?.Value);
        Assert.Equal(new[] { "web", "web.hnlab.internal" }, host.Elements("hostname").Select(h => h.Value));
    }
}
