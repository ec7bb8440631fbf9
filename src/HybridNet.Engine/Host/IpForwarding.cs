using System;
using System.IO;

namespace HybridNet.Engine.Host;

/// <summary>Reads net.ipv4.conf.DEVICE.forwarding, which any user may read under /proc/sys.</summary>
public static class IpForwarding
{
    /// <summary>
    /// Returns whether the kernel forwards IPv4 packets that arrive on the device, or null when
    /// the value cannot be read (no such device, or no /proc).
    /// </summary>
    public static bool? Read(string device)
    {
        if (device.Length == 0 || device.Contains('/', StringComparison.Ordinal) || device is "." or "..")
        {
            return null;
        }

        try
        {
            return File.ReadAllText($"/proc/sys/net/ipv4/conf/{device}/forwarding").Trim() switch
            {
                "0" => false,
                "1" => true,
                _ => null,
            };
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            return null;
        }
    }
}
