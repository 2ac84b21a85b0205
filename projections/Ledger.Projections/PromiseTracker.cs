namespace Ledger.Projections;

/// <summary>
/// A promise as the tracker lists it. <see cref="DaysOverdue"/>: for an overdue promise the days since its due date, for
/// one delivered late the days it came after its due date; null otherwise.
/// </summary>
public sealed record TrackedPromise(
    string Matter,
    string Organization,
    string Id,
    string What,
    DateOnly DueBy,
    string? DueText,
    string Status,
    DateTimeOffset PromisedAt,
    DateTimeOffset? DeliveredAt,
    int? DaysOverdue,
    string StatementId);

/// <summary>Every promise across matters with its status as of a time, overdue first.</summary>
public static class PromiseTracker
{
    private static readonly string[] Order = [PromiseStates.Overdue, PromiseStates.Open, PromiseStates.Delivered, PromiseStates.Withdrawn];

    public static IReadOnlyList<TrackedPromise> Track(IEnumerable<MatterStatus> statuses, DateTimeOffset asOf)
    {
        var today = DateOnly.FromDateTime(asOf.UtcDateTime);
        return statuses
            .SelectMany(s => s.Promises.Select(p => new TrackedPromise(
                s.Matter, s.Organization, p.Id, p.What, p.DueBy, p.DueText, p.Status, p.PromisedAt, p.DeliveredAt,
                p.Status == PromiseStates.Overdue ? today.DayNumber - p.DueBy.DayNumber : p.Status == PromiseStates.Delivered ? Lateness.DaysLate(p.DueBy, p.DeliveredAt) : null,
                p.StatementId)))
            .OrderBy(p => Array.IndexOf(Order, p.Status))
            .ThenBy(p => p.DueBy)
            .ThenBy(p => p.Matter, StringComparer.Ordinal)
            .ThenBy(p => p.Id, StringComparer.Ordinal)
            .ToList();
    }
}

public sealed record OrganizationSummary(
    string Organization,
    int Matters,
    int Promises,
    int DeliveredOnTime,
    int DeliveredLate,
    int Overdue,
    int Open,
    int Withdrawn);

/// <summary>Per organization: its matters and how it kept its promises.</summary>
public static class OrganizationSummaries
{
    public static IReadOnlyList<OrganizationSummary> Summarize(IEnumerable<MatterStatus> statuses) =>
        statuses
            .GroupBy(s => s.Organization, StringComparer.Ordinal)
            .OrderBy(g => g.Key, StringComparer.Ordinal)
            .Select(g =>
            {
                var promises = g.SelectMany(s => s.Promises).ToList();
                bool OnTime(PromiseStatus p) => p.DeliveredAt is not null && Lateness.DaysLate(p.DueBy, p.DeliveredAt) is null;
                return new OrganizationSummary(
                    g.Key,
                    g.Count(),
                    promises.Count,
                    promises.Count(p => p.Status == PromiseStates.Delivered && OnTime(p)),
                    promises.Count(p => p.Status == PromiseStates.Delivered && !OnTime(p)),
                    promises.Count(p => p.Status == PromiseStates.Overdue),
                    promises.Count(p => p.Status == PromiseStates.Open),
                    promises.Count(p => p.Status == PromiseStates.Withdrawn));
            })
            .ToList();
}

/// <summary>How late a delivery came: one rule for the tracker, the organizations' counts and every rendering.</summary>
public static class Lateness
{
    /// <summary>The days a delivery came after the due date (its UTC day later than the due day); null when on time or not delivered.</summary>
    public static int? DaysLate(DateOnly dueBy, DateTimeOffset? deliveredAt) =>
        deliveredAt is { } at && DateOnly.FromDateTime(at.UtcDateTime).DayNumber - dueBy.DayNumber is var days and > 0 ? days : null;

    /// <summary>How people read a promise's status: "delivered late (3 d)" for a late delivery, else the status itself.</summary>
    public static string Describe(string status, DateOnly dueBy, DateTimeOffset? deliveredAt) =>
        status == PromiseStates.Delivered && DaysLate(dueBy, deliveredAt) is { } days ? $"delivered late ({days} d)" : status;
}
