namespace HybridNet;

/// <summary>Kind of holder of an address on a hybrid bridge.</summary>
public enum HybridAddressHolderKind
{
    VM,
    Container,
    Host,

    /// <summary>A neighbour or DHCP client HybridNet did not attach.</summary>
    Unknown,
}

/// <summary>One address in use on a hybrid bridge, with every source that reports it.</summary>
public sealed class HybridAddress
{
    internal HybridAddress(
        string bridge,
        string ipAddress,
        string holder,
        HybridAddressHolderKind kind,
        string? macAddress,
        string[] source,
        bool conflict,
        string? conflictDetail)
    {
        Bridge = bridge;
        IPAddress = ipAddress;
        Holder = holder;
        Kind = kind;
        MacAddress = macAddress;
        Source = source;
        Conflict = conflict;
        ConflictDetail = conflictDetail;
    }

    public string Bridge { get; }

    public string IPAddress { get; }

    /// <summary>Domain or container name, "host" for the bridge's own address, or a description.</summary>
    public string Holder { get; }

    public HybridAddressHolderKind Kind { get; }

    public string? MacAddress { get; }

    /// <summary>
    /// Where the fact came from: BridgeAddress, DhcpReservation, DnsmasqLease, DockerEndpoint,
    /// NeighbourTable.
    /// </summary>
    public string[] Source { get; }

    /// <summary>True when sources disagree about the MAC address behind the address.</summary>
    public bool Conflict { get; }

    public string? ConflictDetail { get; }

    public override string ToString() => IPAddress;
}
