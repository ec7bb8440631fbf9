using System;
using System.Collections.Generic;
using System.Globalization;
using System.Linq;
using System.Text;

namespace HybridNet.Internal;

/// <summary>
/// Lays connectivity results out as a source-by-target matrix: "ok" (or the latency), "FAIL"
/// (with the failed layer when diagnosed), "?" for Inconclusive, "-" on the diagonal and "." for
/// a pair without a result. Colours are ANSI sequences, padded on the visible text.
/// </summary>
internal static class ConnectivityMatrix
{
    private const string Green = "\u001b[32m";
    private const string Red = "\u001b[31m";
    private const string Yellow = "\u001b[33m";
    private const string Reset = "\u001b[0m";

    public static string Render(IReadOnlyList<HybridConnectivityResult> results, bool color, bool showLatency)
    {
        string Label(string name, HybridEndpointKind kind) =>
            kind == HybridEndpointKind.Host ? name : $"{name} [{kind}]";

        var sources = results.Select(r => (r.Source, r.SourceKind)).Distinct()
            .OrderBy(s => s.SourceKind == HybridEndpointKind.Host ? 0 : 1).ThenBy(s => s.Source, StringComparer.Ordinal)
            .Select(s => Label(s.Source, s.SourceKind)).ToList();
        var targets = results.Select(r => Label(r.Target, r.TargetKind)).Distinct().OrderBy(t => t, StringComparer.Ordinal).ToList();
        var cells = results.GroupBy(r => (Label(r.Source, r.SourceKind), Label(r.Target, r.TargetKind)))
            .ToDictionary(g => g.Key, g => g.First());

        (string Text, string? Color) Cell(string source, string target)
        {
            if (source == target)
            {
                return ("-", null);
            }

            if (!cells.TryGetValue((source, target), out var result))
            {
                return (".", null);
            }

            return result.Status switch
            {
                HybridProbeStatus.Reachable => (showLatency && result.LatencyMs is { } ms
                    ? ms.ToString("0.0", CultureInfo.InvariantCulture) + "ms"
                    : "ok", Green),
                HybridProbeStatus.Unreachable => (result.FailedLayer is null ? "FAIL" : $"FAIL:{result.FailedLayer}", Red),
                _ => ("?", Yellow),
            };
        }

        var firstWidth = Math.Max("source \\ target".Length, sources.Count == 0 ? 0 : sources.Max(s => s.Length));
        var widths = targets.Select(t => Math.Max(t.Length, sources.Select(s => Cell(s, t).Text.Length).DefaultIfEmpty(1).Max())).ToList();
        var text = new StringBuilder();
        text.Append("source \\ target".PadRight(firstWidth));
        for (var i = 0; i < targets.Count; i++)
        {
            text.Append("  ").Append(targets[i].PadRight(widths[i]));
        }

        text.Append('\n');
        foreach (var source in sources)
        {
            text.Append(source.PadRight(firstWidth));
            for (var i = 0; i < targets.Count; i++)
            {
                var (cell, cellColor) = Cell(source, targets[i]);
                text.Append("  ");
                if (color && cellColor is not null)
                {
                    text.Append(cellColor).Append(cell).Append(Reset).Append(' ', widths[i] - cell.Length);
                }
                else
                {
                    text.Append(cell.PadRight(widths[i]));
                }
            }

            text.Append('\n');
        }

        var counts = results.GroupBy(r => r.Status).OrderBy(g => g.Key)
            .Select(g => string.Create(CultureInfo.InvariantCulture, $"{g.Count()} {g.Key}"));
        text.Append(string.Join(", ", counts));
        return text.ToString();
    }
}
