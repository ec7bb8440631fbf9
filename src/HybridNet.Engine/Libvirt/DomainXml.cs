using System;
using System.Collections.Generic;
using System.Linq;
using System.Xml.Linq;

namespace HybridNet.Engine.Libvirt;

/// <summary>One interface element of a domain definition.</summary>
public sealed record DomainInterface(
    string Type,
    string? SourceNetwork,
    string? SourceBridge,
    string? MacAddress,
    string? TargetDevice,
    string? Model);

/// <summary>The parts of a libvirt domain definition HybridNet reads.</summary>
public sealed record DomainInfo(
    string Name,
    string Uuid,
    IReadOnlyList<DomainInterface> Interfaces,
    bool HasGuestAgentChannel,
    bool HasAcpi,
    string? Machine);

/// <summary>Reads libvirt domain XML and builds the interface XML HybridNet attaches.</summary>
public static class DomainXml
{
    public static DomainInfo Parse(string xml)
    {
        var domain = XElement.Parse(xml);
        var devices = domain.Element("devices");
        var interfaces = new List<DomainInterface>();
        foreach (var element in devices?.Elements("interface") ?? Enumerable.Empty<XElement>())
        {
            var source = element.Element("source");
            interfaces.Add(new DomainInterface(
                element.Attribute("type")?.Value ?? string.Empty,
                source?.Attribute("network")?.Value,
                source?.Attribute("bridge")?.Value,
                element.Element("mac")?.Attribute("address")?.Value?.ToLowerInvariant(),
                element.Element("target")?.Attribute("dev")?.Value,
                element.Element("model")?.Attribute("type")?.Value));
        }

        var hasAgent = devices?.Elements("channel").Any(c =>
            c.Element("target")?.Attribute("name")?.Value == "org.qemu.guest_agent.0") ?? false;
        var hasAcpi = domain.Element("features")?.Element("acpi") is not null;
        var machine = domain.Element("os")?.Element("type")?.Attribute("machine")?.Value;
        return new DomainInfo(
            domain.Element("name")?.Value ?? string.Empty,
            domain.Element("uuid")?.Value ?? string.Empty,
            interfaces,
            hasAgent,
            hasAcpi,
            machine);
    }

    /// <summary>
    /// Builds a virtio interface on a libvirt network with a fixed MAC address. The MAC is chosen
    /// before the attach so the DHCP reservation can exist before the guest requests a lease.
    /// </summary>
    public static string BuildNetworkInterface(string network, string macAddress) =>
        new XElement("interface",
            new XAttribute("type", "network"),
            new XElement("source", new XAttribute("network", network)),
            new XElement("mac", new XAttribute("address", macAddress)),
            new XElement("model", new XAttribute("type", "virtio"))).ToString();

    /// <summary>
    /// Returns a new locally administered MAC in QEMU's 52:54:00 prefix that is not in
    /// <paramref name="taken"/>.
    /// </summary>
    public static string NewMacAddress(ISet<string> taken, Random random)
    {
        while (true)
        {
            var mac = FormattableString.Invariant(
                $"52:54:00:{random.Next(256):x2}:{random.Next(256):x2}:{random.Next(256):x2}");
            if (!taken.Contains(mac))
            {
                return mac;
            }
        }
    }
}
