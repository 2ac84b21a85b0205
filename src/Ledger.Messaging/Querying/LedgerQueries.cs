using Ledger.Events;
using Ledger.Projections;
using Ledger.Projections.ReadModels;
using Ledger.Storage;

namespace Ledger.Querying;

/// <summary>
/// The one query service of the CLI, the API and the dashboard. The current view (no known-at, as of now or later) is
/// read from the backend's stored read models; an earlier as-of or a known-at folds the events with the pure
/// projections, one matter's for a matter, every matter's for a list, which then pages the same way.
/// </summary>
public sealed class LedgerQueries(IEventStore store)
{
    /// <summary>The backend's stored read models; null for a store that keeps none, whose reads all fold the events.</summary>
    public IReadModelStore? ReadModels => store.Feature<IReadModelSource>()?.ReadModels;

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
                ? $"no matter \"{matter}\" in the ledger"
                : $"matter \"{matter}\" was not yet recorded at {Importing.Timestamps.Format(knownAt!.Value)}");
    }

    /// <summary>A matter's status: the stored one for the current view, else the fold of its events.</summary>
    /// <exception cref="NotFoundException">The matter is unknown, or was not yet opened at the known-at time.</exception>
    public async Task<Positioned<MatterStatus>> StatusAsync(string matter, ReadTime time, CancellationToken cancellationToken)
    {
        if (time.Current && ReadModels is { } models)
        {
            var position = await models.PositionAsync(cancellationToken);
            if (await models.MatterAsync(matter, cancellationToken) is { } stored && !(stored.Row.LastPublishedAt > time.AsOf))
            {
                return new(MatterReadModel.Render(stored.Status, time.AsOf), position, Stored: true);
            }
        }

        var events = await MatterEventsAsync(matter, cancellationToken);
        var timeline = MatterTimeline.Build(events, time.KnownAt)
            ?? throw new NotFoundException(events.Count == 0
                ? $"no matter \"{matter}\" in the ledger"
                : $"matter \"{matter}\" was not yet recorded at {Importing.Timestamps.Format(time.KnownAt!.Value)}");
        ExistedBy(timeline, time.AsOf);
        return new(MatterViews.Status(timeline, time.AsOf), events.Max(e => e.Position));
    }

    /// <summary>A matter exists from its first publication on: before it, nothing had been said about it.</summary>
    /// <exception cref="NotFoundException">No statement of the matter was published by <paramref name="asOf"/>.</exception>
    public static void ExistedBy(MatterTimeline timeline, DateTimeOffset asOf)
    {
        if (timeline.Entries.Count == 0)
        {
            throw new NotFoundException($"matter \"{timeline.Matter}\" is opened but holds no statement yet");
        }

        if (!timeline.PublishedBy(asOf).Any())
        {
            throw new NotFoundException(
                $"matter \"{timeline.Matter}\" did not exist yet as of {Importing.Timestamps.Format(asOf)}: its first statement was published {Importing.Timestamps.Format(timeline.Entries[0].Statement.PublishedAt)}");
        }
    }

    /// <summary>Matters newest first; render a row with <see cref="MatterRow.Render"/> for the day of the query.</summary>
    public async Task<Page<MatterRow>> MattersAsync(MatterQuery query, ReadTime time, CancellationToken cancellationToken)
    {
        if (time.Current && ReadModels is { } models)
        {
            return await models.MattersAsync(query, cancellationToken);
        }

        var (rows, position) = await FoldRowsAsync(time, cancellationToken);
        var after = query.After is { } cursor ? PageCursor.ParseMatter(cursor) : long.MaxValue;
        var items = rows.Select(r => r.Row).Where(r => r.Opened < after
                && (query.Organization is null || r.Organization == query.Organization)
                && (query.Phase is null || r.Phase == query.Phase)
                && (query.OverdueOn is not { } day || r.OverdueOn(day) > 0))
            .OrderByDescending(r => r.Opened)
            .Take(query.Limit + 1)
            .ToList();
        return PageCursor.PageOf(items, query.Limit, position, PageCursor.Of);
    }

    public async Task<Page<TrackedPromise>> PromisesAsync(PromiseQuery query, ReadTime time, CancellationToken cancellationToken)
    {
        if (time.Current && ReadModels is { } models)
        {
            return await models.PromisesAsync(query, cancellationToken);
        }

        var (rows, position) = await FoldRowsAsync(time, cancellationToken);
        var after = query.After is { } cursor ? PageCursor.ParsePromise(cursor) : default((DateOnly, string, string)?);
        var items = rows.SelectMany(r => r.Promises)
            .Select(p => p.Render(query.Today))
            .Where(p => (query.Organization is null || p.Organization == query.Organization)
                && (query.Matter is null || p.Matter == query.Matter)
                && (query.Status is null || p.Status == query.Status)
                && (query.DueBefore is not { } before || p.DueBy < before)
                && (after is not { } a || Compare(p, a) > 0))
            .OrderBy(p => p.DueBy).ThenBy(p => p.Matter, StringComparer.Ordinal).ThenBy(p => p.Id, StringComparer.Ordinal)
            .Take(query.Limit + 1)
            .ToList();
        return PageCursor.PageOf(items, query.Limit, position, PageCursor.Of);
    }

    public async Task<Page<OrganizationSummary>> OrganizationsAsync(OrganizationQuery query, ReadTime time, CancellationToken cancellationToken)
    {
        if (time.Current && ReadModels is { } models)
        {
            return await models.OrganizationsAsync(query, cancellationToken);
        }

        var (rows, position) = await FoldRowsAsync(time, cancellationToken);
        var after = query.After is { } cursor ? PageCursor.ParseOrganization(cursor) : null;
        var items = rows
            .GroupBy(r => r.Row.Organization, StringComparer.Ordinal)
            .Where(g => (after is null || string.CompareOrdinal(g.Key, after) > 0) && (query.Name is null || g.Key == query.Name))
            .OrderBy(g => g.Key, StringComparer.Ordinal)
            .Take(query.Limit + 1)
            .Select(g => g.Aggregate((OrganizationRow?)null, (o, r) => OrganizationRow.Evolve(o, null, r.Row))!
                .Render(g.Sum(r => r.Row.OverdueOn(query.Today))))
            .ToList();
        return PageCursor.PageOf(items, query.Limit, position, PageCursor.Of);
    }

    /// <summary>The board's counts: from the read models for the current view, else from the fold.</summary>
    public async Task<LedgerCounts> CountsAsync(ReadTime time, CancellationToken cancellationToken)
    {
        if (time.Current && ReadModels is { } models)
        {
            return await models.CountsAsync(time.Today, cancellationToken);
        }

        var (rows, position) = await FoldRowsAsync(time, cancellationToken);
        var overdue = rows.Sum(r => r.Row.OverdueOn(time.Today));
        return new LedgerCounts(rows.Count, rows.Sum(r => r.Row.Promises.Open) - overdue, overdue, position);
    }

    public async Task<IReadOnlyList<MatterTimeline>> AllTimelinesAsync(DateTimeOffset? knownAt, CancellationToken cancellationToken) =>
        (await AllEventsAsync(cancellationToken)).Events.Values
            .Select(events => MatterTimeline.Build(events, knownAt))
            .OfType<MatterTimeline>()
            .OrderBy(t => t.Matter, StringComparer.Ordinal)
            .ToList();

    /// <summary>Every matter that existed by <paramref name="asOf"/> (one of its statements was published by then), with its status.</summary>
    public async Task<IReadOnlyList<MatterStatus>> AllStatusesAsync(DateTimeOffset asOf, DateTimeOffset? knownAt, CancellationToken cancellationToken) =>
        (await AllTimelinesAsync(knownAt, cancellationToken)).Where(t => t.PublishedBy(asOf).Any()).Select(t => MatterViews.Status(t, asOf)).ToList();

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

    private static int Compare(TrackedPromise p, (DateOnly DueBy, string Matter, string Id) key)
    {
        var byDue = p.DueBy.CompareTo(key.DueBy);
        var byMatter = string.CompareOrdinal(p.Matter, key.Matter);
        return byDue != 0 ? byDue : byMatter != 0 ? byMatter : string.CompareOrdinal(p.Id, key.Id);
    }

    private async Task<(Dictionary<string, List<Recorded>> Events, long Position)> AllEventsAsync(CancellationToken cancellationToken)
    {
        var byMatter = new Dictionary<string, List<Recorded>>(StringComparer.Ordinal);
        var position = 0L;
        await foreach (var stored in store.ReadAllAsync(1, null, cancellationToken))
        {
            if (!byMatter.TryGetValue(stored.Stream, out var list))
            {
                byMatter[stored.Stream] = list = [];
            }

            list.Add(EventEnvelope.ToRecorded(stored));
            position = stored.Position;
        }

        return (byMatter, position);
    }

    /// <summary>Every matter's row and promises as of a time and known at a time, folded from the events; a matter not yet published then is left out.</summary>
    private async Task<(List<FoldedMatter> Rows, long Position)> FoldRowsAsync(ReadTime time, CancellationToken cancellationToken)
    {
        var (byMatter, position) = await AllEventsAsync(cancellationToken);
        var rows = new List<FoldedMatter>();
        foreach (var events in byMatter.Values)
        {
            var known = events.Where(e => time.KnownAt is not { } k || e.Event.RecordedAt <= k).ToList();
            if (MatterTimeline.Build(known) is { } timeline && timeline.PublishedBy(time.AsOf).Any())
            {
                var status = MatterViews.Status(timeline, time.AsOf);
                var promises = PromiseRow.Of(status);
                rows.Add(new FoldedMatter(MatterRow.Of(status, promises, known.Min(e => e.Position), known.Max(e => e.Position)), promises));
            }
        }

        return (rows, position);
    }

    private sealed record FoldedMatter(MatterRow Row, IReadOnlyList<PromiseRow> Promises);
}

/// <summary>
/// The times of a query: as of a publication time, known at a recording time, asked at <paramref name="Now"/>. The
/// current view, which the read models hold, is as of now or later and known now.
/// </summary>
public sealed record ReadTime(DateTimeOffset AsOf, DateTimeOffset? KnownAt, DateTimeOffset Now)
{
    public bool Current => KnownAt is null && AsOf >= Now;

    public DateOnly Today => DateOnly.FromDateTime(AsOf.UtcDateTime);
}

/// <summary>An answer with the global log position it reflects.</summary>
/// <summary>An answer with the log position it reflects; <see cref="Stored"/> when read from the stored read models.</summary>
public sealed record Positioned<T>(T Value, long Position, bool Stored = false);

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
