using System;
using System.Collections.Generic;

namespace HybridNet.Engine;

/// <summary>The messages of Get-HybridHostNetwork: warnings about unreadable sources and findings.</summary>
public static partial class Messages
{
    public static string HostNetworkNotFound(string name) =>
        $"No bridge or virtual network named '{name}' was found on this host.";

    public const string HostNetworkNotFoundAction =
        "Run Get-HybridHostNetwork without -Name to list every bridge and virtual network on this host.";

    public static string SurveyLibvirtUnreadable(string detail) =>
        $"{Sentence(detail)} The survey goes on without libvirt, so its networks and VMs are missing "
        + "and the bridges libvirt created are listed as Unmanaged.";

    public static string SurveyDockerUnreadable(string detail) =>
        $"{Sentence(detail)} The survey goes on without Docker, so its networks and containers are missing "
        + "and the bridges Docker created are listed as Unmanaged.";

    public static string SurveyDomainsUnreadable(string detail) =>
        $"{Sentence(detail)} The survey goes on without libvirt domains, so no VM is listed.";

    public static string SurveyRoutesUnreadable(string detail) =>
        $"{Sentence(detail)} The survey goes on without the routing table, so no overlap with a route is reported.";

    public static string SurveyNetworkUnreadable(string network, string detail) =>
        $"The libvirt network '{network}' is missing from the survey because its XML could not be read: {Sentence(detail)}";

    public static string SurveyDomainUnreadable(string domain, string detail) =>
        $"The VM '{domain}' is missing from the survey because its XML or state could not be read: {Sentence(detail)}";

    public static string SurveyLeaseFileUnreadable(string path, string detail) =>
        $"The lease file '{path}' could not be read, so VM addresses on that bridge come only from DHCP reservations: {Sentence(detail)}";

    /// <summary>Names a surveyed network in a finding, such as "inactive libvirt network 'lab'".</summary>
    public static string HostNetworkParty(HostNetworkOwner owner, string name) => owner switch
    {
        HostNetworkOwner.LibvirtActive => $"libvirt network '{name}'",
        HostNetworkOwner.LibvirtInactive => $"inactive libvirt network '{name}'",
        HostNetworkOwner.Docker => $"Docker network '{name}'",
        HostNetworkOwner.LxdIncus => $"LXD/Incus bridge '{name}'",
        HostNetworkOwner.HybridNet => $"HybridNet bridge '{name}'",
        _ => $"unmanaged bridge '{name}'",
    };

    public static string SubnetsOverlap(string subnet, string party, string otherSubnet, string otherParty, bool bothPresent) =>
        $"The subnet {subnet} of {party} overlaps the subnet {otherSubnet} of {otherParty}. "
        + (bothPresent
            ? "The host sends traffic for the shared addresses to only one of their bridges."
            : "Once both run, the host sends traffic for the shared addresses to only one of their bridges.");

    public static string SubnetOverlapsAddress(string subnet, string party, string cidr, string device) =>
        $"The subnet {subnet} of {party} overlaps the address {cidr} of interface {device}. "
        + "The host sends traffic for the shared addresses to only one of the two.";

    public static string SubnetOverlapsRoute(string subnet, string party, string destination, string? device) =>
        $"The subnet {subnet} of {party} overlaps the host route to {destination}"
        + (device is null ? "." : $" on {device}.")
        + " Traffic for the shared addresses follows only one of the two routes.";

    public static string BridgeClaimedTwice(string device, string party, string otherParty) =>
        $"Bridge device {device} is claimed by both {party} and {otherParty}. "
        + "Each manager configures the bridge on its own, so their addresses, DHCP and firewall rules can conflict.";

    public static string BridgeMissing(string party, string device) =>
        $"The bridge device {device} of {party} does not exist on this host.";

    public static string NoPath(string party, string otherParty, IReadOnlyList<string> reasons) =>
        $"The host forwards no traffic between {party} and {otherParty}. {string.Join(" ", reasons)}";

    public static string NoPathLibvirtIsolated(string party, string device) =>
        $"libvirt rejects forwarded traffic into and out of {device}, because {party} has no <forward> element.";

    public static string NoPathDockerInternal(string party, string device) =>
        $"Docker drops forwarded traffic into and out of {device}, because {party} is internal.";

    public const string NoPathDockerIsolation =
        "Docker drops traffic between two of its bridge networks in its DOCKER-ISOLATION iptables chains.";

    public static string NoPathForwardingOff(string device) =>
        $"IPv4 forwarding is off on {device} (net.ipv4.conf.{device}.forwarding is 0).";

    public static string NoPathNoRoute(string party, string device) =>
        $"The host has no route to the subnet of {party} on {device}.";

    /// <summary>Ends a message taken from an exception with a full stop, so text can follow it.</summary>
    private static string Sentence(string text)
    {
        var trimmed = text.TrimEnd();
        return trimmed.Length == 0 || trimmed.EndsWith('.') || trimmed.EndsWith('!') || trimmed.EndsWith('?')
            ? trimmed
            : trimmed + ".";
    }
}
