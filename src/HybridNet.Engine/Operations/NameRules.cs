using System;
using System.Linq;
using System.Text;

namespace HybridNet.Engine.Operations;

/// <summary>Input checks that run before anything on the host changes.</summary>
public static class NameRules
{
    /// <summary>Linux keeps interface names in IFNAMSIZ (16) bytes including the final NUL.</summary>
    public const int MaxBridgeNameBytes = 15;

    /// <summary>
    /// Checks a hybrid bridge name, which is also the libvirt network and Docker network name.
    /// Returns null when valid, otherwise the reason.
    /// </summary>
    public static string? CheckBridgeName(string? name)
    {
        if (string.IsNullOrEmpty(name))
        {
            return "the name is empty";
        }

        var bytes = Encoding.UTF8.GetByteCount(name);
        if (bytes > MaxBridgeNameBytes)
        {
            return $"it is {bytes} bytes long and Linux interface names hold at most {MaxBridgeNameBytes}";
        }

        if (!char.IsAsciiLetter(name[0]))
        {
            return "it must start with a letter";
        }

        if (name.Any(c => !IsBridgeNameCharacter(c)))
        {
            var bad = name.First(c => !IsBridgeNameCharacter(c));
            return $"it contains the character {Describe(bad)}, and only letters, digits, '_', '.' and '-' are allowed";
        }

        return null;
    }

    public static void ValidateBridgeName(string? name)
    {
        var problem = CheckBridgeName(name);
        if (problem is not null)
        {
            throw new HybridNetException(
                ErrorIds.InvalidBridgeName,
                FailureKind.InvalidArgument,
                name,
                Messages.InvalidBridgeName(name ?? string.Empty, problem),
                Messages.InvalidBridgeNameAction);
        }
    }

    /// <summary>
    /// Checks a container or domain reference before it reaches Docker or virsh. Those accept
    /// names with few characters, so anything else (control characters, a leading dash that a
    /// command could read as an option, over-long strings) is rejected here.
    /// </summary>
    public static void ValidateMemberName(string kind, string? name)
    {
        string? problem = null;
        if (string.IsNullOrEmpty(name))
        {
            problem = "the name is empty";
        }
        else if (name.Length > 253)
        {
            problem = $"it is {name.Length} characters long and at most 253 are allowed";
        }
        else if (name[0] is '-' or '.')
        {
            problem = "it must not start with '-' or '.'";
        }
        else if (name.Any(c => !IsMemberNameCharacter(c)))
        {
            var bad = name.First(c => !IsMemberNameCharacter(c));
            problem = $"it contains the character {Describe(bad)}, and only letters, digits, '_', '.', '+' and '-' are allowed";
        }

        if (problem is not null)
        {
            throw new HybridNetException(
                ErrorIds.InvalidName,
                FailureKind.InvalidArgument,
                name,
                Messages.InvalidName(kind, name ?? string.Empty, problem));
        }
    }

    /// <summary>Checks a DNS domain for the bridge: labels of letters, digits and '-'.</summary>
    public static void ValidateDnsDomain(string domain)
    {
        var labels = domain.Split('.');
        var valid = domain.Length <= 200 && labels.All(l =>
            l.Length is > 0 and <= 63 && l[0] != '-' && l[^1] != '-'
            && l.All(c => char.IsAsciiLetterOrDigit(c) || c == '-'));
        if (!valid)
        {
            throw new HybridNetException(
                ErrorIds.InvalidName,
                FailureKind.InvalidArgument,
                domain,
                Messages.InvalidName("DNS domain", domain, "use dot-separated labels of letters, digits and '-'"));
        }
    }

    private static bool IsBridgeNameCharacter(char c) => char.IsAsciiLetterOrDigit(c) || c is '_' or '.' or '-';

    private static bool IsMemberNameCharacter(char c) => char.IsAsciiLetterOrDigit(c) || c is '_' or '.' or '-' or '+';

    private static string Describe(char c) =>
        char.IsControl(c) || char.IsWhiteSpace(c) ? $"U+{(int)c:X4}" : $"'{c}'";
}
