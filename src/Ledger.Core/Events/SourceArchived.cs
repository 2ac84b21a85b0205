namespace Ledger.Events;

/// <summary>
/// A saved copy of the source of statement <see cref="SourceOf"/> was archived: its bytes are kept content-addressed by <see cref="Sha256"/>,
/// and the statement's quote was looked for in the text extracted from it (<see cref="Extraction"/>: html, pdf, text or
/// none). <see cref="QuoteOffset"/> is where the quote starts in that text (UTF-16 units), when found. The statement's
/// own event is never changed. The statement is not named statementId: that field marks a statement's own event, whose
/// id is unique in the ledger.
/// </summary>
public sealed record SourceArchived(
    string Matter,
    string SourceOf,
    DateTimeOffset RecordedAt,
    string RecordedBy,
    string Sha256,
    string MediaType,
    long Length,
    string Extraction,
    bool QuoteFound,
    int? QuoteOffset) : ILedgerEvent;
