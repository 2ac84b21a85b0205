using JasperFx.Events;
using Ledger.Events;
using Ledger.Projections.ReadModels;
using Ledger.Storage;
using Ledger.Store.Marten.Projections;
using Marten;

namespace Ledger.Store.Marten.ReadModels;

/// <summary>
/// Keeps the read models inline, in the append's own transaction: each matter the append touches is refolded by the
/// pure projection from its earlier events (read in that transaction) and the appended ones, which Marten hands over
/// with their global sequence already taken, and its documents are queued beside the events.
/// </summary>
internal sealed class InlineReadModelProjection : ConfiguredProjection
{
    public override async Task ApplyAsync(IDocumentOperations operations, IReadOnlyList<IEvent> events, CancellationToken cancellation)
    {
        ArgumentNullException.ThrowIfNull(operations);
        ArgumentNullException.ThrowIfNull(events);
        var models = new List<MatterReadModel>();
        foreach (var slice in events.Where(MartenEventStore.IsLedgerEvent).GroupBy(e => e.StreamKey!, StringComparer.Ordinal))
        {
            var appended = slice.ToList();
            if (appended.Any(e => e.Sequence <= 0))
            {
                throw new InvalidOperationException("the read models need the appended events' global positions: Marten must append in its rich mode");
            }

            var first = appended.Min(e => e.Version);
            var earlier = first > 1 ? await operations.Events.FetchStreamAsync(slice.Key, first - 1, token: cancellation) : [];
            var history = earlier.Where(e => e.Version < first && MartenEventStore.IsLedgerEvent(e))
                .Concat(appended)
                .Select(e => new Recorded(e.Sequence, (ILedgerEvent)e.Data))
                .ToList();
            if (MatterReadModel.Of(history) is { } model)
            {
                models.Add(model);
            }
        }

        await ReadModelWriter.StoreAsync(operations, models, cancellation);
    }
}
