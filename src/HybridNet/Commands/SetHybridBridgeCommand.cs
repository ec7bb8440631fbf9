using System;
using System.Management.Automation;
using HybridNet.Completers;
using HybridNet.Engine.Operations;
using HybridNet.Internal;

namespace HybridNet.Commands;

/// <summary>
/// Changes a hybrid bridge's mode, allowed networks, MTU, DNS domain or pools. Every change is
/// stored in the libvirt network's definition and applied to the running bridge.
/// </summary>
[Cmdlet(VerbsCommon.Set, "HybridBridge", SupportsShouldProcess = true, ConfirmImpact = ConfirmImpact.Medium,
    DefaultParameterSetName = ByName)]
[OutputType(typeof(HybridBridge))]
public sealed class SetHybridBridgeCommand : HybridCmdlet
{
    private const string ByName = "ByName";
    private const string ByObject = "ByObject";

    /// <summary>Name of the bridge to change.</summary>
    [Parameter(Mandatory = true, Position = 0, ParameterSetName = ByName)]
    [ArgumentCompleter(typeof(BridgeNameCompleter))]
    public string Name { get; set; } = string.Empty;

    /// <summary>A bridge from Get-HybridBridge.</summary>
    [Parameter(Mandatory = true, ParameterSetName = ByObject, ValueFromPipeline = true)]
    public HybridBridge? InputObject { get; set; }

    /// <summary>What members may reach beyond the bridge.</summary>
    [Parameter]
    public HybridBridgeMode? Mode { get; set; }

    /// <summary>Networks routed to and from the members in Routed mode: CIDR subnets or libvirt/Docker network names.</summary>
    [Parameter]
    [AllowEmptyCollection]
    public string[]? AllowNetwork { get; set; }

    /// <summary>MTU of the bridge and of the members' host-side links, in bytes.</summary>
    [Parameter]
    [ValidateRange(1280, 9216)]
    public int? Mtu { get; set; }

    /// <summary>DNS domain of member names. Changing it restarts the libvirt network and re-plugs members.</summary>
    [Parameter]
    public string? Domain { get; set; }

    /// <summary>New DHCP pool for guests, as first-last or CIDR.</summary>
    [Parameter]
    public string? VmRange { get; set; }

    /// <summary>New container block (CIDR); only while no container is attached.</summary>
    [Parameter]
    public string? ContainerRange { get; set; }

    /// <summary>Writes the bridge after the change.</summary>
    [Parameter]
    public SwitchParameter PassThru { get; set; }

    internal override bool ChangesHost => true;

    protected override void ProcessRecord()
    {
        var name = InputObject?.Name ?? Name;
        try
        {
            var request = new SetBridgeRequest(
                name,
                Mode is null ? null : (Engine.BridgeMode)(int)Mode.Value,
                AllowNetwork,
                Mtu,
                Domain,
                VmRange is null ? null : InputParser.Range(VmRange, nameof(VmRange)),
                ContainerRange is null ? null : InputParser.Subnet(ContainerRange, nameof(ContainerRange)));
            using var stateLock = LockBridge(name);
            var (_, steps) = Run(ct => new SetOperations(Context).PlanAsync(request, ct));
            if (steps.Count == 0)
            {
                WriteVerbose($"Hybrid bridge '{name}' already has these settings; nothing to change.");
            }
            else if (!ApplySteps(steps, $"Changing hybrid bridge {name}"))
            {
                return;
            }
            else if (Domain is not null)
            {
                SyncNames(name);
            }

            if (PassThru)
            {
                WriteObject(TypeMapper.ToBridge(Run(ct => new BridgeOperations(Context).GetStateAsync(name, ct))));
            }
        }
        catch (Engine.HybridNetException ex)
        {
            Report(ex);
        }
    }
}
