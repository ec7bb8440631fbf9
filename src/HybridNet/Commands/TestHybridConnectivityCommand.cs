using System;
using System.Collections.Generic;
using System.Linq;
using System.Management.Automation;
using HybridNet.Completers;
using HybridNet.Engine;
using HybridNet.Engine.Operations;
using HybridNet.Engine.Probing;
using HybridNet.Internal;

namespace HybridNet.Commands;

/// <summary>
/// Probes every ordered pair of endpoints, and the host to each, from inside the source's own
/// network stack, and writes one result per probe as soon as it finishes.
/// </summary>
[Cmdlet(VerbsDiagnostic.Test, "HybridConnectivity", DefaultParameterSetName = ByEndpoint)]
[OutputType(typeof(HybridConnectivityResult))]
[OutputType(typeof(bool))]
[OutputType(typeof(string))]
public sealed class TestHybridConnectivityCommand : HybridCmdlet
{
    private const string ByEndpoint = "ByEndpoint";
    private const string ByBridge = "ByBridge";
    private readonly List<HybridEndpoint> _endpoints = new();

    /// <summary>Endpoints to probe between, usually piped from Connect-* or Get-HybridEndpoint.</summary>
    [Parameter(Mandatory = true, ParameterSetName = ByEndpoint, ValueFromPipeline = true)]
    public HybridEndpoint[] InputObject { get; set; } = System.Array.Empty<HybridEndpoint>();

    /// <summary>Probes every member of these bridges.</summary>
    [Parameter(Mandatory = true, Position = 0, ParameterSetName = ByBridge, ValueFromPipeline = true)]
    [ArgumentCompleter(typeof(BridgeNameCompleter))]
    public string[] Bridge { get; set; } = System.Array.Empty<string>();

    /// <summary>Leaves out the probes from the host to each member.</summary>
    [Parameter]
    public SwitchParameter ExcludeHost { get; set; }

    /// <summary>How long one probe waits for a reply, in milliseconds.</summary>
    [Parameter]
    [ValidateRange(100, 60000)]
    public int ProbeTimeoutMs { get; set; } = 1000;

    /// <summary>Maximum number of probes in flight at once.</summary>
    [Parameter]
    [ValidateRange(1, 64)]
    public int ThrottleLimit { get; set; } = 8;

    /// <summary>ICMP payload in bytes; above 32 the echo is sent with the don't-fragment bit.</summary>
    [Parameter]
    [ValidateRange(0, 65000)]
    public int BufferSize { get; set; } = 32;

    /// <summary>Probes the members' IPv4 addresses (default) or their IPv6 addresses.</summary>
    [Parameter]
    [ValidateSet("IPv4", "IPv6")]
    public string AddressFamily { get; set; } = "IPv4";

    /// <summary>Probes per pair; the result gives minimum, average and maximum latency.</summary>
    [Parameter]
    [ValidateRange(1, 100)]
    public int Count { get; set; } = 1;

    /// <summary>Connects to this TCP port instead of sending ICMP echoes.</summary>
    [Parameter]
    [ValidateRange(1, 65535)]
    public int? Port { get; set; }

    /// <summary>Finds, per reachable pair, the largest packet that passes with don't-fragment, up to the bridge MTU.</summary>
    [Parameter]
    public SwitchParameter PathMtu { get; set; }

    /// <summary>For each failed probe, finds the layer that drops it and fills Diagnosis and FailedLayer.</summary>
    [Parameter]
    public SwitchParameter Diagnose { get; set; }

    /// <summary>
    /// Writes one string, a source-by-target matrix of the results, instead of result objects;
    /// coloured when the host supports virtual terminal sequences and NO_COLOR is not set.
    /// </summary>
    [Parameter]
    public SwitchParameter AsMatrix { get; set; }

    /// <summary>Writes only $true when every probe is Reachable, otherwise $false.</summary>
    [Parameter]
    public SwitchParameter Quiet { get; set; }

    protected override void ProcessRecord()
    {
        if (ParameterSetName == ByEndpoint)
        {
            _endpoints.AddRange(InputObject);
            return;
        }

        var bridges = new BridgeOperations(Context);
        var members = new MemberOperations(Context);
        foreach (var name in Bridge)
        {
            try
            {
                var definition = Run(ct => bridges.RequireDefinitionAsync(name, ct));
                _endpoints.AddRange(Run(ct => members.ListAsync(definition, ct)).Select(TypeMapper.ToEndpoint));
            }
            catch (Engine.HybridNetException ex)
            {
                Report(ex);
            }
        }
    }

    protected override void EndProcessing()
    {
        var unique = _endpoints
            .GroupBy(e => (e.Kind, e.Name, e.IPAddress))
            .Select(g => g.First())
            .ToList();
        var ipv6 = AddressFamily == "IPv6";
        if (ipv6)
        {
            unique = unique.Select(e => e.IPv6Address is null && e.Kind == HybridEndpointKind.VM && e.HasGuestAgent
                ? Run(ct => WithGuestIpv6Async(e, ct))
                : e).ToList();
        }

        var endpoints = unique.Select(e => TypeMapper.ToProbeEndpoint(e, ipv6)).ToList();
        var options = new ProbeOptions(ProbeTimeoutMs, !ExcludeHost, ThrottleLimit)
        {
            PayloadSize = BufferSize,
            Count = Count,
            Port = Port,
            PathMtuLimit = PathMtu ? BridgeMtu(unique) : null,
        };
        var failed = new List<ProbeResult>();
        var collected = new List<HybridConnectivityResult>();
        void Emit(ProbeResult result)
        {
            if (AsMatrix)
            {
                collected.Add(TypeMapper.ToResult(result));
            }
            else if (!Quiet)
            {
                WriteObject(TypeMapper.ToResult(result));
            }
        }

        var total = ConnectivityProber.Pairs(endpoints, options.IncludeHost).Count;
        var allReachable = total > 0;
        ShowProgress("Testing hybrid connectivity", $"0 of {total} probes", 0);
        Run(ct => new ConnectivityProber(Context).RunAsync(endpoints, options, (result, done, count) => Post(() =>
        {
            allReachable &= result.Status == ProbeStatus.Reachable;
            ShowProgress("Testing hybrid connectivity", $"{done} of {count} probes", done * 100 / count);
            if (Diagnose && result.Status == ProbeStatus.Unreachable)
            {
                failed.Add(result);
            }
            else
            {
                Emit(result);
            }
        }), ct));

        // Diagnoses run one at a time: each reads firewall counters around its own re-probe.
        foreach (var result in failed)
        {
            Emit(Run(ct => DiagnoseAsync(result, unique, options, ct)));
        }

        if (AsMatrix && !Quiet)
        {
            var color = Host.UI.SupportsVirtualTerminal && Environment.GetEnvironmentVariable("NO_COLOR") is null;
            WriteObject(ConnectivityMatrix.Render(collected, color, showLatency: Count > 1));
        }
        if (Quiet)
        {
            WriteObject(allReachable);
        }

        base.EndProcessing();
    }

    /// <summary>
    /// Fills a guest's IPv6 address from the QEMU guest agent: its SLAAC address inside the
    /// bridge's /64, which no allocator of the host hands out.
    /// </summary>
    private async System.Threading.Tasks.Task<HybridEndpoint> WithGuestIpv6Async(HybridEndpoint endpoint, System.Threading.CancellationToken cancellationToken)
    {
        var bridge = await new BridgeOperations(Context).ReadDefinitionAsync(endpoint.Bridge, cancellationToken).ConfigureAwait(false);
        if (bridge?.Ipv6Subnet is null)
        {
            return endpoint;
        }

        var addresses = await Context.Agent.GetAddressesAsync(endpoint.Name, cancellationToken).ConfigureAwait(false);
        var address = addresses.FirstOrDefault(a => Engine.Addressing.Ipv6Prefix.Contains(bridge.Ipv6Subnet, a));
        return address is null
            ? endpoint
            : TypeMapper.ToEndpoint(TypeMapper.ToEndpointState(endpoint) with { IPv6Address = address });
    }

    /// <summary>The MTU of the first endpoint's bridge device, read from sysfs; 1500 when unknown.</summary>
    private static int BridgeMtu(List<HybridEndpoint> endpoints)
    {
        var bridge = endpoints.FirstOrDefault()?.Bridge;
        var path = $"/sys/class/net/{bridge}/mtu";
        return bridge is not null && Engine.Operations.NameRules.CheckBridgeName(bridge) is null && System.IO.File.Exists(path)
            && int.TryParse(System.IO.File.ReadAllText(path).Trim(), out var mtu)
            ? mtu
            : 1500;
    }

    private async System.Threading.Tasks.Task<ProbeResult> DiagnoseAsync(
        ProbeResult result, List<HybridEndpoint> endpoints, ProbeOptions options, System.Threading.CancellationToken cancellationToken)
    {
        var source = endpoints.FirstOrDefault(e => e.Name == result.Source && (int)e.Kind == (int)result.SourceKind);
        var target = endpoints.First(e => e.Name == result.Target && (int)e.Kind == (int)result.TargetKind);
        var prober = new ConnectivityProber(Context);
        var sourceProbe = source is null
            ? new ProbeEndpoint(EndpointKind.Host, ConnectivityProber.HostName, null, null, false, true)
            : TypeMapper.ToProbeEndpoint(source, AddressFamily == "IPv6");
        var findings = await new PathDiagnoser(Context).DiagnoseAsync(
                target.Bridge,
                source is null ? null : TypeMapper.ToEndpointState(source),
                TypeMapper.ToEndpointState(target),
                ct => prober.ProbeAsync(sourceProbe, TypeMapper.ToProbeEndpoint(target, AddressFamily == "IPv6"), options, ct),
                cancellationToken)
            .ConfigureAwait(false);
        return result with
        {
            Diagnosis = findings.Select(f => $"{f.Layer}: {f.Detail}").ToList(),
            FailedLayer = PathDiagnoser.PrimaryLayer(findings),
        };
    }
}
