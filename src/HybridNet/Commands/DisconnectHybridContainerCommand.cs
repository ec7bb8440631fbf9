using System;
using System.Management.Automation;
using HybridNet.Completers;
using HybridNet.Engine;
using HybridNet.Engine.Operations;
using HybridNet.Internal;

namespace HybridNet.Commands;

/// <summary>Detaches containers from a hybrid bridge through the Docker API.</summary>
[Cmdlet(VerbsCommunications.Disconnect, "HybridContainer", SupportsShouldProcess = true,
    DefaultParameterSetName = ByObject, ConfirmImpact = ConfirmImpact.Medium)]
[OutputType(typeof(HybridEndpoint))]
public sealed class DisconnectHybridContainerCommand : HybridCmdlet
{
    private const string ByName = "ByName";
    private const string ByObject = "ByObject";

    [Parameter(Mandatory = true, Position = 0, ParameterSetName = ByName, ValueFromPipeline = true,
        ValueFromPipelineByPropertyName = true)]
    [ArgumentCompleter(typeof(ContainerNameCompleter))]
    public string[] Container { get; set; } = Array.Empty<string>();

    /// <summary>Name of the hybrid bridge.</summary>
    [Parameter(Mandatory = true, ParameterSetName = ByName, ValueFromPipelineByPropertyName = true)]
    [ArgumentCompleter(typeof(BridgeNameCompleter))]
    public string Bridge { get; set; } = string.Empty;

    /// <summary>Container endpoints from Connect-HybridContainer or Get-HybridEndpoint.</summary>
    [Parameter(Mandatory = true, ParameterSetName = ByObject, ValueFromPipeline = true)]
    public HybridEndpoint[] InputObject { get; set; } = Array.Empty<HybridEndpoint>();

    /// <summary>Writes each endpoint as it was before it was detached.</summary>
    [Parameter]
    public SwitchParameter PassThru { get; set; }

    internal override bool ChangesHost => true;

    protected override void ProcessRecord()
    {
        if (ParameterSetName == ByObject)
        {
            foreach (var endpoint in InputObject)
            {
                if (endpoint.Kind != HybridEndpointKind.Container)
                {
                    WriteError(ErrorMapper.ToErrorRecord(new Engine.HybridNetException(
                        ErrorIds.NotConnected, FailureKind.InvalidArgument, endpoint,
                        Messages.WrongEndpointKind(endpoint.Name, endpoint.Kind.ToString(), "Disconnect-HybridVM"))));
                    continue;
                }

                DisconnectOne(endpoint.Bridge, endpoint.Id ?? endpoint.Name);
            }

            return;
        }

        foreach (var container in Container)
        {
            DisconnectOne(Bridge, container);
        }
    }

    private void DisconnectOne(string bridge, string container)
    {
        try
        {
            using var stateLock = LockBridge(bridge);
            var plan = Run(ct => new ContainerOperations(Context).PlanDisconnectAsync(bridge, container, ct));
            if (plan.Steps.Count == 0)
            {
                WriteVerbose($"Container '{container}' is not on bridge '{bridge}'; nothing to change.");
                return;
            }

            if (!ApplySteps(plan.Steps, $"Disconnecting container {container} from {bridge}"))
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
