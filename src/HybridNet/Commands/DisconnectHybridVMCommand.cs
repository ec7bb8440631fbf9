using System;
using System.Management.Automation;
using HybridNet.Completers;
using HybridNet.Engine;
using HybridNet.Engine.Operations;
using HybridNet.Internal;

namespace HybridNet.Commands;

/// <summary>
/// Removes a domain's NICs on a hybrid bridge, live and from its definition, and drops their
/// DHCP reservations.
/// </summary>
[Cmdlet(VerbsCommunications.Disconnect, "HybridVM", SupportsShouldProcess = true,
    DefaultParameterSetName = ByObject, ConfirmImpact = ConfirmImpact.Medium)]
[OutputType(typeof(HybridEndpoint))]
public sealed class DisconnectHybridVMCommand : HybridCmdlet
{
    private const string ByName = "ByName";
    private const string ByObject = "ByObject";

    [Parameter(Mandatory = true, Position = 0, ParameterSetName = ByName, ValueFromPipeline = true,
        ValueFromPipelineByPropertyName = true)]
    [ArgumentCompleter(typeof(DomainNameCompleter))]
    public string[] Domain { get; set; } = Array.Empty<string>();

    /// <summary>Name of the hybrid bridge.</summary>
    [Parameter(Mandatory = true, ParameterSetName = ByName, ValueFromPipelineByPropertyName = true)]
    [ArgumentCompleter(typeof(BridgeNameCompleter))]
    public string Bridge { get; set; } = string.Empty;

    /// <summary>VM endpoints from Connect-HybridVM or Get-HybridEndpoint.</summary>
    [Parameter(Mandatory = true, ParameterSetName = ByObject, ValueFromPipeline = true)]
    public HybridEndpoint[] InputObject { get; set; } = Array.Empty<HybridEndpoint>();

    /// <summary>Writes each endpoint as it was before it was removed.</summary>
    [Parameter]
    public SwitchParameter PassThru { get; set; }

    internal override bool ChangesHost => true;

    protected override void ProcessRecord()
    {
        if (ParameterSetName == ByObject)
        {
            foreach (var endpoint in InputObject)
            {
                if (endpoint.Kind != HybridEndpointKind.VM)
                {
                    WriteError(ErrorMapper.ToErrorRecord(new Engine.HybridNetException(
                        ErrorIds.NotConnected, FailureKind.InvalidArgument, endpoint,
                        Messages.WrongEndpointKind(endpoint.Name, endpoint.Kind.ToString(), "Disconnect-HybridContainer"))));
                    continue;
                }

                DisconnectOne(endpoint.Bridge, endpoint.Name);
            }

            return;
        }

        foreach (var domain in Domain)
        {
            DisconnectOne(Bridge, domain);
        }
    }

    private void DisconnectOne(string bridge, string domain)
    {
        try
        {
            using var stateLock = LockBridge(bridge);
            var plan = Run(ct => new VmOperations(Context).PlanDisconnectAsync(bridge, domain, ct));
            if (plan.Steps.Count == 0)
            {
                WriteVerbose($"Domain '{domain}' has no NIC on bridge '{bridge}'; nothing to change.");
                return;
            }

            if (!ApplySteps(plan.Steps, $"Disconnecting VM {domain} from {bridge}"))
            {
                return;
            }

            QueueNameSync(bridge);
            if (PassThru && plan.Existing is not null)
            {
                WriteObject(TypeMapper.ToEndpoint(plan.Existing));
            }
        }
        catch (Engine.HybridNetException ex)
        {
            Report(ex);
        }
    }

    protected override void EndProcessing()
    {
        SyncQueuedNames();
        base.EndProcessing();
    }
}
