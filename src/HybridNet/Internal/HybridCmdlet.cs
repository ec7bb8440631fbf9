using System;
using System.Collections.Concurrent;
using System.Collections.Generic;
using System.Management.Automation;
using System.Threading;
using System.Threading.Tasks;
using HybridNet.Engine;
using HybridNet.Engine.Host;
using HybridNet.Engine.Operations;

namespace HybridNet.Internal;

/// <summary>
/// Base of every HybridNet cmdlet. It owns the cancellation source (cancelled by Ctrl+C through
/// StopProcessing), runs engine tasks while pumping their verbose, warning and progress messages
/// onto the pipeline thread, applies change steps with ShouldProcess and rollback, and turns
/// engine failures into error records.
/// </summary>
public abstract class HybridCmdlet : PSCmdlet
{
    private const int ProgressActivityId = 4217;
    private readonly BlockingCollection<Action> _pipelineActions = new();
    private CancellationTokenSource _cancellation = new();
    private EngineContext? _context;
    private bool _progressShown;

    /// <summary>Timeout in seconds of each external command and Docker API call.</summary>
    [Parameter]
    [ValidateRange(1, 3600)]
    public int TimeoutSec { get; set; } = 30;

    internal CancellationToken Cancellation => _cancellation.Token;

    internal EngineContext Context =>
        _context ??= new EngineContext(
            EngineSettings.FromEnvironment(TimeSpan.FromSeconds(TimeoutSec)), new PipelineLog(this), readOnly: !ChangesHost);

    /// <summary>True when the cmdlet changes the host, so it checks for CAP_NET_ADMIN first.</summary>
    internal virtual bool ChangesHost => false;

    protected override void BeginProcessing()
    {
        HybridNetLoadContext.Hook();
        if (ChangesHost && !IsWhatIf)
        {
            try
            {
                Privileges.EnsureNetAdmin(MyInvocation.MyCommand.Name);
            }
            catch (Engine.HybridNetException ex)
            {
                ThrowTerminatingError(ErrorMapper.ToErrorRecord(ex));
            }
        }
    }

    protected override void StopProcessing() => _cancellation.Cancel();

    protected override void EndProcessing() => CompleteProgress();

    /// <summary>
    /// Takes the bridge's state lock after checking the name, so no path is built from an
    /// unchecked value. Under -WhatIf nothing changes, so no lock is taken and none is needed.
    /// </summary>
    internal IDisposable? LockBridge(string bridge)
    {
        NameRules.ValidateBridgeName(bridge);
        if (IsWhatIf)
        {
            return null;
        }

        return Run(ct => StateLock.AcquireAsync(bridge, TimeSpan.FromSeconds(Math.Max(60, TimeoutSec)), ct));
    }

    /// <summary>True under -WhatIf, where ShouldProcess lists every step and applies none.</summary>
    internal bool IsWhatIf =>
        (MyInvocation.BoundParameters.TryGetValue("WhatIf", out var value) && value is SwitchParameter { IsPresent: true })
        || (SessionState.PSVariable.GetValue("WhatIfPreference") is { } preference && LanguagePrimitives.IsTrue(preference));

    /// <summary>
    /// Runs engine work to completion while executing, on this pipeline thread, everything the
    /// work queued through <see cref="Post"/> (verbose lines, warnings, progress, output).
    /// </summary>
    internal T Run<T>(Func<CancellationToken, Task<T>> work)
    {
        var task = work(_cancellation.Token);
        while (!task.IsCompleted)
        {
            if (_pipelineActions.TryTake(out var action, 25))
            {
                // After Ctrl+C writes throw; the work is cancelled too, so keep waiting for it
                // to end rather than leave it running behind the undo.
                WriteQuietly(action);
            }
        }

        WriteQuietly(Drain);
        try
        {
            return task.GetAwaiter().GetResult();
        }
        catch (OperationCanceledException) when (_cancellation.IsCancellationRequested)
        {
            throw new PipelineStoppedException();
        }
    }

    internal void Run(Func<CancellationToken, Task> work) =>
        Run(async ct =>
        {
            await work(ct).ConfigureAwait(false);
            return true;
        });

    /// <summary>Queues an action for the pipeline thread; safe from any thread.</summary>
    internal void Post(Action action) => _pipelineActions.Add(action);

    /// <summary>
    /// Applies steps in order, asking ShouldProcess for each. Returns true when every step ran.
    /// Under -WhatIf every step is listed and none applied. When a step fails, the user declines
    /// one, or Ctrl+C arrives, the steps already applied are undone in reverse order.
    /// </summary>
    internal bool ApplySteps(IReadOnlyList<ChangeStep> steps, string activity)
    {
        if (IsWhatIf)
        {
            foreach (var step in steps)
            {
                ShouldProcess(step.Target, $"{step.Action}: {step.Command}");
            }

            return false;
        }

        var applied = new List<ChangeStep>();
        try
        {
            for (var i = 0; i < steps.Count; i++)
            {
                var step = steps[i];
                if (!ShouldProcess(step.Target, $"{step.Action}: {step.Command}"))
                {
                    Undo(applied);
                    return false;
                }

                ShowProgress(activity, step.Action, steps.Count > 0 ? i * 100 / steps.Count : -1);
                WriteVerbose($"{step.Action}: {step.Command}");
                FailIfInjected(i + 1, step);
                Run(step.Apply);
                applied.Add(step);
            }

            return true;
        }
        catch
        {
            Undo(applied);
            throw;
        }
    }

    private readonly HashSet<string> _bridgesToRename = new(StringComparer.Ordinal);

    /// <summary>
    /// Notes that the bridge's members changed. Names are written once per bridge when the
    /// pipeline ends, since writing them reads every member: per item, a pipeline of n members
    /// would cost n² reads.
    /// </summary>
    internal void QueueNameSync(string bridge) => _bridgesToRename.Add(bridge);

    /// <summary>Writes the names of every bridge queued by <see cref="QueueNameSync"/>.</summary>
    internal void SyncQueuedNames()
    {
        foreach (var bridge in _bridgesToRename)
        {
            try
            {
                using var stateLock = LockBridge(bridge);
                SyncNames(bridge);
            }
            catch (Engine.HybridNetException ex)
            {
                WriteWarning($"The names of bridge '{bridge}' could not be updated: {ex.Message}");
            }
        }

        _bridgesToRename.Clear();
    }

    /// <summary>
    /// Brings the bridge's names (dnsmasq DNS records, hosts blocks of member containers) in line
    /// with its members. Names are a convenience on top of a working attachment, so a failure
    /// here is a warning, not a reason to undo the attachment.
    /// </summary>
    internal void SyncNames(string bridge)
    {
        if (!ShouldProcess(bridge, "Update member names: DNS host records in dnsmasq and /etc/hosts of member containers"))
        {
            return;
        }

        try
        {
            foreach (var change in Run(ct => new NameService(Context).SyncAsync(bridge, ct)))
            {
                WriteVerbose(change);
            }
        }
        catch (Engine.HybridNetException ex)
        {
            WriteWarning($"The names of bridge '{bridge}' could not be updated: {ex.Message} Run Repair-HybridBridge {bridge} to retry.");
        }
    }

    /// <summary>
    /// Test hook: when HYBRIDNET_TEST_FAIL_AT_STEP is set to N, step N (counted from 1) of every
    /// change fails instead of running, so tests can prove that the finished steps are undone.
    /// </summary>
    private static void FailIfInjected(int number, ChangeStep step)
    {
        var value = Environment.GetEnvironmentVariable("HYBRIDNET_TEST_FAIL_AT_STEP");
        if (int.TryParse(value, out var failAt) && failAt == number)
        {
            throw new Engine.HybridNetException(
                "InjectedFailure",
                FailureKind.InvalidOperation,
                step.Target,
                $"Step {number} ('{step.Action}') failed on purpose because HYBRIDNET_TEST_FAIL_AT_STEP={number}.");
        }
    }

    /// <summary>Writes a non-terminating error, or a terminating one for environment failures.</summary>
    internal void Report(Engine.HybridNetException ex)
    {
        var record = ErrorMapper.ToErrorRecord(ex);
        if (ex.Kind is FailureKind.ConnectionError or FailureKind.PermissionDenied or FailureKind.NotInstalled)
        {
            ThrowTerminatingError(record);
        }

        WriteError(record);
    }

    internal void ShowProgress(string activity, string status, int percent)
    {
        var record = new ProgressRecord(ProgressActivityId, activity, status) { PercentComplete = Math.Clamp(percent, -1, 100) };
        WriteProgress(record);
        _progressShown = true;
    }

    internal void CompleteProgress()
    {
        if (_progressShown)
        {
            WriteProgress(new ProgressRecord(ProgressActivityId, "HybridNet", "Done") { RecordType = ProgressRecordType.Completed });
            _progressShown = false;
        }
    }

    private void Undo(List<ChangeStep> applied)
    {
        if (applied.Count == 0)
        {
            return;
        }

        // Undo runs even after Ctrl+C, so it gets a token of its own with a bounded wait.
        using var undoCancellation = new CancellationTokenSource(TimeSpan.FromSeconds(Math.Max(30, TimeoutSec)));
        for (var i = applied.Count - 1; i >= 0; i--)
        {
            var step = applied[i];
            if (step.Undo is null)
            {
                continue;
            }

            try
            {
                WriteQuietly(() => WriteVerbose($"Undoing: {step.Action}"));
                step.Undo(undoCancellation.Token).GetAwaiter().GetResult();
            }
            catch (Exception ex)
            {
                WriteQuietly(() => WriteWarning($"Could not undo '{step.Action}' on {step.Target}: {ex.Message}. Remove it by hand."));
            }
        }

        WriteQuietly(Drain);
    }

    /// <summary>
    /// Writes to the pipeline unless it is stopping: after Ctrl+C every Write* throws, and the
    /// undo that follows must still run to the end.
    /// </summary>
    private static void WriteQuietly(Action write)
    {
        try
        {
            write();
        }
        catch (PipelineStoppedException)
        {
        }
    }

    private void Drain()
    {
        while (_pipelineActions.TryTake(out var action))
        {
            action();
        }
    }

    /// <summary>Sends the engine's messages to the pipeline thread.</summary>
    private sealed class PipelineLog : IEngineLog
    {
        private readonly HybridCmdlet _cmdlet;

        public PipelineLog(HybridCmdlet cmdlet)
        {
            _cmdlet = cmdlet;
        }

        public void Verbose(string message) => _cmdlet.Post(() => _cmdlet.WriteVerbose(message));

        public void Warning(string message) => _cmdlet.Post(() => _cmdlet.WriteWarning(message));

        public void Progress(string activity, string status, int percent) =>
            _cmdlet.Post(() => _cmdlet.ShowProgress(activity, status, percent));
    }
}
