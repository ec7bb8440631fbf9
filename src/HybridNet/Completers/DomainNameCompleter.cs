using System.Collections.Generic;
using System.Threading;
using System.Threading.Tasks;
using HybridNet.Engine;
using HybridNet.Engine.Operations;

namespace HybridNet.Completers;

/// <summary>Completes libvirt domain names, running or shut off.</summary>
public sealed class DomainNameCompleter : CompleterBase
{
    protected override async Task<IReadOnlyList<string>> GetNamesAsync(CancellationToken cancellationToken)
    {
        using var context = new EngineContext(EngineSettings.FromEnvironment(TimeLimit), NullEngineLog.Instance);
        return await context.Virsh.ListDomainsAsync(cancellationToken).ConfigureAwait(false);
    }
}
