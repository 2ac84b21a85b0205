namespace Ledger.Messaging.Hosting;

/// <summary>Leadership among worker processes: one holder at a time, given up when the holder's process dies.</summary>
public interface ILeaderLock
{
    /// <summary>Waits until this process leads. The lease's token is cancelled if leadership is lost.</summary>
    Task<ILeadership> AcquireAsync(CancellationToken cancellationToken);
}

public interface ILeadership : IAsyncDisposable
{
    CancellationToken Lost { get; }
}
