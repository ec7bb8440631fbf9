using System.Collections.Generic;
using System.IO;
using System.Linq;
using System.Threading;
using System.Threading.Tasks;

namespace HybridNet.Completers;

/// <summary>
/// Completes hybrid bridge names. Reads the libvirt network definitions HybridNet marks with
/// its metadata when they are readable; otherwise offers every bridge device from sysfs.
/// </summary>
public sealed class BridgeNameCompleter : CompleterBase
{
    private const string NetworkConfigDirectory = "/etc/libvirt/qemu/networks";

    protected override Task<IReadOnlyList<string>> GetNamesAsync(CancellationToken cancellationToken)
    {
        var names = new List<string>();
        if (Directory.Exists(NetworkConfigDirectory))
        {
            foreach (var file in Directory.EnumerateFiles(NetworkConfigDirectory, "*.xml"))
            {
                var text = File.ReadAllText(file);
                if (text.Contains("hybridnet.dev/xmlns/libvirt/bridge", System.StringComparison.Ordinal))
                {
                    names.Add(Path.GetFileNameWithoutExtension(file));
                }
            }
        }

        if (names.Count == 0 && Directory.Exists("/sys/class/net"))
        {
            names.AddRange(Directory.EnumerateDirectories("/sys/class/net")
                .Where(d => Directory.Exists(Path.Combine(d, "bridge")))
                .Select(Path.GetFileName)
                .Where(n => n is not null)
                .Select(n => n!));
        }

        return Task.FromResult<IReadOnlyList<string>>(names);
    }
}
