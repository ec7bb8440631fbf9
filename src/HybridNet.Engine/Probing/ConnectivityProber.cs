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
        ProbeResult Result(ProbeStatus status, double? latency, string detail) => new(
            source.Name, source.Kind, target.Name, target.Kind, target.Address, "ICMP", status, latency, detail);

        if (target.Address is null || !IPAddress.TryParse(target.Address, out var address))
        {
            return Result(ProbeStatus.Inconclusive, null, $"{target.Name} has no IPv4 address on the bridge yet");
        }

        if (!source.Running)
        {
            return Result(ProbeStatus.Inconclusive, null, $"{source.Name} is not running");
        }

        try
        {
            switch (source.Kind)
            {
                case EndpointKind.Host:
                {
                    var reply = await Task.Run(() => IcmpEcho.Send(address, options.TimeoutMs, options.PayloadSize), cancellationToken).ConfigureAwait(false);
                    return Result(reply.Success ? ProbeStatus.Reachable : ProbeStatus.Unreachable, reply.LatencyMs, reply.Detail);
                }

                case EndpointKind.Container when source.ContainerPid is { } pid:
                {
                    var reply = await NetworkNamespace.RunAsync(
                            NetworkNamespace.PathOfProcess(pid), () => IcmpEcho.Send(address, options.TimeoutMs, options.PayloadSize), cancellationToken)
                        .ConfigureAwait(false);
                    return Result(reply.Success ? ProbeStatus.Reachable : ProbeStatus.Unreachable, reply.LatencyMs,
                        reply.Detail + " (sent from the container's network namespace)");
                }

                case EndpointKind.VM:
                    return await ProbeFromGuestAsync(source, address, options, cancellationToken, Result).ConfigureAwait(false);

                default:
                    return Result(ProbeStatus.Inconclusive, null, $"{source.Name} has no network namespace to probe from");
            }
        }
        catch (HybridNetException ex)
        {
            return Result(ProbeStatus.Inconclusive, null, ex.Message);
        }
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
                    "-c", "1", "-W", seconds.ToString(CultureInfo.InvariantCulture),
                    "-s", options.PayloadSize.ToString(CultureInfo.InvariantCulture), address.ToString(),
                },
                TimeSpan.FromSeconds(seconds + 10),
                cancellationToken)
            .ConfigureAwait(false);
        if (exec.ExitCode == 0)
        {
            var match = LatencyPattern().Match(exec.StandardOutput);
            double? latency = match.Success
                ? double.Parse(match.Groups[1].Value, CultureInfo.InvariantCulture)
                : null;
            return result(ProbeStatus.Reachable, latency, "ping inside the guest got a reply (QEMU guest agent)");
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
}
