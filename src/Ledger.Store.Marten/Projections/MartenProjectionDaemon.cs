using JasperFx.Events.Daemon;

namespace Ledger.Store.Marten.Projections;

/// <summary>Marten's async daemon running the ledger's async projections; disposing stops it.</summary>
public sealed class MartenProjectionDaemon(IProjectionDaemon daemon) : IAsyncDisposable
{
    /// <summary>Waits until every async projection has processed every event appended so far.</summary>
    public Task CatchUpAsync(TimeSpan timeout) => daemon.WaitForNonStaleData(timeout);

    public async ValueTask DisposeAsync()
    {
        await daemon.StopAllAsync();
        daemon.Dispose();
    }
}
