using System;
using System.IO;
using System.Runtime.InteropServices;
using System.Threading;
using System.Threading.Tasks;
using Microsoft.Win32.SafeHandles;

namespace HybridNet.Engine.Host;

/// <summary>
/// Runs code inside another network namespace without any tool in it. A fresh thread joins
/// the namespace with setns(2), which changes only that thread. Sockets it opens stay in that
/// namespace for their whole life, so probes start from a container's own network stack even
/// when the image has no ping binary.
/// </summary>
public static class NetworkNamespace
{
    // From linux/sched.h.
    private const int CloneNewNet = 0x40000000;

    /// <summary>The namespace file of a process, as the kernel exposes it under /proc.</summary>
    public static string PathOfProcess(int pid) => $"/proc/{pid}/ns/net";

    /// <summary>Runs <paramref name="action"/> on a new thread that has joined the namespace.</summary>
    public static Task<T> RunAsync<T>(string namespacePath, Func<T> action, CancellationToken cancellationToken)
    {
        cancellationToken.ThrowIfCancellationRequested();
        var completion = new TaskCompletionSource<T>(TaskCreationOptions.RunContinuationsAsynchronously);
        var thread = new Thread(() =>
        {
            try
            {
                completion.SetResult(RunOnCurrentThread(namespacePath, action));
            }
            catch (Exception ex)
            {
                completion.SetException(ex);
            }
        })
        {
            IsBackground = true,
            Name = "HybridNet netns probe",
        };
        thread.Start();
        return completion.Task;
    }

    private static T RunOnCurrentThread<T>(string namespacePath, Func<T> action)
    {
        using var original = OpenNamespace("/proc/thread-self/ns/net");
        using var target = OpenNamespace(namespacePath);
        Enter(target, namespacePath);
        try
        {
            return action();
        }
        finally
        {
            // The thread ends right after this, but returning to the original namespace keeps
            // the runtime from ever reusing a thread that sits in a container's namespace.
            Enter(original, "/proc/thread-self/ns/net");
        }
    }

    private static SafeFileHandle OpenNamespace(string path)
    {
        try
        {
            return File.OpenHandle(path, FileMode.Open, FileAccess.Read);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            throw new HybridNetException(
                ErrorIds.NamespaceEntryFailed,
                ex is UnauthorizedAccessException ? FailureKind.PermissionDenied : FailureKind.ObjectNotFound,
                path,
                Messages.NamespaceOpenFailed(path, ex.Message),
                Messages.RunAsRootAction,
                ex);
        }
    }

    private static void Enter(SafeFileHandle handle, string path)
    {
        var added = false;
        handle.DangerousAddRef(ref added);
        try
        {
            if (setns((int)handle.DangerousGetHandle(), CloneNewNet) != 0)
            {
                var errno = Marshal.GetLastPInvokeError();
                throw new HybridNetException(
                    ErrorIds.NamespaceEntryFailed,
                    errno == 1 ? FailureKind.PermissionDenied : FailureKind.InvalidOperation,
                    path,
                    Messages.NamespaceEnterFailed(path, errno),
                    Messages.RunAsRootAction);
            }
        }
        finally
        {
            if (added)
            {
                handle.DangerousRelease();
            }
        }
    }

    [DllImport("libc", SetLastError = true)]
    private static extern int setns(int fd, int nstype);
}
