using System;
using System.Collections.Generic;
using System.Linq;
using System.Text.RegularExpressions;
using System.Xml.Linq;
using HybridNet.Engine.Libvirt;
using Xunit;

namespace HybridNet.Tests;

public class DomainXmlTests
{
    // A running guest as `virsh dumpxml` prints it, with NICs on a libvirt network, a host bridge
    // and user-mode networking. Live XML adds the bridge and port id to the network NIC. The
    // guest also has the QEMU guest agent channel and a SPICE channel.
    private const string RunningDomain = """
        <domain type='kvm' id='3'>
          <name>web01</name>
          <uuid>6f1e3c2a-8d0b-4c51-9a55-0d6a2c1b7e10</uuid>
          <memory unit='KiB'>2097152</memory>
          <vcpu placement='static'>2</vcpu>
          <os>
            <type arch='x86_64' machine='pc-q35-8.2'>hvm</type>
            <boot dev='hd'/>
          </os>
          <features>
            <acpi/>
            <apic/>
          </features>
          <devices>
            <emulator>/usr/bin/qemu-system-x86_64</emulator>
            <disk type='file' device='disk'>
              <driver name='qemu' type='qcow2'/>
              <source file='/var/lib/libvirt/images/web01.qcow2'/>
              <target dev='vda' bus='virtio'/>
            </disk>
            <interface type='network'>
              <mac address='52:54:00:AB:CD:01'/>
              <source network='hnlab' portid='0c1e2d3f-4a5b-6c7d-8e9f-a0b1c2d3e4f5' bridge='hnlab'/>
              <target dev='vnet3'/>
              <model type='virtio'/>
              <alias name='net0'/>
              <address type='pci' domain='0x0000' bus='0x01' slot='0x00' function='0x0'/>
            </interface>
            <interface type='bridge'>
              <mac address='52:54:00:ab:cd:02'/>
              <source bridge='br0'/>
              <target dev='vnet4'/>
              <model type='e1000e'/>
              <alias name='net1'/>
            </interface>
            <interface type='user'>
              <mac address='52:54:00:ab:cd:03'/>
              <model type='virtio'/>
            </interface>
            <channel type='spicevmc'>
              <target type='virtio' name='com.redhat.spice.0' state='disconnected'/>
              <alias name='channel1'/>
            </channel>
            <channel type='unix'>
              <source mode='bind' path='/run/libvirt/qemu/channel/3-web01/org.qemu.guest_agent.0'/>
              <target type='virtio' name='org.qemu.guest_agent.0' state='connected'/>
              <alias name='channel0'/>
              <address type='virtio-serial' controller='0' bus='0' port='1'/>
            </channel>
          </devices>
        </domain>
        """;

    private const string BareDomain = """
        <domain type='kvm'>
          <name>bare</name>
          <uuid>00000000-0000-4000-8000-000000000001</uuid>
          <os>
            <type arch='x86_64'>hvm</type>
          </os>
          <devices>
            <channel type='spicevmc'>
              <target type='virtio' name='com.redhat.spice.0'/>
            </channel>
          </devices>
        </domain>
        """;

    [Fact]
    public void ParseReadsDomainIdentity()
    {
        var info = DomainXml.Parse(RunningDomain);

        Assert.Equal("web01", info.Name);
        Assert.Equal("6f1e3c2a-8d0b-4c51-9a55-0d6a2c1b7e10", info.Uuid);
        Assert.Equal("pc-q35-8.2", info.Machine);
    }

    [Fact]
    public void ParseListsInterfacesInOrder()
    {
        var info = DomainXml.Parse(RunningDomain);

        Assert.Equal(new[] { "network", "bridge", "user" }, info.Interfaces.Select(i => i.Type));
    }

    [Fact]
    public void ParseReadsNetworkInterface()
    {
        var nic = DomainXml.Parse(RunningDomain).Interfaces[0];

        Assert.Equal(new DomainInterface("network", "hnlab", "hnlab", "52:54:00:ab:cd:01", "vnet3", "virtio"), nic);
    }

    [Fact]
    public void ParseReadsBridgeInterface()
    {
        var nic = DomainXml.Parse(RunningDomain).Interfaces[1];

        Assert.Equal(new DomainInterface("bridge", null, "br0", "52:54:00:ab:cd:02", "vnet4", "e1000e"), nic);
    }

    [Fact]
    public void ParseReadsInterfaceWithoutSource()
    {
        var nic = DomainXml.Parse(RunningDomain).Interfaces[2];

        Assert.Equal(new DomainInterface("user", null, null, "52:54:00:ab:cd:03", null, "virtio"), nic);
    }

    [Fact]
    public void ParseFindsGuestAgentChannel()
    {
        Assert.True(DomainXml.Parse(RunningDomain).HasGuestAgentChannel);
    }

    [Fact]
    public void ParseIgnoresOtherChannels()
    {
        Assert.False(DomainXml.Parse(BareDomain).HasGuestAgentChannel);
    }

    [Fact]
    public void ParseFindsAcpiFeature()
    {
        Assert.True(DomainXml.Parse(RunningDomain).HasAcpi);
    }

    [Fact]
    public void ParseOfBareDomainHasDefaults()
    {
        var info = DomainXml.Parse(BareDomain);

        Assert.Equal("bare", info.Name);
        Assert.Empty(info.Interfaces);
        Assert.False(info.HasAcpi);
        Assert.Null(info.Machine);
    }

    [Fact]
    public void ParseOfDomainWithoutDevices()
    {
        var info = DomainXml.Parse("<domain type='kvm'><name>empty</name></domain>");

        Assert.Empty(info.Interfaces);
        Assert.False(info.HasGuestAgentChannel);
        Assert.Equal(string.Empty, info.Uuid);
    }

    [Fact]
    public void BuildNetworkInterfaceWritesVirtioNic()
    {
        var nic = XElement.Parse(DomainXml.BuildNetworkInterface("hnlab", "52:54:00:12:34:56"));

        Assert.Equal("interface", nic.Name.LocalName);
        Assert.Equal("network", nic.Attribute("type")?.Value);
        Assert.Equal("hnlab", nic.Element("source")?.Attribute("network")?.Value);
        Assert.Equal("52:54:00:12:34:56", nic.Element("mac")?.Attribute("address")?.Value);
        Assert.Equal("virtio", nic.Element("model")?.Attribute("type")?.Value);
    }

    [Fact]
    public void BuiltInterfaceParsesBack()
    {
        var nic = DomainXml.BuildNetworkInterface("hnlab", "52:54:00:12:34:56");
        var xml = $"<domain><name>d</name><devices>{nic}</devices></domain>";

        var parsed = Assert.Single(DomainXml.Parse(xml).Interfaces);

        Assert.Equal(new DomainInterface("network", "hnlab", null, "52:54:00:12:34:56", null, "virtio"), parsed);
    }

    [Theory]
    [InlineData(1)]
    [InlineData(42)]
    [InlineData(20240601)]
    public void NewMacUsesQemuPrefix(int seed)
    {
        var mac = DomainXml.NewMacAddress(new HashSet<string>(), new Random(seed));

        Assert.Matches(new Regex("^52:54:00(:[0-9a-f]{2}){3}$"), mac);
    }

    [Fact]
    public void NewMacSkipsTakenAddress()
    {
        var takenMacs = new HashSet<string> { "52:54:00:aa:bb:cc" };
        var random = new ScriptedRandom(0xaa, 0xbb, 0xcc, 0x01, 0x02, 0x03);

        var mac = DomainXml.NewMacAddress(takenMacs, random);

        Assert.Equal("52:54:00:01:02:03", mac);
    }

    [Fact]
    public void NewMacSkipsTakenAddressIgnoringCase()
    {
        // VmOperations builds the set with OrdinalIgnoreCase, so an upper-case entry blocks the same MAC.
        var takenMacs = new HashSet<string>(StringComparer.OrdinalIgnoreCase) { "52:54:00:AA:BB:CC" };
        var random = new ScriptedRandom(0xaa, 0xbb, 0xcc, 0x00, 0x00, 0x0f);

        var mac = DomainXml.NewMacAddress(takenMacs, random);

        Assert.Equal("52:54:00:00:00:0f", mac);
    }

    /// <summary>Random source that returns a fixed sequence of values from Next(int).</summary>
    private sealed class ScriptedRandom : Random
    {
        private readonly Queue<int> _values;

        public ScriptedRandom(params int[] values)
        {
            _values = new Queue<int>(values);
        }

        public override int Next(int maxValue) => _values.Dequeue();
    }
}
