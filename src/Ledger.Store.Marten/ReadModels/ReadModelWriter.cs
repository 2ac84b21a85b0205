using Ledger.Projections.ReadModels;
using Marten;

namespace Ledger.Store.Marten.ReadModels;

/// <summary>What the documents of matters folded anew change: the documents to store and the promises gone from them.</summary>
internal sealed record ReadModelChanges(MatterDocument[] Matters, PromiseDocument[] Promises, OrganizationDocument[] Organizations, string[] GonePromises);

/// <summary>
/// Queues the documents of matters folded anew into the caller's session, so they commit with whatever else it saves
/// (the append's events, a rebuild batch's progress). Each organization row moves by the difference of its matters'
/// rows, read in the same transaction under the organizations' locks (see <see cref="ReadModelLocks"/>), which the
/// caller's transaction holds from then on.
/// </summary>
internal static class ReadModelWriter
{
    public static async Task StoreAsync(IDocumentOperations session, IReadOnlyList<MatterReadModel> models, CancellationToken cancellationToken)
    {
        if (models.Count == 0)
        {
            return;
        }

        var changes = await ChangesAsync(session, models, cancellationToken);
        foreach (var gone in changes.GonePromises)
        {
            session.Delete<PromiseDocument>(gone);
        }

        session.Store(changes.Matters);
        session.Store(changes.Promises);
        session.Store(changes.Organizations);
    }

    /// <summary>The documents of the models, and the organizations' rows moved by them from what the session reads as stored.</summary>
    public static async Task<ReadModelChanges> ChangesAsync(IQuerySession session, IReadOnlyList<MatterReadModel> models, CancellationToken cancellationToken)
    {
        if (models.Count == 0)
        {
            return new ReadModelChanges([], [], [], []);
        }

        // What the documents replace, read in one round trip, under the organizations' locks.
        var matters = models.Select(m => m.Row.Matter).ToArray();
        var batch = session.CreateBatchQuery();
        ReadModelLocks.Queue(batch, models.Select(m => m.Row.Organization));
        var storedMatters = batch.LoadMany<MatterDocument>().ById(matters);
        var storedOrganizations = batch.LoadMany<OrganizationDocument>().ById(models.Select(m => m.Row.Organization).Distinct().ToArray());
        var storedPromises = batch.Query<PromiseDocument>().Where(p => matters.Contains(p.Matter)).Select(p => p.Id).ToList();
        await batch.Execute(cancellationToken);

        var before = (await storedMatters).ToDictionary(m => m.Id, m => m.Row, StringComparer.Ordinal);
        var organizations = (await storedOrganizations).ToDictionary(o => o.Id, o => o.Row, StringComparer.Ordinal);
        var keptPromises = models.SelectMany(m => m.Promises).Select(p => PromiseDocument.IdOf(p.Matter, p.Id)).ToHashSet(StringComparer.Ordinal);
        foreach (var model in models)
        {
            var row = model.Row;
            organizations[row.Organization] = OrganizationRow.Evolve(organizations.GetValueOrDefault(row.Organization), before.GetValueOrDefault(row.Matter), row);
            before[row.Matter] = row;
        }

        return new ReadModelChanges(
            models.Select(MatterDocument.Of).ToArray(),
            models.SelectMany(m => m.Promises).Select(PromiseDocument.Of).ToArray(),
            organizations.Select(o => new OrganizationDocument { Id = o.Key, Row = o.Value }).ToArray(),
            (await storedPromises).Where(id => !keptPromises.Contains(id)).ToArray());
    }
}
