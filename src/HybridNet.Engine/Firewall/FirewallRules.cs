using System.Collections.Generic;
using System.Linq;
using HybridNet.Engine.Addressing;

namespace HybridNet.Engine.Firewall;

/// <summary>One iptables rule: its table, chain and match-and-target arguments.</summary>
public sealed record FirewallRule(string Table, string Chain, IReadOnlyList<string> Specification)
{
    public override string ToString() => $"-t {Table} -A {Chain} {string.Join(' ', Specification)}";
}

/// <summary>
/// Builds the rules of one hybrid bridge. They live in a chain of the bridge's own
/// (HYBRIDNET-&lt;bridge&gt;), jumped to from the top of FORWARD and, when Docker is present, from
/// DOCKER-USER, which dockerd keeps across restarts. Every rule names the bridge, so traffic of
/// other bridges passes through untouched, and the global FORWARD policy is never changed.
/// </summary>
public static class FirewallRules
{
    /// <summary>Marker in the comment of every rule HybridNet adds outside its own chains.</summary>
    public static string Comment(string bridge) => $"hybridnet:{bridge}";

    /// <summary>Name of the bridge's own chain; iptables allows up to 28 characters.</summary>
    public static string ChainName(string bridge) => $"HYBRIDNET-{bridge}";

    /// <summary>The rules of the bridge's own chain, in order.</summary>
    /// <remarks>Allowed networks are IPv4 subnets, so an IPv6 chain of Routed mode allows none.</remarks>
    public static IReadOnlyList<FirewallRule> ChainRules(BridgeDefinition bridge, bool ipv6 = false)
    {
        var name = bridge.Name;
        var chain = ChainName(name);
        var rules = new List<FirewallRule>
        {
            // Bridged traffic between members: passed to iptables by br_netfilter, and dropped by
            // Docker's FORWARD policy unless something accepts it.
            Rule(chain, "-i", name, "-o", name, "-j", "ACCEPT"),
        };

        switch (bridge.Mode)
        {
            case BridgeMode.Nat:
                rules.Add(Rule(chain, "-i", name, "!", "-o", name, "-j", "ACCEPT"));
                rules.Add(Rule(chain, "-o", name, "-m", "conntrack", "--ctstate", "RELATED,ESTABLISHED", "-j", "ACCEPT"));
                break;

            case BridgeMode.Routed when !ipv6:
                foreach (var allowed in bridge.AllowedNetworks)
                {
                    var cidr = allowed.ToString();
                    rules.Add(Rule(chain, "-i", name, "-d", cidr, "-j", "ACCEPT"));
                    rules.Add(Rule(chain, "-o", name, "-s", cidr, "-j", "ACCEPT"));
                }

                break;
        }

        // Anything else entering or leaving the bridge is dropped here, before Docker's own
        // accept rules for the network or a permissive FORWARD policy could let it through.
        rules.Add(Rule(chain, "-i", name, "-j", "DROP"));
        rules.Add(Rule(chain, "-o", name, "-j", "DROP"));
        return rules;
    }

    /// <summary>The jumps into the bridge's chain, one per hook chain.</summary>
    public static IReadOnlyList<FirewallRule> Jumps(string bridge, bool dockerUserPresent)
    {
        var jumps = new List<FirewallRule>
        {
            Rule("FORWARD", "-m", "comment", "--comment", Comment(bridge), "-j", ChainName(bridge)),
        };
        if (dockerUserPresent)
        {
            jumps.Add(Rule("DOCKER-USER", "-m", "comment", "--comment", Comment(bridge), "-j", ChainName(bridge)));
        }

        return jumps;
    }

    /// <summary>The masquerade rule of Nat mode, in the nat table.</summary>
    public static FirewallRule? Masquerade(BridgeDefinition bridge, bool ipv6 = false)
    {
        if (bridge.Mode != BridgeMode.Nat || (ipv6 && bridge.Ipv6Subnet is null))
        {
            return null;
        }

        var subnet = ipv6 ? bridge.Ipv6Subnet! : bridge.Plan.Subnet.ToString();
        return new FirewallRule("nat", "POSTROUTING", new[]
        {
            "-s", subnet, "!", "-d", subnet, "-m", "comment", "--comment", Comment(bridge.Name), "-j", "MASQUERADE",
        });
    }

    private static FirewallRule Rule(string chain, params string[] specification) =>
        new("filter", chain, specification.ToList());
}
