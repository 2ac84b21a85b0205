namespace Ledger.Events;

/// <summary>Every event names its matter, the actor who recorded it and when the ledger stored it.</summary>
public interface ILedgerEvent
{
    string Matter { get; }

    DateTimeOffset RecordedAt { get; }

    string RecordedBy { get; }
}

/// <summary>The first event of a matter's stream.</summary>
public sealed record MatterOpened(
    string Matter,
    string Organization,
    string Title,
    DateTimeOffset RecordedAt,
    string RecordedBy) : ILedgerEvent;

/// <summary>
/// One statement element with its provenance. PublishedAt is when it was said (valid time);
/// RecordedAt is when the ledger stored it (transaction time), always set by the ledger.
/// </summary>
public abstract record Statement(
    string StatementId,
    string Matter,
    DateTimeOffset PublishedAt,
    DateTimeOffset RecordedAt,
    string RecordedBy,
    Speaker? Speaker,
    Source Source,
    string Quote,
    string QuoteSha256) : ILedgerEvent
{
    public string Type => EventTypes.NameOf(GetType());
}
