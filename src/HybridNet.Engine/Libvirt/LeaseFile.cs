using System;
using System.Collections.Generic;
using System.IO;
using System.Text.Json;
using HybridNet.Engine.Addressing;

namespace HybridNet.Engine.Libvirt;

/// <summary>A DHCP lease handed out by a libvirt network's dnsmasq.</summary>
public sealed record DhcpLease(uint Address, string MacAddress, string? HostName, long ExpiryTime);

/// <summary>
/// Reads the lease file libvirt's dnsmasq helper keeps per bridge
/// (/var/lib/libvirt/dnsmasq/&lt;bridge&gt;.status, a JSON array), which avoids parsing the
/// table `virsh net-dhcp-leases` prints.
/// </summary>
public static class LeaseFile
{
    public const string Directory = "/var/lib/libvirt/dnsmasq";

    public static IReadOnlyList<DhcpLease> Read(string bridge)
    {
        var path = Path.Combine(Directory, bridge + ".status");
        if (!File.Exists(path))
        {
            return Array.Empty<DhcpLease>();
        }

        return Parse(File.ReadAllText(path));
    }

    public static IReadOnlyList<DhcpLease> Parse(string json)
    {
        var leases = new List<DhcpLease>();
        if (string.IsNullOrWhiteSpace(json))
        {
            return leases;
        }

        using var document = JsonDocument.Parse(json);
        foreach (var lease in document.RootElement.EnumerateArray())
        {
            if (lease.TryGetProperty("ip-address", out var ip)
                && Ipv4Subnet.TryParseAddress(ip.GetString(), out var address)
                && lease.TryGetProperty("mac-address", out var mac))
            {
                leases.Add(new DhcpLease(
                    address,
                    (mac.GetString() ?? string.Empty).ToLowerInvariant(),
                    lease.TryGetProperty("hostname", out var host) ? host.GetString() : null,
                    lease.TryGetProperty("expiry-time", out var expiry) && expiry.TryGetInt64(out var value) ? value : 0));
            }
        }

        return leases;
    }
}
