using System.Linq;
using System.Management.Automation;
using HybridNet.Completers;
using HybridNet.Engine.Addressing;
using HybridNet.Engine.Operations;
using HybridNet.Internal;

namespace HybridNet.Commands;

/// <summary>
/// Lists every address in use on hybrid bridges: the bridge's own address, DHCP reservations,
/// dnsmasq leases, Docker endpoints and neighbours seen on the segment, merged per address.
/// </summary>
[Cmdlet(VerbsCommon.Get, "HybridAddress")]
[OutputType(typeof(HybridAddress))]
public sealed class GetHybridAddressCommand : HybridCmdlet
{
    /// <summary>Bridges to list; a piped HybridBridge binds here. All bridges when left out.</summary>
    [Parameter(Position = 0, ValueFromPipeline = true, ValueFromPipelineByPropertyName = true)]
    [ArgumentCompleter(typeof(BridgeNameCompleter))]
    [SupportsWildcards]
    public string[]? Bridge { get; set; }

    /// <summary>Writes only addresses whose sources disagree.</summary>
    [Parameter]
    public SwitchParameter ConflictOnly { get; set; }

    protected override void ProcessRecord()
    {
        try
        {
            var names = Bridge?.ToList();
            var bridgePatterns = names?.Select(n => new WildcardPattern(n, WildcardOptions.IgnoreCase)).ToList();
            var bridges = Run(ct => new BridgeOperations(Context).ListAsync(n => bridgePatterns is null || bridgePatterns.Any(p => p.IsMatch(n)), ct));
            var inventory = new AddressInventory(Context);
            foreach (var bridge in bridges)
            {
                foreach (var record in Run(ct => inventory.CollectAsync(bridge.Definition, ct)))
                {
                    if (ConflictOnly && !record.Conflict)
                    {
                        continue;
                    }

                    WriteObject(new HybridAddress(
                        bridge.Definition.Name,
                        Ipv4Subnet.Format(record.Address),
                        record.Holder,
                        (HybridAddressHolderKind)(int)record.Kind,
                        record.MacAddress,
                        record.Sources.Select(s => s.ToString()).ToArray(),
                        record.Conflict,
                        record.ConflictDetail));
                }
            }

            foreach (var name in names ?? new System.Collections.Generic.List<string>())
            {
                if (!WildcardPattern.ContainsWildcardCharacters(name)
                    && !bridges.Any(b => string.Equals(b.Definition.Name, name, System.StringComparison.OrdinalIgnoreCase)))
                {
                    WriteError(ErrorMapper.ToErrorRecord(new Engine.HybridNetException(
                        Engine.ErrorIds.BridgeNotFound, Engine.FailureKind.ObjectNotFound, name,
                        Engine.Messages.BridgeNotFound(name), Engine.Messages.BridgeNotFoundAction)));
                }
            }
        }
        catch (Engine.HybridNetException ex)
        {
            Report(ex);
        }
    }
}
