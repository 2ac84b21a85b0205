using Ledger.Projections;
using Ledger.Projections.ReadModels;
using Marten;

namespace Ledger.Store.Marten.ReadModels;

/// <summary>
/// Reads the read models' documents (see <see cref="ReadModelSchema"/>) with LoadAsync and LINQ over their indexed
/// columns: every list is a keyset page of an index, with the same cursors as every other backend.
/// </summary>
public sealed class MartenReadModels : IReadModelStore
{
    private readonly IDocumentStore store;
    private readonly ReadModelPositionWatch watch;

    internal MartenReadModels(IDocumentStore store, ReadModelPositionWatch watch)
    {
        this.store = store;
        this.watch = watch;
    }

    internal ReadModelPositionWatch Watch => watch;

    public Task<long> PositionAsync(CancellationToken cancellationToken = default) =>
        watch.PositionAsync(
            async token =>
            {
                await using var session = store.QuerySession();
                return await PositionAsync(session, token);
            },
            cancellationToken);

    public async Task<StoredMatter?> MatterAsync(string matter, CancellationToken cancellationToken = default)
    {
        await using var session = store.QuerySession();
        return await session.LoadAsync<MatterDocument>(matter, cancellationToken) is { } document ? new StoredMatter(document.Status, document.Row) : null;
    }

    public async Task<Page<MatterRow>> MattersAsync(MatterQuery query, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(query);
        await using var session = store.QuerySession();
        IQueryable<MatterDocument> matters = session.Query<MatterDocument>();
        if (query.After is { } after)
        {
            var opened = PageCursor.ParseMatter(after);
            matters = matters.Where(m => m.Opened < opened);
        }

        if (query.Organization is { } organization)
        {
            matters = matters.Where(m => m.Organization == organization);
        }

        if (query.Phase is { } phase)
        {
            matters = matters.Where(m => m.Phase == phase);
        }

        if (query.OverdueOn is { } day)
        {
            matters = matters.Where(m => m.EarliestOpenDue < day);
        }

        var position = await PositionAsync(session, cancellationToken);
        var rows = await matters.OrderByDescending(m => m.Opened).Take(query.Limit + 1).Select(m => m.Row).ToListAsync(cancellationToken);
        return PageCursor.PageOf(rows.ToList(), query.Limit, position, PageCursor.Of);
    }

    public async Task<Page<TrackedPromise>> PromisesAsync(PromiseQuery query, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(query);
        await using var session = store.QuerySession();
        IQueryable<PromiseDocument> promises = session.Query<PromiseDocument>();
        if (query.After is { } after)
        {
            // The plain lower bound on the due date gives the planner the index range; the rest is the keyset's tie-break.
            var (due, matter, id) = PageCursor.ParsePromise(after);
            promises = promises.Where(p => p.DueBy >= due
                && (p.DueBy > due || p.Matter.CompareTo(matter) > 0 || (p.Matter == matter && p.PromiseId.CompareTo(id) > 0)));
        }

        if (query.Organization is { } organization)
        {
            promises = promises.Where(p => p.Organization == organization);
        }

        if (query.Matter is { } ofMatter)
        {
            promises = promises.Where(p => p.Matter == ofMatter);
        }

        var today = query.Today;
        promises = query.Status switch
        {
            null => promises,
            PromiseStates.Overdue => promises.Where(p => p.State == PromiseStates.Open && p.DueBy < today),
            PromiseStates.Open => promises.Where(p => p.State == PromiseStates.Open && p.DueBy >= today),
            var state => promises.Where(p => p.State == state),
        };

        if (query.DueBefore is { } before)
        {
            promises = promises.Where(p => p.DueBy < before);
        }

        var position = await PositionAsync(session, cancellationToken);
        var rows = await promises.OrderBy(p => p.DueBy).ThenBy(p => p.Matter).ThenBy(p => p.PromiseId).Take(query.Limit + 1).Select(p => p.Row).ToListAsync(cancellationToken);
        return PageCursor.PageOf(rows.Select(r => r.Render(today)).ToList(), query.Limit, position, PageCursor.Of);
    }

    public async Task<Page<OrganizationSummary>> OrganizationsAsync(OrganizationQuery query, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(query);
        await using var session = store.QuerySession();
        IQueryable<OrganizationDocument> organizations = session.Query<OrganizationDocument>();
        if (query.After is { } after)
        {
            var last = PageCursor.ParseOrganization(after);
            organizations = organizations.Where(o => o.Id.CompareTo(last) > 0);
        }

        if (query.Name is { } name)
        {
            organizations = organizations.Where(o => o.Id == name);
        }

        var position = await PositionAsync(session, cancellationToken);
        var rows = await organizations.OrderBy(o => o.Id).Take(query.Limit + 1).ToListAsync(cancellationToken);

        // The overdue count depends on the day asked about: counted over each organization's open promises by due date, in one round trip.
        var batch = session.CreateBatchQuery();
        var today = query.Today;
        var overdue = rows.Select(o => batch.Query<PromiseDocument>().Where(p => p.Organization == o.Id && p.State == PromiseStates.Open && p.DueBy < today).Count()).ToList();
        await batch.Execute(cancellationToken);
        var summaries = new List<OrganizationSummary>();
        for (var i = 0; i < rows.Count; i++)
        {
            summaries.Add(rows[i].Row.Render((int)await overdue[i]));
        }

        return PageCursor.PageOf(summaries, query.Limit, position, PageCursor.Of);
    }

    public async Task<LedgerCounts> CountsAsync(DateOnly today, CancellationToken cancellationToken = default)
    {
        await using var session = store.QuerySession();
        var position = await PositionAsync(session, cancellationToken);
        var batch = session.CreateBatchQuery();
        var matters = batch.Query<MatterDocument>().Count();
        var open = batch.Query<PromiseDocument>().Where(p => p.State == PromiseStates.Open && p.DueBy >= today).Count();
        var overdue = batch.Query<PromiseDocument>().Where(p => p.State == PromiseStates.Open && p.DueBy < today).Count();
        await batch.Execute(cancellationToken);
        return new LedgerCounts((int)await matters, (int)await open, (int)await overdue, position);
    }

    /// <summary>The highest position among the stored matters: every event at or before it that committed is folded in.</summary>
    private static async Task<long> PositionAsync(IQuerySession session, CancellationToken cancellationToken) =>
        (await session.Query<MatterDocument>().OrderByDescending(m => m.Position).Select(m => m.Position).Take(1).ToListAsync(cancellationToken)) is [var position] ? position : 0;
}
