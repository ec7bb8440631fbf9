using System;
using System.Threading;
using System.Threading.Tasks;

namespace HybridNet.Engine.Operations;

/// <summary>
/// One change to the host: what it touches, what it does in words, the exact command or API
/// call, how to apply it and how to take it back. Cmdlets ask ShouldProcess once per step, so
/// -WhatIf lists every step and -Confirm prompts for each. A failed step undoes the finished ones.
/// </summary>
public sealed record ChangeStep(
    string Target,
    string Action,
    string Command,
    Func<CancellationToken, Task> Apply,
    Func<CancellationToken, Task>? Undo);
