using System;
using System.Collections.Generic;
using System.Globalization;
using HybridNet.Engine.Host;

namespace HybridNet.Engine;

/// <summary>Every user-facing message of the module, in one place.</summary>
public static partial class Messages
{
    public const string RunAsRootAction =
        "Run pwsh as root (sudo pwsh), or grant it CAP_NET_ADMIN and CAP_SYS_ADMIN.";

    public const string CommandTimedOutAction =
        "Check that the daemon behind the command is healthy, or raise -TimeoutSec.";

    public const string LibvirtUnreachableAction =
        "Start libvirtd (for example 'libvirtd -d' or 'systemctl start libvirtd') and check "
        + "'virsh -c qemu:///system version'. Set HYBRIDNET_LIBVIRT_URI to use another connection.";

    public const string DockerUnreachableAction =
        "Start the Docker daemon (for example 'systemctl start docker' or 'dockerd &') and check "
        + "'docker version'. Set DOCKER_HOST when the daemon listens elsewhere.";

    public const string DockerPermissionDeniedAction =
        "Run as root, or add the user to the 'docker' group and log in again.";

    public const string DockerHostInvalidAction =
        "Set DOCKER_HOST to a URI such as unix:///var/run/docker.sock or tcp://127.0.0.1:2375.";

    public static string InvalidSubnet(string value, string problem) =>
        $"The subnet '{value}' is invalid: {problem}.";

    public const string InvalidSubnetAction =
        "Give an IPv4 network in CIDR form with the host bits zero, such as 10.250.1.0/24.";

    public const string InvalidIpv6SubnetAction =
        "Give an IPv6 /64 in CIDR form, such as a unique local prefix fd12:3456:789a:1::/64.";

    public static string PrefixOutOfRange(int prefix) =>
        Format($"the prefix length /{prefix} is outside the supported range /{Addressing.AddressPlan.MinPrefixLength} to /{Addressing.AddressPlan.MaxPrefixLength}");

    public static string InvalidAddressPlan(string subnet, IReadOnlyList<string> problems) =>
        $"The address plan for {subnet} is invalid: {string.Join("; ", problems)}.";

    public static string InvalidBridgeName(string name, string problem) =>
        $"The bridge name '{name}' is invalid: {problem}.";

    public const string InvalidBridgeNameAction =
        "Use 1 to 15 characters: letters, digits, '_', '.' or '-', starting with a letter.";

    public static string InvalidName(string kind, string value, string problem) =>
        $"The {kind} '{value}' is invalid: {problem}.";

    public static string AddressOutsideSubnet(string address, string subnet) =>
        $"{address} is not inside the bridge subnet {subnet}";

    public static string InvalidIPAddress(string value) =>
        $"'{value}' is not an IPv4 address in dotted-quad form.";

    public static string AddressNotAllowed(string bridge, string reason) =>
        $"The address cannot be used on bridge '{bridge}': {reason}.";

    public static string AddressInUse(string address, string bridge, string holder) =>
        $"The address {address} on bridge '{bridge}' is already in use by {holder}.";

    public const string AddressInUseAction =
        "Pick another address, or leave out -IPAddress to let HybridNet choose a free one.";

    public static string AddressPoolExhausted(string bridge, string pool) =>
        $"No free address is left in the pool {pool} of bridge '{bridge}'.";

    public static string BridgeNameInUse(string name, string owner) =>
        $"The name '{name}' is already used by {owner}, which HybridNet did not create.";

    public const string BridgeNameInUseAction = "Choose another name for the hybrid bridge.";

    public static string BridgeConflict(string name, string difference) =>
        $"The hybrid bridge '{name}' already exists with different settings: {difference}.";

    public const string BridgeConflictAction =
        "Repeat the command with the existing settings, change them with Set-HybridBridge, or pick another name.";

    public static string SubnetInUse(string subnet, string owner) =>
        $"The subnet {subnet} overlaps {owner}.";

    public static string NoFreeSubnet(string pools, int prefix) =>
        Format($"No free /{prefix} subnet is left in {pools}.");

    public const string SubnetInUseAction =
        "Choose a subnet no route, interface, Docker network or libvirt network uses, or leave out -Subnet.";

    public static string BridgeNotFound(string name) =>
        $"No hybrid bridge named '{name}' exists.";

    public const string BridgeNotFoundAction = "Run Get-HybridBridge to list the hybrid bridges on this host.";

    public static string BridgeHasMembers(string name, int count) =>
        $"The hybrid bridge '{name}' still has {count} member(s) attached.";

    public const string BridgeHasMembersAction =
        "Disconnect them first, or add -Force to disconnect them and remove the bridge.";

    public static string ContainerNotFound(string name) => $"No Docker container named or with id '{name}' exists.";

    public const string ContainerNotFoundAction = "Run 'docker ps -a' to list containers.";

    public static string DomainNotFound(string name) => $"No libvirt domain named '{name}' exists.";

    public const string DomainNotFoundAction = "Run 'virsh list --all' to list the domains.";

    public static string AlreadyConnectedDifferently(string member, string bridge, string difference) =>
        $"'{member}' is already connected to bridge '{bridge}' with {difference}.";

    public const string AlreadyConnectedAction =
        "Disconnect it first to change its address, or repeat the command without -IPAddress.";

    public static string NotConnected(string member, string bridge) =>
        $"'{member}' is not connected to bridge '{bridge}'.";

    public static string ContainerRangeInUse(string bridge) =>
        $"The container range of bridge '{bridge}' cannot change while containers are attached, because Docker fixes it when the network is created.";

    public const string ContainerRangeInUseAction =
        "Disconnect the containers (Get-HybridEndpoint -Kind Container | Disconnect-HybridContainer), change the range, then connect them again.";

    public static string UnknownNetwork(string entry, string bridge) =>
        $"'{entry}' given to -AllowNetwork of bridge '{bridge}' is neither a CIDR subnet nor the name of a libvirt or Docker network.";

    public const string UnknownNetworkAction =
        "Give a subnet such as 192.168.121.0/24, or a name from 'virsh net-list --all' or 'docker network ls'.";

    public static string WrongEndpointKind(string name, string kind, string cmdlet) =>
        $"'{name}' is a {kind} endpoint; use {cmdlet} for it.";

    public static string HotplugFailed(string domain, string reason) =>
        $"The NIC could not be hot-plugged into the running domain '{domain}': {reason}.";

    public const string HotplugFailedAction =
        "Use -Persistent to add the NIC to the definition only and restart the domain, "
        + "or give the guest ACPI and a free PCI slot.";

    public static string LibvirtUnreachable(string uri, string detail) =>
        $"libvirt at '{uri}' is not reachable: {detail}.";

    public static string DockerUnreachable(string host, string detail) =>
        $"The Docker daemon at '{host}' is not reachable: {detail}.";

    public static string DockerSocketMissing(string path) =>
        $"The Docker daemon is not reachable: the socket '{path}' does not exist.";

    public static string DockerTimedOut(string host, string call, TimeSpan timeout) =>
        Format($"The Docker daemon at '{host}' did not answer '{call}' within {timeout.TotalSeconds:0.#} s.");

    public static string DockerPermissionDenied(string host) =>
        $"Permission to use the Docker daemon at '{host}' was denied.";

    public static string DockerHostInvalid(string host) => $"DOCKER_HOST '{host}' is not a valid URI.";

    public static string DockerCallFailed(string call, int status, string body) =>
        Format($"The Docker API call '{call}' failed with HTTP {status}: {body}");

    public static string CommandNotFound(string program) =>
        $"The program '{program}' was not found on PATH.";

    public static string InstallPackageAction(string program) => program switch
    {
        "ip" or "bridge" => "Install iproute2 (apt-get install iproute2).",
        "virsh" => "Install the libvirt client (apt-get install libvirt-clients).",
        "nsenter" => "Install util-linux (apt-get install util-linux).",
        "iptables" => "Install iptables (apt-get install iptables).",
        "dot" => "Install Graphviz (apt-get install graphviz).",
        _ => $"Install the package that provides '{program}'.",
    };

    public static string CommandFailed(CommandResult result) =>
        Format($"'{result.CommandLine}' failed with exit code {result.ExitCode}: {FirstLine(result.StandardError)}");

    public static string CommandTimedOut(string commandLine, TimeSpan timeout) =>
        Format($"'{commandLine}' did not finish within {timeout.TotalSeconds:0.#} s.");

    public static string NamespaceOpenFailed(string path, string detail) =>
        $"The network namespace '{path}' could not be opened: {detail}";

    public static string NamespaceEnterFailed(string path, int errno) =>
        Format($"Entering the network namespace '{path}' failed (errno {errno}).");

    public static string GuestAgentFailed(string domain, string detail) =>
        $"The QEMU guest agent of '{domain}' failed: {detail}";

    public static string GuestCommandTimedOut(string domain, string path, TimeSpan timeout) =>
        Format($"'{path}' in guest '{domain}' did not finish within {timeout.TotalSeconds:0.#} s.");

    public static string InsufficientPrivilege(string operation) =>
        $"{operation} needs root or the CAP_NET_ADMIN capability, which this process does not have.";

    public static string StateLockTimedOut(string bridge, TimeSpan waited) =>
        Format($"Another HybridNet command kept bridge '{bridge}' locked for {waited.TotalSeconds:0} s.");

    public static string EndpointNotReady(string name, string reason) =>
        $"The path to or from '{name}' cannot be measured: {reason}.";

    public const string EndpointNotReadyAction =
        "Start the member and wait until Get-HybridEndpoint shows its IPv4 address. A VM source also needs a running QEMU guest agent.";

    public static string SameEndpoint(string name) =>
        $"The source and the target are both '{name}', but a path needs two different endpoints.";

    public static string UnpairedEndpoint(string name) =>
        $"'{name}' was piped without a target: piped endpoints are measured in pairs, source first.";

    public const string EndpointPairAction =
        "Give two different endpoints with -Source and -Target, pipe them in pairs, or use -FromHost or -ToHost.";

    private static string FirstLine(string text)
    {
        var lines = text.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
        return lines.Length > 0 ? lines[0] : "no error output";
    }

    private static string Format(FormattableString text) => text.ToString(CultureInfo.InvariantCulture);
}
