using System.Collections.Generic;
using HybridNet.Engine;
using HybridNet.Engine.Addressing;
using HybridNet.Engine.Operations;
using Xunit;

namespace HybridNet.Tests;

public sealed class TopologyRendererTests
{
    private static IReadOnlyList<TopologyBridge> Sample(BridgeHealth health = BridgeHealth.Active)
    {
        var plan = AddressPlan.CreateDefault(Ipv4Subnet.Parse("10.0.1.0/24"));
        var definition = new BridgeDefinition("hybr0", plan, 1500, "hybr0.internal", "hybr0");
        var state = new BridgeState(definition, true, true, "id", true, 1500, health, new List<string>());
        var vm = new EndpointState(EndpointKind.VM, "vm-1", "hybr0", "10.0.1.128", "52:54:00:00:00:01", "vnet0", "u", true, null, true);
        var container = new EndpointState(EndpointKind.Container, "web\"1", "hybr0", "10.0.1.64", "02:42:0a:00:01:40", "veth0", "c", true, 42, false);
        return new[] { new TopologyBridge(state, new[] { new TopologyMember(vm, true), new TopologyMember(container, false) }) };
    }

    [Fact]
    public void MermaidStartsWithFlowchart() =>
        Assert.StartsWith("flowchart LR\n", TopologyRenderer.ToMermaid(Sample()));

    [Fact]
    public void MermaidDrawsDownLinkDotted() =>
        Assert.Contains("-.-|10.0.1.64|", TopologyRenderer.ToMermaid(Sample()));

    [Fact]
    public void MermaidMarksDegradedBridgeRed() =>
        Assert.Contains("stroke:#c00", TopologyRenderer.ToMermaid(Sample(BridgeHealth.Degraded)));

    [Fact]
    public void DotIsUndirectedGraph() =>
        Assert.StartsWith("graph hybridnet {", TopologyRenderer.ToDot(Sample()));

    [Fact]
    public void DotDrawsDownLinkDashed() =>
        Assert.Contains("style=dashed, color=red, label=\"10.0.1.64\"", TopologyRenderer.ToDot(Sample()));

    [Fact]
    public void DotDropsQuotesFromLabels() =>
        Assert.Contains("label=\"web1\\ncontainer\"", TopologyRenderer.ToDot(Sample()));

    [Fact]
    public void IdentifiersEscapeOtherCharacters() =>
        Assert.Contains("vm_vm_2d1", TopologyRenderer.ToDot(Sample()));
}
