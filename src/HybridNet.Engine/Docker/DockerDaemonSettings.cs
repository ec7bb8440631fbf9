using System;
using System.Collections.Generic;
using System.IO;
using System.Text.Json;

namespace HybridNet.Engine.Docker;

/// <summary>
/// Reads whether the local dockerd manages iptables. Only then does Docker isolate its bridge
/// networks from each other, in the DOCKER-ISOLATION chains. The Engine API does not report the
/// setting, so it comes from dockerd's command line and its daemon.json.
/// </summary>
public static class DockerDaemonSettings
{
    public const string DefaultConfigFile = "/etc/docker/daemon.json";

    public const string DefaultPidFile = "/var/run/docker.pid";

    /// <summary>
    /// Returns dockerd's iptables setting: from the --iptables flag of the running dockerd, else
    /// from its daemon.json, else Docker's default of true. Returns null when the configuration
    /// file exists but cannot be read or parsed.
    /// </summary>
    public static bool? ReadIptablesEnabled()
    {
        var arguments = ReadDaemonArguments();
        var flag = arguments is null ? null : ParseIptablesFlag(arguments);
        if (flag is not null)
        {
            return flag;
        }

        var configFile = (arguments is null ? null : ParseConfigFileFlag(arguments)) ?? DefaultConfigFile;
        try
        {
            return File.Exists(configFile) ? ParseIptablesSetting(File.ReadAllText(configFile)) ?? true : true;
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException or JsonException)
        {
            return null;
        }
    }

    /// <summary>Reads the iptables key of a daemon.json text, or returns null when the key is absent.</summary>
    public static bool? ParseIptablesSetting(string json)
    {
        using var document = JsonDocument.Parse(json);
        if (document.RootElement.ValueKind == JsonValueKind.Object
            && document.RootElement.TryGetProperty("iptables", out var value))
        {
            return value.ValueKind switch
            {
                JsonValueKind.True => true,
                JsonValueKind.False => false,
                _ => null,
            };
        }

        return null;
    }

    /// <summary>
    /// Reads --iptables from dockerd's arguments. A Go boolean flag takes its value only after
    /// "=", so "--iptables false" still means true.
    /// </summary>
    public static bool? ParseIptablesFlag(IReadOnlyList<string> arguments)
    {
        bool? result = null;
        foreach (var argument in arguments)
        {
            if (argument is "--iptables" or "-iptables")
            {
                result = true;
            }
            else if (argument.StartsWith("--iptables=", StringComparison.Ordinal) || argument.StartsWith("-iptables=", StringComparison.Ordinal))
            {
                result = ParseGoBool(argument[(argument.IndexOf('=') + 1)..]) ?? result;
            }
        }

        return result;
    }

    /// <summary>Reads --config-file from dockerd's arguments, in either "--config-file=PATH" or "--config-file PATH" form.</summary>
    public static string? ParseConfigFileFlag(IReadOnlyList<string> arguments)
    {
        string? path = null;
        for (var i = 0; i < arguments.Count; i++)
        {
            var argument = arguments[i];
            if (argument.StartsWith("--config-file=", StringComparison.Ordinal))
            {
                path = argument["--config-file=".Length..];
            }
            else if (argument == "--config-file" && i + 1 < arguments.Count)
            {
                path = arguments[++i];
            }
        }

        return path;
    }

    /// <summary>The values Go's strconv.ParseBool accepts.</summary>
    private static bool? ParseGoBool(string text) => text switch
    {
        "1" or "t" or "T" or "true" or "TRUE" or "True" => true,
        "0" or "f" or "F" or "false" or "FALSE" or "False" => false,
        _ => null,
    };

    /// <summary>Reads the arguments of the dockerd named in the default pid file, or null.</summary>
    private static IReadOnlyList<string>? ReadDaemonArguments()
    {
        try
        {
            var pid = File.ReadAllText(DefaultPidFile).Trim();
            if (pid.Length == 0 || !int.TryParse(pid, out _))
            {
                return null;
            }

            var commandLine = File.ReadAllText($"/proc/{pid}/cmdline");
            return commandLine.Split('\0', StringSplitOptions.RemoveEmptyEntries);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            return null;
        }
    }
}
