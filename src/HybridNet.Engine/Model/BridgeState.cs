using System.Collections.Generic;

namespace HybridNet.Engine;

/// <summary>Overall condition of a hybrid bridge.</summary>
public enum BridgeHealth
{
    Active,
    Degraded,
    Inactive,
}

/// <summary>A hybrid bridge's definition together with what is live on the host now.</summary>
public sealed record BridgeState(
    BridgeDefinition Definition,
    bool LibvirtActive,
    bool LibvirtAutostart,
    string? DockerNetworkId,
    bool BridgeDevicePresent,
    int? DeviceMtu,
    BridgeHealth Health,
    IReadOnlyList<string> Problems);

/// <summary>A VM NIC or container endpoint on a hybrid bridge.</summary>
public sealed record EndpointState(
    EndpointKind Kind,
    string Name,
    string Bridge,
    string? IPAddress,
    string? MacAddress,
    string? HostInterface,
    string? Id,
    bool Running,
    int? ContainerPid,
    bool HasGuestAgent)
{
    /// <summary>Global IPv6 address on the bridge, when known.</summary>
    public string? IPv6Address { get; init; }

    /// <summary>Host path of a container's /etc/hosts, which the name service rewrites.</summary>
    public string? HostsPath { get; init; }
}
