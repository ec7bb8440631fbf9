using System.Collections.Generic;
using System.Globalization;
using System.Linq;
using System.Text;

namespace HybridNet.Engine.Operations;

/// <summary>One bridge of a topology picture with its members and each member's link health.</summary>
public sealed record TopologyBridge(BridgeState Bridge, IReadOnlyList<TopologyMember> Members);

/// <summary>A member in a topology picture; <see cref="LinkUp"/> is false when its link is off the bridge or down.</summary>
public sealed record TopologyMember(EndpointState Endpoint, bool LinkUp);

/// <summary>Renders hybrid bridges and their members as Mermaid or Graphviz DOT text.</summary>
public static class TopologyRenderer
{
    public static string ToMermaid(IReadOnlyList<TopologyBridge> bridges)
    {
        var text = new StringBuilder("flowchart LR\n");
        text.Append("    host[\"host\"]\n");
        foreach (var item in bridges)
        {
            var bridge = item.Bridge.Definition;
            var bridgeId = Id("br", bridge.Name);
            text.Append(CultureInfo.InvariantCulture,
                $"    {bridgeId}{{{{\"{Escape(bridge.Name)}<br/>{bridge.Plan.Subnet}<br/>{item.Bridge.Health}\"}}}}\n");
            text.Append(CultureInfo.InvariantCulture, $"    host ---|{Escape(Addressing.Ipv4Subnet.Format(bridge.Plan.Gateway))}| {bridgeId}\n");
            foreach (var member in item.Members)
            {
                var endpoint = member.Endpoint;
                var memberId = Id(endpoint.Kind == EndpointKind.VM ? "vm" : "ct", endpoint.Name);
                var shape = endpoint.Kind == EndpointKind.VM
                    ? $"[\"{Escape(endpoint.Name)}<br/>VM\"]"
                    : $"([\"{Escape(endpoint.Name)}<br/>container\"])";
                var link = member.LinkUp ? "---" : "-.-";
                text.Append(CultureInfo.InvariantCulture,
                    $"    {memberId}{shape} {link}|{Escape(endpoint.IPAddress ?? "no address")}| {bridgeId}\n");
            }

            if (item.Bridge.Health != BridgeHealth.Active)
            {
                text.Append(CultureInfo.InvariantCulture, $"    style {bridgeId} stroke:#c00,stroke-width:2px\n");
            }
        }

        return text.ToString();
    }

    public static string ToDot(IReadOnlyList<TopologyBridge> bridges)
    {
        var text = new StringBuilder("graph hybridnet {\n");
        text.Append("    graph [rankdir=LR, fontname=\"sans-serif\"];\n");
        text.Append("    node [fontname=\"sans-serif\"];\n");
        text.Append("    host [shape=box3d, label=\"host\"];\n");
        foreach (var item in bridges)
        {
            var bridge = item.Bridge.Definition;
            var bridgeId = Id("br", bridge.Name);
            var color = item.Bridge.Health == BridgeHealth.Active ? "darkgreen" : "red";
            text.Append(CultureInfo.InvariantCulture,
                $"    {bridgeId} [shape=hexagon, color={color}, label=\"{Escape(bridge.Name)}\\n{bridge.Plan.Subnet}\\n{item.Bridge.Health}\"];\n");
            text.Append(CultureInfo.InvariantCulture,
                $"    host -- {bridgeId} [label=\"{Escape(Addressing.Ipv4Subnet.Format(bridge.Plan.Gateway))}\"];\n");
            foreach (var member in item.Members)
            {
                var endpoint = member.Endpoint;
                var memberId = Id(endpoint.Kind == EndpointKind.VM ? "vm" : "ct", endpoint.Name);
                var shape = endpoint.Kind == EndpointKind.VM ? "box" : "ellipse";
                var style = member.LinkUp ? "solid" : "dashed";
                var edgeColor = member.LinkUp ? "black" : "red";
                text.Append(CultureInfo.InvariantCulture,
                    $"    {memberId} [shape={shape}, label=\"{Escape(endpoint.Name)}\\n{(endpoint.Kind == EndpointKind.VM ? "VM" : "container")}\"];\n");
                text.Append(CultureInfo.InvariantCulture,
                    $"    {memberId} -- {bridgeId} [style={style}, color={edgeColor}, label=\"{Escape(endpoint.IPAddress ?? "no address")}\"];\n");
            }
        }

        text.Append("}\n");
        return text.ToString();
    }

    /// <summary>An identifier safe in both Mermaid and DOT: a prefix and the name's letters and digits, hex-escaped otherwise.</summary>
    private static string Id(string prefix, string name)
    {
        var builder = new StringBuilder(prefix).Append('_');
        foreach (var c in name)
        {
            if (char.IsAsciiLetterOrDigit(c))
            {
                builder.Append(c);
            }
            else
            {
                builder.Append(CultureInfo.InvariantCulture, $"_{(int)c:x}");
            }
        }

        return builder.ToString();
    }

    private static string Escape(string text) =>
        new(text.Where(c => c is not ('"' or '\\' or '|' or '<' or '>' or '{' or '}' or '[' or ']')).ToArray());
}
