using System.Collections.Generic;
using System.Linq;
using System.Threading;
using System.Threading.Tasks;
using HybridNet.Engine;
using HybridNet.Engine.Operations;

namespace HybridNet.Completers;

/// <summary>Completes Docker container names.</summary>
public sealed class ContainerNameCompleter : CompleterBase
{
    protected override async Task<IReadOnlyList<string>> GetNamesAsync(CancellationToken cancellationToken)
    {
        using var context = new EngineContext(EngineSettings.FromEnvironment(TimeLimit), NullEngineLog.Instance);
        var containers = await context.Docker.ListContainerNamesAsync(cancellationToken).ConfigureAwait(false);
        return containers.Select(c => c.Name).ToList();
    }
}
