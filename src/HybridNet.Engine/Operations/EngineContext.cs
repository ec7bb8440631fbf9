using System;
using HybridNet.Engine.Docker;
using HybridNet.Engine.Host;
using HybridNet.Engine.Libvirt;

namespace HybridNet.Engine.Operations;

/// <summary>Connection settings shared by every engine call of one cmdlet invocation.</summary>
public sealed record EngineSettings(string LibvirtUri, string? DockerHost, TimeSpan Timeout)
{
    /// <summary>Default timeout of each external command and Docker API call.</summary>
    public static readonly TimeSpan DefaultTimeout = TimeSpan.FromSeconds(30);

    /// <summary>
    /// Reads HYBRIDNET_LIBVIRT_URI (then LIBVIRT_DEFAULT_URI, then qemu:///system) and
    /// DOCKER_HOST from the environment.
    /// </summary>
    public static EngineSettings FromEnvironment(TimeSpan? timeout = null)
    {
        var uri = Environment.GetEnvironmentVariable("HYBRIDNET_LIBVIRT_URI");
        if (string.IsNullOrWhiteSpace(uri))
        {
            uri = Environment.GetEnvironmentVariable("LIBVIRT_DEFAULT_URI");
        }

        return new EngineSettings(
            string.IsNullOrWhiteSpace(uri) ? "qemu:///system" : uri,
            Environment.GetEnvironmentVariable("DOCKER_HOST"),
            timeout ?? DefaultTimeout);
    }
}

/// <summary>The adapters one operation uses, created once per cmdlet invocation.</summary>
public sealed class EngineContext : IDisposable
{
    private readonly Lazy<DockerEngine> _docker;

    public EngineContext(EngineSettings settings, IEngineLog log, ICommandRunner? runner = null, bool readOnly = false)
    {
        Settings = settings;
        Log = log;
        Runner = runner ?? new CliCommandRunner(log);
        Ip = new IpRoute2(Runner, settings.Timeout) { CacheReads = readOnly };
        Virsh = new Virsh(Runner, settings.LibvirtUri, settings.Timeout) { CacheReads = readOnly };
        Agent = new GuestAgent(Virsh);
        _docker = new Lazy<DockerEngine>(() => new DockerEngine(settings.DockerHost, settings.Timeout, log) { CacheReads = readOnly });
    }

    public EngineSettings Settings { get; }

    public IEngineLog Log { get; }

    public ICommandRunner Runner { get; }

    public IpRoute2 Ip { get; }

    public Virsh Virsh { get; }

    public GuestAgent Agent { get; }

    public DockerEngine Docker => _docker.Value;

    private readonly System.Collections.Concurrent.ConcurrentDictionary<string, BridgeDefinition> _definitions = new(StringComparer.Ordinal);

    /// <summary>
    /// Reads a bridge definition once per cmdlet invocation, for pipelines that attach many
    /// members to one bridge. Callers that need the current reservations read it directly.
    /// </summary>
    public async System.Threading.Tasks.Task<BridgeDefinition> GetDefinitionOnceAsync(
        string bridge,
        Func<System.Threading.CancellationToken, System.Threading.Tasks.Task<BridgeDefinition>> read,
        System.Threading.CancellationToken cancellationToken)
    {
        if (_definitions.TryGetValue(bridge, out var cached))
        {
            return cached;
        }

        var definition = await read(cancellationToken).ConfigureAwait(false);
        _definitions[bridge] = definition;
        return definition;
    }

    public void Dispose()
    {
        if (_docker.IsValueCreated)
        {
            _docker.Value.Dispose();
        }
    }
}
