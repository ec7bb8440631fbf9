using System;
using System.Management.Automation;
using HybridNet.Completers;
using HybridNet.Engine;
using HybridNet.Engine.Operations;
using HybridNet.Internal;

namespace HybridNet.Commands;

/// <summary>
/// Attaches existing containers to a hybrid bridge through the Docker API, so Docker keeps the
/// attachment, with the same address, across container and daemon restarts.
/// </summary>
[Cmdlet(VerbsCommunications.Connect, "HybridContainer", SupportsShouldProcess = true,
    DefaultParameterSetName = ByObject, ConfirmImpact = ConfirmImpact.Medium)]
[OutputType(typeof(HybridEndpoint))]
public sealed class ConnectHybridContainerCommand : HybridCmdlet
{
    private const string ByName = "ByName";
    private const string ByObject = "ByObject";

    /// <summary>Container names or ids.</summary>
    [Parameter(Mandatory = true, Position = 0, ParameterSetName = ByName, ValueFromPipeline = true)]
    [Parameter(Mandatory = true, Position = 0, ParameterSetName = ByObject)]
    [ArgumentCompleter(typeof(ContainerNameCompleter))]
    public string[] Container { get; set; } = Array.Empty<string>();

    /// <summary>Name of the hybrid bridge.</summary>
    [Parameter(Mandatory = true, ParameterSetName = ByName, ValueFromPipelineByPropertyName = true)]
    [ArgumentCompleter(typeof(BridgeNameCompleter))]
    public string Bridge { get; set; } = string.Empty;

    /// <summary>A bridge from New-HybridBridge or Get-HybridBridge.</summary>
    [Parameter(Mandatory = true, ParameterSetName = ByObject, ValueFromPipeline = true)]
    public HybridBridge? InputObject { get; set; }

    /// <summary>Fixed IPv4 address; Docker's IPAM picks one from the container pool when left out.</summary>
    [Parameter]
    public string? IPAddress { get; set; }

    internal override bool ChangesHost => true;

    protected override void ProcessRecord()
    {
        var bridge = InputObject?.Name ?? Bridge;
        if (IPAddress is not null && Container.Length > 1)
        {
            ThrowTerminatingError(ErrorMapper.ToErrorRecord(new Engine.HybridNetException(
                ErrorIds.AddressNotAllowed, FailureKind.InvalidArgument, IPAddress,
                Messages.AddressNotAllowed(bridge, "-IPAddress applies to one container, but several were given"))));
        }

        var operations = new ContainerOperations(Context);
        foreach (var container in Container)
        {
            try
            {
                using var stateLock = Run(ct => StateLock.AcquireAsync(bridge, TimeSpan.FromSeconds(Math.Max(60, TimeoutSec)), ct));
                var plan = Run(ct => operations.PlanConnectAsync(bridge, container, IPAddress, ct));
                if (plan.Existing is not null)
                {
                    WriteVerbose($"Container '{container}' is already on bridge '{bridge}'; nothing to change.");
                    WriteObject(TypeMapper.ToEndpoint(plan.Existing));
                    continue;
                }

                if (ApplySteps(plan.Steps, $"Connecting container {container} to {bridge}")
                    && Run(plan.DescribeResult) is { } endpoint)
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
