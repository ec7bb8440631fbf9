using System;
using System.Collections.Generic;
using System.Threading;
using System.Threading.Tasks;

namespace HybridNet.Engine.Operations;

/// <summary>
/// Steps that attach or detach one member, and how to describe the result afterwards. When the
/// member is already in the requested state, <see cref="Steps"/> is empty and
/// <see cref="Existing"/> contains it.
/// </summary>
public sealed record MemberPlan(
    IReadOnlyList<ChangeStep> Steps,
    EndpointState? Existing,
    Func<CancellationToken, Task<EndpointState?>> DescribeResult);
