namespace HybridNet.Engine;

/// <summary>What sits behind an address on a hybrid bridge.</summary>
public enum EndpointKind
{
    VM,
    Container,
    Host,
}
