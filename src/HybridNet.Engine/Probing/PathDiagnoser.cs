using System;
using System.Collections.Generic;
using System.Globalization;
using System.IO;
using System.Linq;
using System.Text.Json;
using System.Text.RegularExpressions;
using System.Threading;
using System.Threading.Tasks;
using HybridNet.Engine.Host;
using HybridNet.Engine.Operations;

namespace HybridNet.Engine.Probing;

/// <summary>One finding of a diagnosis: the layer and what was seen there.</summary>
public sealed record DiagnosisFinding(string Layer, string Detail);

/// <summary>
/// Finds the layer that drops a failing probe on a hybrid bridge. It reads, for the pair:
/// neighbour resolution in the source's namespace, the bridge ports' state, the route and the
/// reverse-path filter on both ends, the MTUs along the path, and the iptables counters of
/// every DROP or REJECT rule and of the FORWARD policy while the probe is sent again.
/// </summary>
public sealed partial class PathDiagnoser
{
    /// <summary>Layer names, from the lowest.</summary>
    public const string Neighbour = "Neighbour";
    public const string BridgePort = "BridgePort";
    public const string Route = "Route";
    public const string ReversePathFilter = "ReversePathFilter";
    public const string Mtu = "Mtu";
    public const string Firewall = "Firewall";

    private readonly EngineContext _context;

    public PathDiagnoser(EngineContext context)
    {
        _context = context;
    }

    /// <summary>
    /// Diagnoses one failing pair. <paramref name="reprobe"/> sends the probe again; it runs
    /// between two readings of the firewall counters.
    /// </summary>
    public async Task<IReadOnlyList<DiagnosisFinding>> DiagnoseAsync(
        string bridge,
        EndpointState? source,
        EndpointState target,
        Func<CancellationToken, Task> reprobe,
        CancellationToken cancellationToken)
    {
        var findings = new List<DiagnosisFinding>();
        var targetAddress = target.IPAddress!;
        int? sourcePid = source?.ContainerPid;

        var before = await ReadCountersAsync(cancellationToken).ConfigureAwait(false);
        for (var i = 0; i < 3; i++)
        {
            await reprobe(cancellationToken).ConfigureAwait(false);
        }

        var after = await ReadCountersAsync(cancellationToken).ConfigureAwait(false);
        findings.AddRange(FirewallFindings(before, after, bridge));

        var neighbour = await ReadNeighbourAsync(sourcePid, source is null ? bridge : null, targetAddress, cancellationToken)
            .ConfigureAwait(false);
        if (neighbour is null || neighbour.Value.State.Contains("FAILED", StringComparison.Ordinal)
            || neighbour.Value.State.Contains("INCOMPLETE", StringComparison.Ordinal))
        {
            findings.Add(new DiagnosisFinding(Neighbour,
                $"neighbour resolution failed: {targetAddress} did not answer ARP from {source?.Name ?? "the host"}"));
        }

        var ports = await _context.Ip.GetBridgePortsAsync(cancellationToken).ConfigureAwait(false);
        foreach (var member in new[] { source, target }.Where(m => m?.HostInterface is not null))
        {
            var port = ports.FirstOrDefault(p => p.Name == member!.HostInterface);
            if (port is null || port.Master != bridge)
            {
                findings.Add(new DiagnosisFinding(BridgePort, $"{member!.HostInterface} of '{member.Name}' is not a port of bridge {bridge}"));
            }
            else if (!string.Equals(port.State, "forwarding", StringComparison.OrdinalIgnoreCase))
            {
                findings.Add(new DiagnosisFinding(BridgePort,
                    $"bridge port {port.Name} of '{member!.Name}' is in state {port.State}, not forwarding"));
            }
        }

        if (sourcePid is { } pid)
        {
            var route = await RouteDeviceAsync(pid, targetAddress, cancellationToken).ConfigureAwait(false);
            var inner = await InnerInterfaceAsync(pid, source!.MacAddress, cancellationToken).ConfigureAwait(false);
            if (route.Error is not null)
            {
                findings.Add(new DiagnosisFinding(Route, $"'{source.Name}' has no route to {targetAddress}: {route.Error}"));
            }
            else if (inner is not null && route.Device != inner.Name)
            {
                findings.Add(new DiagnosisFinding(Route,
                    $"'{source.Name}' routes {targetAddress} through {route.Device}, not through its bridge interface {inner.Name}"));
            }
        }

        if (target.ContainerPid is { } targetPid && source?.IPAddress is { } sourceAddress)
        {
            var inner = await InnerInterfaceAsync(targetPid, target.MacAddress, cancellationToken).ConfigureAwait(false);
            var back = await RouteDeviceAsync(targetPid, sourceAddress, cancellationToken).ConfigureAwait(false);
            var strict = await ReadRpFilterAsync(targetPid, inner?.Name, cancellationToken).ConfigureAwait(false);
            if (inner is not null && strict == 1 && back.Device is not null && back.Device != inner.Name)
            {
                findings.Add(new DiagnosisFinding(ReversePathFilter,
                    $"'{target.Name}' routes replies to {sourceAddress} through {back.Device}, so strict reverse-path "
                    + $"filtering (rp_filter=1) on {inner.Name} drops the probe"));
            }
        }

        findings.AddRange(await MtuFindingsAsync(bridge, source, target, cancellationToken).ConfigureAwait(false));
        return findings;
    }

    /// <summary>The layer a set of findings points to first: a dropping rule explains the rest.</summary>
    public static string? PrimaryLayer(IReadOnlyList<DiagnosisFinding> findings)
    {
        foreach (var layer in new[] { Firewall, BridgePort, Neighbour, Route, ReversePathFilter, Mtu })
        {
            if (findings.Any(f => f.Layer == layer))
            {
                return layer;
            }
        }

        return null;
    }

    /// <summary>Counter of one iptables rule or policy, keyed by its text without the counter.</summary>
    public sealed record RuleCounter(string Rule, long Packets);

    /// <summary>Parses `iptables -S -v` output: every rule and policy with its packet counter.</summary>
    public static IReadOnlyList<RuleCounter> ParseCounters(string text)
    {
        var counters = new List<RuleCounter>();
        foreach (var line in text.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
        {
            var match = CounterPattern().Match(line);
            if (!match.Success)
            {
                continue;
            }

            var rule = CounterPattern().Replace(line, string.Empty).Replace("  ", " ", StringComparison.Ordinal).Trim();
            counters.Add(new RuleCounter(rule, long.Parse(match.Groups[1].Value, CultureInfo.InvariantCulture)));
        }

        return counters;
    }

    /// <summary>Names each DROP/REJECT rule or DROP policy whose counter rose during the re-probe.</summary>
    public static IReadOnlyList<DiagnosisFinding> FirewallFindings(
        IReadOnlyList<RuleCounter> before, IReadOnlyList<RuleCounter> after, string bridge)
    {
        var findings = new List<DiagnosisFinding>();
        var previous = before.GroupBy(c => c.Rule).ToDictionary(g => g.Key, g => g.First().Packets);
        foreach (var counter in after)
        {
            var dropping = counter.Rule.EndsWith("-j DROP", StringComparison.Ordinal)
                || counter.Rule.Contains("-j REJECT", StringComparison.Ordinal)
                || (counter.Rule.StartsWith("-P FORWARD", StringComparison.Ordinal) && counter.Rule.Contains("DROP", StringComparison.Ordinal));
            var delta = counter.Packets - previous.GetValueOrDefault(counter.Rule);
            if (!dropping || delta <= 0)
            {
                continue;
            }

            var what = counter.Rule.StartsWith("-P ", StringComparison.Ordinal)
                ? "the FORWARD policy DROP (set by dockerd when Docker runs) with no accept rule for the traffic"
                : $"the rule '{counter.Rule}'";
            findings.Add(new DiagnosisFinding(Firewall,
                string.Create(CultureInfo.InvariantCulture, $"{what} dropped {delta} packet(s) during the probe")));
        }

        if (findings.Count > 0 && BridgeNetfilterEnabled())
        {
            findings.Add(new DiagnosisFinding(Firewall,
                $"bridged IPv4 on {bridge} is passed to iptables because br_netfilter is loaded and "
                + "net.bridge.bridge-nf-call-iptables=1"));
        }

        return findings;
    }

    private static bool BridgeNetfilterEnabled()
    {
        const string path = "/proc/sys/net/bridge/bridge-nf-call-iptables";
        return File.Exists(path) && File.ReadAllText(path).Trim() == "1";
    }

    private async Task<IReadOnlyList<RuleCounter>> ReadCountersAsync(CancellationToken cancellationToken)
    {
        var result = await _context.Runner.RunAsync("iptables", new[] { "-w", "5", "-S", "-v" }, _context.Settings.Timeout, cancellationToken)
            .ConfigureAwait(false);
        return result.Succeeded ? ParseCounters(result.StandardOutput) : Array.Empty<RuleCounter>();
    }

    private async Task<(string State, string? Mac)?> ReadNeighbourAsync(
        int? pid, string? device, string address, CancellationToken cancellationToken)
    {
        var arguments = new List<string> { "-j", "-4", "neigh", "show", "to", address };
        if (device is not null)
        {
            arguments.AddRange(new[] { "dev", device });
        }

        var result = await RunIpAsync(pid, arguments, cancellationToken).ConfigureAwait(false);
        if (!result.Succeeded || string.IsNullOrWhiteSpace(result.StandardOutput))
        {
            return null;
        }

        using var document = JsonDocument.Parse(result.StandardOutput);
        foreach (var entry in document.RootElement.EnumerateArray())
        {
            var state = entry.TryGetProperty("state", out var states) ? states.ToString() : string.Empty;
            var mac = entry.TryGetProperty("lladdr", out var lladdr) ? lladdr.GetString() : null;
            return (state, mac);
        }

        return null;
    }

    private async Task<(string? Device, string? Error)> RouteDeviceAsync(int pid, string address, CancellationToken cancellationToken)
    {
        var result = await RunIpAsync(pid, new[] { "-j", "route", "get", address }, cancellationToken).ConfigureAwait(false);
        if (!result.Succeeded)
        {
            return (null, result.StandardError.Trim());
        }

        using var document = JsonDocument.Parse(result.StandardOutput);
        var first = document.RootElement.EnumerateArray().FirstOrDefault();
        return (first.ValueKind == JsonValueKind.Object && first.TryGetProperty("dev", out var dev) ? dev.GetString() : null, null);
    }

    private async Task<LinkInfo?> InnerInterfaceAsync(int pid, string? mac, CancellationToken cancellationToken)
    {
        if (mac is null)
        {
            return null;
        }

        var links = await _context.Ip.GetLinksAsync(cancellationToken, pid).ConfigureAwait(false);
        return links.FirstOrDefault(l => string.Equals(l.MacAddress, mac, StringComparison.OrdinalIgnoreCase));
    }

    /// <summary>
    /// The effective rp_filter of an interface inside a namespace: the kernel uses the larger of
    /// conf/all and conf/&lt;interface&gt;.
    /// </summary>
    private async Task<int?> ReadRpFilterAsync(int pid, string? device, CancellationToken cancellationToken)
    {
        if (device is null)
        {
            return null;
        }

        return await NetworkNamespace.RunAsync(NetworkNamespace.PathOfProcess(pid), () =>
        {
            // /proc/sys/net follows the network namespace of the reading thread.
            static int Read(string path) =>
                File.Exists(path) && int.TryParse(File.ReadAllText(path).Trim(), out var value) ? value : 0;
            return (int?)Math.Max(Read("/proc/sys/net/ipv4/conf/all/rp_filter"), Read($"/proc/sys/net/ipv4/conf/{device}/rp_filter"));
        }, cancellationToken).ConfigureAwait(false);
    }

    private async Task<IReadOnlyList<DiagnosisFinding>> MtuFindingsAsync(
        string bridge, EndpointState? source, EndpointState target, CancellationToken cancellationToken)
    {
        var findings = new List<DiagnosisFinding>();
        var hostLinks = await _context.Ip.GetLinksAsync(cancellationToken).ConfigureAwait(false);
        var bridgeMtu = hostLinks.FirstOrDefault(l => l.Name == bridge)?.Mtu;
        if (bridgeMtu is null)
        {
            return findings;
        }

        foreach (var member in new[] { source, target }.Where(m => m is not null))
        {
            var mtus = new List<(string Where, int Mtu)>();
            if (member!.HostInterface is { } hostInterface && hostLinks.FirstOrDefault(l => l.Name == hostInterface) is { } link)
            {
                mtus.Add(($"{hostInterface} on the host", link.Mtu));
            }

            if (member.ContainerPid is { } pid && await InnerInterfaceAsync(pid, member.MacAddress, cancellationToken).ConfigureAwait(false) is { } inner)
            {
                mtus.Add(($"{inner.Name} inside '{member.Name}'", inner.Mtu));
            }

            foreach (var (where, mtu) in mtus.Where(m => m.Mtu != bridgeMtu))
            {
                findings.Add(new DiagnosisFinding(Mtu, string.Create(CultureInfo.InvariantCulture,
                    $"MTU mismatch: {where} has MTU {mtu}, bridge {bridge} has {bridgeMtu}")));
            }
        }

        return findings;
    }

    private Task<CommandResult> RunIpAsync(int? pid, IReadOnlyList<string> arguments, CancellationToken cancellationToken) =>
        pid is { } namespacePid
            ? _context.Runner.RunAsync("nsenter", IpRoute2.NsenterArguments(namespacePid, "ip", arguments), _context.Settings.Timeout, cancellationToken)
            : _context.Runner.RunAsync("ip", arguments, _context.Settings.Timeout, cancellationToken);

    [GeneratedRegex(@"\s-c (\d+) (\d+)")]
    private static partial Regex CounterPattern();
}
