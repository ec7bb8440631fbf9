using System.Linq;
using System.Management.Automation;
using HybridNet.Completers;
using HybridNet.Engine.Operations;
using HybridNet.Internal;

namespace HybridNet.Commands;

/// <summary>Lists the VMs and containers attached to hybrid bridges.</summary>
[Cmdlet(VerbsCommon.Get, "HybridEndpoint")]
[OutputType(typeof(HybridEndpoint))]
public sealed class GetHybridEndpointCommand : HybridCmdlet
{
    /// <summary>Bridges to list; a piped HybridBridge binds here. All bridges when left out.</summary>
    [Parameter(Position = 0, ValueFromPipeline = true, ValueFromPipelineByPropertyName = true)]
    [ArgumentCompleter(typeof(BridgeNameCompleter))]
    [SupportsWildcards]
    public string[]? Bridge { get; set; }

    /// <summary>Member names to keep; wildcards allowed.</summary>
    [Parameter]
    [SupportsWildcards]
    public string[]? Name { get; set; }

    /// <summary>Keeps only VMs or only containers.</summary>
    [Parameter]
    public HybridEndpointKind[]? Kind { get; set; }

    protected override void ProcessRecord()
    {
        try
        {
            var bridges = new BridgeOperations(Context);
            var members = new MemberOperations(Context);
            var names = Bridge?.ToList();
            var bridgePatterns = names?.Select(n => new WildcardPattern(n, WildcardOptions.IgnoreCase)).ToList();
            var states = Run(ct => bridges.ListAsync(n => bridgePatterns is null || bridgePatterns.Any(p => p.IsMatch(n)), ct));
            var patterns = Name?.Select(n => new WildcardPattern(n, WildcardOptions.IgnoreCase)).ToList();
            foreach (var state in states)
            {
                foreach (var endpoint in Run(ct => members.ListAsync(state.Definition, ct)))
                {
                    var output = TypeMapper.ToEndpoint(endpoint);
                    if ((patterns is null || patterns.Any(p => p.IsMatch(output.Name)))
                        && (Kind is null || Kind.Contains(output.Kind)))
                    {
                        WriteObject(output);
                    }
                }
            }

            foreach (var name in names ?? new System.Collections.Generic.List<string>())
            {
                if (!WildcardPattern.ContainsWildcardCharacters(name)
                    && !states.Any(s => string.Equals(s.Definition.Name, name, System.StringComparison.OrdinalIgnoreCase)))
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
