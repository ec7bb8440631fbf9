using System;

namespace HybridNet.Engine;

/// <summary>
/// The failure kinds the engine reports. The cmdlet layer maps each one to the PowerShell
/// ErrorCategory of the same name; the engine does not reference PowerShell.
/// </summary>
public enum FailureKind
{
    InvalidArgument,
    ObjectNotFound,
    ResourceExists,
    ResourceUnavailable,
    ConnectionError,
    PermissionDenied,
    OperationTimeout,
    NotInstalled,
    InvalidOperation,
    InvalidData,
    OperationStopped,
}

/// <summary>
/// A failure with a stable error id, a category, the value that caused it and what the user can
/// do about it. Every failure the engine expects is raised as this type.
/// </summary>
public sealed class HybridNetException : Exception
{
    public HybridNetException(
        string errorId,
        FailureKind kind,
        object? target,
        string message,
        string? recommendedAction = null,
        Exception? innerException = null)
        : base(message, innerException)
    {
        ErrorId = errorId;
        Kind = kind;
        Target = target;
        RecommendedAction = recommendedAction;
    }

    /// <summary>PascalCase identifier that scripts can match; never renamed once released.</summary>
    public string ErrorId { get; }

    public FailureKind Kind { get; }

    /// <summary>The name or value the failure is about, never the cmdlet.</summary>
    public object? Target { get; }

    public string? RecommendedAction { get; }
}
