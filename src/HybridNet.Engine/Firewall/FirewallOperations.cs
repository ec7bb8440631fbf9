using System.Collections.Generic;
using System.Linq;
using System.Threading;
using System.Threading.Tasks;
using HybridNet.Engine.Operations;

namespace HybridNet.Engine.Firewall;

/// <summary>
/// Installs, checks and removes the iptables rules of a hybrid bridge, and the same rules in
/// ip6tables when the bridge has an IPv6 subnet. With br_netfilter, bridged IPv6 (neighbour
/// discovery included) passes ip6tables FORWARD, whose policy Docker sets to DROP when its
/// ip6tables support is on.
/// </summary>
public sealed class FirewallOperations
{
    private readonly Iptables _ipv4;
    private readonly Iptables _ipv6;

    public FirewallOperations(EngineContext context)
    {
        _ipv4 = new Iptables(context.Runner, context.Settings.Timeout);
        _ipv6 = new Iptables(context.Runner, context.Settings.Timeout, "ip6tables");
    }

    public Iptables Iptables => _ipv4;

    public async Task ApplyAsync(BridgeDefinition bridge, CancellationToken cancellationToken)
    {
        await ApplyAsync(_ipv4, bridge, FirewallRules.Masquerade(bridge), cancellationToken).ConfigureAwait(false);
        if (bridge.Ipv6Subnet is not null)
        {
            await ApplyAsync(_ipv6, bridge, FirewallRules.Masquerade(bridge, ipv6: true), cancellationToken).ConfigureAwait(false);
        }
    }

    public async Task RemoveAsync(BridgeDefinition bridge, CancellationToken cancellationToken)
    {
        await RemoveAsync(_ipv4, bridge, ipv6: false, cancellationToken).ConfigureAwait(false);
        if (bridge.Ipv6Subnet is not null)
        {
            await RemoveAsync(_ipv6, bridge, ipv6: true, cancellationToken).ConfigureAwait(false);
        }
    }

    public async Task<IReadOnlyList<string>> CheckAsync(BridgeDefinition bridge, CancellationToken cancellationToken)
    {
        var problems = new List<string>(await CheckAsync(_ipv4, bridge, cancellationToken).ConfigureAwait(false));
        if (bridge.Ipv6Subnet is not null)
        {
            problems.AddRange((await CheckAsync(_ipv6, bridge, cancellationToken).ConfigureAwait(false)).Select(p => "IPv6 " + p));
        }

        return problems;
    }

    /// <summary>
    /// Writes the bridge's chain from scratch and makes sure each jump into it sits in its hook
    /// chain. Running it again changes nothing but the order inside the bridge's own chain.
    /// </summary>
    private static async Task ApplyAsync(Iptables iptables, BridgeDefinition bridge, FirewallRule? masquerade, CancellationToken cancellationToken)
    {
        var chain = FirewallRules.ChainName(bridge.Name);
        await iptables.EnsureChainAsync("filter", chain, cancellationToken).ConfigureAwait(false);
        await iptables.FlushChainAsync("filter", chain, cancellationToken).ConfigureAwait(false);
        foreach (var rule in FirewallRules.ChainRules(bridge, iptables.Program == "ip6tables"))
        {
            await iptables.AppendAsync(rule, cancellationToken).ConfigureAwait(false);
        }

        var dockerUser = await iptables.ChainExistsAsync("filter", "DOCKER-USER", cancellationToken).ConfigureAwait(false);
        foreach (var jump in FirewallRules.Jumps(bridge.Name, dockerUser))
        {
            if (!await iptables.RuleExistsAsync(jump, cancellationToken).ConfigureAwait(false))
            {
                await iptables.InsertFirstAsync(jump, cancellationToken).ConfigureAwait(false);
            }
        }

        await RemoveMasqueradeAsync(iptables, bridge, iptables.Program == "ip6tables", cancellationToken).ConfigureAwait(false);
        if (masquerade is not null)
        {
            await iptables.InsertFirstAsync(masquerade, cancellationToken).ConfigureAwait(false);
        }
    }

    /// <summary>Removes every rule and chain of the bridge; rules already gone are skipped.</summary>
    private static async Task RemoveAsync(Iptables iptables, BridgeDefinition bridge, bool ipv6, CancellationToken cancellationToken)
    {
        foreach (var jump in FirewallRules.Jumps(bridge.Name, dockerUserPresent: true))
        {
            while (await iptables.RuleExistsAsync(jump, cancellationToken).ConfigureAwait(false))
            {
                await iptables.DeleteAsync(jump, cancellationToken).ConfigureAwait(false);
            }
        }

        await RemoveMasqueradeAsync(iptables, bridge, ipv6, cancellationToken).ConfigureAwait(false);
        var chain = FirewallRules.ChainName(bridge.Name);
        if (await iptables.ChainExistsAsync("filter", chain, cancellationToken).ConfigureAwait(false))
        {
            await iptables.FlushChainAsync("filter", chain, cancellationToken).ConfigureAwait(false);
            await iptables.DeleteChainAsync("filter", chain, cancellationToken).ConfigureAwait(false);
        }
    }

    /// <summary>Lists what is missing or different from the rules the bridge should have.</summary>
    private static async Task<IReadOnlyList<string>> CheckAsync(Iptables iptables, BridgeDefinition bridge, CancellationToken cancellationToken)
    {
        var problems = new List<string>();
        var chain = FirewallRules.ChainName(bridge.Name);
        var present = await iptables.ListRulesAsync("filter", chain, cancellationToken).ConfigureAwait(false);
        if (present is null)
        {
            problems.Add($"firewall chain {chain} is missing");
            return problems;
        }

        var expected = FirewallRules.ChainRules(bridge, iptables.Program == "ip6tables").Select(r => $"-A {chain} {string.Join(' ', r.Specification)}").ToList();
        var actual = present.Where(l => l.StartsWith("-A ", System.StringComparison.Ordinal)).ToList();
        if (!expected.SequenceEqual(actual))
        {
            problems.Add($"firewall chain {chain} does not hold the rules of mode {bridge.Mode}");
        }

        var dockerUser = await iptables.ChainExistsAsync("filter", "DOCKER-USER", cancellationToken).ConfigureAwait(false);
        foreach (var jump in FirewallRules.Jumps(bridge.Name, dockerUser))
        {
            if (!await iptables.RuleExistsAsync(jump, cancellationToken).ConfigureAwait(false))
            {
                problems.Add($"firewall rule missing: jump from {jump.Chain} to {chain}");
            }
        }

        return problems;
    }

    private static async Task RemoveMasqueradeAsync(Iptables iptables, BridgeDefinition bridge, bool ipv6, CancellationToken cancellationToken)
    {
        var nat = FirewallRules.Masquerade(bridge with { Mode = BridgeMode.Nat }, ipv6);
        if (nat is null)
        {
            return;
        }

        while (await iptables.RuleExistsAsync(nat, cancellationToken).ConfigureAwait(false))
        {
            await iptables.DeleteAsync(nat, cancellationToken).ConfigureAwait(false);
        }
    }
}
