namespace HybridNet.Engine;

/// <summary>
/// Receives the engine's verbose messages and warnings. Implementations must be thread-safe:
/// engine code calls them from thread-pool threads.
/// </summary>
public interface IEngineLog
{
    void Verbose(string message);

    void Warning(string message);

    /// <summary>Reports progress of a long step; <paramref name="percent"/> is -1 when unknown.</summary>
    void Progress(string activity, string status, int percent);
}

/// <summary>A log that drops everything, for tests and completers.</summary>
public sealed class NullEngineLog : IEngineLog
{
    public static readonly NullEngineLog Instance = new();

    public void Verbose(string message)
    {
    }

    public void Warning(string message)
    {
    }

    public void Progress(string activity, string status, int percent)
    {
    }
}
