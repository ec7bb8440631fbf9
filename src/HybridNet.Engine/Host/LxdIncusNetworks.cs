using System;
using System.Collections.Generic;
using System.IO;
using System.Linq;

namespace HybridNet.Engine.Host;

/// <summary>
/// Recognises bridges that LXD or Incus manage, without their command-line tools. For each
/// managed network, both daemons keep the directory VARDIR/networks/NAME (dnsmasq's leases and
/// pid live there), and a bridge network's device has the network's name.
/// </summary>
public static class LxdIncusNetworks
{
    /// <summary>
    /// The networks directories of Incus, LXD from a distribution package and LXD from the snap,
    /// plus those under INCUS_DIR and LXD_DIR when set.
    /// </summary>
    public static IReadOnlyList<string> NetworkDirectories()
    {
        var directories = new List<string>
        {
            "/var/lib/incus/networks",
            "/var/lib/lxd/networks",
            "/var/snap/lxd/common/lxd/networks",
        };
        foreach (var variable in new[] { "INCUS_DIR", "LXD_DIR" })
        {
            var root = Environment.GetEnvironmentVariable(variable);
            if (!string.IsNullOrWhiteSpace(root))
            {
                directories.Add(Path.Combine(root, "networks"));
            }
        }

        return directories.Distinct(StringComparer.Ordinal).ToList();
    }

    /// <summary>
    /// True when LXD or Incus keeps a network directory named after the device. The check needs
    /// only search permission on the parent directories, which both daemons grant to everyone.
    /// </summary>
    public static bool HasNetworkDirectory(string device)
    {
        if (device.Length == 0 || device.Contains('/', StringComparison.Ordinal) || device is "." or "..")
        {
            return false;
        }

        return NetworkDirectories().Any(d => Directory.Exists(Path.Combine(d, device)));
    }
}
