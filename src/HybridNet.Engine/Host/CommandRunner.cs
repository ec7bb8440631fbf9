using System;
using System.Collections.Generic;
using System.ComponentModel;
using System.Linq;
using System.Text;
using System.Threading;
using System.Threading.Tasks;
using CliWrap;
using CliWrap.Buffered;

namespace HybridNet.Engine.Host;

/// <summary>Output of one finished external command.</summary>
public sealed record CommandResult(string CommandLine, int ExitCode, string StandardOutput, string StandardError)
{
    public bool Succeeded => ExitCode == 0;
}

/// <summary>Runs external programs from an argument list. The seam unit tests replace.</summary>
public interface ICommandRunner
{
    /// <summary>
    /// Runs <paramref name="program"/> with <paramref name="arguments"/> passed as separate argv
    /// entries (no shell), waits at most <paramref name="timeout"/>, and returns its output.
    /// A non-zero exit code is returned, not thrown; a missing program or a timeout is thrown.
    /// </summary>
    Task<CommandResult> RunAsync(
        string program,
        IReadOnlyList<string> arguments,
        TimeSpan timeout,
        CancellationToken cancellationToken,
        string? standardInput = null);
}

/// <summary><see cref="ICommandRunner"/> on CliWrap; logs each command line before it runs.</summary>
public sealed class CliCommandRunner : ICommandRunner
{
    private readonly IEngineLog _log;

    public CliCommandRunner(IEngineLog log)
    {
        _log = log;
    }

    public async Task<CommandResult> RunAsync(
        string program,
        IReadOnlyList<string> arguments,
        TimeSpan timeout,
        CancellationToken cancellationToken,
        string? standardInput = null)
    {
        var commandLine = FormatCommandLine(program, arguments);
        _log.Verbose($"Running: {commandLine}");
        using var timeoutSource = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        timeoutSource.CancelAfter(timeout);

        var command = Cli.Wrap(program)
            .WithArguments(arguments)
            .WithValidation(CommandResultValidation.None)
            .WithEnvironmentVariables(env => env.Set("LC_ALL", "C"));
        if (standardInput is not null)
        {
            command = command.WithStandardInputPipe(PipeSource.FromString(standardInput));
        }

        try
        {
            var result = await command
                .ExecuteBufferedAsync(Encoding.UTF8, timeoutSource.Token)
                .ConfigureAwait(false);
            return new CommandResult(commandLine, result.ExitCode, result.StandardOutput, result.StandardError);
        }
        catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
        {
            throw new HybridNetException(
                ErrorIds.CommandTimedOut,
                FailureKind.OperationTimeout,
                commandLine,
                Messages.CommandTimedOut(commandLine, timeout),
                Messages.CommandTimedOutAction);
        }
        catch (Win32Exception ex)
        {
            throw new HybridNetException(
                ErrorIds.CommandNotFound,
                FailureKind.NotInstalled,
                program,
                Messages.CommandNotFound(program),
                Messages.InstallPackageAction(program),
                ex);
        }
    }

    /// <summary>
    /// Renders a command line for logs and -WhatIf. Arguments that need it are single-quoted
    /// for readability only; the command itself never passes through a shell.
    /// </summary>
    public static string FormatCommandLine(string program, IEnumerable<string> arguments)
    {
        var builder = new StringBuilder(program);
        foreach (var argument in arguments)
        {
            builder.Append(' ');
            builder.Append(QuoteForDisplay(argument));
        }

        return builder.ToString();
    }

    private static string QuoteForDisplay(string argument)
    {
        var plain = argument.Length > 0
            && argument.All(c => char.IsAsciiLetterOrDigit(c) || "-_./:=,@%+".Contains(c));
        return plain ? argument : "'" + argument.Replace("'", "'\\''", StringComparison.Ordinal) + "'";
    }
}
