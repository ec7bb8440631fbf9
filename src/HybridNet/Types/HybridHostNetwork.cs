namespace HybridNet;

/// <summary>The manager that created a bridge or virtual network. Same order as the engine's HostNetworkOwner.</summary>
public enum HybridHostNetworkOwner
{
    /// <summary>A running libvirt network that HybridNet did not create.</summary>
    LibvirtActive,

    /// <summary>A defined but stopped libvirt network that HybridNet did not create.</summary>
    LibvirtInactive,

    /// <summary>A Docker network of the bridge driver that is not part of a hybrid bridge.</summary>
    Docker,

    /// <summary>A bridge of LXD or Incus, by its lxdbr*/incusbr* name or the daemon's network directory.</summary>
    LxdIncus,

    /// <summary>A hybrid bridge: the libvirt network with HybridNet's metadata and its Docker network.</summary>
    HybridNet,

    /// <summary>A Linux bridge no manager claims, such as one made with `ip link add NAME type bridge`.</summary>
    Unmanaged,
}

/// <summary>State of a network's bridge device. Same order as the engine's HostNetworkState.</summary>
public enum HybridHostNetworkState
{
    /// <summary>The device exists and is administratively up, with or without carrier.</summary>
    Up,

    /// <summary>The device exists but is administratively down.</summary>
    Down,

    /// <summary>No such device exists, for example for an inactive libvirt network.</summary>
    Absent,
}

/// <summary>A VM NIC or a container endpoint on a surveyed network.</summary>
public sealed class HybridHostMember
{
    internal HybridHostMember(HybridEndpointKind kind, string name, string? state, string? macAddress, string? ipAddress)
    {
        Kind = kind;
        Name = name;
        State = state;
        MacAddress = macAddress;
        IPAddress = ipAddress;
    }

    public HybridEndpointKind Kind { get; }

    /// <summary>Domain name for a VM, container name for a container.</summary>
    public string Name { get; }

    /// <summary>libvirt's domain state, such as "running" or "shut off", or null for a container.</summary>
    public string? State { get; }

    public string? MacAddress { get; }

    /// <summary>
    /// IPv4 address. A VM's comes from an unexpired dnsmasq lease, else from its DHCP reservation,
    /// and a container's from Docker's endpoint. Null when no source reports one.
    /// </summary>
    public string? IPAddress { get; }

    /// <summary>Returns "NAME (STATE) ADDRESS" for a VM and "NAME ADDRESS" for a container.</summary>
    public override string ToString()
    {
        var text = State is null ? Name : $"{Name} ({State})";
        return IPAddress is null ? text : $"{text} {IPAddress}";
    }
}

/// <summary>
/// One bridge or virtual network on the host, as Get-HybridHostNetwork surveys it: who owns it,
/// its addresses, its members and the findings that concern it.
/// </summary>
public sealed class HybridHostNetwork
{
    internal HybridHostNetwork(
        string name,
        HybridHostNetworkOwner owner,
        string? bridgeDevice,
        string[] subnet,
        string? gateway,
        string[] dhcpRange,
        HybridHostNetworkState state,
        string? forward,
        HybridHostMember[] vms,
        HybridHostMember[] containers,
        HybridHostFinding[] findings)
    {
        Name = name;
        Owner = owner;
        BridgeDevice = bridgeDevice;
        Subnet = subnet;
        Gateway = gateway;
        DhcpRange = dhcpRange;
        State = state;
        Forward = forward;
        Vms = vms;
        Containers = containers;
        Findings = findings;
    }

    /// <summary>Network name in its manager, or the device name for LXD/Incus and unmanaged bridges.</summary>
    public string Name { get; }

    public HybridHostNetworkOwner Owner { get; }

    /// <summary>Linux bridge device, or null for a libvirt network without one (macvtap or hostdev modes).</summary>
    public string? BridgeDevice { get; }

    /// <summary>IPv4 subnets in CIDR form. For LXD/Incus and unmanaged bridges, those of the bridge's addresses.</summary>
    public string[] Subnet { get; }

    /// <summary>
    /// Gateway of the first subnet for libvirt and Docker networks. For LXD/Incus and unmanaged
    /// bridges, the host's first address on the bridge.
    /// </summary>
    public string? Gateway { get; }

    /// <summary>libvirt DHCP ranges as "FIRST-LAST", empty for Docker, LXD/Incus and unmanaged bridges.</summary>
    public string[] DhcpRange { get; }

    public HybridHostNetworkState State { get; }

    /// <summary>
    /// How traffic leaves the network. For libvirt it is the forward mode ("nat", "route", "open",
    /// "bridge", ...), or "isolated" without a forward element. For Docker it is "nat", "route" (IP
    /// masquerading off) or "internal". It is null for LXD/Incus and unmanaged bridges.
    /// </summary>
    public string? Forward { get; }

    /// <summary>Every NIC of a running or shut-off domain that is on this network or its bridge.</summary>
    public HybridHostMember[] Vms { get; }

    /// <summary>Every container endpoint Docker reports on this network.</summary>
    public HybridHostMember[] Containers { get; }

    public HybridHostFinding[] Findings { get; }

    public override string ToString() => Name;
}
