using System;
using System.Management.Automation;
using HybridNet.Engine;
using HybridNet.Engine.Probing;
using HybridNet.Internal;

namespace HybridNet.Commands;

/// <summary>
/// Measures latency (ICMP echoes) and TCP throughput of the path from one endpoint to another,
/// from the endpoints' own network stacks, so neither image nor guest needs a benchmark tool.
/// </summary>
[Cmdlet(VerbsDiagnostic.Measure, "HybridPath", DefaultParameterSetName = ByPipeline)]
[OutputType(typeof(HybridPathMeasurement))]
public sealed class MeasureHybridPathCommand : HybridCmdlet
{
    private const string ByPair = "ByPair";
    private const string ByPipeline = "ByPipeline";
    private const string FromHostSet = "FromHost";
    private const string ToHostSet = "ToHost";

    private HybridEndpoint? _pendingSource;

    /// <summary>Endpoint the echoes and the TCP stream start from.</summary>
    [Parameter(Mandatory = true, Position = 0, ParameterSetName = ByPair)]
    [Parameter(Mandatory = true, Position = 0, ParameterSetName = ToHostSet, ValueFromPipeline = true)]
    public HybridEndpoint? Source { get; set; }

    /// <summary>Endpoint the echoes and the TCP stream go to.</summary>
    [Parameter(Mandatory = true, Position = 1, ParameterSetName = ByPair)]
    [Parameter(Mandatory = true, Position = 0, ParameterSetName = FromHostSet, ValueFromPipeline = true)]
    public HybridEndpoint? Target { get; set; }

    /// <summary>Piped endpoints, taken in pairs: the first of each pair is the source, the second the target.</summary>
    [Parameter(Mandatory = true, ParameterSetName = ByPipeline, ValueFromPipeline = true)]
    public HybridEndpoint[] InputObject { get; set; } = Array.Empty<HybridEndpoint>();

    /// <summary>Measures from the host, at its gateway address on the target's bridge, to -Target.</summary>
    [Parameter(Mandatory = true, ParameterSetName = FromHostSet)]
    public SwitchParameter FromHost { get; set; }

    /// <summary>Measures from -Source to the host, at its gateway address on the source's bridge.</summary>
    [Parameter(Mandatory = true, ParameterSetName = ToHostSet)]
    public SwitchParameter ToHost { get; set; }

    /// <summary>Number of ICMP echoes whose round-trip times are reported, after one unreported warm-up echo.</summary>
    [Parameter]
    [ValidateRange(1, 1000)]
    public int Count { get; set; } = 10;

    /// <summary>Duration of the TCP stream in seconds. 0 measures latency only.</summary>
    [Parameter]
    [ValidateRange(0, 3600)]
    public int Seconds { get; set; } = 3;

    /// <summary>How long each echo waits for its reply, in milliseconds.</summary>
    [Parameter]
    [ValidateRange(100, 60000)]
    public int ProbeTimeoutMs { get; set; } = 1000;

    protected override void ProcessRecord()
    {
        switch (ParameterSetName)
        {
            case ByPair:
                Measure(Source!, Target!);
                break;

            case FromHostSet:
                Measure(null, Target!);
                break;

            case ToHostSet:
                Measure(Source!, null);
                break;

            default:
                foreach (var endpoint in InputObject)
                {
                    if (_pendingSource is null)
                    {
                        _pendingSource = endpoint;
                        continue;
                    }

                    Measure(_pendingSource, endpoint);
                    _pendingSource = null;
                }

                break;
        }
    }

    protected override void EndProcessing()
    {
        if (_pendingSource is { } unpaired)
        {
            WriteError(ErrorMapper.ToErrorRecord(new Engine.HybridNetException(
                ErrorIds.InvalidEndpointPair,
                FailureKind.InvalidArgument,
                unpaired.Name,
                Messages.UnpairedEndpoint(unpaired.Name),
                Messages.EndpointPairAction)));
        }

        base.EndProcessing();
    }

    /// <summary>Measures one path. A null end is the host.</summary>
    private void Measure(HybridEndpoint? source, HybridEndpoint? target)
    {
        try
        {
            var measurement = new PathMeasurement(Context);
            var sourceEnd = source is null
                ? Run(ct => measurement.HostEndpointAsync(target!.Bridge, ct))
                : TypeMapper.ToProbeEndpoint(source);
            var targetEnd = target is null
                ? Run(ct => measurement.HostEndpointAsync(source!.Bridge, ct))
                : TypeMapper.ToProbeEndpoint(target);
            var options = new PathMeasurementOptions(Count, ProbeTimeoutMs, TimeSpan.FromSeconds(Seconds))
            {
                SocketTimeout = TimeSpan.FromSeconds(TimeoutSec),
            };
            var result = Run(ct => measurement.MeasureAsync(sourceEnd, targetEnd, options, ct));
            WriteObject(ToOutput(result));
        }
        catch (Engine.HybridNetException ex)
        {
            Report(ex);
        }
    }

    private static HybridPathMeasurement ToOutput(PathMeasurementResult result) => new(
        result.Source,
        result.Target,
        result.TargetAddress,
        result.LatencyMinMs,
        result.LatencyAvgMs,
        result.LatencyMaxMs,
        result.ThroughputMbps,
        result.Seconds,
        result.Detail);
}
