using JasperFx.Events;
using JasperFx.Events.Aggregation;
using JasperFx.Events.Daemon;
using Ledger.Events;
using Ledger.Projections;
using Ledger.Projections.ReadModels;
using Ledger.Storage;
using Marten;
using Marten.Events.Aggregation;

namespace Ledger.Bench.Postgres;

/// <summary>A matter's status and row as Marten's own projection keeps them: the baseline's document.</summary>
internal sealed class NativeMatterStatus
{
    public string Id { get; set; } = string.Empty;

    public MatterStatus? Status { get; set; }

    public MatterRow? Row { get; set; }
}

/// <summary>
/// The bench's baseline for the read models' rebuild, never registered by the ledger: Marten's own single-stream
/// projection of each matter's status, folded by the very fold the ledger's read models use
/// (<see cref="MatterReadModel.Of"/>) and rebuilt by Marten's async daemon. That fold needs the matter's whole history
/// (corrections reorder it), so a slice that continues a matter seen in an earlier batch reads the events before it, as
/// the ledger's inline projection does.
/// </summary>
internal sealed class NativeMatterProjection : SingleStreamProjection<NativeMatterStatus, string>
{
    public const string ProjectionName = "BenchNativeMatterStatus";

    public NativeMatterProjection()
    {
        Name = ProjectionName;
    }

    public override async ValueTask<(NativeMatterStatus?, ActionType)> DetermineActionAsync(
        IQuerySession session, NativeMatterStatus? snapshot, string identity, IIdentitySetter<NativeMatterStatus, string> identitySetter, IReadOnlyList<IEvent> events, CancellationToken cancellation)
    {
        ArgumentNullException.ThrowIfNull(session);
        ArgumentNullException.ThrowIfNull(events);
        var appended = events.Where(e => e.Data is ILedgerEvent).ToList();
        if (appended.Count == 0)
        {
            return (snapshot, ActionType.Nothing);
        }

        var first = appended.Min(e => e.Version);
        var earlier = first > 1 ? await session.Events.FetchStreamAsync(identity, first - 1, token: cancellation) : [];
        var history = earlier.Where(e => e.Version < first && e.Data is ILedgerEvent)
            .Concat(appended)
            .Select(e => new Recorded(e.Sequence, (ILedgerEvent)e.Data))
            .ToList();
        if (MatterReadModel.Of(history) is not { } model)
        {
            return (snapshot, ActionType.Nothing);
        }

        return (new NativeMatterStatus { Id = identity, Status = model.Status, Row = model.Row }, ActionType.Store);
    }
}
