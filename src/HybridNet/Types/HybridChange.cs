namespace HybridNet;

/// <summary>One change a cmdlet made to the host, as Repair-HybridBridge reports it.</summary>
public sealed class HybridChange
{
    internal HybridChange(string bridge, string target, string action, string command)
    {
        Bridge = bridge;
        Target = target;
        Action = action;
        Command = command;
    }

    public string Bridge { get; }

    /// <summary>The bridge, VM, container or link the change touched.</summary>
    public string Target { get; }

    public string Action { get; }

    /// <summary>The exact command or API call that made the change.</summary>
    public string Command { get; }

    public override string ToString() => Action;
}
