using System.Threading.Channels;
using Ledger.Storage;

namespace Ledger.Server.Subscriptions;

/// <summary>
/// One subscription to the store, fanned out to every live client, so that a thousand clients cost one reader.
/// A client joins before it reads its history, then skips what it has already sent: no gap, no duplicate.
/// </summary>
public sealed class EventBroadcaster(IEventStore store, ILogger<EventBroadcaster> logger) : BackgroundService
{
    private readonly Lock gate = new();
    private readonly List<Listener> listeners = [];
    private readonly TaskCompletionSource started = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private long head;

    /// <summary>Events a slow client may fall behind by before it is cut off (it then resumes with Last-Event-ID).</summary>
    public int ClientBuffer { get; init; } = 10_000;

    /// <summary>The last position seen in the log.</summary>
    public long Head => Interlocked.Read(ref head);

    public int Listeners
    {
        get
        {
            lock (gate)
            {
                return listeners.Count;
            }
        }
    }

    /// <summary>Live events from now on; read history from the store after joining.</summary>
    public async Task<Listener> JoinAsync(EventFilter filter, CancellationToken cancellationToken)
    {
        await started.Task.WaitAsync(cancellationToken);
        var listener = new Listener(this, filter, Channel.CreateBounded<StoredEvent>(new BoundedChannelOptions(ClientBuffer) { SingleReader = true, FullMode = BoundedChannelFullMode.Wait }));
        lock (gate)
        {
            listeners.Add(listener);
        }

        return listener;
    }

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        Interlocked.Exchange(ref head, await store.LastPositionAsync(stoppingToken));

        started.TrySetResult();
        while (!stoppingToken.IsCancellationRequested)
        {
            try
            {
                await foreach (var e in store.SubscribeAsync(Head + 1, null, stoppingToken))
                {
                    Publish(e);
                    Interlocked.Exchange(ref head, e.Position);
                }
            }
            catch (Exception ex) when (ex is System.Data.Common.DbException or IOException)
            {
                logger.LogWarning("live subscription interrupted ({Message}); resuming after position {Head}", ex.Message, Head);
                await Task.Delay(TimeSpan.FromSeconds(1), stoppingToken);
            }
        }
    }

    private void Publish(StoredEvent e)
    {
        Listener[] current;
        lock (gate)
        {
            current = [.. listeners];
        }

        foreach (var listener in current)
        {
            if (listener.Filter.Matches(e) && !listener.Channel.Writer.TryWrite(e))
            {
                // Too far behind: cut it off rather than hold everyone back; the client resumes from its last id.
                listener.Channel.Writer.TryComplete(new ClientTooSlowException());
                Leave(listener);
            }
        }
    }

    private void Leave(Listener listener)
    {
        lock (gate)
        {
            listeners.Remove(listener);
        }
    }

    public sealed class Listener(EventBroadcaster owner, EventFilter filter, Channel<StoredEvent> channel) : IDisposable
    {
        public EventFilter Filter { get; } = filter;

        internal Channel<StoredEvent> Channel { get; } = channel;

        public ChannelReader<StoredEvent> Events => Channel.Reader;

        public void Dispose() => owner.Leave(this);
    }
}

public sealed class ClientTooSlowException : Exception
{
    public ClientTooSlowException()
        : base("the client fell too far behind the live events")
    {
    }

    public ClientTooSlowException(string message)
        : base(message)
    {
    }

    public ClientTooSlowException(string message, Exception innerException)
        : base(message, innerException)
    {
    }
}
