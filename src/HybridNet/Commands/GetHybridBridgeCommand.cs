using System.Linq;
using System.Management.Automation;
using HybridNet.Completers;
using HybridNet.Engine;
using HybridNet.Engine.Operations;
using HybridNet.Internal;

namespace HybridNet.Commands;

/// <summary>Lists hybrid bridges with their address plan and health.</summary>
[Cmdlet(VerbsCommon.Get, "HybridBridge")]
[OutputType(typeof(HybridBridge))]
public sealed class GetHybridBridgeCommand : HybridCmdlet
{
    /// <summary>Bridge names to list; wildcards allowed. All bridges when left out.</summary>
    [Parameter(Position = 0, ValueFromPipeline = true, ValueFromPipelineByPropertyName = true)]
    [SupportsWildcards]
    [ArgumentCompleter(typeof(BridgeNameCompleter))]
    public string[]? Name { get; set; }

    protected override void ProcessRecord()
    {
        try
        {
            var patterns = (Name ?? new[] { "*" })
                .Select(n => new WildcardPattern(n, WildcardOptions.IgnoreCase))
                .ToList();
            var bridges = Run(ct => new BridgeOperations(Context).ListAsync(n => patterns.Any(p => p.IsMatch(n)), ct));
            foreach (var bridge in bridges)
            {
                WriteObject(TypeMapper.ToBridge(bridge));
            }

            foreach (var name in Name ?? System.Array.Empty<string>())
            {
                if (!WildcardPattern.ContainsWildcardCharacters(name)
                    && !bridges.Any(b => string.Equals(b.Definition.Name, name, System.StringComparison.OrdinalIgnoreCase)))
                {
                    WriteError(ErrorMapper.ToErrorRecord(new Engine.HybridNetException(
                        ErrorIds.BridgeNotFound, FailureKind.ObjectNotFound, name,
                        Messages.BridgeNotFound(name), Messages.BridgeNotFoundAction)));
                }
            }
        }
        catch (Engine.HybridNetException ex)
        {
            Report(ex);
        }
    }
}
