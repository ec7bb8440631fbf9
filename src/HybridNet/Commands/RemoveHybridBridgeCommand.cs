using System;
using System.Collections.Generic;
using System.Linq;
using System.Management.Automation;
using HybridNet.Completers;
using HybridNet.Engine;
using HybridNet.Engine.Operations;
using HybridNet.Internal;

namespace HybridNet.Commands;

/// <summary>
/// Removes a hybrid bridge: its Docker network, its libvirt network and the bridge device the
/// libvirt network owns. It refuses while members are attached unless -Force is given, which
/// disconnects them first. Nothing HybridNet did not create is touched.
/// </summary>
[Cmdlet(VerbsCommon.Remove, "HybridBridge", SupportsShouldProcess = true, ConfirmImpact = ConfirmImpact.High,
    DefaultParameterSetName = ByName)]
[OutputType(typeof(HybridBridge))]
public sealed class RemoveHybridBridgeCommand : HybridCmdlet
{
    private const string ByName = "ByName";
    private const string ByObject = "ByObject";

    /// <summary>Names of the bridges to remove. Only the command line binds here, never a piped object's Name.</summary>
    [Parameter(Mandatory = true, Position = 0, ParameterSetName = ByName)]
    [ArgumentCompleter(typeof(BridgeNameCompleter))]
    public string[] Name { get; set; } = Array.Empty<string>();

    /// <summary>Bridges from Get-HybridBridge. Other objects (endpoints, strings) do not bind.</summary>
    [Parameter(Mandatory = true, ParameterSetName = ByObject, ValueFromPipeline = true)]
    public HybridBridge[] InputObject { get; set; } = Array.Empty<HybridBridge>();

    /// <summary>Disconnects attached VMs and containers instead of refusing.</summary>
    [Parameter]
    public SwitchParameter Force { get; set; }

    /// <summary>Writes the bridge as it was before removal.</summary>
    [Parameter]
    public SwitchParameter PassThru { get; set; }

    internal override bool ChangesHost => true;

    protected override void ProcessRecord()
    {
        var names = ParameterSetName == ByObject ? Array.ConvertAll(InputObject, b => b.Name) : Name;
        foreach (var name in names)
        {
            try
            {
                RemoveOne(name);
            }
            catch (Engine.HybridNetException ex)
            {
                Report(ex);
            }
        }
    }

    private void RemoveOne(string name)
    {
        NameRules.ValidateBridgeName(name);
        using var stateLock = LockBridge(name);
        var bridges = new BridgeOperations(Context);
        var state = Run(ct => bridges.GetStateAsync(name, ct));
        var definition = state.Definition;
        var members = Run(ct => new MemberOperations(Context).ListAsync(definition, ct));
        if (members.Count > 0 && !Force)
        {
            throw new Engine.HybridNetException(
                ErrorIds.BridgeHasMembers,
                FailureKind.InvalidOperation,
                name,
                Messages.BridgeHasMembers(name, members.Count) + " Members: "
                    + string.Join(", ", members.Select(m => $"{m.Kind} {m.Name}")) + ".",
                Messages.BridgeHasMembersAction);
        }

        var steps = new List<ChangeStep>();
        var containers = new ContainerOperations(Context);
        var vms = new VmOperations(Context);
        foreach (var member in members.Where(m => m.Kind == EndpointKind.Container))
        {
            steps.AddRange(containers.DisconnectSteps(definition, member.Id ?? member.Name, member.Name, member.IPAddress));
        }

        foreach (var domain in members.Where(m => m.Kind == EndpointKind.VM).Select(m => m.Name).Distinct())
        {
            steps.AddRange(Run(ct => vms.DisconnectStepsAsync(definition, domain, ct)));
        }

        steps.AddRange(Run(ct => bridges.RemoveStepsAsync(definition, ct)));
        if (ApplySteps(steps, $"Removing hybrid bridge {name}") && PassThru)
        {
            WriteObject(TypeMapper.ToBridge(state));
        }
    }
}
