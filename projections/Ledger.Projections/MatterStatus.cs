using System.Collections.Immutable;
using System.Text.Json.Serialization;
using Ledger.Events;

namespace Ledger.Projections;

/// <summary>
/// The current status of a matter as of a publication time. Field names are a stable contract. <see cref="Revision"/>
/// counts the statements folded in publication order (the history's numbering); a stream's <c>version</c> counts its
/// events in recording order, the opening included. <see cref="ArchivedSources"/> lists the archived sources of the statements
/// shown (absent when none has one).
/// </summary>
public sealed record MatterStatus(
    string Matter,
    string Organization,
    string Title,
    string Phase,
    ReviewStatus Review,
    IReadOnlyList<AllegationStatus> Allegations,
    IReadOnlyList<ActionStatus> Actions,
    IReadOnlyList<PositionStatus> Positions,
    IReadOnlyList<PromiseStatus> Promises,
    int Statements,
    int Revision,
    DateTimeOffset? LastPublishedAt,
    [property: JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] IReadOnlyList<ArchivedSource>? ArchivedSources = null);

public sealed record ReviewStatus(string Status, string? Reviewer, string? Scope, IReadOnlyList<string> Principles, DateTimeOffset? LaunchedAt, DateTimeOffset? ConcludedAt, string? Outcome)
{
    public static ReviewStatus NotStarted { get; } = new(ReviewStates.NotStarted, null, null, [], null, null, null);
}

public sealed record AllegationStatus(string Id, string? Summary, string? ReportedBy, DateTimeOffset? ReportedAt, string Assessment, DateTimeOffset? AssessedAt, string? Stage, string? Finding);

public sealed record ActionStatus(string StatementId, string Action, IReadOnlyList<string> Services, string? Counterparty, IReadOnlyList<string> Exclusions, DateTimeOffset TakenAt);

public sealed record PositionStatus(string StatementId, string Topic, string Position, DateTimeOffset StatedAt);

public sealed record PromiseStatus(string Id, string What, DateOnly DueBy, string? DueText, string Status, DateTimeOffset PromisedAt, DateTimeOffset? DeliveredAt, string? Delivery, string StatementId);

public static class Phases
{
    public const string Opened = "opened";
    public const string Reported = "reported";
    public const string UnderReview = "under-review";
    public const string FindingsDisclosed = "findings-disclosed";
    public const string ActionTaken = "action-taken";
    public const string Concluded = "concluded";

    /// <summary>Milestones in lifecycle order; among statements published at the same instant the later milestone counts.</summary>
    public static int Rank(string phase) => Array.IndexOf([Opened, Reported, UnderReview, FindingsDisclosed, ActionTaken, Concluded], phase);
}

public static class ReviewStates
{
    public const string NotStarted = "not-started";
    public const string Ongoing = "ongoing";
    public const string Concluded = "concluded";
}

public static class PromiseStates
{
    public const string Open = "open";
    public const string Overdue = "overdue";
    public const string Delivered = "delivered";
    public const string Withdrawn = "withdrawn";
}

/// <summary>
/// The pure fold behind MatterStatus. Evolve takes statements in publication order; a withdrawal refolds what
/// came before without the withdrawn statement, so its effects leave from the withdrawal on. Render evaluates
/// time-dependent parts (overdue promises) as of a given time, taken from the query, never from a clock.
/// </summary>
public sealed record StatusFold(
    string Matter,
    string Organization,
    string Title,
    ImmutableList<Statement> Folded,
    ImmutableHashSet<string> Withdrawn,
    string Phase,
    DateTimeOffset? PhaseAt,
    ReviewStatus Review,
    ImmutableList<AllegationStatus> Allegations,
    ImmutableList<ActionStatus> Actions,
    ImmutableList<PositionStatus> Positions,
    ImmutableList<PromiseFold> Promises,
    int Statements,
    DateTimeOffset? LastPublishedAt)
{
    public static StatusFold Empty(string matter, string organization, string title) =>
        new(matter, organization, title, [], ImmutableHashSet.Create<string>(StringComparer.Ordinal), Phases.Opened, null, ReviewStatus.NotStarted, [], [], [], [], 0, null);

    public int Revision => Folded.Count;

    public static StatusFold Evolve(StatusFold state, Statement statement)
    {
        var counted = state with
        {
            Folded = state.Folded.Add(statement),
            Statements = state.Statements + (statement is EntryCorrected ? 0 : 1),
            LastPublishedAt = state.LastPublishedAt is { } last && last > statement.PublishedAt ? last : statement.PublishedAt,
        };

        if (statement is StatementWithdrawn withdrawal)
        {
            var withdrawn = state.Withdrawn.Add(withdrawal.Withdraws);
            return counted.Folded.Aggregate(
                Empty(state.Matter, state.Organization, state.Title) with
                {
                    Folded = counted.Folded,
                    Withdrawn = withdrawn,
                    Statements = counted.Statements,
                    LastPublishedAt = counted.LastPublishedAt,
                },
                (s, e) => withdrawn.Contains(e.StatementId) ? Withdraw(s, e) : Apply(s, e));
        }

        return Apply(counted, statement);
    }

    /// <summary>The effects of one statement. Closed over every statement type; withdrawals and corrections have none here.</summary>
    private static StatusFold Apply(StatusFold s, Statement statement) => statement switch
    {
        AllegationReported r => Milestone(s, Phases.Reported, r.PublishedAt) with
        {
            Allegations = Upsert(s.Allegations, r.Allegation.Id, a => a with { Summary = r.Allegation.Summary ?? a.Summary, ReportedBy = r.ReportedBy, ReportedAt = r.PublishedAt }),
        },
        ReviewLaunched l => Milestone(s, Phases.UnderReview, l.PublishedAt) with
        {
            Review = new ReviewStatus(ReviewStates.Ongoing, l.Reviewer, l.Scope, l.Principles, l.PublishedAt, null, null),
        },
        FindingsDisclosed f => Milestone(s, Phases.FindingsDisclosed, f.PublishedAt) with
        {
            Allegations = f.Findings.Aggregate(s.Allegations, (list, finding) => Upsert(list, finding.Allegation, a => a with
            {
                Assessment = Vocabulary.Of(finding.Assessment),
                AssessedAt = f.PublishedAt,
                Stage = Vocabulary.Of(f.Stage),
                Finding = finding.Summary,
            })),
        },
        ActionTaken t => Milestone(s, Phases.ActionTaken, t.PublishedAt) with
        {
            Actions = s.Actions.Add(new ActionStatus(t.StatementId, Vocabulary.Of(t.Action), t.Services, t.Counterparty, t.Exclusions, t.PublishedAt)),
        },
        DisclosurePromised p => s with { Promises = s.Promises.Add(new PromiseFold(p.Promise, p.PublishedAt, p.StatementId, null, null, false)) },
        DisclosureDelivered d => s with
        {
            Promises = s.Promises.Select(p => p.Terms.Id == d.Promise && p.DeliveredAt is null ? p with { DeliveredAt = d.PublishedAt, Delivery = d.Summary } : p).ToImmutableList(),
        },
        ReviewConcluded c => Milestone(s, Phases.Concluded, c.PublishedAt) with
        {
            Review = s.Review with { Status = ReviewStates.Concluded, ConcludedAt = c.PublishedAt, Outcome = c.Outcome },
        },
        PositionStated p => s with { Positions = s.Positions.Add(new PositionStatus(p.StatementId, p.Topic, p.Position, p.PublishedAt)) },
        StatementWithdrawn or EntryCorrected => s,
        _ => throw new InvalidOperationException($"no status rule for statement type {statement.GetType().Name}"),
    };

    /// <summary>A withdrawn statement has no effect, except that a withdrawn promise stays listed as withdrawn.</summary>
    private static StatusFold Withdraw(StatusFold s, Statement statement) => statement is DisclosurePromised p
        ? s with { Promises = s.Promises.Add(new PromiseFold(p.Promise, p.PublishedAt, p.StatementId, null, null, true)) }
        : s;

    private static StatusFold Milestone(StatusFold s, string phase, DateTimeOffset at) =>
        s.PhaseAt is null || at > s.PhaseAt || (at == s.PhaseAt && Phases.Rank(phase) >= Phases.Rank(s.Phase))
            ? s with { Phase = phase, PhaseAt = at }
            : s;

    private static ImmutableList<AllegationStatus> Upsert(ImmutableList<AllegationStatus> list, string id, Func<AllegationStatus, AllegationStatus> change)
    {
        var index = list.FindIndex(a => a.Id == id);
        return index < 0
            ? list.Add(change(new AllegationStatus(id, null, null, null, Vocabulary.Unassessed, null, null, null)))
            : list.SetItem(index, change(list[index]));
    }

    /// <summary>
    /// The fold of the statements published by a time. Folded holds the statements in the order Evolve took them,
    /// publication order, so this is the fold of a prefix: itself when nothing published later was folded.
    /// </summary>
    public StatusFold AsOf(DateTimeOffset asOf) =>
        LastPublishedAt is not { } last || last <= asOf
            ? this
            : Folded.TakeWhile(s => s.PublishedAt <= asOf).Aggregate(Empty(Matter, Organization, Title), Evolve);

    /// <summary>The status as of a time: promises whose due date is before that day (UTC) and undelivered are overdue.</summary>
    public MatterStatus Render(DateTimeOffset asOf)
    {
        var today = DateOnly.FromDateTime(asOf.UtcDateTime);
        var promises = Promises.Select(p => new PromiseStatus(
            p.Terms.Id,
            p.Terms.What,
            p.Terms.DueBy,
            p.Terms.DueText,
            p.Withdrawn ? PromiseStates.Withdrawn
                : p.DeliveredAt is not null ? PromiseStates.Delivered
                : p.Terms.DueBy < today ? PromiseStates.Overdue
                : PromiseStates.Open,
            p.PromisedAt,
            p.DeliveredAt,
            p.Delivery,
            p.StatementId)).ToList();
        return new MatterStatus(Matter, Organization, Title, Phase, Review, Allegations, Actions, Positions, promises, Statements, Revision, LastPublishedAt);
    }
}

public sealed record PromiseFold(PromiseTerms Terms, DateTimeOffset PromisedAt, string StatementId, DateTimeOffset? DeliveredAt, string? Delivery, bool Withdrawn);

/// <summary>The stable words of the output, the same as in the input documents.</summary>
public static class Vocabulary
{
    public const string Unassessed = "unassessed";

    public static string Of<T>(T value)
        where T : struct, Enum => Names<T>.Map[value];

    private static class Names<T>
        where T : struct, Enum
    {
        public static readonly Dictionary<T, string> Map = Enum.GetValues<T>().ToDictionary(v => v, v => System.Text.Json.JsonSerializer.Serialize(v).Trim('"'));
    }
}
