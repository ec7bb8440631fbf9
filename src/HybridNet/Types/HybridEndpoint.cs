namespace HybridNet;

/// <summary>What kind of member an endpoint is.</summary>
public enum HybridEndpointKind
{
    VM,
    Container,
    Host,
}

/// <summary>A VM NIC or a container endpoint on a hybrid bridge.</summary>
public sealed class HybridEndpoint
{
    internal HybridEndpoint(
        HybridEndpointKind kind,
        string name,
        string bridge,
        string? ipAddress,
        string? macAddress,
        string? hostInterface,
        string? id,
        bool running,
        bool hasGuestAgent,
        int? containerPid)
    {
        Kind = kind;
        Name = name;
        Bridge = bridge;
        IPAddress = ipAddress;
        MacAddress = macAddress;
        HostInterface = hostInterface;
        Id = id;
        Running = running;
        HasGuestAgent = hasGuestAgent;
        ContainerPid = containerPid;
    }

    public HybridEndpointKind Kind { get; }

    /// <summary>Domain name for a VM, container name for a container.</summary>
    public string Name { get; }

    /// <summary>Name of the hybrid bridge the endpoint is on.</summary>
    public string Bridge { get; }

    /// <summary>IPv4 address on the bridge; null while a guest has neither a reservation nor a lease.</summary>
    public string? IPAddress { get; }

    /// <summary>Global IPv6 address on a bridge with an IPv6 subnet; null when unknown (a guest's SLAAC address is looked up by -AddressFamily IPv6 probes).</summary>
    public string? IPv6Address { get; init; }

    public string? MacAddress { get; }

    /// <summary>Host side of the link: the VM's tap device or the container's veth peer.</summary>
    public string? HostInterface { get; }

    /// <summary>Domain UUID or container id.</summary>
    public string? Id { get; }

    public bool Running { get; }

    /// <summary>Whether the domain defines a QEMU guest agent channel; always false for containers.</summary>
    public bool HasGuestAgent { get; }

    /// <summary>Process id whose network namespace is the container's; null for VMs and stopped containers.</summary>
    public int? ContainerPid { get; }

    public override string ToString() => Name;
}
