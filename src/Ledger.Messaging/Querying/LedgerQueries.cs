using Ledger.Events;
using Ledger.Projections;
using Ledger.Storage;

namespace Ledger.Querying;

/// <summary>Reads events from the store and hands them to the pure projections.</summary>
public sealed class LedgerQueries(IEventStore store)
{
    public async Task<List<Recorded>> MatterEventsAsync(string matter, CancellationToken cancellationToken)
    {
        var events = new List<Recorded>();
        await foreach (var stored in store.ReadStreamAsync(matter, 1, cancellationToken))
        {
            events.Add(EventEnvelope.ToRecorded(stored));
        }

        return events;
    }

    /// <exception cref="NotFoundException">The matter is unknown, or was not yet opened at <paramref name="knownAt"/>.</exception>
    public async Task<MatterTimeline> TimelineAsync(string matter, DateTimeOffset? knownAt, CancellationToken cancellationToken)
    {
        var events = await MatterEventsAsync(matter, cancellationToken);
        return MatterTimeline.Build(events, knownAt)
            ?? throw new NotFoundException(events.Count == 0
                ? $"no matter \"{matter}\" in the ledger (see: ledger matters)"
                : $"matter \"{matter}\" was not yet recorded at {Importing.Timestamps.Format(knownAt!.Value)}");
    }

    public async Task<IReadOnlyList<MatterTimeline>> AllTimelinesAsync(DateTimeOffset? knownAt, CancellationToken cancellationToken)
    {
        var byMatter = new Dictionary<string, List<Recorded>>(StringComparer.Ordinal);
        await foreach (var stored in store.ReadAllAsync(1, null, cancellationToken))
        {
            if (!byMatter.TryGetValue(stored.Stream, out var list))
            {
                byMatter[stored.Stream] = list = [];
            }

            list.Add(EventEnvelope.ToRecorded(stored));
        }

        return byMatter.Keys.Order(StringComparer.Ordinal)
            .Select(m => MatterTimeline.Build(byMatter[m], knownAt))
            .OfType<MatterTimeline>()
            .ToList();
    }

    public async Task<IReadOnlyList<MatterStatus>> AllStatusesAsync(DateTimeOffset asOf, DateTimeOffset? knownAt, CancellationToken cancellationToken) =>
        (await AllTimelinesAsync(knownAt, cancellationToken)).Select(t => MatterViews.Status(t, asOf)).ToList();

    /// <summary>A statement as the ledger holds it now, with any corrections applied.</summary>
    public async Task<Statement> StatementAsync(string statementId, CancellationToken cancellationToken)
    {
        var found = await store.FindStatementsAsync([statementId], cancellationToken);
        if (!found.TryGetValue(statementId, out var stored))
        {
            throw new NotFoundException($"no statement \"{statementId}\" in the ledger");
        }

        var timeline = await TimelineAsync(stored.Stream, null, cancellationToken);
        return timeline.Entries.Single(e => e.Statement.StatementId == statementId).Statement;
    }
}

/// <summary>A matter, statement or version the user named does not exist (the CLI exits 2, the server answers 404).</summary>
public sealed class NotFoundException(string message) : Exception(message)
{
    public NotFoundException()
        : this("not found")
    {
    }

    public NotFoundException(string message, Exception innerException)
        : this(message + ": " + innerException.Message)
    {
    }
}
