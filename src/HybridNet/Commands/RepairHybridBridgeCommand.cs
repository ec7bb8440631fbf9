using System;
using System.Management.Automation;
using HybridNet.Completers;
using HybridNet.Engine.Operations;
using HybridNet.Internal;

namespace HybridNet.Commands;

/// <summary>
/// Puts back what drifted on a hybrid bridge: starts its libvirt network (re-creating a deleted
/// bridge device), re-creates a missing Docker network, plugs members' taps and veths back into
/// the bridge, restores the MTU, the firewall chain and the member names, and writes one object
/// per change it made.
/// </summary>
[Cmdlet(VerbsDiagnostic.Repair, "HybridBridge", SupportsShouldProcess = true, ConfirmImpact = ConfirmImpact.Medium,
    DefaultParameterSetName = ByName)]
[OutputType(typeof(HybridChange))]
public sealed class RepairHybridBridgeCommand : HybridCmdlet
{
    private const string ByName = "ByName";
    private const string ByObject = "ByObject";

    /// <summary>Names of the bridges to repair.</summary>
    [Parameter(Mandatory = true, Position = 0, ParameterSetName = ByName)]
    [ArgumentCompleter(typeof(BridgeNameCompleter))]
    public string[] Name { get; set; } = Array.Empty<string>();

    /// <summary>Bridges from Get-HybridBridge.</summary>
    [Parameter(Mandatory = true, ParameterSetName = ByObject, ValueFromPipeline = true)]
    public HybridBridge[] InputObject { get; set; } = Array.Empty<HybridBridge>();

    internal override bool ChangesHost => true;

    protected override void ProcessRecord()
    {
        var names = ParameterSetName == ByObject ? Array.ConvertAll(InputObject, b => b.Name) : Name;
        foreach (var name in names)
        {
            try
            {
                using var stateLock = LockBridge(name);
                var steps = Run(ct => new RepairOperations(Context).PlanAsync(name, ct));
                if (steps.Count == 0)
                {
                    WriteVerbose($"Hybrid bridge '{name}' needs no repair.");
                    continue;
                }

                if (ApplySteps(steps, $"Repairing hybrid bridge {name}"))
                {
                    foreach (var step in steps)
                    {
                        WriteObject(new HybridChange(name, step.Target, step.Action, step.Command));
                    }
                }
            }
            catch (Engine.HybridNetException ex)
            {
                Report(ex);
            }
        }
    }
}
