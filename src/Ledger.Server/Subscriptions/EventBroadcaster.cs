using System.Threading.Channels;
using Ledger.Messaging.Notifying;
using Ledger.Storage;

namespace Ledger.Server.Subscriptions;

/// <summary>
/// One subscription to the store, fanned out to every live client, so that a thousand clients cost one reader.
/// A client joins before it reads its history, then skips what it has already sent: no gap, no duplicate. Promise
/// notices, read from the notification feed as it grows, go out after the event they were decided at. Where the
/// backend relays the log itself (<see cref="FollowRelay"/>), events go out as the relay enters them in the feed,
/// which tells of each entry as it commits; elsewhere the store's own subscription brings them.
/// </summary>
public sealed class EventBroadcaster(IEventStore store, INotificationFeed feed, ILogger<EventBroadcaster> logger) : BackgroundService
{
    private readonly Lock gate = new();
    private readonly Lock publishing = new();
    private readonly List<Listener> listeners = [];
    private readonly List<Notification> pendingNotices = [];
    private readonly TaskCompletionSource started = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private long head;

    /// <summary>Events a slow client may fall behind by before it is cut off (it then resumes with Last-Event-ID).</summary>
    public int ClientBuffer { get; init; } = 10_000;

    /// <summary>How often the notification feed is read when it cannot tell of new entries.</summary>
    public TimeSpan NoticePoll { get; init; } = TimeSpan.FromSeconds(1);

    /// <summary>Events go out once the backend's relay has entered them in the feed, rather than from the store's subscription.</summary>
    public bool FollowRelay { get; init; }

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
        var listener = new Listener(this, filter, Channel.CreateBounded<LedgerItem>(new BoundedChannelOptions(ClientBuffer) { SingleReader = true, FullMode = BoundedChannelFullMode.Wait }));
        lock (gate)
        {
            listeners.Add(listener);
        }

        return listener;
    }

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        Interlocked.Exchange(ref head, await store.LastPositionAsync(stoppingToken));
        var noticesAfter = 0L;
        await foreach (var n in feed.ReadNoticesAsync(0, stoppingToken))
        {
            noticesAfter = n.Sequence;
        }

        started.TrySetResult();
        var notices = PollNoticesAsync(noticesAfter, stoppingToken);
        while (!stoppingToken.IsCancellationRequested)
        {
            try
            {
                if (FollowRelay)
                {
                    await FollowRelayAsync(stoppingToken);
                }
                else
                {
                    await foreach (var e in store.SubscribeAsync(Head + 1, null, stoppingToken))
                    {
                        PublishEvent(e);
                    }
                }
            }
            catch (Exception ex) when (ex is System.Data.Common.DbException or IOException)
            {
                logger.LogWarning("live subscription interrupted ({Message}); resuming after position {Head}", ex.Message, Head);
                await Task.Delay(TimeSpan.FromSeconds(1), stoppingToken);
            }
        }

        await notices;
    }

    /// <summary>The events the relay has entered, each time the feed tells of new entries.</summary>
    private async Task FollowRelayAsync(CancellationToken stoppingToken)
    {
        while (!stoppingToken.IsCancellationRequested)
        {
            var next = feed.NextEntryAsync(NoticePoll, stoppingToken);
            var relayed = await feed.RelayedThroughAsync(stoppingToken);
            if (relayed > Head)
            {
                await foreach (var e in store.ReadAllAsync(Head + 1, null, stoppingToken))
                {
                    if (e.Position > relayed)
                    {
                        break;
                    }

                    PublishEvent(e);
                }
            }

            await next;
        }
    }

    private void PublishEvent(StoredEvent e)
    {
        lock (publishing)
        {
            PublishNotices(before: e.Position);
            Publish(new LedgerItem(e, null));
            Interlocked.Exchange(ref head, e.Position);
        }
    }

    /// <summary>New notices wait until the event they follow has gone out.</summary>
    private async Task PollNoticesAsync(long after, CancellationToken stoppingToken)
    {
        var next = Task.CompletedTask;
        while (!stoppingToken.IsCancellationRequested)
        {
            try
            {
                await next;
                next = feed.NextEntryAsync(NoticePoll, stoppingToken);
                var fresh = new List<Notification>();
                await foreach (var n in feed.ReadNoticesAsync(after, stoppingToken))
                {
                    fresh.Add(n);
                    after = n.Sequence;
                }

                lock (publishing)
                {
                    pendingNotices.AddRange(fresh);
                    PublishNotices(before: Head + 1);
                }
            }
            catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
            {
                return;
            }
            catch (Exception ex) when (ex is System.Data.Common.DbException or IOException)
            {
                logger.LogWarning("reading promise notices failed ({Message}); trying again", ex.Message);
            }
        }
    }

    private void PublishNotices(long before)
    {
        foreach (var notice in pendingNotices.Where(n => PromiseNotices.PositionOf(n) < before).ToList())
        {
            Publish(new LedgerItem(null, notice));
            pendingNotices.Remove(notice);
        }
    }

    private void Publish(LedgerItem item)
    {
        Listener[] current;
        lock (gate)
        {
            current = [.. listeners];
        }

        foreach (var listener in current)
        {
            var matches = item.Event is { } e ? listener.Filter.Matches(e) : PromiseNotices.Matches(listener.Filter, item.Notice!);
            if (matches && !listener.Channel.Writer.TryWrite(item))
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

    public sealed class Listener(EventBroadcaster owner, EventFilter filter, Channel<LedgerItem> channel) : IDisposable
    {
        public EventFilter Filter { get; } = filter;

        internal Channel<LedgerItem> Channel { get; } = channel;

        public ChannelReader<LedgerItem> Events => Channel.Reader;

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
