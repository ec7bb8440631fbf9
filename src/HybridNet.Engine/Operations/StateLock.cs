using System;
using System.IO;
using System.Threading;
using System.Threading.Tasks;

namespace HybridNet.Engine.Operations;

/// <summary>
/// Serialises changes to one hybrid bridge across threads and processes. .NET on Linux backs
/// FileShare.None with an exclusive flock(2), so parallel runspaces and separate pwsh processes
/// wait for each other. The kernel drops the lock if the holder dies.
/// </summary>
public sealed class StateLock : IDisposable
{
    public const string Directory = "/run/hybridnet/locks";
    private static readonly TimeSpan RetryInterval = TimeSpan.FromMilliseconds(20);
    private readonly FileStream _stream;

    private StateLock(FileStream stream)
    {
        _stream = stream;
    }

    public static async Task<StateLock> AcquireAsync(string bridge, TimeSpan timeout, CancellationToken cancellationToken)
    {
        System.IO.Directory.CreateDirectory(Directory);
        var path = Path.Combine(Directory, bridge + ".lock");
        var deadline = DateTime.UtcNow + timeout;
        while (true)
        {
            try
            {
                return new StateLock(new FileStream(path, FileMode.OpenOrCreate, FileAccess.ReadWrite, FileShare.None));
            }
            catch (IOException) when (DateTime.UtcNow < deadline)
            {
                await Task.Delay(RetryInterval, cancellationToken).ConfigureAwait(false);
            }
            catch (IOException ex)
            {
                throw new HybridNetException(
                    ErrorIds.StateLockTimedOut,
                    FailureKind.OperationTimeout,
                    bridge,
                    Messages.StateLockTimedOut(bridge, timeout),
                    null,
                    ex);
            }
        }
    }

    public void Dispose() => _stream.Dispose();
}
