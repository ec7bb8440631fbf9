using System;
using System.Linq;
using System.Management.Automation;
using HybridNet.Completers;
using HybridNet.Engine.Addressing;
using HybridNet.Engine.Operations;
using HybridNet.Internal;

namespace HybridNet.Commands;

/// <summary>
/// Creates a hybrid bridge: a persistent, autostarted libvirt network that owns the Linux
/// bridge and serves DHCP to guests, and a Docker network over the same bridge whose container
/// range does not overlap the guests' pool.
/// </summary>
[Cmdlet(VerbsCommon.New, "HybridBridge", SupportsShouldProcess = true, ConfirmImpact = ConfirmImpact.Medium)]
[OutputType(typeof(HybridBridge))]
public sealed class NewHybridBridgeCommand : HybridCmdlet
{
    /// <summary>Name of the bridge device, libvirt network and Docker network.</summary>
    [Parameter(Mandatory = true, Position = 0, ValueFromPipelineByPropertyName = true)]
    [ArgumentCompleter(typeof(BridgeNameCompleter))]
    public string Name { get; set; } = string.Empty;

    /// <summary>IPv4 subnet in CIDR form; when left out, a free one is picked from -SubnetPool.</summary>
    [Parameter(Position = 1, ValueFromPipelineByPropertyName = true)]
    public string? Subnet { get; set; }

    /// <summary>IPv6 /64 for the bridge (for example a unique local prefix); IPv4 only when left out.</summary>
    [Parameter(ValueFromPipelineByPropertyName = true)]
    public string? Ipv6Subnet { get; set; }

    /// <summary>Blocks searched for a free subnet when -Subnet is left out.</summary>
    [Parameter]
    public string[] SubnetPool { get; set; } = { BridgeOperations.DefaultSubnetPool.ToString() };

    /// <summary>Prefix length of a subnet picked from -SubnetPool.</summary>
    [Parameter]
    [ValidateRange(16, 28)]
    public int SubnetPrefixLength { get; set; } = 24;

    /// <summary>MTU of the bridge and of every member's link, in bytes.</summary>
    [Parameter(ValueFromPipelineByPropertyName = true)]
    [ValidateRange(1280, 9216)]
    public int? Mtu { get; set; }

    /// <summary>DNS domain of member names; defaults to &lt;name&gt;.internal.</summary>
    [Parameter(ValueFromPipelineByPropertyName = true)]
    public string? Domain { get; set; }

    /// <summary>Gateway address on the bridge; defaults to the first host address.</summary>
    [Parameter(ValueFromPipelineByPropertyName = true)]
    public string? Gateway { get; set; }

    /// <summary>DHCP pool for guests, as first-last or CIDR.</summary>
    [Parameter(ValueFromPipelineByPropertyName = true)]
    [Alias("VmPool")]
    public string? VmRange { get; set; }

    /// <summary>Container address block, in CIDR form (Docker's --ip-range).</summary>
    [Parameter(ValueFromPipelineByPropertyName = true)]
    [Alias("ContainerPool")]
    public string? ContainerRange { get; set; }

    /// <summary>Addresses left to explicit -IPAddress values, as first-last or CIDR.</summary>
    [Parameter(ValueFromPipelineByPropertyName = true)]
    public string? StaticRange { get; set; }

    /// <summary>What members may reach beyond the bridge: Isolated (default), Nat or Routed.</summary>
    [Parameter(ValueFromPipelineByPropertyName = true)]
    public HybridBridgeMode? Mode { get; set; }

    /// <summary>Networks routed to and from the members in Routed mode: CIDR subnets or libvirt/Docker network names.</summary>
    [Parameter]
    public string[] AllowNetwork { get; set; } = System.Array.Empty<string>();

    internal override bool ChangesHost => true;

    protected override void ProcessRecord()
    {
        try
        {
            var request = new NewBridgeRequest(
                Name,
                Subnet is null ? null : InputParser.Subnet(Subnet, nameof(Subnet)),
                SubnetPool.Select(p => InputParser.Subnet(p, nameof(SubnetPool))).ToList(),
                SubnetPrefixLength,
                Mtu,
                Domain,
                Gateway is null ? null : InputParser.Address(Gateway, nameof(Gateway)),
                VmRange is null ? null : InputParser.Range(VmRange, nameof(VmRange)),
                ContainerRange is null ? null : InputParser.Subnet(ContainerRange, nameof(ContainerRange)),
                StaticRange is null ? null : InputParser.Range(StaticRange, nameof(StaticRange)))
            {
                Mode = Mode is null ? null : (Engine.BridgeMode)(int)Mode.Value,
                AllowNetwork = AllowNetwork,
                Ipv6Subnet = Ipv6Subnet,
            };
            NameRules.ValidateBridgeName(Name);

            var bridges = new BridgeOperations(Context);
            using var stateLock = LockBridge(Name);
            var plan = Run(ct => bridges.PlanCreateAsync(request, ct));
            if (plan.Existing is not null)
            {
                WriteVerbose($"Hybrid bridge '{Name}' already exists with these settings; nothing to change.");
                WriteObject(TypeMapper.ToBridge(plan.Existing));
                return;
            }

            if (ApplySteps(plan.Steps, $"Creating hybrid bridge {Name}"))
            {
                WriteObject(TypeMapper.ToBridge(Run(ct => bridges.GetStateAsync(Name, ct))));
            }
        }
        catch (Engine.HybridNetException ex)
        {
            Report(ex);
        }
    }
}
