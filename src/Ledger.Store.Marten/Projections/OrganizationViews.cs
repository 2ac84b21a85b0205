using JasperFx.Events;
using JasperFx.Events.Aggregation;
using JasperFx.Events.Daemon;
using Ledger.Events;
using Marten;
using Marten.Events.Projections;

namespace Ledger.Store.Marten.Projections;

/// <summary>The matters of one organization that a cross-matter view keeps, ordered by matter.</summary>
public abstract class OrganizationMatters
{
    /// <summary>The organization.</summary>
    public string Id { get; set; } = string.Empty;

    public List<MatterPromises> Matters { get; set; } = [];
}

/// <summary>The promise tracker's entries of one organization: its matters that hold promises.</summary>
public sealed class PromiseTrackerView : OrganizationMatters;

/// <summary>What an organization summary is made of: every matter of the organization with its promises.</summary>
public sealed class OrganizationSummaryView : OrganizationMatters;

/// <summary>The promise tracker, grouped by organization, kept by the async daemon.</summary>
public sealed class PromiseTrackerProjection : OrganizationViewProjection<PromiseTrackerView>
{
    protected override bool Keeps(MatterPromises matter) => matter.HasPromises;
}

/// <summary>The organization summaries, one document per organization, kept by the async daemon.</summary>
public sealed class OrganizationSummaryProjection : OrganizationViewProjection<OrganizationSummaryView>
{
    protected override bool Keeps(MatterPromises matter) => true;
}

/// <summary>
/// A multi-stream projection over every matter of an organization (taken from the events' organization header). For
/// each matter in a batch it reads the matter's stream up to the batch, builds the timeline and folds it with the pure
/// code, and keeps the result; the view is rendered at query time, since "overdue" depends on the query's date.
/// </summary>
public abstract class OrganizationViewProjection<TView> : MultiStreamProjection<TView, string>
    where TView : OrganizationMatters, new()
{
    protected OrganizationViewProjection()
    {
        foreach (var name in EventTypes.All)
        {
            IncludeType(EventTypes.TypeOf(name));
        }

        CustomGrouping((_, events, grouping) =>
        {
            foreach (var e in events.Where(MatterEvents.IsLedgerEvent))
            {
                grouping.AddEvent(MartenEventStore.OrganizationOf(e), e);
            }

            return Task.CompletedTask;
        });
    }

    protected abstract bool Keeps(MatterPromises matter);

    public override async ValueTask<(TView?, ActionType)> DetermineActionAsync(
        IQuerySession session,
        TView? snapshot,
        string identity,
        IIdentitySetter<TView, string> identitySetter,
        IReadOnlyList<IEvent> events,
        CancellationToken cancellation)
    {
        var matters = (snapshot?.Matters ?? []).ToDictionary(m => m.Matter, StringComparer.Ordinal);
        foreach (var slice in events.Where(MatterEvents.IsLedgerEvent).GroupBy(e => e.StreamKey!, StringComparer.Ordinal))
        {
            var history = await MatterEvents.ThroughAsync(session, slice.Key, slice.ToList(), cancellation);
            matters.Remove(slice.Key);
            if (MatterPromises.Of(history, slice.Max(e => e.Version)) is { } matter && Keeps(matter))
            {
                matters[slice.Key] = matter;
            }
        }

        if (snapshot is null && matters.Count == 0)
        {
            return (snapshot, ActionType.Nothing);
        }

        var view = new TView { Id = identity, Matters = [.. matters.Values.OrderBy(m => m.Matter, StringComparer.Ordinal)] };
        return (view, ActionType.Store);
    }
}
