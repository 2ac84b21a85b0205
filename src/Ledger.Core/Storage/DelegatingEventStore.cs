namespace Ledger.Storage;

/// <summary>An event store that hands every call to another: a decorator overrides only what it adds.</summary>
public abstract class DelegatingEventStore(IEventStore inner) : IEventStore
{
    protected IEventStore Inner => inner;

    public virtual Task<AppendResult> AppendAsync(string stream, long expectedVersion, IReadOnlyList<EventToAppend> events, CancellationToken cancellationToken = default) =>
        inner.AppendAsync(stream, expectedVersion, events, cancellationToken);

    public virtual IAsyncEnumerable<StoredEvent> ReadStreamAsync(string stream, long fromVersion = 1, CancellationToken cancellationToken = default) =>
        inner.ReadStreamAsync(stream, fromVersion, cancellationToken);

    public virtual IAsyncEnumerable<StoredEvent> ReadAllAsync(long fromPosition = 1, EventFilter? filter = null, CancellationToken cancellationToken = default) =>
        inner.ReadAllAsync(fromPosition, filter, cancellationToken);

    public virtual IAsyncEnumerable<StoredEvent> SubscribeAsync(long fromPosition = 1, EventFilter? filter = null, CancellationToken cancellationToken = default) =>
        inner.SubscribeAsync(fromPosition, filter, cancellationToken);

    public virtual Task<IReadOnlyList<StreamInfo>> ListStreamsAsync(CancellationToken cancellationToken = default) => inner.ListStreamsAsync(cancellationToken);

    public virtual Task<IReadOnlyDictionary<string, StoredEvent>> FindStatementsAsync(IReadOnlyCollection<string> statementIds, CancellationToken cancellationToken = default) =>
        inner.FindStatementsAsync(statementIds, cancellationToken);

    public virtual T? Feature<T>()
        where T : class => this as T ?? inner.Feature<T>();

    public virtual Task<long> LastPositionAsync(CancellationToken cancellationToken = default) => inner.LastPositionAsync(cancellationToken);

    public async ValueTask DisposeAsync()
    {
        await DisposeCoreAsync();
        GC.SuppressFinalize(this);
    }

    /// <summary>Disposes the inner store; a decorator that holds more disposes that first, then calls this.</summary>
    protected virtual ValueTask DisposeCoreAsync() => inner.DisposeAsync();
}
