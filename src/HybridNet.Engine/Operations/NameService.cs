using System;
using System.Collections.Generic;
using System.IO;
using System.Linq;
using System.Text;
using System.Threading;
using System.Threading.Tasks;
using HybridNet.Engine.Addressing;
using HybridNet.Engine.Docker;
using HybridNet.Engine.Libvirt;

namespace HybridNet.Engine.Operations;

/// <summary>
/// Keeps one set of names for a bridge's VMs and containers.
/// <list type="bullet">
/// <item>VMs resolve everything through the bridge's dnsmasq (their DHCP DNS server): a VM's own
/// name comes from its DHCP reservation, and each container gets a DNS host record
/// (short name and name.domain) added live with `virsh net-update`.</item>
/// <item>Containers keep Docker's embedded DNS for container names. Names of VMs (and the
/// name.domain form of other containers) are written into a marked block of the container's
/// /etc/hosts, which Docker keeps on the host and bind-mounts, so images with no tools work.
/// Docker rewrites that file when the container restarts, so the block is gone until the next
/// connect, disconnect or Repair-HybridBridge on the bridge writes it again.</item>
/// </list>
/// </summary>
public sealed class NameService
{
    private readonly EngineContext _context;

    public NameService(EngineContext context)
    {
        _context = context;
    }

    /// <summary>First line of HybridNet's block in a container's hosts file.</summary>
    public static string BlockStart(string bridge) => $"# BEGIN hybridnet {bridge}";

    /// <summary>Last line of HybridNet's block in a container's hosts file.</summary>
    public static string BlockEnd(string bridge) => $"# END hybridnet {bridge}";

    /// <summary>
    /// Brings the DNS host records and every running member container's hosts block in line with
    /// the bridge's current members. Returns a description of each change made.
    /// </summary>
    public async Task<IReadOnlyList<string>> SyncAsync(
        string bridgeName,
        CancellationToken cancellationToken,
        bool dryRun = false,
        BridgeDefinition? knownDefinition = null,
        IReadOnlyList<EndpointState>? knownMembers = null)
    {
        var changes = new List<string>();
        var bridge = knownDefinition
            ?? await new BridgeOperations(_context).RequireDefinitionAsync(bridgeName, cancellationToken).ConfigureAwait(false);
        var members = knownMembers
            ?? await new MemberOperations(_context).ListAsync(bridge, cancellationToken).ConfigureAwait(false);
        var domain = bridge.DnsDomain;

        var desiredRecords = members
            .Where(m => m.Kind == EndpointKind.Container && m.IPAddress is not null && IsDnsLabel(m.Name))
            .Select(m => new DnsHostRecord(Ipv4Subnet.Parse(m.IPAddress + "/32").Network, Names(m.Name, domain)))
            .ToList();
        changes.AddRange(await SyncDnsRecordsAsync(bridge, desiredRecords, dryRun, cancellationToken).ConfigureAwait(false));

        var vmEntries = members
            .Where(m => m.Kind == EndpointKind.VM && m.IPAddress is not null && IsDnsLabel(m.Name))
            .Select(m => (Address: m.IPAddress!, Names: Names(m.Name, domain)));
        var containerEntries = members
            .Where(m => m.Kind == EndpointKind.Container && m.IPAddress is not null && IsDnsLabel(m.Name))
            .Select(m => (Address: m.IPAddress!, Names: (IReadOnlyList<string>)new[] { $"{m.Name}.{domain}" }));
        var entries = vmEntries.Concat(containerEntries).OrderBy(e => e.Names[0], StringComparer.Ordinal).ToList();

        foreach (var member in members.Where(m => m.Kind == EndpointKind.Container && m.Running && m.Id is not null))
        {
            if (member.HostsPath is null || !File.Exists(member.HostsPath))
            {
                continue;
            }

            var block = BuildBlock(bridge.Name, entries.Where(e => !e.Names[0].StartsWith(member.Name + ".", StringComparison.Ordinal)));
            if (await WriteBlockAsync(member.HostsPath, bridge.Name, block, dryRun, cancellationToken).ConfigureAwait(false))
            {
                changes.Add($"Write the names of bridge '{bridge.Name}' into /etc/hosts of container '{member.Name}'");
            }
        }

        return changes;
    }

    /// <summary>Removes HybridNet's block for the bridge from a container's hosts file.</summary>
    public async Task RemoveBlockAsync(string bridgeName, ContainerInfo container, CancellationToken cancellationToken)
    {
        if (container.HostsPath is not null && File.Exists(container.HostsPath))
        {
            await WriteBlockAsync(container.HostsPath, bridgeName, string.Empty, false, cancellationToken).ConfigureAwait(false);
        }
    }

    /// <summary>Builds the marked block; empty when there are no entries.</summary>
    public static string BuildBlock(string bridge, IEnumerable<(string Address, IReadOnlyList<string> Names)> entries)
    {
        var list = entries.ToList();
        if (list.Count == 0)
        {
            return string.Empty;
        }

        var builder = new StringBuilder();
        builder.Append(BlockStart(bridge)).Append('\n');
        foreach (var (address, names) in list)
        {
            builder.Append(address).Append('\t').Append(string.Join(' ', names)).Append('\n');
        }

        builder.Append(BlockEnd(bridge)).Append('\n');
        return builder.ToString();
    }

    /// <summary>Returns the file's text with the bridge's block replaced by <paramref name="block"/>.</summary>
    public static string ReplaceBlock(string text, string bridge, string block)
    {
        var start = BlockStart(bridge);
        var end = BlockEnd(bridge);
        var lines = text.Split('\n').ToList();
        if (lines.Count > 0 && lines[^1].Length == 0)
        {
            lines.RemoveAt(lines.Count - 1);
        }

        var kept = new List<string>();
        var inside = false;
        foreach (var line in lines)
        {
            if (line == start)
            {
                inside = true;
                continue;
            }

            if (inside && line == end)
            {
                inside = false;
                continue;
            }

            if (!inside)
            {
                kept.Add(line);
            }
        }

        var result = kept.Count == 0 ? string.Empty : string.Join('\n', kept) + "\n";
        return result + block;
    }

    private static async Task<bool> WriteBlockAsync(
        string path, string bridge, string block, bool dryRun, CancellationToken cancellationToken)
    {
        var text = await File.ReadAllTextAsync(path, cancellationToken).ConfigureAwait(false);
        var updated = ReplaceBlock(text, bridge, block);
        if (updated == text || dryRun)
        {
            return updated != text;
        }

        // The file is bind-mounted into the container, so it is rewritten in place: replacing it
        // by rename would leave the container looking at the old inode.
        await using var stream = new FileStream(path, FileMode.Open, FileAccess.Write, FileShare.ReadWrite);
        stream.SetLength(0);
        var bytes = Encoding.UTF8.GetBytes(updated);
        await stream.WriteAsync(bytes, cancellationToken).ConfigureAwait(false);
        return true;
    }

    private async Task<IReadOnlyList<string>> SyncDnsRecordsAsync(
        BridgeDefinition bridge, IReadOnlyList<DnsHostRecord> desired, bool dryRun, CancellationToken cancellationToken)
    {
        var changes = new List<string>();
        var active = (await _context.Virsh.ListNetworksAsync(includeInactive: false, cancellationToken).ConfigureAwait(false))
            .Contains(bridge.Name);
        string Key(DnsHostRecord r) => Ipv4Subnet.Format(r.Address) + " " + string.Join(' ', r.HostNames);
        var existing = bridge.DnsHosts.ToDictionary(Key);
        var wanted = desired.ToDictionary(Key);

        foreach (var stale in existing.Where(e => !wanted.ContainsKey(e.Key)))
        {
            changes.Add($"Remove DNS record {stale.Key} from '{bridge.Name}'");
            if (dryRun)
            {
                continue;
            }

            // libvirt matches a dns-host delete by address, so the record XML is enough.
            await _context.Virsh.UpdateNetworkAsync(bridge.Name, "delete", "dns-host", NetworkXml.DnsHostXml(stale.Value), active, cancellationToken)
                .ConfigureAwait(false);
        }

        var missing = wanted.Where(w => !existing.ContainsKey(w.Key)).ToList();
        changes.AddRange(missing.Select(m => $"Add DNS record {m.Key} to '{bridge.Name}'"));
        if (!dryRun)
        {
            // Each record is one virsh call, most of it process start-up. Running a few at a time
            // keeps a pipeline of many containers quick, while libvirt still applies them in turn.
            await Parallel.ForEachAsync(
                    missing,
                    new ParallelOptions { MaxDegreeOfParallelism = 4, CancellationToken = cancellationToken },
                    async (record, ct) => await _context.Virsh.UpdateNetworkAsync(
                            bridge.Name, "add-last", "dns-host", NetworkXml.DnsHostXml(record.Value), active, ct)
                        .ConfigureAwait(false))
                .ConfigureAwait(false);
        }

        return changes;
    }

    private static IReadOnlyList<string> Names(string name, string domain) =>
        string.IsNullOrEmpty(domain) ? new[] { name } : new[] { name, $"{name}.{domain}" };

    private static bool IsDnsLabel(string name) => VmOperations.HostNameFor(name) is not null;
}
