using System;
using System.Management.Automation;
using HybridNet.Completers;
using HybridNet.Engine;
using HybridNet.Engine.Operations;
using HybridNet.Internal;

namespace HybridNet.Commands;

/// <summary>
/// Attaches existing containers to a hybrid bridge through the Docker API, so Docker keeps the
/// attachment across container and daemon restarts.
/// </summary>
[Cmdlet(VerbsCommunications.Connect, "HybridContainer", SupportsShouldProcess = true, ConfirmImpact = ConfirmImpact.Medium)]
[OutputType(typeof(HybridEndpoint))]
public sealed class ConnectHybridContainerCommand : HybridCmdlet
{
    private bool _addressFromCommandLine;
    private int _connected;

    /// <summary>Container names or ids.</summary>
    [Parameter(Mandatory = true, Position = 0, ValueFromPipelineByPropertyName = true)]
    [ArgumentCompleter(typeof(ContainerNameCompleter))]
    public string[] Container { get; set; } = Array.Empty<string>();

    /// <summary>
    /// Name of the hybrid bridge. A HybridBridge from New-HybridBridge or Get-HybridBridge can be
    /// piped in; it binds here by its name.
    /// </summary>
    [Parameter(Mandatory = true, ValueFromPipeline = true, ValueFromPipelineByPropertyName = true)]
    [ArgumentCompleter(typeof(BridgeNameCompleter))]
    public string Bridge { get; set; } = string.Empty;

    /// <summary>Fixed IPv4 address; Docker's IPAM picks one from the container pool when left out.</summary>
    [Parameter(ValueFromPipelineByPropertyName = true)]
    public string? IPAddress { get; set; }

    internal override bool ChangesHost => true;

    protected override void BeginProcessing()
    {
        base.BeginProcessing();
        _addressFromCommandLine = MyInvocation.BoundParameters.ContainsKey(nameof(IPAddress));
    }

    protected override void ProcessRecord()
    {
        foreach (var container in Container)
        {
            try
            {
                _connected++;
                if (IPAddress is not null && (Container.Length > 1 || (_addressFromCommandLine && _connected > 1)))
                {
                    throw new Engine.HybridNetException(
                        ErrorIds.AddressNotAllowed, FailureKind.InvalidArgument, IPAddress,
                        Messages.AddressNotAllowed(Bridge, "-IPAddress applies to one container, but several were given"));
                }

                using var stateLock = LockBridge(Bridge);
                var plan = Run(ct => new ContainerOperations(Context).PlanConnectAsync(Bridge, container, IPAddress, ct));
                if (plan.Existing is not null)
                {
                    WriteVerbose($"Container '{container}' is already on bridge '{Bridge}'; nothing to change.");
                    WriteObject(TypeMapper.ToEndpoint(plan.Existing));
                    continue;
                }

                if (ApplySteps(plan.Steps, $"Connecting container {container} to {Bridge}")
                    && Run(plan.DescribeResult) is { } endpoint)
                {
                    QueueNameSync(Bridge);
                    WriteObject(TypeMapper.ToEndpoint(endpoint));
                }
            }
            catch (Engine.HybridNetException ex)
            {
                Report(ex);
            }
        }
    }

    protected override void EndProcessing()
    {
        SyncQueuedNames();
        base.EndProcessing();
    }
}
