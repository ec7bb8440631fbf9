using System;
using System.Management.Automation;
using HybridNet.Completers;
using HybridNet.Engine;
using HybridNet.Engine.Operations;
using HybridNet.Internal;

namespace HybridNet.Commands;

/// <summary>
/// Adds a virtio NIC on a hybrid bridge to existing libvirt domains: live and persistent for a
/// running domain (no restart needed), persistent only for a shut-off one. Each NIC gets a DHCP
/// reservation, chosen from the VM pool or given with -IPAddress.
/// </summary>
[Cmdlet(VerbsCommunications.Connect, "HybridVM", SupportsShouldProcess = true,
    DefaultParameterSetName = ByObject, ConfirmImpact = ConfirmImpact.Medium)]
[OutputType(typeof(HybridEndpoint))]
public sealed class ConnectHybridVMCommand : HybridCmdlet
{
    private const string ByName = "ByName";
    private const string ByObject = "ByObject";

    /// <summary>libvirt domain names.</summary>
    [Parameter(Mandatory = true, Position = 0, ParameterSetName = ByName, ValueFromPipeline = true)]
    [Parameter(Mandatory = true, Position = 0, ParameterSetName = ByObject)]
    [ArgumentCompleter(typeof(DomainNameCompleter))]
    public string[] Domain { get; set; } = Array.Empty<string>();

    /// <summary>Name of the hybrid bridge.</summary>
    [Parameter(Mandatory = true, ParameterSetName = ByName, ValueFromPipelineByPropertyName = true)]
    [ArgumentCompleter(typeof(BridgeNameCompleter))]
    public string Bridge { get; set; } = string.Empty;

    /// <summary>A bridge from New-HybridBridge or Get-HybridBridge.</summary>
    [Parameter(Mandatory = true, ParameterSetName = ByObject, ValueFromPipeline = true)]
    public HybridBridge? InputObject { get; set; }

    /// <summary>Address reserved for the NIC's MAC; a free VM-pool address when left out.</summary>
    [Parameter]
    public string? IPAddress { get; set; }

    /// <summary>Changes only the persistent definition, even for a running domain.</summary>
    [Parameter]
    public SwitchParameter Persistent { get; set; }

    internal override bool ChangesHost => true;

    protected override void ProcessRecord()
    {
        var bridge = InputObject?.Name ?? Bridge;
        if (IPAddress is not null && Domain.Length > 1)
        {
            ThrowTerminatingError(ErrorMapper.ToErrorRecord(new Engine.HybridNetException(
                ErrorIds.AddressNotAllowed, FailureKind.InvalidArgument, IPAddress,
                Messages.AddressNotAllowed(bridge, "-IPAddress applies to one domain, but several were given"))));
        }

        var operations = new VmOperations(Context);
        foreach (var domain in Domain)
        {
            try
            {
                using var stateLock = Run(ct => StateLock.AcquireAsync(bridge, TimeSpan.FromSeconds(Math.Max(60, TimeoutSec)), ct));
                var plan = Run(ct => operations.PlanConnectAsync(bridge, domain, IPAddress, Persistent, ct));
                if (plan.Existing is not null)
                {
                    WriteVerbose($"Domain '{domain}' already has a NIC on bridge '{bridge}'; nothing to change.");
                    WriteObject(TypeMapper.ToEndpoint(plan.Existing));
                    continue;
                }

                if (ApplySteps(plan.Steps, $"Connecting VM {domain} to {bridge}") && Run(plan.DescribeResult) is { } endpoint)
                {
                    SyncNames(bridge);
                    WriteObject(TypeMapper.ToEndpoint(endpoint));
                }
            }
            catch (Engine.HybridNetException ex)
            {
                Report(ex);
            }
        }
    }
}
