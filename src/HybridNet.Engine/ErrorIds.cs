namespace HybridNet.Engine;

/// <summary>Stable error identifiers, one per failure path.</summary>
public static class ErrorIds
{
    public const string InvalidSubnet = "InvalidSubnet";
    public const string InvalidAddressPlan = "InvalidAddressPlan";
    public const string InvalidBridgeName = "InvalidBridgeName";
    public const string InvalidIPAddress = "InvalidIPAddress";
    public const string InvalidName = "InvalidName";
    public const string BridgeNameInUse = "BridgeNameInUse";
    public const string BridgeConflict = "BridgeConflict";
    public const string SubnetInUse = "SubnetInUse";
    public const string BridgeNotFound = "BridgeNotFound";
    public const string HostNetworkNotFound = "HostNetworkNotFound";
    public const string BridgeHasMembers = "BridgeHasMembers";
    public const string ContainerNotFound = "ContainerNotFound";
    public const string DomainNotFound = "DomainNotFound";
    public const string AddressOutsideSubnet = "AddressOutsideSubnet";
    public const string AddressNotAllowed = "AddressNotAllowed";
    public const string AddressInUse = "AddressInUse";
    public const string AddressPoolExhausted = "AddressPoolExhausted";
    public const string AlreadyConnected = "AlreadyConnected";
    public const string NotConnected = "NotConnected";
    public const string DockerUnreachable = "DockerUnreachable";
    public const string DockerPermissionDenied = "DockerPermissionDenied";
    public const string DockerOperationFailed = "DockerOperationFailed";
    public const string LibvirtUnreachable = "LibvirtUnreachable";
    public const string LibvirtOperationFailed = "LibvirtOperationFailed";
    public const string HotplugFailed = "HotplugFailed";
    public const string CommandNotFound = "CommandNotFound";
    public const string CommandFailed = "CommandFailed";
    public const string CommandTimedOut = "CommandTimedOut";
    public const string InsufficientPrivilege = "InsufficientPrivilege";
    public const string NamespaceEntryFailed = "NamespaceEntryFailed";
    public const string OperationCancelled = "OperationCancelled";
    public const string StateLockTimedOut = "StateLockTimedOut";
    public const string FirewallFailed = "FirewallFailed";
    public const string UnknownNetwork = "UnknownNetwork";
    public const string SettingNotChangeable = "SettingNotChangeable";
    public const string EndpointNotReady = "EndpointNotReady";
    public const string InvalidEndpointPair = "InvalidEndpointPair";
}
