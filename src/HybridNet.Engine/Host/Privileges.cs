using System;
using System.Globalization;
using System.IO;
using System.Linq;

namespace HybridNet.Engine.Host;

/// <summary>Reads the calling process's effective capabilities from /proc/self/status.</summary>
public static class Privileges
{
    // Bit numbers from linux/capability.h.
    private const int CapNetAdmin = 12;

    /// <summary>True when the process may change links, addresses and firewall rules.</summary>
    public static bool HasNetAdmin()
    {
        try
        {
            var line = File.ReadLines("/proc/self/status").FirstOrDefault(l => l.StartsWith("CapEff:", StringComparison.Ordinal));
            if (line is null)
            {
                return false;
            }

            var mask = ulong.Parse(line["CapEff:".Length..].Trim(), NumberStyles.HexNumber, CultureInfo.InvariantCulture);
            return (mask & (1UL << CapNetAdmin)) != 0;
        }
        catch (IOException)
        {
            return false;
        }
    }

    /// <summary>Fails with InsufficientPrivilege unless the process has CAP_NET_ADMIN.</summary>
    public static void EnsureNetAdmin(string operation)
    {
        if (!HasNetAdmin())
        {
            throw new HybridNetException(
                ErrorIds.InsufficientPrivilege,
                FailureKind.PermissionDenied,
                operation,
                Messages.InsufficientPrivilege(operation),
                Messages.RunAsRootAction);
        }
    }
}
