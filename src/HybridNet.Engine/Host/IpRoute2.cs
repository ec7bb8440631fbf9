using System;
using System.Collections.Generic;
using System.Linq;
using System.Text.Json;
using System.Threading;
using System.Threading.Tasks;

namespace HybridNet.Engine.Host;

/// <summary>One network interface as `ip -j addr show` reports it.</summary>
public sealed record LinkInfo(
    string Name,
    int Index,
    int Mtu,
    string OperState,
    string? Master,
    string? MacAddress,
    string? Kind,
    int? PeerIndex,
    IReadOnlyList<string> IPv4Cidrs)
{
    /// <summary>Interface flags as `ip` prints them (UP, NO-CARRIER, LOWER_UP, ...).</summary>
    public IReadOnlyList<string> Flags { get; init; } = Array.Empty<string>();
}

/// <summary>One bridge port as `bridge -j link show` reports it.</summary>
public sealed record BridgePort(string Name, int Index, string Master, string State);

/// <summary>Adapter for iproute2's `ip` and `bridge` commands, reading their JSON output.</summary>
public sealed class IpRoute2
{
    private readonly ICommandRunner _runner;
    private readonly TimeSpan _timeout;

    public IpRoute2(ICommandRunner runner, TimeSpan timeout)
    {
        _runner = runner;
        _timeout = timeout;
    }

    /// <summary>When set, the host's links are read once per instance (read-only cmdlets only).</summary>
    public bool CacheReads { get; set; }

    private Task<IReadOnlyList<LinkInfo>>? _hostLinks;

    /// <summary>Lists links with their IPv4 addresses, in the host's or a process's namespace.</summary>
    public Task<IReadOnlyList<LinkInfo>> GetLinksAsync(CancellationToken cancellationToken, int? namespacePid = null)
    {
        if (CacheReads && namespacePid is null)
        {
            return _hostLinks ??= GetLinksUncachedAsync(cancellationToken, null);
        }

        return GetLinksUncachedAsync(cancellationToken, namespacePid);
    }

    private async Task<IReadOnlyList<LinkInfo>> GetLinksUncachedAsync(CancellationToken cancellationToken, int? namespacePid)
    {
        var arguments = new List<string> { "-j", "-d", "addr", "show" };
        var result = namespacePid is { } pid
            ? await _runner.RunAsync("nsenter", NsenterArguments(pid, "ip", arguments), _timeout, cancellationToken)
                .ConfigureAwait(false)
            : await _runner.RunAsync("ip", arguments, _timeout, cancellationToken).ConfigureAwait(false);
        EnsureSucceeded(result);
        return ParseLinks(result.StandardOutput);
    }

    public async Task<LinkInfo?> GetLinkAsync(string name, CancellationToken cancellationToken)
    {
        var links = await GetLinksAsync(cancellationToken).ConfigureAwait(false);
        return links.FirstOrDefault(l => string.Equals(l.Name, name, StringComparison.Ordinal));
    }

    public async Task<IReadOnlyList<BridgePort>> GetBridgePortsAsync(CancellationToken cancellationToken)
    {
        var result = await _runner.RunAsync("bridge", new[] { "-j", "link", "show" }, _timeout, cancellationToken)
            .ConfigureAwait(false);
        EnsureSucceeded(result);
        return ParseBridgePorts(result.StandardOutput);
    }

    /// <summary>Lists the IPv4 destinations of the main routing table, for conflict checks.</summary>
    public async Task<IReadOnlyList<(string Destination, string? Device)>> GetRoutesAsync(CancellationToken cancellationToken)
    {
        var result = await _runner.RunAsync("ip", new[] { "-j", "-4", "route", "show" }, _timeout, cancellationToken)
            .ConfigureAwait(false);
        EnsureSucceeded(result);
        using var document = JsonDocument.Parse(EmptyToArray(result.StandardOutput));
        var routes = new List<(string, string?)>();
        foreach (var route in document.RootElement.EnumerateArray())
        {
            routes.Add((GetString(route, "dst") ?? "default", GetString(route, "dev")));
        }

        return routes;
    }

    /// <summary>Arguments that run <paramref name="program"/> inside the network namespace of a process.</summary>
    public static IReadOnlyList<string> NsenterArguments(int pid, string program, IEnumerable<string> arguments)
    {
        var list = new List<string> { $"--net=/proc/{pid}/ns/net", "--", program };
        list.AddRange(arguments);
        return list;
    }

    public static IReadOnlyList<LinkInfo> ParseLinks(string json)
    {
        using var document = JsonDocument.Parse(EmptyToArray(json));
        var links = new List<LinkInfo>();
        foreach (var link in document.RootElement.EnumerateArray())
        {
            var addresses = new List<string>();
            if (link.TryGetProperty("addr_info", out var addrInfo))
            {
                foreach (var address in addrInfo.EnumerateArray())
                {
                    if (GetString(address, "family") == "inet"
                        && GetString(address, "local") is { } local
                        && address.TryGetProperty("prefixlen", out var prefix))
                    {
                        addresses.Add($"{local}/{prefix.GetInt32()}");
                    }
                }
            }

            string? kind = null;
            if (link.TryGetProperty("linkinfo", out var linkInfo))
            {
                kind = GetString(linkInfo, "info_kind");
            }

            var flags = new List<string>();
            if (link.TryGetProperty("flags", out var flagArray) && flagArray.ValueKind == JsonValueKind.Array)
            {
                flags.AddRange(flagArray.EnumerateArray()
                    .Where(f => f.ValueKind == JsonValueKind.String)
                    .Select(f => f.GetString()!));
            }

            links.Add(new LinkInfo(
                GetString(link, "ifname") ?? string.Empty,
                link.TryGetProperty("ifindex", out var index) ? index.GetInt32() : 0,
                link.TryGetProperty("mtu", out var mtu) ? mtu.GetInt32() : 0,
                GetString(link, "operstate") ?? "UNKNOWN",
                GetString(link, "master"),
                GetString(link, "address"),
                kind,
                link.TryGetProperty("link_index", out var peer) ? peer.GetInt32() : null,
                addresses)
            {
                Flags = flags,
            });
        }

        return links;
    }

    public static IReadOnlyList<BridgePort> ParseBridgePorts(string json)
    {
        using var document = JsonDocument.Parse(EmptyToArray(json));
        var ports = new List<BridgePort>();
        foreach (var port in document.RootElement.EnumerateArray())
        {
            ports.Add(new BridgePort(
                GetString(port, "ifname") ?? string.Empty,
                port.TryGetProperty("ifindex", out var index) ? index.GetInt32() : 0,
                GetString(port, "master") ?? string.Empty,
                GetString(port, "state") ?? "unknown"));
        }

        return ports;
    }

    private static void EnsureSucceeded(CommandResult result)
    {
        if (!result.Succeeded)
        {
            throw new HybridNetException(
                ErrorIds.CommandFailed,
                FailureKind.InvalidOperation,
                result.CommandLine,
                Messages.CommandFailed(result));
        }
    }

    private static string EmptyToArray(string json) => string.IsNullOrWhiteSpace(json) ? "[]" : json;

    private static string? GetString(JsonElement element, string name) =>
        element.TryGetProperty(name, out var value) && value.ValueKind == JsonValueKind.String
            ? value.GetString()
            : null;
}
