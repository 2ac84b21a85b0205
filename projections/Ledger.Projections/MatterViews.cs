using Ledger.Storage;

namespace Ledger.Projections;

/// <summary>
/// Bitemporal reads of one matter. As of a publication time: what had been said by then. Known at a recording
/// time: what the ledger held then. Both times come from the caller; nothing here reads a clock.
/// </summary>
public static class MatterViews
{
    public static MatterStatus? Status(IEnumerable<Recorded> matterEvents, DateTimeOffset asOf, DateTimeOffset? knownAt = null) =>
        MatterTimeline.Build(matterEvents, knownAt) is { } timeline ? Status(timeline, asOf) : null;

    /// <summary>The fold of every statement of the timeline, in its order; render it with <see cref="StatusFold.AsOf"/> for an earlier time.</summary>
    public static StatusFold Fold(MatterTimeline timeline) =>
        timeline.Entries
            .Select(e => e.Statement)
            .Aggregate(StatusFold.Empty(timeline.Matter, timeline.Organization, timeline.Title), StatusFold.Evolve);

    public static MatterStatus Status(MatterTimeline timeline, DateTimeOffset asOf) =>
        WithSources(
            timeline.PublishedBy(asOf)
                .Select(e => e.Statement)
                .Aggregate(StatusFold.Empty(timeline.Matter, timeline.Organization, timeline.Title), StatusFold.Evolve)
                .Render(asOf),
            timeline.PublishedBy(asOf));

    /// <summary>The status with the archived sources of these entries' statements (none: left out).</summary>
    public static MatterStatus WithSources(MatterStatus status, IEnumerable<TimelineEntry> entries)
    {
        ArgumentNullException.ThrowIfNull(status);
        var sources = entries.Select(e => e.ArchivedSource).OfType<ArchivedSource>().ToList();
        return sources.Count == 0 ? status : status with { ArchivedSources = sources };
    }
}
