using System;
using System.Collections.Generic;
using System.IO;
using System.Linq;
using System.Net;
using System.Net.Http;
using System.Net.Sockets;
using System.Threading;
using System.Threading.Tasks;
using Docker.DotNet;
using Docker.DotNet.Models;

namespace HybridNet.Engine.Docker;

/// <summary>A Docker network as HybridNet needs to see it.</summary>
public sealed record DockerNetworkInfo(
    string Id,
    string Name,
    string Driver,
    string? Subnet,
    string? Gateway,
    string? IPRange,
    string? BridgeName,
    bool Internal,
    IReadOnlyDictionary<string, string> Labels,
    IReadOnlyList<DockerEndpointInfo> Endpoints)
{
    /// <summary>Every IPv4 subnet of the network's IPAM configuration, of which <see cref="Subnet"/> is the first.</summary>
    public IReadOnlyList<string> Subnets { get; init; } = Array.Empty<string>();

    /// <summary>Every IPv6 IPAM subnet of the network.</summary>
    public IReadOnlyList<string> Ipv6Subnets { get; init; } = Array.Empty<string>();

    /// <summary>Driver options, such as com.docker.network.bridge.enable_ip_masquerade.</summary>
    public IReadOnlyDictionary<string, string> Options { get; init; } = new Dictionary<string, string>();
}

/// <summary>One container's endpoint on a Docker network.</summary>
public sealed record DockerEndpointInfo(string ContainerId, string ContainerName, string? IPv4Cidr, string? MacAddress);

/// <summary>A container's attachment to one network, from the container's point of view.</summary>
public sealed record ContainerNetworkInfo(string NetworkName, string NetworkId, string? IPAddress, string? MacAddress)
{
    /// <summary>Global IPv6 address on the network, when the network has IPv6.</summary>
    public string? IPv6Address { get; init; }
}

/// <summary>The parts of a container HybridNet uses.</summary>
public sealed record ContainerInfo(
    string Id,
    string Name,
    bool Running,
    int Pid,
    IReadOnlyList<ContainerNetworkInfo> Networks,
    IReadOnlyDictionary<string, string> Labels)
{
    /// <summary>Host path of the container's /etc/hosts, which Docker writes and bind-mounts.</summary>
    public string? HostsPath { get; init; }
}

/// <summary>Parameters of a Docker bridge network laid over an existing Linux bridge.</summary>
public sealed record DockerNetworkSpec(
    string Name,
    string BridgeName,
    string Subnet,
    string Gateway,
    string IPRange,
    int Mtu,
    bool Masquerade,
    IReadOnlyDictionary<string, string> Labels)
{
    /// <summary>IPv6 /64 of the network, or null for IPv4 only.</summary>
    public string? Ipv6Subnet { get; init; }

    public string? Ipv6Gateway { get; init; }
}

/// <summary>
/// Adapter for the Docker Engine API through Docker.DotNet. The client is created without an
/// API version, so requests use the daemon's own version: Docker 20.10 (API 1.41) works, and so
/// does Docker 29, which rejects clients that ask for a version below 1.44.
/// </summary>
public sealed class DockerEngine : IDisposable
{
    /// <summary>Default endpoint when DOCKER_HOST is not set.</summary>
    public const string DefaultHost = "unix:///var/run/docker.sock";

    private readonly DockerClient _client;
    private readonly IEngineLog _log;
    private readonly TimeSpan _timeout;

    public DockerEngine(string? host, TimeSpan timeout, IEngineLog log)
    {
        Host = string.IsNullOrWhiteSpace(host) ? DefaultHost : host;
        _timeout = timeout;
        _log = log;
        if (!Uri.TryCreate(Host, UriKind.Absolute, out var uri))
        {
            throw new HybridNetException(
                ErrorIds.DockerUnreachable,
                FailureKind.InvalidArgument,
                Host,
                Messages.DockerHostInvalid(Host),
                Messages.DockerHostInvalidAction);
        }

        _client = new DockerClientConfiguration(uri, defaultTimeout: timeout).CreateClient();
    }

    /// <summary>The endpoint in use: DOCKER_HOST when set, otherwise the local unix socket.</summary>
    public string Host { get; }

    private bool _reachable;

    /// <summary>Fails with a clear error unless the daemon responds to a ping. Pings once per instance.</summary>
    public async Task EnsureReachableAsync(CancellationToken cancellationToken)
    {
        if (_reachable)
        {
            return;
        }

        if (Host.StartsWith("unix://", StringComparison.Ordinal))
        {
            var path = Host["unix://".Length..];
            if (!File.Exists(path))
            {
                throw new HybridNetException(
                    ErrorIds.DockerUnreachable,
                    FailureKind.ConnectionError,
                    Host,
                    Messages.DockerSocketMissing(path),
                    Messages.DockerUnreachableAction);
            }
        }

        await CallAsync("GET /_ping", Host, async ct =>
            {
                await _client.System.PingAsync(ct).ConfigureAwait(false);
                return true;
            }, cancellationToken)
            .ConfigureAwait(false);
        _reachable = true;
    }

    public async Task<IReadOnlyList<DockerNetworkInfo>> ListNetworksAsync(CancellationToken cancellationToken)
    {
        var networks = await CallAsync(
                "GET /networks", Host, ct => _client.Networks.ListNetworksAsync(new NetworksListParameters(), ct),
                cancellationToken)
            .ConfigureAwait(false);
        return networks.Select(ToInfo).ToList();
    }

    /// <summary>When set, a network is inspected once per instance (read-only cmdlets only).</summary>
    public bool CacheReads { get; set; }

    private readonly System.Collections.Concurrent.ConcurrentDictionary<string, Task<DockerNetworkInfo?>> _networks = new(StringComparer.Ordinal);

    /// <summary>Returns the network with that name or id, or null when there is none.</summary>
    public Task<DockerNetworkInfo?> InspectNetworkAsync(string nameOrId, CancellationToken cancellationToken) =>
        CacheReads
            ? _networks.GetOrAdd(nameOrId, _ => InspectNetworkUncachedAsync(nameOrId, cancellationToken))
            : InspectNetworkUncachedAsync(nameOrId, cancellationToken);

    private async Task<DockerNetworkInfo?> InspectNetworkUncachedAsync(string nameOrId, CancellationToken cancellationToken)
    {
        try
        {
            var network = await CallAsync(
                    $"GET /networks/{nameOrId}", nameOrId,
                    ct => _client.Networks.InspectNetworkAsync(nameOrId, ct), cancellationToken)
                .ConfigureAwait(false);
            return ToInfo(network);
        }
        catch (HybridNetException ex) when (ex.InnerException is DockerApiException { StatusCode: HttpStatusCode.NotFound })
        {
            return null;
        }
    }

    public async Task<string> CreateNetworkAsync(DockerNetworkSpec spec, CancellationToken cancellationToken)
    {
        var parameters = CreateParameters(spec);
        var response = await CallAsync(
                $"POST /networks/create name={spec.Name}", spec.Name,
                ct => _client.Networks.CreateNetworkAsync(parameters, ct), cancellationToken)
            .ConfigureAwait(false);
        return response.ID;
    }

    /// <summary>The request body of a network create, also shown by -WhatIf.</summary>
    public static NetworksCreateParameters CreateParameters(DockerNetworkSpec spec) => new()
    {
        Name = spec.Name,
        Driver = "bridge",
        CheckDuplicate = true,
        Attachable = true,
        IPAM = new IPAM
        {
            Driver = "default",
            Config = spec.Ipv6Subnet is null
                ? new List<IPAMConfig> { new() { Subnet = spec.Subnet, Gateway = spec.Gateway, IPRange = spec.IPRange } }
                : new List<IPAMConfig>
                {
                    new() { Subnet = spec.Subnet, Gateway = spec.Gateway, IPRange = spec.IPRange },
                    new() { Subnet = spec.Ipv6Subnet, Gateway = spec.Ipv6Gateway },
                },
        },
        Options = new Dictionary<string, string>
        {
            // Adopting the existing bridge that the libvirt network owns; Docker never deletes
            // a bridge it did not create, so removing this network leaves guests untouched.
            ["com.docker.network.bridge.name"] = spec.BridgeName,
            ["com.docker.network.driver.mtu"] = spec.Mtu.ToString(System.Globalization.CultureInfo.InvariantCulture),
            ["com.docker.network.bridge.enable_ip_masquerade"] = spec.Masquerade ? "true" : "false",
        },
        Labels = new Dictionary<string, string>(spec.Labels),
        EnableIPv6 = spec.Ipv6Subnet is not null,
    };

    public Task RemoveNetworkAsync(string nameOrId, CancellationToken cancellationToken) =>
        CallAsync($"DELETE /networks/{nameOrId}", nameOrId, async ct =>
        {
            await _client.Networks.DeleteNetworkAsync(nameOrId, ct).ConfigureAwait(false);
            return true;
        }, cancellationToken);

    /// <summary>Returns the container with that name or id, or null when there is none.</summary>
    public async Task<ContainerInfo?> InspectContainerAsync(string nameOrId, CancellationToken cancellationToken)
    {
        try
        {
            var container = await CallAsync(
                    $"GET /containers/{nameOrId}/json", nameOrId,
                    ct => _client.Containers.InspectContainerAsync(nameOrId, ct), cancellationToken)
                .ConfigureAwait(false);
            var networks = (container.NetworkSettings?.Networks ?? new Dictionary<string, EndpointSettings>())
                .Select(pair => new ContainerNetworkInfo(
                    pair.Key,
                    pair.Value.NetworkID ?? string.Empty,
                    string.IsNullOrEmpty(pair.Value.IPAddress) ? null : pair.Value.IPAddress,
                    string.IsNullOrEmpty(pair.Value.MacAddress) ? null : pair.Value.MacAddress.ToLowerInvariant())
                {
                    IPv6Address = string.IsNullOrEmpty(pair.Value.GlobalIPv6Address) ? null : pair.Value.GlobalIPv6Address,
                })
                .ToList();
            return new ContainerInfo(
                container.ID,
                container.Name.TrimStart('/'),
                container.State?.Running ?? false,
                (int)(container.State?.Pid ?? 0),
                networks,
                (IReadOnlyDictionary<string, string>?)container.Config?.Labels ?? new Dictionary<string, string>())
            {
                HostsPath = string.IsNullOrEmpty(container.HostsPath) ? null : container.HostsPath,
            };
        }
        catch (HybridNetException ex) when (ex.InnerException is DockerApiException { StatusCode: HttpStatusCode.NotFound })
        {
            return null;
        }
    }

    public async Task<IReadOnlyList<(string Id, string Name)>> ListContainerNamesAsync(CancellationToken cancellationToken)
    {
        var containers = await CallAsync(
                "GET /containers/json?all=1", Host,
                ct => _client.Containers.ListContainersAsync(new ContainersListParameters { All = true }, ct),
                cancellationToken)
            .ConfigureAwait(false);
        return containers
            .Select(c => (c.ID, (c.Names?.FirstOrDefault() ?? c.ID).TrimStart('/')))
            .ToList();
    }

    public Task ConnectAsync(
        string network, string container, string? ipv4Address, IList<string>? aliases, CancellationToken cancellationToken)
    {
        var parameters = new NetworkConnectParameters
        {
            Container = container,
            EndpointConfig = new EndpointSettings
            {
                IPAMConfig = ipv4Address is null ? null : new EndpointIPAMConfig { IPv4Address = ipv4Address },
                Aliases = aliases,
            },
        };
        return CallAsync($"POST /networks/{network}/connect container={container}", container, async ct =>
        {
            await _client.Networks.ConnectNetworkAsync(network, parameters, ct).ConfigureAwait(false);
            return true;
        }, cancellationToken);
    }

    public Task DisconnectAsync(string network, string container, bool force, CancellationToken cancellationToken) =>
        CallAsync($"POST /networks/{network}/disconnect container={container}", container, async ct =>
        {
            await _client.Networks.DisconnectNetworkAsync(
                    network, new NetworkDisconnectParameters { Container = container, Force = force }, ct)
                .ConfigureAwait(false);
            return true;
        }, cancellationToken);

    public void Dispose() => _client.Dispose();

    private async Task<T> CallAsync<T>(
        string description, object target, Func<CancellationToken, Task<T>> call, CancellationToken cancellationToken)
    {
        _log.Verbose($"Docker API {Host}: {description}");
        using var timeoutSource = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        timeoutSource.CancelAfter(_timeout);
        try
        {
            return await call(timeoutSource.Token).ConfigureAwait(false);
        }
        catch (DockerApiException ex)
        {
            var kind = ex.StatusCode switch
            {
                HttpStatusCode.NotFound => FailureKind.ObjectNotFound,
                HttpStatusCode.Conflict => FailureKind.ResourceExists,
                HttpStatusCode.Forbidden => FailureKind.PermissionDenied,
                _ => FailureKind.InvalidOperation,
            };
            throw new HybridNetException(
                ErrorIds.DockerOperationFailed,
                kind,
                target,
                Messages.DockerCallFailed(description, (int)ex.StatusCode, ex.ResponseBody?.Trim() ?? ex.Message),
                null,
                ex);
        }
        catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
        {
            throw new HybridNetException(
                ErrorIds.DockerUnreachable,
                FailureKind.OperationTimeout,
                Host,
                Messages.DockerTimedOut(Host, description, _timeout),
                Messages.DockerUnreachableAction);
        }
        catch (Exception ex) when (IsPermissionDenied(ex))
        {
            throw new HybridNetException(
                ErrorIds.DockerPermissionDenied,
                FailureKind.PermissionDenied,
                Host,
                Messages.DockerPermissionDenied(Host),
                Messages.DockerPermissionDeniedAction,
                ex);
        }
        catch (Exception ex) when (ex is HttpRequestException or SocketException or IOException)
        {
            throw new HybridNetException(
                ErrorIds.DockerUnreachable,
                FailureKind.ConnectionError,
                Host,
                Messages.DockerUnreachable(Host, Innermost(ex).Message),
                Messages.DockerUnreachableAction,
                ex);
        }
    }

    private static bool IsPermissionDenied(Exception ex)
    {
        for (var current = ex; current is not null; current = current.InnerException)
        {
            if (current is UnauthorizedAccessException
                || current is SocketException { SocketErrorCode: SocketError.AccessDenied })
            {
                return true;
            }
        }

        return false;
    }

    private static Exception Innermost(Exception ex)
    {
        while (ex.InnerException is not null)
        {
            ex = ex.InnerException;
        }

        return ex;
    }

    private static DockerNetworkInfo ToInfo(NetworkResponse network)
    {
        var ipv4Configs = (network.IPAM?.Config ?? new List<IPAMConfig>())
            .Where(c => c.Subnet is not null && !c.Subnet.Contains(':', StringComparison.Ordinal))
            .ToList();
        var config = ipv4Configs.FirstOrDefault();
        string? bridge = null;
        network.Options?.TryGetValue("com.docker.network.bridge.name", out bridge);
        var endpoints = (network.Containers ?? new Dictionary<string, EndpointResource>())
            .Select(pair => new DockerEndpointInfo(
                pair.Key,
                pair.Value.Name ?? pair.Key,
                string.IsNullOrEmpty(pair.Value.IPv4Address) ? null : pair.Value.IPv4Address,
                string.IsNullOrEmpty(pair.Value.MacAddress) ? null : pair.Value.MacAddress.ToLowerInvariant()))
            .ToList();
        return new DockerNetworkInfo(
            network.ID,
            network.Name,
            network.Driver ?? string.Empty,
            config?.Subnet,
            config?.Gateway,
            string.IsNullOrEmpty(config?.IPRange) ? null : config!.IPRange,
            bridge,
            network.Internal,
            (IReadOnlyDictionary<string, string>?)network.Labels ?? new Dictionary<string, string>(),
            endpoints)
        {
            Subnets = ipv4Configs.Select(c => c.Subnet).ToList(),
            Ipv6Subnets = (network.IPAM?.Config ?? new List<IPAMConfig>())
                .Where(c => c.Subnet is not null && c.Subnet.Contains(':', StringComparison.Ordinal))
                .Select(c => c.Subnet)
                .ToList(),
            Options = (IReadOnlyDictionary<string, string>?)network.Options ?? new Dictionary<string, string>(),
        };
    }
}
