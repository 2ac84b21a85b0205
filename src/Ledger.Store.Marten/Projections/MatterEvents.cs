using JasperFx.Events;
using Ledger.Events;
using Ledger.Storage;
using Marten;

namespace Ledger.Store.Marten.Projections;

/// <summary>What a projection needs of a matter's stream to run the pure timeline and fold over it.</summary>
internal static class MatterEvents
{
    public static bool IsLedgerEvent(IEvent e) => e.Data is ILedgerEvent;

    /// <summary>
    /// Every ledger event of a matter up to the last of a slice: the earlier ones read from the database, the
    /// slice's own as handed over (inline, they are not written yet). The stream version stands for the position:
    /// the timeline only orders one matter's events by it, and the version is known before the append commits.
    /// </summary>
    public static async Task<IReadOnlyList<Recorded>> ThroughAsync(IQuerySession session, string matter, IReadOnlyList<IEvent> slice, CancellationToken cancellationToken)
    {
        var first = slice.Min(e => e.Version);
        var earlier = first > 1
            ? await session.Events.FetchStreamAsync(matter, first - 1, token: cancellationToken)
            : [];
        return earlier.Where(e => e.Version < first)
            .Concat(slice)
            .Where(IsLedgerEvent)
            .Select(e => new Recorded(e.Version, (ILedgerEvent)e.Data))
            .ToList();
    }

    /// <summary>The latest recording time among a matter's events: a known-at query from then on sees all of them.</summary>
    public static DateTimeOffset KnownThrough(IEnumerable<Recorded> events) => events.Max(r => r.Event.RecordedAt);
}
