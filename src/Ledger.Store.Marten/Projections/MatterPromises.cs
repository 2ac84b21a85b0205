using Ledger.Projections;
using Ledger.Storage;

namespace Ledger.Store.Marten.Projections;

/// <summary>A matter's promises as the pure fold had them after a publication time at which they changed.</summary>
public sealed record PromiseCheckpoint(DateTimeOffset Since, IReadOnlyList<PromiseFold> Promises);

/// <summary>
/// One matter as the cross-matter views keep it: what PromiseTracker and OrganizationSummaries read of its status (the
/// matter, its organization, its promises) for every publication time, so that any as-of query renders from it.
/// </summary>
public sealed record MatterPromises(
    string Matter,
    string Organization,
    string Title,
    long Version,
    DateTimeOffset KnownThrough,
    IReadOnlyList<PromiseCheckpoint> Checkpoints)
{
    public bool HasPromises => Checkpoints.Any(c => c.Promises.Count > 0);

    /// <summary>Folds the matter's timeline with the pure StatusFold and keeps its promises at each publication time; null before the matter is opened.</summary>
    public static MatterPromises? Of(IReadOnlyList<Recorded> events, long version)
    {
        if (MatterTimeline.Build(events) is not { } timeline)
        {
            return null;
        }

        var statements = timeline.Entries.Select(e => e.Statement).ToList();
        var fold = StatusFold.Empty(timeline.Matter, timeline.Organization, timeline.Title);
        var checkpoints = new List<PromiseCheckpoint>();
        IReadOnlyList<PromiseFold> last = [];
        for (var i = 0; i < statements.Count; i++)
        {
            fold = StatusFold.Evolve(fold, statements[i]);

            // An as-of query folds every statement published by then, so only the state after the last of equal times counts.
            var endOfInstant = i == statements.Count - 1 || statements[i + 1].PublishedAt != statements[i].PublishedAt;
            if (endOfInstant && !fold.Promises.SequenceEqual(last))
            {
                last = fold.Promises;
                checkpoints.Add(new PromiseCheckpoint(statements[i].PublishedAt, last));
            }
        }

        return new MatterPromises(timeline.Matter, timeline.Organization, timeline.Title, version, MatterEvents.KnownThrough(events), checkpoints);
    }

    /// <summary>
    /// The matter's status as of a time as far as the cross-matter views read it: the promises rendered by StatusFold at
    /// that time (overdue against the query's date); the other parts are left empty.
    /// </summary>
    public MatterStatus StatusAt(DateTimeOffset asOf)
    {
        var promises = Checkpoints.LastOrDefault(c => c.Since <= asOf)?.Promises ?? [];
        return (StatusFold.Empty(Matter, Organization, Title) with { Promises = [.. promises] }).Render(asOf);
    }
}
