using System;
using System.Management.Automation;
using HybridNet.Engine;

namespace HybridNet.Internal;

/// <summary>Turns engine failures into PowerShell error records.</summary>
internal static class ErrorMapper
{
    public static ErrorRecord ToErrorRecord(Engine.HybridNetException ex)
    {
        var exception = new HybridNetException(ex.ErrorId, ex.Message, ex.RecommendedAction, ex);
        var category = Enum.TryParse<ErrorCategory>(ex.Kind.ToString(), out var parsed) ? parsed : ErrorCategory.NotSpecified;
        var record = new ErrorRecord(exception, ex.ErrorId, category, ex.Target);
        if (ex.RecommendedAction is not null)
        {
            record.ErrorDetails = new ErrorDetails(ex.Message) { RecommendedAction = ex.RecommendedAction };
        }

        return record;
    }
}
