using System;
using System.Collections.Generic;
using System.Linq;
using System.Threading;
using System.Threading.Tasks;
using HybridNet.Engine.Host;

namespace HybridNet.Engine.Firewall;

/// <summary>
/// Adapter for `iptables`, whichever backend (legacy or nft) the host's alternative selects;
/// Docker and libvirt call the same binary, so the rules land where theirs are. `-w` waits for
/// the xtables lock instead of failing while another tool holds it.
/// </summary>
public sealed class Iptables
{
    private readonly ICommandRunner _runner;
    private readonly TimeSpan _timeout;

    /// <param name="program">iptables for IPv4, ip6tables for IPv6.</param>
    public Iptables(ICommandRunner runner, TimeSpan timeout, string program = "iptables")
    {
        _runner = runner;
        _timeout = timeout;
        Program = program;
    }

    public string Program { get; }

    public static IReadOnlyList<string> Arguments(string table, string action, string chain, IEnumerable<string>? specification = null)
    {
        var arguments = new List<string> { "-w", "5", "-t", table, action, chain };
        if (specification is not null)
        {
            arguments.AddRange(specification);
        }

        return arguments;
    }

    public async Task<bool> ChainExistsAsync(string table, string chain, CancellationToken cancellationToken)
    {
        var result = await RunAsync(Arguments(table, "-S", chain), cancellationToken).ConfigureAwait(false);
        return result.Succeeded;
    }

    public async Task<bool> RuleExistsAsync(FirewallRule rule, CancellationToken cancellationToken)
    {
        var result = await RunAsync(Arguments(rule.Table, "-C", rule.Chain, rule.Specification), cancellationToken).ConfigureAwait(false);
        return result.Succeeded;
    }

    /// <summary>Lists the rules of a chain in `iptables -S` form, or null when it does not exist.</summary>
    public async Task<IReadOnlyList<string>?> ListRulesAsync(string table, string chain, CancellationToken cancellationToken)
    {
        var result = await RunAsync(Arguments(table, "-S", chain), cancellationToken).ConfigureAwait(false);
        return result.Succeeded
            ? result.StandardOutput.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries).ToList()
            : null;
    }

    public Task EnsureChainAsync(string table, string chain, CancellationToken cancellationToken) =>
        RunCheckedAsync(Arguments(table, "-N", chain), cancellationToken, ignoreExists: true);

    public Task FlushChainAsync(string table, string chain, CancellationToken cancellationToken) =>
        RunCheckedAsync(Arguments(table, "-F", chain), cancellationToken);

    public Task DeleteChainAsync(string table, string chain, CancellationToken cancellationToken) =>
        RunCheckedAsync(Arguments(table, "-X", chain), cancellationToken);

    public Task AppendAsync(FirewallRule rule, CancellationToken cancellationToken) =>
        RunCheckedAsync(Arguments(rule.Table, "-A", rule.Chain, rule.Specification), cancellationToken);

    public Task InsertFirstAsync(FirewallRule rule, CancellationToken cancellationToken)
    {
        var arguments = new List<string> { "-w", "5", "-t", rule.Table, "-I", rule.Chain, "1" };
        arguments.AddRange(rule.Specification);
        return RunCheckedAsync(arguments, cancellationToken);
    }

    public Task DeleteAsync(FirewallRule rule, CancellationToken cancellationToken) =>
        RunCheckedAsync(Arguments(rule.Table, "-D", rule.Chain, rule.Specification), cancellationToken);

    private Task<CommandResult> RunAsync(IReadOnlyList<string> arguments, CancellationToken cancellationToken) =>
        _runner.RunAsync(Program, arguments, _timeout, cancellationToken);

    private async Task RunCheckedAsync(IReadOnlyList<string> arguments, CancellationToken cancellationToken, bool ignoreExists = false)
    {
        var result = await RunAsync(arguments, cancellationToken).ConfigureAwait(false);
        if (result.Succeeded || (ignoreExists && result.StandardError.Contains("exists", StringComparison.OrdinalIgnoreCase)))
        {
            return;
        }

        throw new HybridNetException(
            ErrorIds.FirewallFailed,
            result.StandardError.Contains("Permission denied", StringComparison.Ordinal) ? FailureKind.PermissionDenied : FailureKind.InvalidOperation,
            result.CommandLine,
            Messages.CommandFailed(result),
            Messages.RunAsRootAction);
    }
}
