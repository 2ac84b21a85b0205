using Ledger.Events;

namespace Ledger.Projections;

/// <summary>
/// A statement's archived source as the views show it: the bytes' SHA-256 (GET /api/sources/{sha256}), their media type
/// and size, how the text was extracted, and whether the statement's quote was found in it (at which offset).
/// </summary>
public sealed record ArchivedSource(
    string StatementId, string Sha256, string MediaType, long Length, string Extraction, bool QuoteFound, int? QuoteOffset, DateTimeOffset ArchivedAt)
{
    public static ArchivedSource Of(SourceArchived e) =>
        new(e.SourceOf, e.Sha256, e.MediaType, e.Length, e.Extraction, e.QuoteFound, e.QuoteOffset, e.RecordedAt);

    /// <summary>The line the views print for it: found, or a warning saying why not.</summary>
    public string Describe() =>
        QuoteFound ? $"quote found in the archived source (sha256 {Sha256})"
        : Extraction == Ledger.Archiving.Extractions.None ? $"warning: quote not checked: no text could be extracted from the archived source (sha256 {Sha256}, {MediaType})"
        : $"warning: quote NOT found in the archived source (sha256 {Sha256})";
}
