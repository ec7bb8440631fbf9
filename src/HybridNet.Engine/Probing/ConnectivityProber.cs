using System;
using System.Collections.Concurrent;
using System.Collections.Generic;
using System.Globalization;
using System.Linq;
using System.Net;
using System.Text.RegularExpressions;
using System.Threading;
using System.Threading.Tasks;
using HybridNet.Engine.Host;
using HybridNet.Engine.Operations;

namespace HybridNet.Engine.Probing;

/// <summary>Settings of one connectivity run.</summary>
public sealed record ProbeOptions(int TimeoutMs, bool IncludeHost, int MaxParallel)
{
    public static ProbeOptions Default { get; } = new(1000, true, 8);

    /// <summary>ICMP payload in bytes; above 32 the echo carries the don't-fragment bit.</summary>
    public int PayloadSize { get; init; } = IcmpEcho.DefaultPayloadSize;

    /// <summary>Echoes per pair; latency is reported as minimum, average and maximum.</summary>
    public int Count { get; init; } = 1;

    /// <summary>TCP port to connect to instead of sending ICMP echoes; null for ICMP.</summary>
    public int? Port { get; init; }

    /// <summary>Searches the largest payload that passes with don't-fragment, up to this MTU; null to skip.</summary>
    public int? PathMtuLimit { get; init; }
}

/// <summary>
/// Probes every ordered pair of endpoints, and the host to each, from the source's own network
/// stack: a container's namespace entered from the host (no tool needed in the image), a guest
/// through its QEMU guest agent, the host directly.
/// </summary>
public sealed partial class ConnectivityProber
{
    /// <summary>Name of the host in results.</summary>
    public const string HostName = "host";

    private readonly EngineContext _context;
    private readonly ConcurrentDictionary<string, Task<string?>> _agentChecks = new(StringComparer.Ordinal);

    public ConnectivityProber(EngineContext context)
    {
        _context = context;
    }

    /// <summary>Lists the ordered (source, target) pairs a run probes.</summary>
    public static IReadOnlyList<(ProbeEndpoint Source, ProbeEndpoint Target)> Pairs(
        IReadOnlyList<ProbeEndpoint> endpoints, bool includeHost)
    {
        var pairs = new List<(ProbeEndpoint, ProbeEndpoint)>();
        if (includeHost)
        {
            var host = new ProbeEndpoint(EndpointKind.Host, HostName, null, null, false, true);
            pairs.AddRange(endpoints.Select(e => (host, e)));
        }

        foreach (var source in endpoints)
        {
            foreach (var target in endpoints)
            {
                if (!ReferenceEquals(source, target) && !(source.Name == target.Name && source.Kind == target.Kind))
                {
                    pairs.Add((source, target));
                }
            }
        }

        return pairs;
    }

    /// <summary>
    /// Runs every probe with at most <see cref="ProbeOptions.MaxParallel"/> at once and hands each
    /// result to <paramref name="onResult"/> as soon as it is known (from a worker thread).
    /// </summary>
    public async Task RunAsync(
        IReadOnlyList<ProbeEndpoint> endpoints,
        ProbeOptions options,
        Action<ProbeResult, int, int> onResult,
        CancellationToken cancellationToken)
    {
        var pairs = Pairs(endpoints, options.IncludeHost);
        var done = 0;
        await Parallel.ForEachAsync(
                pairs,
                new ParallelOptions { MaxDegreeOfParallelism = Math.Max(1, options.MaxParallel), CancellationToken = cancellationToken },
                async (pair, ct) =>
                {
                    var result = await ProbeAsync(pair.Source, pair.Target, options, ct).ConfigureAwait(false);
                    onResult(result, Interlocked.Increment(ref done), pairs.Count);
                })
            .ConfigureAwait(false);
    }

    public async Task<ProbeResult> ProbeAsync(ProbeEndpoint source, ProbeEndpoint target, ProbeOptions options, CancellationToken cancellationToken)
    {
        var protocol = options.Port is { } tcpPort ? "TCP/" + tcpPort.ToString(CultureInfo.InvariantCulture) : "ICMP";
        ProbeResult Result(ProbeStatus status, double? latency, string detail) => new(
            source.Name, source.Kind, target.Name, target.Kind, target.Address, protocol, status, latency, detail);

        if (target.Address is null || !IPAddress.TryParse(target.Address, out var address))
        {
            return Result(ProbeStatus.Inconclusive, null,
                $"{target.Name} has no address of the probed family (IPv4, or IPv6 with -AddressFamily IPv6) on the bridge yet");
        }

        if (!source.Running)
        {
            return Result(ProbeStatus.Inconclusive, null, $"{source.Name} is not running");
        }

        try
        {
            if (source.Kind == EndpointKind.VM)
            {
                return options.Port is null
                    ? await ProbeFromGuestAsync(source, address, options, cancellationToken, Result).ConfigureAwait(false)
                    : Result(ProbeStatus.Inconclusive, null, "TCP probes cannot start inside a VM yet; only ICMP runs through the guest agent");
            }

            if (source.Kind == EndpointKind.Container && source.ContainerPid is null)
            {
                return Result(ProbeStatus.Inconclusive, null, $"{source.Name} has no network namespace to probe from");
            }

            var where = source.Kind == EndpointKind.Container ? " (sent from the container's network namespace)" : string.Empty;
            var measured = await InSourceStackAsync(source, () => Measure(address, options), cancellationToken).ConfigureAwait(false);
            var status = measured.Received > 0 ? ProbeStatus.Reachable : ProbeStatus.Unreachable;
            var result = Result(status, measured.Average, measured.Detail + where) with
            {
                Sent = measured.Sent,
                Received = measured.Received,
                LatencyMinMs = measured.Minimum,
                LatencyMaxMs = measured.Maximum,
            };
            if (options.PathMtuLimit is { } limit && status == ProbeStatus.Reachable && options.Port is null)
            {
                var largest = await InSourceStackAsync(source, () => SearchPathMtu(address, limit, options.TimeoutMs), cancellationToken)
                    .ConfigureAwait(false);
                result = result with { PathMtu = largest };
            }

            return result;
        }
        catch (HybridNetException ex)
        {
            return Result(ProbeStatus.Inconclusive, null, ex.Message);
        }
    }

    /// <summary>Runs probe code in the source's network stack: the host's, or a container's namespace.</summary>
    private static Task<T> InSourceStackAsync<T>(ProbeEndpoint source, Func<T> action, CancellationToken cancellationToken) =>
        source.Kind == EndpointKind.Container && source.ContainerPid is { } pid
            ? NetworkNamespace.RunAsync(NetworkNamespace.PathOfProcess(pid), action, cancellationToken)
            : Task.Run(action, cancellationToken);

    private sealed record Measurement(int Sent, int Received, double? Minimum, double? Average, double? Maximum, string Detail);

    private static Measurement Measure(IPAddress address, ProbeOptions options)
    {
        var latencies = new List<double>();
        string detail = string.Empty;
        for (var i = 0; i < Math.Max(1, options.Count); i++)
        {
            var reply = options.Port is { } port
                ? TcpConnect.Send(address, port, options.TimeoutMs)
                : IcmpEcho.Send(address, options.TimeoutMs, options.PayloadSize);
            if (reply.Success && reply.LatencyMs is { } latency)
            {
                latencies.Add(latency);
            }

            detail = reply.Detail;
        }

        var sent = Math.Max(1, options.Count);
        if (sent > 1)
        {
            detail = string.Create(CultureInfo.InvariantCulture, $"{latencies.Count} of {sent} replies; last: {detail}");
        }

        return latencies.Count == 0
            ? new Measurement(sent, 0, null, null, null, detail)
            : new Measurement(sent, latencies.Count, latencies.Min(), Math.Round(latencies.Average(), 3), latencies.Max(), detail);
    }

    /// <summary>
    /// Finds the largest IPv4 packet (payload plus 28 bytes of IP and ICMP headers) that passes
    /// with the don't-fragment bit, by bisection between 68 bytes and <paramref name="limit"/>.
    /// </summary>
    public static int? SearchPathMtu(IPAddress address, int limit, int timeoutMs)
    {
        const int headers = 28;
        int low = 68 - headers, high = limit - headers;
        if (IcmpEcho.Send(address, timeoutMs, high).Success)
        {
            return limit;
        }

        if (!IcmpEcho.Send(address, timeoutMs, low).Success)
        {
            return null;
        }

        while (high - low > 1)
        {
            var middle = (low + high) / 2;
            if (IcmpEcho.Send(address, timeoutMs, middle).Success)
            {
                low = middle;
            }
            else
            {
                high = middle;
            }
        }

        return low + headers;
    }

    private async Task<ProbeResult> ProbeFromGuestAsync(
        ProbeEndpoint source,
        IPAddress address,
        ProbeOptions options,
        CancellationToken cancellationToken,
        Func<ProbeStatus, double?, string, ProbeResult> result)
    {
        if (!source.HasGuestAgent)
        {
            return result(ProbeStatus.Inconclusive, null,
                $"domain '{source.Name}' has no QEMU guest agent channel, so no probe can start inside it");
        }

        var agentProblem = await _agentChecks.GetOrAdd(source.Name, name => _context.Agent.CheckAsync(name, cancellationToken))
            .ConfigureAwait(false);
        if (agentProblem is not null)
        {
            return result(ProbeStatus.Inconclusive, null,
                $"the QEMU guest agent of '{source.Name}' does not answer ({agentProblem})");
        }

        var seconds = Math.Max(1, (options.TimeoutMs + 999) / 1000);
        var exec = await _context.Agent.ExecAsync(
                source.Name,
                "ping",
                new[]
                {
                    "-c", Math.Max(1, options.Count).ToString(CultureInfo.InvariantCulture),
                    "-W", seconds.ToString(CultureInfo.InvariantCulture),
                    "-s", options.PayloadSize.ToString(CultureInfo.InvariantCulture), address.ToString(),
                },
                TimeSpan.FromSeconds((seconds * Math.Max(1, options.Count)) + 10),
                cancellationToken)
            .ConfigureAwait(false);
        if (exec.ExitCode == 0)
        {
            var match = LatencyPattern().Match(exec.StandardOutput);
            double? latency = match.Success
                ? double.Parse(match.Groups[1].Value, CultureInfo.InvariantCulture)
                : null;
            var summary = SummaryPattern().Match(exec.StandardOutput);
            var reachable = result(ProbeStatus.Reachable, latency, "ping inside the guest got a reply (QEMU guest agent)") with
            {
                Sent = Math.Max(1, options.Count),
                Received = Math.Max(1, options.Count),
            };
            if (summary.Success)
            {
                reachable = reachable with
                {
                    LatencyMinMs = double.Parse(summary.Groups[1].Value, CultureInfo.InvariantCulture),
                    LatencyMs = double.Parse(summary.Groups[2].Value, CultureInfo.InvariantCulture),
                    LatencyMaxMs = double.Parse(summary.Groups[3].Value, CultureInfo.InvariantCulture),
                };
            }

            return reachable;
        }

        var output = (exec.StandardOutput + " " + exec.StandardError).Trim();
        return result(ProbeStatus.Unreachable, null,
            string.Create(CultureInfo.InvariantCulture, $"ping inside the guest exited with {exec.ExitCode}: ")
            + LastLine(output));
    }

    private static string LastLine(string text)
    {
        var lines = text.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
        return lines.Length > 0 ? lines[^1] : "no output";
    }

    [GeneratedRegex(@"time[=<]\s*([0-9.]+)\s*ms")]
    private static partial Regex LatencyPattern();

    // busybox and iputils both end with "min/avg/max... = a/b/c".
    [GeneratedRegex(@"min/avg/max[^=]*=\s*([0-9.]+)/([0-9.]+)/([0-9.]+)")]
    private static partial Regex SummaryPattern();
}
