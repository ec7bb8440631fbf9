using System;

namespace HybridNet;

/// <summary>
/// The exception inside every HybridNet error record. Scripts can catch it by type
/// ([HybridNet.HybridNetException]) and branch on <see cref="ErrorId"/>.
/// </summary>
public sealed class HybridNetException : Exception
{
    internal HybridNetException(string errorId, string message, string? recommendedAction, Exception? innerException)
        : base(message, innerException)
    {
        ErrorId = errorId;
        RecommendedAction = recommendedAction;
    }

    /// <summary>Stable PascalCase identifier of the failure.</summary>
    public string ErrorId { get; }

    /// <summary>What the user can do about it.</summary>
    public string? RecommendedAction { get; }
}
