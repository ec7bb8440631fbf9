using System.Collections.Generic;

namespace HybridNet.Engine;

/// <summary>Kind of holder of an address on a hybrid bridge.</summary>
public enum AddressHolderKind
{
    VM,
    Container,
    Host,
    Unknown,
}

/// <summary>Where HybridNet learned that an address is in use.</summary>
public enum AddressSource
{
    BridgeAddress,
    DhcpReservation,
    DnsmasqLease,
    DockerEndpoint,
    NeighbourTable,
}

/// <summary>One address in use on a bridge, merged over every source that reports it.</summary>
public sealed record AddressRecord(
    uint Address,
    string Holder,
    AddressHolderKind Kind,
    string? MacAddress,
    IReadOnlyList<AddressSource> Sources,
    bool Conflict,
    string? ConflictDetail);
