using Npgsql;

namespace Ledger.Store.Marten.ReadModels;

/// <summary>
/// Keeps the read models' position in memory while a connection listens on <see cref="ReadModelLocks.Channel"/>, so that
/// a server answering the same pages again (ReadModelAnswers) asks PostgreSQL nothing until a writer commits. Every
/// writer of the read models notifies in its transaction; a notification forgets the position, and the next reader
/// reads it anew. Without a listening connection (not yet started, lost, reconnecting) every reader reads it anew.
/// An append made through this process forgets it itself, before the append returns: this process reads its own writes.
/// </summary>
internal sealed class ReadModelPositionWatch(NpgsqlDataSource dataSource) : IAsyncDisposable
{
    private readonly CancellationTokenSource stop = new();
    private readonly Lock gate = new();
    private Task? listening;
    private bool connected;
    private long generation;
    private long? known;

    /// <summary>The payload of the latest notification received: PostgreSQL delivers them in commit order, so one sent last marks all before it received.</summary>
    internal string? LastPayload { get; private set; }

    /// <summary>Whether a connection listens, so that positions read are kept.</summary>
    internal bool Listening
    {
        get
        {
            lock (gate)
            {
                return connected;
            }
        }
    }

    /// <summary>The position the read models reflect: the one kept, or <paramref name="read"/>'s, kept if nothing changed meanwhile.</summary>
    public async Task<long> PositionAsync(Func<CancellationToken, Task<long>> read, CancellationToken cancellationToken)
    {
        long seen;
        lock (gate)
        {
            listening ??= Task.Run(() => ListenAsync(stop.Token), CancellationToken.None);
            if (connected && known is { } position)
            {
                return position;
            }

            seen = generation;
        }

        var fresh = await read(cancellationToken);
        lock (gate)
        {
            // A notification that came while reading may be for a commit the read did not see.
            if (connected && generation == seen)
            {
                known = fresh;
            }
        }

        return fresh;
    }

    /// <summary>Forgets the position: the read models changed, or may have.</summary>
    public void Forget()
    {
        lock (gate)
        {
            generation++;
            known = null;
        }
    }

    public async ValueTask DisposeAsync()
    {
        await stop.CancelAsync();
        if (listening is { } task)
        {
            await task;
        }

        stop.Dispose();
    }

    private Task ListenAsync(CancellationToken cancellationToken) => PostgresListener.ListenAsync(
        dataSource,
        ReadModelLocks.Channel,
        payload =>
        {
            LastPayload = payload;
            Forget();
        },
        SetConnected,
        cancellationToken);

    private void SetConnected(bool value)
    {
        lock (gate)
        {
            connected = value;
            generation++;
            known = null;
        }
    }
}
