using JasperFx.Events;
using JasperFx.Events.Aggregation;
using JasperFx.Events.Daemon;
using Ledger.Events;
using Ledger.Projections;
using Marten;
using Marten.Events.Aggregation;

namespace Ledger.Store.Marten.Projections;

/// <summary>
/// The status of one matter as the ledger knows it now: the pure fold over its whole timeline, keyed by the matter.
/// Time-dependent parts are rendered at query time.
/// </summary>
public sealed class MatterStatusSnapshot
{
    public string Id { get; set; } = string.Empty;

    /// <summary>The stream version folded so far.</summary>
    public long Version { get; set; }

    /// <summary>The latest recording time among the folded events; earlier known-at queries need the events themselves.</summary>
    public DateTimeOffset KnownThrough { get; set; }

    public required StatusFold Fold { get; set; }

    /// <summary>The status as of a publication time, as the embedded store's MatterViews.Status gives it.</summary>
    public MatterStatus Render(DateTimeOffset asOf) => Fold.AsOf(asOf).Render(asOf);
}

/// <summary>
/// Keeps <see cref="MatterStatusSnapshot"/> in the append's own transaction. Statements arriving in publication order
/// extend the fold; anything else (a backfill published earlier, a correction) refolds the whole timeline, built by
/// MatterTimeline from the stream, so the snapshot always equals the pure fold over the stream.
/// </summary>
public sealed class MatterStatusProjection : SingleStreamProjection<MatterStatusSnapshot, string>
{
    public MatterStatusProjection()
    {
        foreach (var name in EventTypes.All)
        {
            IncludeType(EventTypes.TypeOf(name));
        }
    }

    public override async ValueTask<(MatterStatusSnapshot?, ActionType)> DetermineActionAsync(
        IQuerySession session,
        MatterStatusSnapshot? snapshot,
        string identity,
        IIdentitySetter<MatterStatusSnapshot, string> identitySetter,
        IReadOnlyList<IEvent> events,
        CancellationToken cancellation)
    {
        var slice = events.Where(MatterEvents.IsLedgerEvent).ToList();
        if (slice.Count == 0)
        {
            return (snapshot, ActionType.Nothing);
        }

        if (snapshot is not null && Extends(snapshot, slice))
        {
            return (new MatterStatusSnapshot
            {
                Id = identity,
                Version = slice[^1].Version,
                KnownThrough = slice.Select(e => ((ILedgerEvent)e.Data).RecordedAt).Append(snapshot.KnownThrough).Max(),
                Fold = slice.Aggregate(snapshot.Fold, (fold, e) => StatusFold.Evolve(fold, (Statement)e.Data)),
            }, ActionType.Store);
        }

        var history = await MatterEvents.ThroughAsync(session, identity, slice, cancellation);
        if (MatterTimeline.Build(history) is not { } timeline)
        {
            return (snapshot, ActionType.Nothing);
        }

        return (new MatterStatusSnapshot
        {
            Id = identity,
            Version = slice[^1].Version,
            KnownThrough = MatterEvents.KnownThrough(history),
            Fold = MatterViews.Fold(timeline),
        }, ActionType.Store);
    }

    /// <summary>
    /// Whether the slice only adds statements at the end of the timeline: it follows the snapshot's version, holds no
    /// correction, and no statement is published before one already folded. Ties go after, as the timeline orders
    /// them by recording position and these come last.
    /// </summary>
    private static bool Extends(MatterStatusSnapshot snapshot, List<IEvent> slice)
    {
        if (slice[0].Version != snapshot.Version + 1)
        {
            return false;
        }

        var last = snapshot.Fold.LastPublishedAt;
        foreach (var e in slice)
        {
            if (e.Data is not Statement statement || statement is EntryCorrected || (last is { } l && statement.PublishedAt < l))
            {
                return false;
            }

            last = statement.PublishedAt;
        }

        return true;
    }
}
