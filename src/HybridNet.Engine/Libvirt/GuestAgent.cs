using System;
using System.Collections.Generic;
using System.Diagnostics;
using System.Text;
using System.Text.Json;
using System.Threading;
using System.Threading.Tasks;

namespace HybridNet.Engine.Libvirt;

/// <summary>Result of a command run inside a guest.</summary>
public sealed record GuestExecResult(int ExitCode, string StandardOutput, string StandardError, TimeSpan Elapsed);

/// <summary>
/// Runs commands inside a guest through the QEMU guest agent (guest-exec and
/// guest-exec-status), so probes that start in a VM use the guest's own network stack.
/// </summary>
public sealed class GuestAgent
{
    private static readonly TimeSpan PollInterval = TimeSpan.FromMilliseconds(50);
    private readonly Virsh _virsh;

    public GuestAgent(Virsh virsh)
    {
        _virsh = virsh;
    }

    /// <summary>Returns null when the agent responds to guest-ping, otherwise the reason it did not.</summary>
    public async Task<string?> CheckAsync(string domain, CancellationToken cancellationToken)
    {
        var result = await _virsh.GuestAgentCommandAsync(domain, "{\"execute\":\"guest-ping\"}", 2, cancellationToken)
            .ConfigureAwait(false);
        return result.Succeeded ? null : FirstLine(result.StandardError);
    }

    /// <summary>Lists the guest's IP addresses as guest-network-get-interfaces reports them.</summary>
    public async Task<IReadOnlyList<string>> GetAddressesAsync(string domain, CancellationToken cancellationToken)
    {
        var result = await _virsh.GuestAgentCommandAsync(domain, "{\"execute\":\"guest-network-get-interfaces\"}", 5, cancellationToken)
            .ConfigureAwait(false);
        var addresses = new List<string>();
        if (!result.Succeeded)
        {
            return addresses;
        }

        using var document = JsonDocument.Parse(result.StandardOutput);
        foreach (var nic in document.RootElement.GetProperty("return").EnumerateArray())
        {
            if (!nic.TryGetProperty("ip-addresses", out var list))
            {
                continue;
            }

            foreach (var entry in list.EnumerateArray())
            {
                if (entry.TryGetProperty("ip-address", out var address) && address.GetString() is { } text)
                {
                    addresses.Add(text);
                }
            }
        }

        return addresses;
    }

    /// <summary>Runs <paramref name="path"/> in the guest and waits for it to exit.</summary>
    public async Task<GuestExecResult> ExecAsync(
        string domain, string path, IReadOnlyList<string> arguments, TimeSpan timeout, CancellationToken cancellationToken)
    {
        var stopwatch = Stopwatch.StartNew();
        var request = JsonSerializer.Serialize(new Dictionary<string, object>
        {
            ["execute"] = "guest-exec",
            ["arguments"] = new Dictionary<string, object>
            {
                ["path"] = path,
                ["arg"] = arguments,
                ["capture-output"] = true,
            },
        });
        var started = await _virsh.GuestAgentCommandAsync(domain, request, 5, cancellationToken).ConfigureAwait(false);
        if (!started.Succeeded)
        {
            throw new HybridNetException(
                ErrorIds.LibvirtOperationFailed,
                FailureKind.ResourceUnavailable,
                domain,
                Messages.GuestAgentFailed(domain, FirstLine(started.StandardError)));
        }

        int pid;
        using (var document = JsonDocument.Parse(started.StandardOutput))
        {
            pid = document.RootElement.GetProperty("return").GetProperty("pid").GetInt32();
        }

        var statusRequest = "{\"execute\":\"guest-exec-status\",\"arguments\":{\"pid\":"
            + pid.ToString(System.Globalization.CultureInfo.InvariantCulture) + "}}";
        while (true)
        {
            cancellationToken.ThrowIfCancellationRequested();
            var status = await _virsh.GuestAgentCommandAsync(domain, statusRequest, 5, cancellationToken)
                .ConfigureAwait(false);
            if (status.Succeeded)
            {
                using var document = JsonDocument.Parse(status.StandardOutput);
                var body = document.RootElement.GetProperty("return");
                if (body.GetProperty("exited").GetBoolean())
                {
                    return new GuestExecResult(
                        body.TryGetProperty("exitcode", out var code) ? code.GetInt32() : -1,
                        DecodeBase64(body, "out-data"),
                        DecodeBase64(body, "err-data"),
                        stopwatch.Elapsed);
                }
            }

            if (stopwatch.Elapsed > timeout)
            {
                throw new HybridNetException(
                    ErrorIds.CommandTimedOut,
                    FailureKind.OperationTimeout,
                    domain,
                    Messages.GuestCommandTimedOut(domain, path, timeout));
            }

            await Task.Delay(PollInterval, cancellationToken).ConfigureAwait(false);
        }
    }

    private static string DecodeBase64(JsonElement body, string property) =>
        body.TryGetProperty(property, out var data) && data.GetString() is { } text
            ? Encoding.UTF8.GetString(Convert.FromBase64String(text))
            : string.Empty;

    private static string FirstLine(string text)
    {
        var lines = text.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
        return lines.Length > 0 ? lines[0] : "no output";
    }
}
