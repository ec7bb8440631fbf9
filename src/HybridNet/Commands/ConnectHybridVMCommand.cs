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
[Cmdlet(VerbsCommunications.Connect, "HybridVM", SupportsShouldProcess = true, ConfirmImpact = ConfirmImpact.Medium)]
[OutputType(typeof(HybridEndpoint))]
public sealed class ConnectHybridVMCommand : HybridCmdlet
{
    private bool _addressFromCommandLine;
    private int _connected;

    /// <summary>libvirt domain names.</summary>
    [Parameter(Mandatory = true, Position = 0, ValueFromPipelineByPropertyName = true)]
    [ArgumentCompleter(typeof(DomainNameCompleter))]
    public string[] Domain { get; set; } = Array.Empty<string>();

    /// <summary>
    /// Name of the hybrid bridge. A HybridBridge from New-HybridBridge or Get-HybridBridge can be
    /// piped in; it binds here by its name.
    /// </summary>
    [Parameter(Mandatory = true, ValueFromPipeline = true, ValueFromPipelineByPropertyName = true)]
    [ArgumentCompleter(typeof(BridgeNameCompleter))]
    public string Bridge { get; set; } = string.Empty;

    /// <summary>Address reserved for the NIC's MAC; a free VM-pool address when left out.</summary>
    [Parameter(ValueFromPipelineByPropertyName = true)]
    public string? IPAddress { get; set; }

    /// <summary>Changes only the persistent definition, even for a running domain.</summary>
    [Parameter]
    public SwitchParameter Persistent { get; set; }

    internal override bool ChangesHost => true;

    protected override void BeginProcessing()
    {
        base.BeginProcessing();
        _addressFromCommandLine = MyInvocation.BoundParameters.ContainsKey(nameof(IPAddress));
    }

    protected override void ProcessRecord()
    {
        foreach (var domain in Domain)
        {
            try
            {
                _connected++;
                if (IPAddress is not null && (Domain.Length > 1 || (_addressFromCommandLine && _connected > 1)))
                {
                    throw new Engine.HybridNetException(
                        ErrorIds.AddressNotAllowed, FailureKind.InvalidArgument, IPAddress,
                        Messages.AddressNotAllowed(Bridge, "-IPAddress applies to one domain, but several were given"));
                }

                using var stateLock = LockBridge(Bridge);
                var plan = Run(ct => new VmOperations(Context).PlanConnectAsync(Bridge, domain, IPAddress, Persistent, ct));
                if (plan.Existing is not null)
                {
                    WriteVerbose($"Domain '{domain}' already has a NIC on bridge '{Bridge}'; nothing to change.");
                    WriteObject(TypeMapper.ToEndpoint(plan.Existing));
                    continue;
                }

                if (ApplySteps(plan.Steps, $"Connecting VM {domain} to {Bridge}") && Run(plan.DescribeResult) is { } endpoint)
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
