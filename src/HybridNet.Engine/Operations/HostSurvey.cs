using System;
using System.Collections.Generic;
using System.IO;
using System.Linq;
using System.Text.Json;
using System.Threading;
using System.Threading.Tasks;
using System.Xml;
using HybridNet.Engine.Docker;
using HybridNet.Engine.Host;
using HybridNet.Engine.Libvirt;

namespace HybridNet.Engine.Operations;

/// <summary>
/// Reads every bridge and virtual network on the host from iproute2, libvirt, the Docker Engine
/// API and a few files under /proc, /var/lib and /etc, then hands the inputs to
/// <see cref="HostSurveyAnalyzer"/>. Changes nothing and needs no root for what the user may read.
/// A source that fails (libvirt or Docker down, a file without read permission) becomes a warning,
/// and the survey goes on with the rest. Only a failure of `ip` itself ends it.
/// </summary>
public sealed class HostSurvey
{
    private const string ProgressActivity = "Surveying host networks";

    private readonly EngineContext _context;

    public HostSurvey(EngineContext context)
    {
        _context = context;
    }

    public async Task<HostSurveyResult> CollectAsync(CancellationToken cancellationToken)
    {
        var input = await ReadAsync(cancellationToken).ConfigureAwait(false);
        return HostSurveyAnalyzer.Analyze(input);
    }

    public async Task<HostSurveyInput> ReadAsync(CancellationToken cancellationToken)
    {
        var log = _context.Log;
        log.Progress(ProgressActivity, "Reading links and routes", -1);
        var links = await _context.Ip.GetLinksAsync(cancellationToken).ConfigureAwait(false);
        var routes = await ReadRoutesAsync(cancellationToken).ConfigureAwait(false);

        // libvirt and Docker are independent, so a daemon that times out delays the other one only once.
        var libvirtTask = ReadLibvirtAsync(cancellationToken);
        var dockerTask = ReadDockerAsync(cancellationToken);
        await Task.WhenAll(libvirtTask, dockerTask).ConfigureAwait(false);
        var (libvirtNetworks, domains) = libvirtTask.Result;
        var (dockerNetworks, dockerIsolates) = dockerTask.Result;

        var bridges = links.Where(l => l.Kind == "bridge").Select(l => l.Name).ToList();
        var forwarding = new Dictionary<string, bool>(StringComparer.Ordinal);
        foreach (var bridge in bridges)
        {
            if (IpForwarding.Read(bridge) is { } value)
            {
                forwarding[bridge] = value;
            }
        }

        return new HostSurveyInput
        {
            Links = links,
            Routes = routes,
            Forwarding = forwarding,
            LibvirtNetworks = libvirtNetworks,
            Domains = domains,
            Leases = ReadLeases(libvirtNetworks),
            DockerNetworks = dockerNetworks,
            DockerIsolatesBridges = dockerIsolates,
            LxdIncusBridges = bridges.Where(LxdIncusNetworks.HasNetworkDirectory).ToHashSet(StringComparer.Ordinal),
            Now = DateTimeOffset.UtcNow.ToUnixTimeSeconds(),
        };
    }

    private async Task<IReadOnlyList<HostRoute>?> ReadRoutesAsync(CancellationToken cancellationToken)
    {
        try
        {
            var routes = await _context.Ip.GetRoutesAsync(cancellationToken).ConfigureAwait(false);
            return routes.Select(r => new HostRoute(r.Destination, r.Device)).ToList();
        }
        catch (HybridNetException ex)
        {
            _context.Log.Warning(Messages.SurveyRoutesUnreadable(ex.Message));
            return null;
        }
    }

    private async Task<(IReadOnlyList<LibvirtNetworkInfo>? Networks, IReadOnlyList<SurveyDomain> Domains)> ReadLibvirtAsync(
        CancellationToken cancellationToken)
    {
        var virsh = _context.Virsh;
        IReadOnlyList<string> all;
        IReadOnlyList<string> active;
        try
        {
            _context.Log.Progress(ProgressActivity, "Reading libvirt networks", -1);
            all = await virsh.ListNetworksAsync(includeInactive: true, cancellationToken).ConfigureAwait(false);
            active = await virsh.ListNetworksAsync(includeInactive: false, cancellationToken).ConfigureAwait(false);
        }
        catch (HybridNetException ex)
        {
            _context.Log.Warning(Messages.SurveyLibvirtUnreadable(ex.Message));
            return (null, Array.Empty<SurveyDomain>());
        }

        var networks = new List<LibvirtNetworkInfo>();
        foreach (var name in all)
        {
            try
            {
                // Without --inactive, virsh prints the live definition of a running network and
                // the persistent one of a stopped network.
                var xml = await virsh.GetNetworkXmlAsync(name, inactive: false, cancellationToken).ConfigureAwait(false);
                if (xml is not null)
                {
                    networks.Add(LibvirtNetworkInfo.Parse(xml, active.Contains(name)));
                }
            }
            catch (Exception ex) when (ex is HybridNetException or XmlException)
            {
                _context.Log.Warning(Messages.SurveyNetworkUnreadable(name, ex.Message));
            }
        }

        return (networks, await ReadDomainsAsync(cancellationToken).ConfigureAwait(false));
    }

    private async Task<IReadOnlyList<SurveyDomain>> ReadDomainsAsync(CancellationToken cancellationToken)
    {
        var virsh = _context.Virsh;
        IReadOnlyList<string> names;
        try
        {
            _context.Log.Progress(ProgressActivity, "Reading libvirt domains", -1);
            names = await virsh.ListDomainsAsync(cancellationToken).ConfigureAwait(false);
        }
        catch (HybridNetException ex)
        {
            _context.Log.Warning(Messages.SurveyDomainsUnreadable(ex.Message));
            return Array.Empty<SurveyDomain>();
        }

        var domains = new List<SurveyDomain>();
        foreach (var name in names)
        {
            try
            {
                // The live XML of a running domain includes hot-plugged NICs, and a shut-off
                // domain has only its persistent definition.
                var xml = await virsh.GetDomainXmlAsync(name, inactive: false, cancellationToken).ConfigureAwait(false);
                if (xml is null)
                {
                    continue;
                }

                // A domain undefined since the list call is no longer on the host, so it is skipped.
                var state = await virsh.RunAsync(cancellationToken, "domstate", name).ConfigureAwait(false);
                if (!state.Succeeded && Virsh.IsNotFound(state))
                {
                    continue;
                }

                if (!state.Succeeded)
                {
                    throw new HybridNetException(
                        ErrorIds.LibvirtOperationFailed, FailureKind.InvalidOperation, name, Messages.CommandFailed(state));
                }

                domains.Add(new SurveyDomain(name, state.StandardOutput.Trim(), DomainXml.Parse(xml).Interfaces));
            }
            catch (Exception ex) when (ex is HybridNetException or XmlException)
            {
                _context.Log.Warning(Messages.SurveyDomainUnreadable(name, ex.Message));
            }
        }

        return domains;
    }

    private IReadOnlyDictionary<string, IReadOnlyList<DhcpLease>> ReadLeases(IReadOnlyList<LibvirtNetworkInfo>? networks)
    {
        var leases = new Dictionary<string, IReadOnlyList<DhcpLease>>(StringComparer.Ordinal);
        foreach (var bridge in (networks ?? Array.Empty<LibvirtNetworkInfo>()).Select(n => n.Bridge).OfType<string>().Distinct())
        {
            try
            {
                leases[bridge] = LeaseFile.Read(bridge);
            }
            catch (Exception ex) when (ex is IOException or UnauthorizedAccessException or JsonException)
            {
                _context.Log.Warning(Messages.SurveyLeaseFileUnreadable(Path.Combine(LeaseFile.Directory, bridge + ".status"), ex.Message));
            }
        }

        return leases;
    }

    /// <summary>
    /// Reads every Docker network with its endpoints. The list call leaves endpoints out, so each
    /// bridge network is inspected once more.
    /// </summary>
    private async Task<(IReadOnlyList<DockerNetworkInfo>? Networks, bool? IsolatesBridges)> ReadDockerAsync(
        CancellationToken cancellationToken)
    {
        try
        {
            var docker = _context.Docker;
            _context.Log.Progress(ProgressActivity, "Reading Docker networks", -1);
            await docker.EnsureReachableAsync(cancellationToken).ConfigureAwait(false);
            var networks = new List<DockerNetworkInfo>();
            foreach (var listed in await docker.ListNetworksAsync(cancellationToken).ConfigureAwait(false))
            {
                if (listed.Driver != "bridge")
                {
                    continue;
                }

                var inspected = await docker.InspectNetworkAsync(listed.Id, cancellationToken).ConfigureAwait(false);
                if (inspected is not null)
                {
                    networks.Add(inspected);
                }
            }

            // NOTE: the iptables setting is read from this host's dockerd, so it is left unknown
            // when DOCKER_HOST points elsewhere. A rootless dockerd is not recognised, and its
            // bridges, which live in its own network namespace, show as missing.
            var isolates = docker.Host.StartsWith("unix://", StringComparison.Ordinal)
                ? DockerDaemonSettings.ReadIptablesEnabled()
                : null;
            return (networks, isolates);
        }
        catch (HybridNetException ex)
        {
            _context.Log.Warning(Messages.SurveyDockerUnreadable(ex.Message));
            return (null, null);
        }
    }
}
