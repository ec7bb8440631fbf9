using System;
using System.Collections.Generic;
using System.Diagnostics;
using System.Globalization;
using System.Linq;
using System.Net;
using System.Net.Sockets;
using System.Text.RegularExpressions;
using System.Threading;
using System.Threading.Tasks;
using HybridNet.Engine.Addressing;
using HybridNet.Engine.Host;
using HybridNet.Engine.Operations;

namespace HybridNet.Engine.Probing;

/// <summary>Settings of one path measurement.</summary>
/// <param name="EchoCount">Number of ICMP echoes whose round-trip times are reported.</param>
/// <param name="EchoTimeoutMs">Time each echo waits for its reply, in milliseconds.</param>
/// <param name="StreamDuration">Time the TCP stream sends data. Zero skips the throughput measurement.</param>
public sealed record PathMeasurementOptions(int EchoCount, int EchoTimeoutMs, TimeSpan StreamDuration)
{
    /// <summary>Time allowed to open the TCP connection, and for each send or receive call to make progress.</summary>
    public TimeSpan SocketTimeout { get; init; } = TimeSpan.FromSeconds(5);
}

/// <summary>Round-trip times, in milliseconds, of the echoes that got a reply out of <paramref name="Sent"/>.</summary>
public sealed record LatencySample(IReadOnlyList<double> RoundTripsMs, int Sent)
{
    public double? MinMs => RoundTripsMs.Count == 0 ? null : RoundTripsMs.Min();

    public double? AvgMs => RoundTripsMs.Count == 0 ? null : Math.Round(RoundTripsMs.Average(), 3);

    public double? MaxMs => RoundTripsMs.Count == 0 ? null : RoundTripsMs.Max();
}

/// <summary>Bytes one TCP stream delivered and the time the receiver took to read them.</summary>
public sealed record ThroughputSample(long Bytes, TimeSpan Elapsed)
{
    /// <summary>Delivered payload rate in megabits (10^6 bits) per second.</summary>
    public double Mbps => Elapsed > TimeSpan.Zero ? Bytes * 8.0 / Elapsed.TotalSeconds / 1_000_000 : 0;
}

/// <summary>Latency and TCP throughput of one directed path between two endpoints.</summary>
public sealed record PathMeasurementResult(
    string Source,
    string Target,
    string? TargetAddress,
    double? LatencyMinMs,
    double? LatencyAvgMs,
    double? LatencyMaxMs,
    double? ThroughputMbps,
    double? Seconds,
    string Detail);

/// <summary>
/// Measures latency and TCP throughput between two endpoints from their own network stacks, so
/// no image or guest needs a benchmark tool. Latency comes from ICMP echoes sent by the source
/// (<see cref="IcmpEcho"/>, from a container's network namespace or the host), or from ping run
/// inside a guest through the QEMU guest agent. Throughput comes from one TCP stream: the
/// listener socket is created inside the target's network namespace and the client socket
/// inside the source's, and each socket stays in the namespace it was created in.
/// </summary>
public sealed partial class PathMeasurement
{
    private const string Activity = "Measuring hybrid path";
    private const int StreamBufferSize = 128 * 1024;

    private readonly EngineContext _context;

    public PathMeasurement(EngineContext context)
    {
        _context = context;
    }

    /// <summary>Describes the host as an end of a path: its address on a bridge is the bridge's gateway.</summary>
    public async Task<ProbeEndpoint> HostEndpointAsync(string bridge, CancellationToken cancellationToken)
    {
        var definition = await new BridgeOperations(_context).RequireDefinitionAsync(bridge, cancellationToken).ConfigureAwait(false);
        return new ProbeEndpoint(
            EndpointKind.Host, ConnectivityProber.HostName, Ipv4Subnet.Format(definition.Plan.Gateway), null, false, true);
    }

    /// <summary>
    /// Measures latency and, unless an end is a VM or the stream duration is zero, throughput from
    /// <paramref name="source"/> to <paramref name="target"/>. Raises <see cref="HybridNetException"/>
    /// when an end cannot take part (not running, no address, no guest agent). A path that drops
    /// the traffic is a result with empty values and the reason in Detail, not an exception.
    /// </summary>
    public async Task<PathMeasurementResult> MeasureAsync(
        ProbeEndpoint source, ProbeEndpoint target, PathMeasurementOptions options, CancellationToken cancellationToken)
    {
        var address = RequireReady(source, target);
        if (source.Kind == EndpointKind.VM)
        {
            await RequireGuestAgentAsync(source, cancellationToken).ConfigureAwait(false);
        }

        _context.Log.Verbose(Format($"Sending {options.EchoCount} ICMP echoes from {source.Name} to {target.Name} ({address})."));
        _context.Log.Progress(Activity, $"Latency from {source.Name} to {target.Name}", -1);
        var (latency, latencyOrigin) = source.Kind == EndpointKind.VM
            ? (await MeasureLatencyFromGuestAsync(source.Name, address, options, cancellationToken).ConfigureAwait(false),
                "by ping inside the guest through the QEMU guest agent")
            : (await MeasureLatencyAsync(NamespaceOf(source), address, options.EchoCount, options.EchoTimeoutMs, cancellationToken)
                    .ConfigureAwait(false),
                "from " + Origin(source));
        var latencyDetail = latency.RoundTripsMs.Count == 0
            ? Format($"Latency: none of {latency.Sent} ICMP echoes sent {latencyOrigin} got a reply.")
            : Format($"Latency: {latency.RoundTripsMs.Count} of {latency.Sent} ICMP echoes sent {latencyOrigin} got a reply.");

        var throughput = await MeasureStreamAsync(source, target, address, options, cancellationToken).ConfigureAwait(false);
        return new PathMeasurementResult(
            source.Name,
            target.Name,
            address.ToString(),
            latency.MinMs,
            latency.AvgMs,
            latency.MaxMs,
            throughput.Mbps,
            throughput.Seconds,
            latencyDetail + " " + throughput.Detail);
    }

    /// <summary>
    /// Sends one warm-up echo and then <paramref name="count"/> echoes, one after another, from
    /// the network namespace at <paramref name="namespacePath"/>, or from the host when it is null.
    /// The warm-up echo keeps neighbour resolution and JIT compilation out of the reported times.
    /// </summary>
    /// <remarks>
    /// NOTE: each time is IcmpEcho's stopwatch around Ping.Send, which opens a raw socket per
    /// echo, so it reads higher than ping(8) on the same path by the cost of that setup.
    /// </remarks>
    public static Task<LatencySample> MeasureLatencyAsync(
        string? namespacePath, IPAddress target, int count, int timeoutMs, CancellationToken cancellationToken)
    {
        LatencySample Send()
        {
            IcmpEcho.Send(target, timeoutMs);
            var roundTrips = new List<double>(count);
            for (var i = 0; i < count; i++)
            {
                cancellationToken.ThrowIfCancellationRequested();
                var reply = IcmpEcho.Send(target, timeoutMs);
                if (reply.Success && reply.LatencyMs is { } latencyMs)
                {
                    roundTrips.Add(latencyMs);
                }
            }

            return new LatencySample(roundTrips, count);
        }

        return namespacePath is null
            ? Task.Run(Send, cancellationToken)
            : NetworkNamespace.RunAsync(namespacePath, Send, cancellationToken);
    }

    /// <summary>
    /// Streams data over one TCP connection for <paramref name="duration"/> and returns what the
    /// receiver read. The listener socket is created in the namespace at
    /// <paramref name="targetNamespace"/> and bound to <paramref name="targetAddress"/> on an
    /// ephemeral port, and the client socket is created in <paramref name="sourceNamespace"/>. A
    /// null namespace is the host's. Raises <see cref="SocketException"/> or
    /// <see cref="TimeoutException"/> when the connection cannot be opened or stalls.
    /// </summary>
    public static async Task<ThroughputSample> MeasureThroughputAsync(
        string? sourceNamespace,
        string? targetNamespace,
        IPAddress targetAddress,
        TimeSpan duration,
        TimeSpan socketTimeout,
        CancellationToken cancellationToken)
    {
        using var listener = await OpenSocketAsync(targetNamespace, socket =>
            {
                socket.Bind(new IPEndPoint(targetAddress, 0));
                socket.Listen(1);
            }, cancellationToken)
            .ConfigureAwait(false);
        var port = ((IPEndPoint)listener.LocalEndPoint!).Port;
        using var client = await OpenSocketAsync(sourceNamespace, _ => { }, cancellationToken).ConfigureAwait(false);
        using var server = await ConnectAsync(listener, client, new IPEndPoint(targetAddress, port), socketTimeout, cancellationToken)
            .ConfigureAwait(false);

        var timeoutMs = (int)Math.Min(int.MaxValue, socketTimeout.TotalMilliseconds);
        client.SendTimeout = timeoutMs;
        server.ReceiveTimeout = timeoutMs;

        // Blocking calls ignore the token, so Ctrl+C closes both sockets to end them.
        using var registration = cancellationToken.Register(() =>
        {
            client.Dispose();
            server.Dispose();
        });
        var receiving = Task.Factory.StartNew(
            () => ReceiveAll(server), CancellationToken.None, TaskCreationOptions.LongRunning, TaskScheduler.Default);
        var sending = Task.Factory.StartNew(
            () => SendFor(client, duration), CancellationToken.None, TaskCreationOptions.LongRunning, TaskScheduler.Default);
        try
        {
            await Task.WhenAll(sending, receiving).ConfigureAwait(false);
        }
        catch (Exception ex) when (cancellationToken.IsCancellationRequested && ex is SocketException or ObjectDisposedException)
        {
            throw new OperationCanceledException(cancellationToken);
        }

        return await receiving.ConfigureAwait(false);
    }

    private static IPAddress RequireReady(ProbeEndpoint source, ProbeEndpoint target)
    {
        if (source.Kind == target.Kind && source.Name == target.Name)
        {
            throw new HybridNetException(
                ErrorIds.InvalidEndpointPair, FailureKind.InvalidArgument, source.Name,
                Messages.SameEndpoint(source.Name), Messages.EndpointPairAction);
        }

        foreach (var end in new[] { source, target })
        {
            if (!end.Running)
            {
                throw NotReady(end, "it is not running");
            }

            if (end.Kind == EndpointKind.Container && end.ContainerPid is null)
            {
                throw NotReady(end, "its network namespace is unknown, because the endpoint carries no container process id");
            }
        }

        if (target.Address is null || !IPAddress.TryParse(target.Address, out var address))
        {
            throw NotReady(target, "it has no IPv4 address on the bridge yet");
        }

        return address;
    }

    private async Task RequireGuestAgentAsync(ProbeEndpoint source, CancellationToken cancellationToken)
    {
        if (!source.HasGuestAgent)
        {
            throw NotReady(source, "the domain has no QEMU guest agent channel, so no ping can start inside it");
        }

        var problem = await _context.Agent.CheckAsync(source.Name, cancellationToken).ConfigureAwait(false);
        if (problem is not null)
        {
            throw NotReady(source, $"its QEMU guest agent does not respond ({problem})");
        }
    }

    private static HybridNetException NotReady(ProbeEndpoint end, string reason) =>
        new(ErrorIds.EndpointNotReady, FailureKind.ResourceUnavailable, end.Name,
            Messages.EndpointNotReady(end.Name, reason), Messages.EndpointNotReadyAction);

    /// <summary>
    /// Runs ping inside the guest with one warm-up echo before the reported ones. -A sends the
    /// next echo as soon as a reply arrives. busybox and iputils ping both take -A, -W and -w.
    /// </summary>
    private async Task<LatencySample> MeasureLatencyFromGuestAsync(
        string domain, IPAddress address, PathMeasurementOptions options, CancellationToken cancellationToken)
    {
        var waitSeconds = Math.Max(1, (options.EchoTimeoutMs + 999) / 1000);
        var deadlineSeconds = ((options.EchoCount + 1) * waitSeconds) + 1;
        var exec = await _context.Agent.ExecAsync(
                domain,
                "ping",
                new[]
                {
                    "-A",
                    "-c", Format($"{options.EchoCount + 1}"),
                    "-W", Format($"{waitSeconds}"),
                    "-w", Format($"{deadlineSeconds}"),
                    address.ToString(),
                },
                TimeSpan.FromSeconds(deadlineSeconds + 10),
                cancellationToken)
            .ConfigureAwait(false);
        return ParseGuestPing(exec.StandardOutput, options.EchoCount);
    }

    /// <summary>
    /// Reads the reply times from ping output and leaves out the warm-up reply. busybox numbers
    /// echoes from seq=0 and iputils from icmp_seq=1, so the warm-up is the lowest number.
    /// </summary>
    public static LatencySample ParseGuestPing(string output, int reportedCount)
    {
        var replies = ReplyPattern().Matches(output)
            .Select(m => (
                Sequence: int.Parse(m.Groups["seq"].Value, CultureInfo.InvariantCulture),
                TimeMs: double.Parse(m.Groups["time"].Value, CultureInfo.InvariantCulture),
                Iputils: m.Groups["icmp"].Success))
            .ToList();
        var roundTrips = replies
            .Where(r => r.Sequence != (r.Iputils ? 1 : 0))
            .Select(r => r.TimeMs)
            .Take(reportedCount)
            .ToList();
        return new LatencySample(roundTrips, reportedCount);
    }

    private async Task<(double? Mbps, double? Seconds, string Detail)> MeasureStreamAsync(
        ProbeEndpoint source, ProbeEndpoint target, IPAddress address, PathMeasurementOptions options, CancellationToken cancellationToken)
    {
        if (options.StreamDuration <= TimeSpan.Zero)
        {
            return (null, null, "Throughput: not measured, because the stream duration is 0 s.");
        }

        var vm = new[] { source, target }.FirstOrDefault(e => e.Kind == EndpointKind.VM);
        if (vm is not null)
        {
            return (null, null,
                $"Throughput: not supported, because '{vm.Name}' is a VM. A TCP stream needs a socket inside the guest, "
                + "and HybridNet runs no program in a guest for it.");
        }

        _context.Log.Verbose(Format(
            $"Streaming TCP from {source.Name} to {target.Name} ({address}) for {options.StreamDuration.TotalSeconds:0.###} s."));
        _context.Log.Progress(Activity, Format($"TCP stream from {source.Name} to {target.Name}"), -1);
        try
        {
            var sample = await MeasureThroughputAsync(
                    NamespaceOf(source), NamespaceOf(target), address, options.StreamDuration, options.SocketTimeout, cancellationToken)
                .ConfigureAwait(false);
            var seconds = Math.Round(sample.Elapsed.TotalSeconds, 3);
            return (Math.Round(sample.Mbps, 1), seconds, Format(
                $"Throughput: one TCP stream carried {sample.Bytes} bytes in {seconds} s from {Origin(source)} to a listener in {Origin(target)}."));
        }
        catch (Exception ex) when (ex is SocketException or TimeoutException)
        {
            return (null, null, $"Throughput: the TCP stream to {address} failed: {ex.Message}");
        }
    }

    private static async Task<Socket> ConnectAsync(
        Socket listener, Socket client, IPEndPoint endPoint, TimeSpan timeout, CancellationToken cancellationToken)
    {
        using var connectTimeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        connectTimeout.CancelAfter(timeout);
        var accepting = listener.AcceptAsync(connectTimeout.Token).AsTask();
        try
        {
            await client.ConnectAsync(endPoint, connectTimeout.Token).ConfigureAwait(false);
            return await accepting.ConfigureAwait(false);
        }
        catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
        {
            throw new TimeoutException(Format($"no TCP connection to {endPoint} within {timeout.TotalSeconds:0.#} s"));
        }
        finally
        {
            // A failed connect leaves the accept pending until the listener closes, so its fault is observed here.
            _ = accepting.ContinueWith(t => t.Exception, TaskContinuationOptions.OnlyOnFaulted | TaskContinuationOptions.ExecuteSynchronously);
        }
    }

    private static Task<Socket> OpenSocketAsync(string? namespacePath, Action<Socket> prepare, CancellationToken cancellationToken)
    {
        Socket Open()
        {
            var socket = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
            try
            {
                prepare(socket);
                return socket;
            }
            catch
            {
                socket.Dispose();
                throw;
            }
        }

        return namespacePath is null
            ? Task.FromResult(Open())
            : NetworkNamespace.RunAsync(namespacePath, Open, cancellationToken);
    }

    private static void SendFor(Socket socket, TimeSpan duration)
    {
        var buffer = new byte[StreamBufferSize];
        var stopwatch = Stopwatch.StartNew();
        while (stopwatch.Elapsed < duration)
        {
            socket.Send(buffer);
        }

        socket.Shutdown(SocketShutdown.Send);
    }

    /// <summary>
    /// Reads until the sender closes. The clock starts when the first data arrives, and that first
    /// read is not counted, so connection setup stays out of the rate.
    /// </summary>
    private static ThroughputSample ReceiveAll(Socket socket)
    {
        var buffer = new byte[StreamBufferSize];
        if (socket.Receive(buffer) == 0)
        {
            return new ThroughputSample(0, TimeSpan.Zero);
        }

        var stopwatch = Stopwatch.StartNew();
        long bytes = 0;
        int read;
        while ((read = socket.Receive(buffer)) > 0)
        {
            bytes += read;
        }

        return new ThroughputSample(bytes, stopwatch.Elapsed);
    }

    private static string? NamespaceOf(ProbeEndpoint end) =>
        end.Kind == EndpointKind.Container ? NetworkNamespace.PathOfProcess(end.ContainerPid!.Value) : null;

    private static string Origin(ProbeEndpoint end) => end.Kind switch
    {
        EndpointKind.Container => $"the network namespace of container '{end.Name}'",
        EndpointKind.Host => "the host",
        _ => $"'{end.Name}'",
    };

    private static string Format(FormattableString text) => text.ToString(CultureInfo.InvariantCulture);

    [GeneratedRegex(@"(?<icmp>icmp_)?seq=(?<seq>\d+).*?time[=<]\s*(?<time>[0-9.]+)\s*ms")]
    private static partial Regex ReplyPattern();
}
