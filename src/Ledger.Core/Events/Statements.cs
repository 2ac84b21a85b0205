namespace Ledger.Events;

public sealed record AllegationReported(
    string StatementId, string Matter, DateTimeOffset PublishedAt, DateTimeOffset RecordedAt, string RecordedBy,
    Speaker? Speaker, Source Source, string Quote, string QuoteSha256,
    AllegationRef Allegation, string? ReportedBy)
    : Statement(StatementId, Matter, PublishedAt, RecordedAt, RecordedBy, Speaker, Source, Quote, QuoteSha256);

public sealed record ReviewLaunched(
    string StatementId, string Matter, DateTimeOffset PublishedAt, DateTimeOffset RecordedAt, string RecordedBy,
    Speaker? Speaker, Source Source, string Quote, string QuoteSha256,
    string? Reviewer, string? Scope, IReadOnlyList<string> Principles)
    : Statement(StatementId, Matter, PublishedAt, RecordedAt, RecordedBy, Speaker, Source, Quote, QuoteSha256);

public sealed record FindingsDisclosed(
    string StatementId, string Matter, DateTimeOffset PublishedAt, DateTimeOffset RecordedAt, string RecordedBy,
    Speaker? Speaker, Source Source, string Quote, string QuoteSha256,
    FindingStage Stage, IReadOnlyList<Finding> Findings)
    : Statement(StatementId, Matter, PublishedAt, RecordedAt, RecordedBy, Speaker, Source, Quote, QuoteSha256);

public sealed record ActionTaken(
    string StatementId, string Matter, DateTimeOffset PublishedAt, DateTimeOffset RecordedAt, string RecordedBy,
    Speaker? Speaker, Source Source, string Quote, string QuoteSha256,
    ActionKind Action, IReadOnlyList<string> Services, string? Counterparty, IReadOnlyList<string> Exclusions)
    : Statement(StatementId, Matter, PublishedAt, RecordedAt, RecordedBy, Speaker, Source, Quote, QuoteSha256);

public sealed record DisclosurePromised(
    string StatementId, string Matter, DateTimeOffset PublishedAt, DateTimeOffset RecordedAt, string RecordedBy,
    Speaker? Speaker, Source Source, string Quote, string QuoteSha256,
    PromiseTerms Promise)
    : Statement(StatementId, Matter, PublishedAt, RecordedAt, RecordedBy, Speaker, Source, Quote, QuoteSha256);

public sealed record DisclosureDelivered(
    string StatementId, string Matter, DateTimeOffset PublishedAt, DateTimeOffset RecordedAt, string RecordedBy,
    Speaker? Speaker, Source Source, string Quote, string QuoteSha256,
    string Promise, string? Summary)
    : Statement(StatementId, Matter, PublishedAt, RecordedAt, RecordedBy, Speaker, Source, Quote, QuoteSha256);

public sealed record ReviewConcluded(
    string StatementId, string Matter, DateTimeOffset PublishedAt, DateTimeOffset RecordedAt, string RecordedBy,
    Speaker? Speaker, Source Source, string Quote, string QuoteSha256,
    string? Outcome)
    : Statement(StatementId, Matter, PublishedAt, RecordedAt, RecordedBy, Speaker, Source, Quote, QuoteSha256);

public sealed record PositionStated(
    string StatementId, string Matter, DateTimeOffset PublishedAt, DateTimeOffset RecordedAt, string RecordedBy,
    Speaker? Speaker, Source Source, string Quote, string QuoteSha256,
    string Topic, string Position)
    : Statement(StatementId, Matter, PublishedAt, RecordedAt, RecordedBy, Speaker, Source, Quote, QuoteSha256);

/// <summary>The company retracts an earlier statement; its effects leave the status from this publication on.</summary>
public sealed record StatementWithdrawn(
    string StatementId, string Matter, DateTimeOffset PublishedAt, DateTimeOffset RecordedAt, string RecordedBy,
    Speaker? Speaker, Source Source, string Quote, string QuoteSha256,
    string Withdraws, string? Reason)
    : Statement(StatementId, Matter, PublishedAt, RecordedAt, RecordedBy, Speaker, Source, Quote, QuoteSha256);

/// <summary>A curator fixes a recording error; not a company statement. It applies from its recording on.</summary>
public sealed record EntryCorrected(
    string StatementId, string Matter, DateTimeOffset PublishedAt, DateTimeOffset RecordedAt, string RecordedBy,
    Speaker? Speaker, Source Source, string Quote, string QuoteSha256,
    string Corrects, IReadOnlyDictionary<string, System.Text.Json.JsonElement> Changes, string Reason)
    : Statement(StatementId, Matter, PublishedAt, RecordedAt, RecordedBy, Speaker, Source, Quote, QuoteSha256);
