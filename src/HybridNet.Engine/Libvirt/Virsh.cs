using System;
using System.Collections.Generic;
using System.IO;
using System.Linq;
using System.Threading;
using System.Threading.Tasks;
using HybridNet.Engine.Host;

namespace HybridNet.Engine.Libvirt;

/// <summary>
/// Adapter for libvirt through `virsh`. Every call names the connection URI explicitly, so the
/// module never depends on the caller's LIBVIRT_DEFAULT_URI by accident.
/// </summary>
public sealed class Virsh
{
    private readonly ICommandRunner _runner;
    private readonly TimeSpan _timeout;

    public Virsh(ICommandRunner runner, string connectionUri, TimeSpan timeout)
    {
        _runner = runner;
        ConnectionUri = connectionUri;
        _timeout = timeout;
    }

    public string ConnectionUri { get; }

    /// <summary>Builds the argument list of a virsh call, for running and for -WhatIf text.</summary>
    public IReadOnlyList<string> Arguments(params string[] arguments)
    {
        var list = new List<string> { "-q", "-c", ConnectionUri };
        list.AddRange(arguments);
        return list;
    }

    public string CommandLine(params string[] arguments) =>
        CliCommandRunner.FormatCommandLine("virsh", Arguments(arguments));

    /// <summary>Fails with LibvirtUnreachable unless the daemon responds.</summary>
    public async Task EnsureReachableAsync(CancellationToken cancellationToken)
    {
        await RunCheckedAsync(cancellationToken, "uri").ConfigureAwait(false);
    }

    public async Task<IReadOnlyList<string>> ListNetworksAsync(bool includeInactive, CancellationToken cancellationToken)
    {
        var args = includeInactive ? new[] { "net-list", "--all", "--name" } : new[] { "net-list", "--name" };
        var result = await RunCheckedAsync(cancellationToken, args).ConfigureAwait(false);
        return SplitLines(result.StandardOutput);
    }

    public async Task<string?> GetNetworkXmlAsync(string name, bool inactive, CancellationToken cancellationToken)
    {
        var args = inactive ? new[] { "net-dumpxml", "--inactive", name } : new[] { "net-dumpxml", name };
        var result = await RunAsync(cancellationToken, args).ConfigureAwait(false);
        if (!result.Succeeded && IsNotFound(result))
        {
            return null;
        }

        ThrowOnFailure(result, name);
        return result.StandardOutput;
    }

    public Task DefineNetworkAsync(string xml, CancellationToken cancellationToken) =>
        WithXmlFileAsync(xml, path => RunCheckedAsync(cancellationToken, "net-define", path));

    public Task StartNetworkAsync(string name, CancellationToken cancellationToken) =>
        RunCheckedAsync(cancellationToken, "net-start", name);

    public Task SetNetworkAutostartAsync(string name, CancellationToken cancellationToken) =>
        RunCheckedAsync(cancellationToken, "net-autostart", name);

    public Task DestroyNetworkAsync(string name, CancellationToken cancellationToken) =>
        RunCheckedAsync(cancellationToken, "net-destroy", name);

    public Task UndefineNetworkAsync(string name, CancellationToken cancellationToken) =>
        RunCheckedAsync(cancellationToken, "net-undefine", name);

    /// <summary>
    /// Changes one section of a network with `net-update`, on the running network and in its
    /// persistent definition, so no restart (which would detach every guest) is needed.
    /// </summary>
    public Task UpdateNetworkAsync(
        string network, string command, string section, string xml, bool live, CancellationToken cancellationToken, bool config = true)
    {
        var args = new List<string> { "net-update", network, command, section, xml };
        if (config)
        {
            args.Add("--config");
        }

        if (live)
        {
            args.Add("--live");
        }

        return RunCheckedAsync(cancellationToken, args.ToArray());
    }

    public async Task<IReadOnlyList<string>> ListDomainsAsync(CancellationToken cancellationToken)
    {
        var result = await RunCheckedAsync(cancellationToken, "list", "--all", "--name").ConfigureAwait(false);
        return SplitLines(result.StandardOutput);
    }

    /// <summary>Returns the domain's XML, or null when no domain has that name or UUID.</summary>
    public async Task<string?> GetDomainXmlAsync(string domain, bool inactive, CancellationToken cancellationToken)
    {
        var args = inactive ? new[] { "dumpxml", "--inactive", domain } : new[] { "dumpxml", domain };
        var result = await RunAsync(cancellationToken, args).ConfigureAwait(false);
        if (!result.Succeeded && IsNotFound(result))
        {
            return null;
        }

        ThrowOnFailure(result, domain);
        return result.StandardOutput;
    }

    public async Task<string> GetDomainStateAsync(string domain, CancellationToken cancellationToken)
    {
        var result = await RunCheckedAsync(cancellationToken, "domstate", domain).ConfigureAwait(false);
        return result.StandardOutput.Trim();
    }

    /// <summary>Runs attach-device or detach-device with the given flags (--live, --config).</summary>
    public Task ChangeDeviceAsync(
        string domain, bool attach, string deviceXml, bool live, bool config, CancellationToken cancellationToken)
    {
        return WithXmlFileAsync(deviceXml, path =>
        {
            var args = new List<string> { attach ? "attach-device" : "detach-device", domain, path };
            if (live)
            {
                args.Add("--live");
            }

            if (config)
            {
                args.Add("--config");
            }

            return RunCheckedAsync(cancellationToken, args.ToArray());
        });
    }

    /// <summary>Sends one QEMU guest agent command and returns the agent's JSON reply.</summary>
    public async Task<CommandResult> GuestAgentCommandAsync(
        string domain, string json, int timeoutSeconds, CancellationToken cancellationToken)
    {
        return await RunAsync(
                cancellationToken,
                "qemu-agent-command",
                domain,
                json,
                "--timeout",
                timeoutSeconds.ToString(System.Globalization.CultureInfo.InvariantCulture))
            .ConfigureAwait(false);
    }

    /// <summary>
    /// When set, read-only calls (lists, XML dumps, states) are served from the first result
    /// for the rest of this instance's life. Only cmdlets that change nothing turn it on, since
    /// a cached definition would hide their own changes.
    /// </summary>
    public bool CacheReads { get; set; }

    private static readonly HashSet<string> ReadCommands = new(StringComparer.Ordinal)
    {
        "list", "dumpxml", "domstate", "net-list", "net-dumpxml", "net-info",
    };

    private readonly System.Collections.Concurrent.ConcurrentDictionary<string, Task<CommandResult>> _reads = new(StringComparer.Ordinal);

    public Task<CommandResult> RunAsync(CancellationToken cancellationToken, params string[] arguments)
    {
        if (CacheReads && arguments.Length > 0 && ReadCommands.Contains(arguments[0]))
        {
            return _reads.GetOrAdd(string.Join('\u0001', arguments), _ => RunUncachedAsync(cancellationToken, arguments));
        }

        return RunUncachedAsync(cancellationToken, arguments);
    }

    private Task<CommandResult> RunUncachedAsync(CancellationToken cancellationToken, string[] arguments)
    {
        // virsh has no "--" to end its options, so a name that starts with '-' would be read as
        // one (net-dumpxml --help prints help and succeeds). Names never start with '-'.
        var named = arguments.Skip(1).FirstOrDefault(a => a.StartsWith('-') && !KnownOptions.Contains(a));
        if (named is not null)
        {
            throw new HybridNetException(
                ErrorIds.InvalidName,
                FailureKind.InvalidArgument,
                named,
                Messages.InvalidName("libvirt object name", named, "it must not start with '-'"));
        }

        return _runner.RunAsync("virsh", Arguments(arguments), _timeout, cancellationToken);
    }

    /// <summary>The virsh options HybridNet itself passes.</summary>
    private static readonly HashSet<string> KnownOptions = new(StringComparer.Ordinal)
    {
        "--all", "--name", "--inactive", "--live", "--config", "--timeout", "--state-running",
    };

    public async Task<CommandResult> RunCheckedAsync(CancellationToken cancellationToken, params string[] arguments)
    {
        var result = await RunAsync(cancellationToken, arguments).ConfigureAwait(false);
        ThrowOnFailure(result, arguments.Length > 1 ? arguments[^1] : ConnectionUri);
        return result;
    }

    public static bool IsNotFound(CommandResult result) =>
        result.StandardError.Contains("failed to get domain", StringComparison.Ordinal)
        || result.StandardError.Contains("failed to get network", StringComparison.Ordinal)
        || result.StandardError.Contains("Domain not found", StringComparison.Ordinal)
        || result.StandardError.Contains("Network not found", StringComparison.Ordinal);

    private void ThrowOnFailure(CommandResult result, object target)
    {
        if (result.Succeeded)
        {
            return;
        }

        var error = result.StandardError;
        if (error.Contains("failed to connect to the hypervisor", StringComparison.Ordinal)
            || error.Contains("Failed to connect socket", StringComparison.Ordinal))
        {
            throw new HybridNetException(
                ErrorIds.LibvirtUnreachable,
                FailureKind.ConnectionError,
                ConnectionUri,
                Messages.LibvirtUnreachable(ConnectionUri, FirstLine(error)),
                Messages.LibvirtUnreachableAction);
        }

        throw new HybridNetException(
            ErrorIds.LibvirtOperationFailed,
            FailureKind.InvalidOperation,
            target,
            Messages.CommandFailed(result));
    }

    private static async Task WithXmlFileAsync(string xml, Func<string, Task> action)
    {
        var directory = Path.Combine(Path.GetTempPath(), "hybridnet");
        Directory.CreateDirectory(directory);
        var path = Path.Combine(directory, $"{Guid.NewGuid():N}.xml");
        await File.WriteAllTextAsync(path, xml).ConfigureAwait(false);
        try
        {
            await action(path).ConfigureAwait(false);
        }
        finally
        {
            File.Delete(path);
        }
    }

    private static IReadOnlyList<string> SplitLines(string text) =>
        text.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries).ToList();

    private static string FirstLine(string text) =>
        text.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries).FirstOrDefault() ?? text;
}
