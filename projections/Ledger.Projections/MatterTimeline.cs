using Ledger.Events;
using Ledger.Importing;
using Ledger.Storage;

namespace Ledger.Projections;

/// <summary>One statement in its place in a matter's history, as corrected by what the ledger knew, with its archived source if it had one.</summary>
public sealed record TimelineEntry(long Position, Statement Statement, IReadOnlyList<string> CorrectedBy, ArchivedSource? ArchivedSource = null);

/// <summary>A matter as the ledger knew it at some recording time: its statements in publication order.</summary>
public sealed record MatterTimeline(string Matter, string Organization, string Title, IReadOnlyList<TimelineEntry> Entries)
{
    /// <summary>
    /// Builds the timeline from a matter's recorded events. Only events recorded by <paramref name="knownAt"/> count
    /// (all when null), so corrections apply from their recording on. Statements are ordered by publication
    /// time, ties by recording position, so a backfilled statement takes its place in history.
    /// Returns null when the matter was not yet opened at that time.
    /// </summary>
    public static MatterTimeline? Build(IEnumerable<Recorded> events, DateTimeOffset? knownAt = null)
    {
        MatterOpened? opened = null;
        var statements = new Dictionary<string, (long Position, Statement Statement, List<string> CorrectedBy)>(StringComparer.Ordinal);
        var corrections = new List<EntryCorrected>();
        var sources = new Dictionary<string, SourceArchived>(StringComparer.Ordinal);
        foreach (var recorded in events.OrderBy(r => r.Position))
        {
            if (knownAt is { } limit && recorded.Event.RecordedAt > limit)
            {
                continue;
            }

            switch (recorded.Event)
            {
                case MatterOpened o:
                    opened = o;
                    break;
                case Statement s:
                    statements[s.StatementId] = (recorded.Position, s, []);
                    if (s is EntryCorrected c)
                    {
                        corrections.Add(c);
                    }

                    break;
                case SourceArchived a:
                    sources[a.SourceOf] = a;
                    break;
                default:
                    throw new InvalidOperationException($"no timeline rule for event {recorded.Event.GetType().Name} at position {recorded.Position}");
            }
        }

        if (opened is null)
        {
            return null;
        }

        foreach (var correction in corrections)
        {
            if (!statements.TryGetValue(correction.Corrects, out var target))
            {
                throw new InvalidOperationException($"correction {correction.StatementId} names {correction.Corrects}, which matter {opened.Matter} does not hold");
            }

            var corrected = StatementCorrections.Apply(target.Statement, correction.Changes, (field, message) =>
                throw new InvalidOperationException($"correction {correction.StatementId} of {correction.Corrects} is invalid: {field} {message}"));
            target.CorrectedBy.Add(correction.StatementId);
            statements[correction.Corrects] = (target.Position, corrected!, target.CorrectedBy);
        }

        var entries = statements.Values
            .OrderBy(s => s.Statement.PublishedAt)
            .ThenBy(s => s.Position)
            .Select(s => new TimelineEntry(s.Position, s.Statement, s.CorrectedBy, sources.TryGetValue(s.Statement.StatementId, out var a) ? ArchivedSource.Of(a) : null))
            .ToList();
        return new MatterTimeline(opened.Matter, opened.Organization, opened.Title, entries);
    }

    /// <summary>The entries published by a time: what had been said by then.</summary>
    public IEnumerable<TimelineEntry> PublishedBy(DateTimeOffset asOf) => Entries.TakeWhile(e => e.Statement.PublishedAt <= asOf);
}
