using System.Collections.Generic;
using System.Linq;
using System.Threading;
using System.Threading.Tasks;
using HybridNet.Engine.Operations;

namespace HybridNet.Engine.Firewall;

/// <summary>Installs, checks and removes the iptables rules of a hybrid bridge.</summary>
public sealed class FirewallOperations
{
    private readonly Iptables _iptables;

    public FirewallOperations(EngineContext context)
    {
        _iptables = new Iptables(context.Runner, context.Settings.Timeout);
    }

    public Iptables Iptables => _iptables;

    /// <summary>
    /// Writes the bridge's chain from scratch and makes sure each jump into it sits in its hook
    /// chain. Running it again changes nothing but the order inside the bridge's own chain.
    /// </summary>
    public async Task ApplyAsync(BridgeDefinition bridge, CancellationToken cancellationToken)
    {
        var chain = FirewallRules.ChainName(bridge.Name);
        await _iptables.EnsureChainAsync("filter", chain, cancellationToken).ConfigureAwait(false);
        await _iptables.FlushChainAsync("filter", chain, cancellationToken).ConfigureAwait(false);
        foreach (var rule in FirewallRules.ChainRules(bridge))
        {
            await _iptables.AppendAsync(rule, cancellationToken).ConfigureAwait(false);
        }

        var dockerUser = await _iptables.ChainExistsAsync("filter", "DOCKER-USER", cancellationToken).ConfigureAwait(false);
        foreach (var jump in FirewallRules.Jumps(bridge.Name, dockerUser))
        {
            if (!await _iptables.RuleExistsAsync(jump, cancellationToken).ConfigureAwait(false))
            {
                await _iptables.InsertFirstAsync(jump, cancellationToken).ConfigureAwait(false);
            }
        }

        await RemoveMasqueradeAsync(bridge, cancellationToken).ConfigureAwait(false);
        if (FirewallRules.Masquerade(bridge) is { } masquerade)
        {
            await _iptables.InsertFirstAsync(masquerade, cancellationToken).ConfigureAwait(false);
        }
    }

    /// <summary>Removes every rule and chain of the bridge; rules already gone are skipped.</summary>
    public async Task RemoveAsync(BridgeDefinition bridge, CancellationToken cancellationToken)
    {
        foreach (var jump in FirewallRules.Jumps(bridge.Name, dockerUserPresent: true))
        {
            while (await _iptables.RuleExistsAsync(jump, cancellationToken).ConfigureAwait(false))
            {
                await _iptables.DeleteAsync(jump, cancellationToken).ConfigureAwait(false);
            }
        }

        await RemoveMasqueradeAsync(bridge, cancellationToken).ConfigureAwait(false);
        var chain = FirewallRules.ChainName(bridge.Name);
        if (await _iptables.ChainExistsAsync("filter", chain, cancellationToken).ConfigureAwait(false))
        {
            await _iptables.FlushChainAsync("filter", chain, cancellationToken).ConfigureAwait(false);
            await _iptables.DeleteChainAsync("filter", chain, cancellationToken).ConfigureAwait(false);
        }
    }

    /// <summary>Lists what is missing or different from the rules the bridge should have.</summary>
    public async Task<IReadOnlyList<string>> CheckAsync(BridgeDefinition bridge, CancellationToken cancellationToken)
    {
        var problems = new List<string>();
        var chain = FirewallRules.ChainName(bridge.Name);
        var present = await _iptables.ListRulesAsync("filter", chain, cancellationToken).ConfigureAwait(false);
        if (present is null)
        {
            problems.Add($"firewall chain {chain} is missing");
            return problems;
        }

        var expected = FirewallRules.ChainRules(bridge).Select(r => $"-A {chain} {string.Join(' ', r.Specification)}").ToList();
        var actual = present.Where(l => l.StartsWith("-A ", System.StringComparison.Ordinal)).ToList();
        if (!expected.SequenceEqual(actual))
        {
            problems.Add($"firewall chain {chain} does not hold the rules of mode {bridge.Mode}");
        }

        var dockerUser = await _iptables.ChainExistsAsync("filter", "DOCKER-USER", cancellationToken).ConfigureAwait(false);
        foreach (var jump in FirewallRules.Jumps(bridge.Name, dockerUser))
        {
            if (!await _iptables.RuleExistsAsync(jump, cancellationToken).ConfigureAwait(false))
            {
                problems.Add($"firewall rule missing: jump from {jump.Chain} to {chain}");
            }
        }

        return problems;
    }

    private async Task RemoveMasqueradeAsync(BridgeDefinition bridge, CancellationToken cancellationToken)
    {
        var nat = FirewallRules.Masquerade(bridge with { Mode = BridgeMode.Nat })!;
        while (await _iptables.RuleExistsAsync(nat, cancellationToken).ConfigureAwait(false))
        {
            await _iptables.DeleteAsync(nat, cancellationToken).ConfigureAwait(false);
        }
    }
}
