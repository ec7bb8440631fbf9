using System.Linq;
using HybridNet.Engine;
using HybridNet.Engine.Addressing;

namespace HybridNet.Internal;

/// <summary>Maps engine records to the module's public output types.</summary>
internal static class TypeMapper
{
    public static HybridBridge ToBridge(BridgeState state)
    {
        var definition = state.Definition;
        var plan = definition.Plan;
        return new HybridBridge(
            definition.Name,
            (HybridBridgeState)(int)state.Health,
            plan.Subnet.ToString(),
            Ipv4Subnet.Format(plan.Gateway),
            plan.VmPool.ToString(),
            plan.ContainerPool.ToString(),
            plan.StaticRange?.ToString(),
            definition.Mtu,
            definition.DnsDomain,
            definition.Name,
            definition.DockerNetwork,
            state.DockerNetworkId,
            state.LibvirtAutostart,
            state.Problems.ToArray(),
            (HybridBridgeMode)(int)definition.Mode,
            definition.AllowedNetworks.Select(n => n.ToString()).ToArray())
        {
            Ipv6Subnet = definition.Ipv6Subnet,
        };
    }

    public static HybridEndpoint ToEndpoint(EndpointState state) => new(
        (HybridEndpointKind)(int)state.Kind,
        state.Name,
        state.Bridge,
        state.IPAddress,
        state.MacAddress,
        state.HostInterface,
        state.Id,
        state.Running,
        state.HasGuestAgent,
        state.ContainerPid)
    {
        IPv6Address = state.IPv6Address,
    };

    public static ProbeEndpoint ToProbeEndpoint(HybridEndpoint endpoint, bool ipv6 = false) => new(
        (EndpointKind)(int)endpoint.Kind,
        endpoint.Name,
        ipv6 ? endpoint.IPv6Address : endpoint.IPAddress,
        endpoint.ContainerPid,
        endpoint.HasGuestAgent,
        endpoint.Running);

    public static HybridConnectivityResult ToResult(ProbeResult result) => new(
        result.Source,
        (HybridEndpointKind)(int)result.SourceKind,
        result.Target,
        (HybridEndpointKind)(int)result.TargetKind,
        result.TargetAddress,
        result.Protocol,
        (HybridProbeStatus)(int)result.Status,
        result.LatencyMs,
        result.Detail,
        result.Diagnosis.ToArray(),
        result.FailedLayer,
        result.Sent,
        result.Received,
        result.LatencyMinMs,
        result.LatencyMaxMs,
        result.PathMtu);

    public static EndpointState ToEndpointState(HybridEndpoint endpoint) => new(
        (EndpointKind)(int)endpoint.Kind,
        endpoint.Name,
        endpoint.Bridge,
        endpoint.IPAddress,
        endpoint.MacAddress,
        endpoint.HostInterface,
        endpoint.Id,
        endpoint.Running,
        endpoint.ContainerPid,
        endpoint.HasGuestAgent)
    {
        IPv6Address = endpoint.IPv6Address,
    };
}
