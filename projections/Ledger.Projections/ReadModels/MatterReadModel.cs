using Ledger.Storage;

namespace Ledger.Projections.ReadModels;

/// <summary>
/// What the stored read side keeps of one matter: its current status, the row that lists it, and a row per promise.
/// Everything here is a pure function of the matter's events. Nothing depends on "today": promises are kept as open,
/// delivered or withdrawn with their due dates, and a reader renders "overdue" for the date it asks about.
/// </summary>
public sealed record MatterReadModel(MatterStatus Status, MatterRow Row, IReadOnlyList<PromiseRow> Promises)
{
    /// <summary>The read model after every event of the matter (in any order; the timeline orders them). Null before it is opened.</summary>
    public static MatterReadModel? Of(IReadOnlyCollection<Recorded> events)
    {
        if (MatterTimeline.Build(events) is not { } timeline)
        {
            return null;
        }

        var status = MatterViews.WithSources(MatterViews.Fold(timeline).Render(DateTimeOffset.MinValue), timeline.Entries);
        var promises = PromiseRow.Of(status);
        return new MatterReadModel(status, MatterRow.Of(status, promises, events.Min(e => e.Position), events.Max(e => e.Position)), promises);
    }

    /// <summary>The status as of a time at or after the matter's last publication: open promises due before that day are overdue.</summary>
    public static MatterStatus Render(MatterStatus stored, DateTimeOffset asOf)
    {
        var today = DateOnly.FromDateTime(asOf.UtcDateTime);
        return stored with
        {
            Promises = stored.Promises.Select(p => p.Status == PromiseStates.Open && p.DueBy < today ? p with { Status = PromiseStates.Overdue } : p).ToList(),
        };
    }
}

/// <summary>
/// A matter as lists show it. <see cref="Opened"/> is the position of its first event: it never changes, so lists
/// ordered by it page stably while the ledger grows. <see cref="OpenDueDates"/> holds the due dates of its open
/// promises, so the overdue count for any date is read from the row.
/// </summary>
public sealed record MatterRow(
    string Matter,
    string Organization,
    string Title,
    string Phase,
    ReviewStatus Review,
    int Statements,
    int Revision,
    DateTimeOffset? LastPublishedAt,
    long Opened,
    long Position,
    IReadOnlyList<DateOnly> OpenDueDates,
    PromiseCounts Promises)
{
    /// <summary>The row of a matter's status, as kept or as of any time (an overdue promise is an open one here).</summary>
    public static MatterRow Of(MatterStatus status, IReadOnlyList<PromiseRow> promises, long opened, long position) => new(
        status.Matter,
        status.Organization,
        status.Title,
        status.Phase,
        status.Review,
        status.Statements,
        status.Revision,
        status.LastPublishedAt,
        opened,
        position,
        promises.Where(p => p.State == PromiseStates.Open).Select(p => p.DueBy).Order().ToList(),
        PromiseCounts.Of(promises));

    public int OverdueOn(DateOnly today) => OpenDueDates.Count(d => d < today);

    public MatterSummary Render(DateOnly today) => new(Matter, Organization, Title, Phase, Statements, LastPublishedAt, OverdueOn(today));
}

/// <summary>A row of the matters list (`ledger matters`, GET /api/matters, the board) for a day.</summary>
public sealed record MatterSummary(string Matter, string Organization, string Title, string Phase, int Statements, DateTimeOffset? LastPublishedAt, int OverduePromises);

/// <summary>
/// A promise as the tracker lists it. <see cref="State"/> is open, delivered or withdrawn; an open promise due
/// before the day asked about is overdue on that day.
/// </summary>
public sealed record PromiseRow(
    string Matter,
    string Organization,
    string Id,
    string What,
    DateOnly DueBy,
    string? DueText,
    string State,
    DateTimeOffset PromisedAt,
    DateTimeOffset? DeliveredAt,
    string? Delivery,
    string StatementId)
{
    /// <summary>The promises of a status, kept with open, delivered or withdrawn: overdue is rendered for the day asked about.</summary>
    public static IReadOnlyList<PromiseRow> Of(MatterStatus status) =>
        status.Promises
            .Select(p => new PromiseRow(status.Matter, status.Organization, p.Id, p.What, p.DueBy, p.DueText,
                p.Status == PromiseStates.Overdue ? PromiseStates.Open : p.Status, p.PromisedAt, p.DeliveredAt, p.Delivery, p.StatementId))
            .ToList();

    public bool DeliveredLate => Lateness.DaysLate(DueBy, DeliveredAt) is not null;

    public TrackedPromise Render(DateOnly today)
    {
        var overdue = State == PromiseStates.Open && DueBy < today;
        return new TrackedPromise(Matter, Organization, Id, What, DueBy, DueText, overdue ? PromiseStates.Overdue : State, PromisedAt, DeliveredAt,
            overdue ? today.DayNumber - DueBy.DayNumber : State == PromiseStates.Delivered ? Lateness.DaysLate(DueBy, DeliveredAt) : null, StatementId);
    }
}

/// <summary>How a matter, or an organization's matters, kept their promises; overdue ones count as open here.</summary>
public sealed record PromiseCounts(int Promises, int DeliveredOnTime, int DeliveredLate, int Open, int Withdrawn)
{
    public static PromiseCounts None { get; } = new(0, 0, 0, 0, 0);

    public static PromiseCounts Of(IReadOnlyCollection<PromiseRow> promises) => new(
        promises.Count,
        promises.Count(p => p.State == PromiseStates.Delivered && !p.DeliveredLate),
        promises.Count(p => p.State == PromiseStates.Delivered && p.DeliveredLate),
        promises.Count(p => p.State == PromiseStates.Open),
        promises.Count(p => p.State == PromiseStates.Withdrawn));

    public PromiseCounts Plus(PromiseCounts other) =>
        new(Promises + other.Promises, DeliveredOnTime + other.DeliveredOnTime, DeliveredLate + other.DeliveredLate, Open + other.Open, Withdrawn + other.Withdrawn);

    public PromiseCounts Minus(PromiseCounts other) =>
        new(Promises - other.Promises, DeliveredOnTime - other.DeliveredOnTime, DeliveredLate - other.DeliveredLate, Open - other.Open, Withdrawn - other.Withdrawn);
}

/// <summary>An organization as the summaries keep it: the sum of its matters' rows.</summary>
public sealed record OrganizationRow(string Organization, int Matters, PromiseCounts Promises)
{
    /// <summary>The row after one of its matters changed from <paramref name="before"/> (null: new) to <paramref name="after"/>.</summary>
    public static OrganizationRow Evolve(OrganizationRow? row, MatterRow? before, MatterRow after) =>
        new(after.Organization,
            (row?.Matters ?? 0) + (before is null ? 1 : 0),
            (row?.Promises ?? PromiseCounts.None).Minus(before?.Promises ?? PromiseCounts.None).Plus(after.Promises));

    /// <summary>The summary as of a day, given how many of the organization's open promises were due before it.</summary>
    public OrganizationSummary Render(int overdue) =>
        new(Organization, Matters, Promises.Promises, Promises.DeliveredOnTime, Promises.DeliveredLate, overdue, Promises.Open - overdue, Promises.Withdrawn);
}
