using JasperFx.Events.Daemon;

namespace Ledger.Store.Marten;

/// <summary>
/// A worker's leadership on a Marten ledger: the worker whose async daemon runs leads. In hot/cold mode Marten starts
/// the daemon on the one worker that holds its advisory lock, and stops it when that worker loses the lock, so the
/// worker that relays the log (a subscription in the daemon) is also the one that signs checkpoints.
/// </summary>
internal sealed class DaemonLeadership(IProjectionCoordinator coordinator) : ILeaderLock
{
    public TimeSpan CheckInterval { get; init; } = TimeSpan.FromSeconds(1);

    public async Task<ILeadership> AcquireAsync(CancellationToken cancellationToken)
    {
        while (!Leading())
        {
            await Task.Delay(CheckInterval, cancellationToken);
        }

        return new Lease(this);
    }

    private bool Leading() => coordinator.DaemonForMainDatabase().IsRunning;

    private sealed class Lease : ILeadership
    {
        private readonly CancellationTokenSource lost = new();
        private readonly Task watch;

        public Lease(DaemonLeadership leadership) => watch = WatchAsync(leadership);

        public CancellationToken Lost => lost.Token;

        public async ValueTask DisposeAsync()
        {
            await lost.CancelAsync();
            await watch;
            lost.Dispose();
        }

        private async Task WatchAsync(DaemonLeadership leadership)
        {
            try
            {
                while (!lost.IsCancellationRequested)
                {
                    await Task.Delay(leadership.CheckInterval, lost.Token);
                    if (!leadership.Leading())
                    {
                        await lost.CancelAsync();
                    }
                }
            }
            catch (OperationCanceledException)
            {
            }
        }
    }
}
