using System;
using System.Collections.Generic;
using System.IO;
using System.Linq;
using System.Management.Automation;
using HybridNet.Completers;
using HybridNet.Engine;
using HybridNet.Engine.Operations;
using HybridNet.Internal;

namespace HybridNet.Commands;

/// <summary>
/// Draws hybrid bridges, their members, addresses and link health as Mermaid, Graphviz DOT, or
/// SVG (rendered by Graphviz's dot, which must be installed).
/// </summary>
[Cmdlet(VerbsData.Export, "HybridTopology")]
[OutputType(typeof(string), typeof(FileInfo))]
public sealed class ExportHybridTopologyCommand : HybridCmdlet
{
    private readonly List<string> _names = new();

    /// <summary>Bridges to draw; a piped HybridBridge binds here. All bridges when left out.</summary>
    [Parameter(Position = 0, ValueFromPipeline = true, ValueFromPipelineByPropertyName = true)]
    [ArgumentCompleter(typeof(BridgeNameCompleter))]
    [SupportsWildcards]
    public string[]? Bridge { get; set; }

    /// <summary>Mermaid (default), Dot or Svg.</summary>
    [Parameter]
    [ValidateSet("Mermaid", "Dot", "Svg")]
    public string Format { get; set; } = "Mermaid";

    /// <summary>File to write; the text is written to the pipeline when left out (Svg needs a path).</summary>
    [Parameter]
    public string? Path { get; set; }

    protected override void ProcessRecord()
    {
        _names.AddRange(Bridge ?? new[] { "*" });
    }

    protected override void EndProcessing()
    {
        try
        {
            var patterns = (_names.Count == 0 ? new List<string> { "*" } : _names)
                .Select(n => new WildcardPattern(n, WildcardOptions.IgnoreCase))
                .ToList();
            var bridges = Run(ct => new BridgeOperations(Context).ListAsync(n => patterns.Any(p => p.IsMatch(n)), ct));
            var members = new MemberOperations(Context);
            var links = Run(ct => Context.Ip.GetLinksAsync(ct));
            var topology = new List<TopologyBridge>();
            foreach (var bridge in bridges)
            {
                var endpoints = Run(ct => members.ListAsync(bridge.Definition, ct));
                topology.Add(new TopologyBridge(bridge, endpoints.Select(e => new TopologyMember(
                        e,
                        e.Running && links.Any(l => l.Name == e.HostInterface && l.Master == bridge.Definition.Name
                            && l.OperState != "DOWN")))
                    .ToList()));
            }

            var text = Format == "Mermaid" ? TopologyRenderer.ToMermaid(topology) : TopologyRenderer.ToDot(topology);
            if (Format == "Svg")
            {
                if (Path is null)
                {
                    throw new Engine.HybridNetException(ErrorIds.InvalidName, FailureKind.InvalidArgument, Format,
                        "Format Svg writes a file, so -Path is required.", "Add -Path <file>.svg.");
                }

                var result = Run(ct => Context.Runner.RunAsync("dot", new[] { "-Tsvg" }, Context.Settings.Timeout, ct, text));
                if (!result.Succeeded)
                {
                    throw new Engine.HybridNetException(ErrorIds.CommandFailed, FailureKind.InvalidOperation, "dot",
                        Messages.CommandFailed(result));
                }

                text = result.StandardOutput;
            }

            if (Path is null)
            {
                WriteObject(text);
            }
            else
            {
                var full = GetUnresolvedProviderPathFromPSPath(Path);
                File.WriteAllText(full, text);
                WriteObject(new FileInfo(full));
            }
        }
        catch (Engine.HybridNetException ex)
        {
            Report(ex);
        }

        base.EndProcessing();
    }
}
