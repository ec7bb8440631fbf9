using System.Collections.Generic;
using System.Linq;
using System.Management.Automation;
using HybridNet.Engine;
using HybridNet.Engine.Operations;
using HybridNet.Internal;

namespace HybridNet.Commands;

/// <summary>
/// Surveys every bridge and virtual network on the host (libvirt, Docker, LXD/Incus, HybridNet
/// and unmanaged Linux bridges) with their subnets, members and findings: overlapping subnets,
/// bridges claimed twice and networks the host forwards nothing between. Changes nothing.
/// </summary>
[Cmdlet(VerbsCommon.Get, "HybridHostNetwork")]
[OutputType(typeof(HybridHostNetwork), typeof(HybridHostFinding))]
public sealed class GetHybridHostNetworkCommand : HybridCmdlet
{
    private readonly List<string> _names = new();

    /// <summary>Network names to list, with wildcards. A piped object's Name binds here. All when left out.</summary>
    [Parameter(Position = 0, ValueFromPipelineByPropertyName = true)]
    [SupportsWildcards]
    [ValidateNotNullOrEmpty]
    public string[]? Name { get; set; }

    /// <summary>Lists only networks of these owners.</summary>
    [Parameter]
    public HybridHostNetworkOwner[]? Owner { get; set; }

    /// <summary>Writes the findings of the selected networks, each once, instead of the networks.</summary>
    [Parameter]
    public SwitchParameter FindingsOnly { get; set; }

    protected override void ProcessRecord()
    {
        if (Name is not null)
        {
            _names.AddRange(Name);
        }
    }

    /// <summary>Runs the survey once, after every piped name has arrived.</summary>
    protected override void EndProcessing()
    {
        try
        {
            var result = Run(ct => new HostSurvey(Context).CollectAsync(ct));
            var patterns = _names.Select(n => WildcardPattern.Get(n, WildcardOptions.IgnoreCase)).ToList();
            var selected = result.Networks
                .Where(n => patterns.Count == 0 || patterns.Any(p => p.IsMatch(n.Name)))
                .Where(n => Owner is null || Owner.Contains((HybridHostNetworkOwner)(int)n.Owner))
                .ToList();

            if (FindingsOnly)
            {
                var ids = selected.Select(n => n.Id).ToHashSet();
                foreach (var finding in result.Findings.Where(f => f.NetworkIds.Any(ids.Contains)))
                {
                    WriteObject(ToFinding(finding));
                }
            }
            else
            {
                foreach (var network in selected)
                {
                    WriteObject(ToNetwork(network));
                }
            }

            ReportNamesNotFound(result.Networks);
        }
        catch (Engine.HybridNetException ex)
        {
            CompleteProgress();
            Report(ex);
        }

        base.EndProcessing();
    }

    /// <summary>Writes an error for each name without wildcards that matches no network, as Get-Process does.</summary>
    private void ReportNamesNotFound(IReadOnlyList<HostNetwork> networks)
    {
        foreach (var name in _names.Distinct())
        {
            if (WildcardPattern.ContainsWildcardCharacters(name))
            {
                continue;
            }

            var pattern = WildcardPattern.Get(name, WildcardOptions.IgnoreCase);
            if (!networks.Any(n => pattern.IsMatch(n.Name)))
            {
                WriteError(ErrorMapper.ToErrorRecord(new Engine.HybridNetException(
                    ErrorIds.HostNetworkNotFound,
                    FailureKind.ObjectNotFound,
                    name,
                    Messages.HostNetworkNotFound(name),
                    Messages.HostNetworkNotFoundAction)));
            }
        }
    }

    // The public enums repeat the engine's members in the same order, so the casts below keep meaning.
    private static HybridHostNetwork ToNetwork(HostNetwork network) => new(
        network.Name,
        (HybridHostNetworkOwner)(int)network.Owner,
        network.BridgeDevice,
        network.Subnets.Select(s => s.ToString()).ToArray(),
        network.Gateway,
        network.DhcpRanges.Select(r => r.ToString()).ToArray(),
        (HybridHostNetworkState)(int)network.State,
        network.Forward,
        network.Vms.Select(ToMember).ToArray(),
        network.Containers.Select(ToMember).ToArray(),
        network.Findings.Select(ToFinding).ToArray());

    private static HybridHostMember ToMember(HostMember member) => new(
        (HybridEndpointKind)(int)member.Kind,
        member.Name,
        member.State,
        member.MacAddress,
        member.IPAddress);

    private static HybridHostFinding ToFinding(HostFinding finding) => new(
        (HybridHostFindingSeverity)(int)finding.Severity,
        (HybridHostFindingKind)(int)finding.Kind,
        finding.Message,
        finding.NetworkNames.ToArray());
}
