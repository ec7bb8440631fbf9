using System;
using System.Collections;
using System.Collections.Generic;
using System.Linq;
using System.Management.Automation;
using System.Management.Automation.Language;
using System.Threading;
using System.Threading.Tasks;

namespace HybridNet.Completers;

/// <summary>
/// Shared behaviour of HybridNet's completers: case-insensitive prefix matching, quoting of
/// names that need it, a hard time limit, and silence on any failure, so Tab never hangs or
/// prints an error.
/// </summary>
public abstract class CompleterBase : IArgumentCompleter
{
    /// <summary>Longest time a completer waits for a daemon.</summary>
    protected static readonly TimeSpan TimeLimit = TimeSpan.FromMilliseconds(1500);

    public IEnumerable<CompletionResult> CompleteArgument(
        string commandName, string parameterName, string wordToComplete, CommandAst commandAst, IDictionary fakeBoundParameters)
    {
        var prefix = (wordToComplete ?? string.Empty).Trim('\'', '"');
        try
        {
            using var cancellation = new CancellationTokenSource(TimeLimit);
            var task = GetNamesAsync(cancellation.Token);
            if (!task.Wait(TimeLimit))
            {
                return Array.Empty<CompletionResult>();
            }

            return task.Result
                .Where(n => n.StartsWith(prefix, StringComparison.OrdinalIgnoreCase))
                .Distinct(StringComparer.Ordinal)
                .OrderBy(n => n, StringComparer.OrdinalIgnoreCase)
                .Select(n => new CompletionResult(Quote(n), n, CompletionResultType.ParameterValue, n))
                .ToList();
        }
        catch (Exception)
        {
            return Array.Empty<CompletionResult>();
        }
    }

    /// <summary>Returns the candidate names; may throw, which the base turns into no results.</summary>
    protected abstract Task<IReadOnlyList<string>> GetNamesAsync(CancellationToken cancellationToken);

    private static string Quote(string name) =>
        name.Any(c => char.IsWhiteSpace(c) || "'\"$`;(){}@&|,<>#".Contains(c)) ? "'" + name.Replace("'", "''") + "'" : name;
}
