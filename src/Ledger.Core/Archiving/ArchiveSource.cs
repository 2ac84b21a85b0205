using Ledger.Events;
using Ledger.Importing;
using Ledger.Matters;

namespace Ledger.Archiving;

/// <summary>
/// What the ledger learned from a saved source file: its hash, media type, size and the text extracted from it.
/// Extraction is one of <see cref="Extractions"/>; with none the text could not be extracted and Text is null.
/// </summary>
public sealed record SourceFile(string Name, string Sha256, string MediaType, long Length, string Extraction, string? Text);

/// <summary>A source file named by a statement of an import document (<c>source.archive</c>), read and ready to archive.</summary>
public sealed record ArchivedFile(int StatementIndex, string StatementId, SourceFile File, ReadOnlyMemory<byte> Bytes);

/// <summary>How a source's text was extracted.</summary>
public static class Extractions
{
    public const string Html = "html";
    public const string Pdf = "pdf";
    public const string Text = "text";
    public const string None = "none";
}

/// <summary>Archive a saved copy of a recorded statement's source, and check the statement's quote against it.</summary>
public sealed record ArchiveSource(InputLocation Location, string StatementId, SourceFile File, string RecordedBy)
{
    public const string Field = "source.archive";

    /// <summary>
    /// Pure decision. <paramref name="statement"/> is the recorded statement (null: unknown) and <paramref name="state"/>
    /// its matter's state. The same bytes archived again for a statement is a no-op (no events, already present); other
    /// bytes for a statement that has an archived source are refused.
    /// </summary>
    public static ArchiveDecision Decide(ArchiveSource command, MatterState state, Statement? statement, DateTimeOffset now)
    {
        ArgumentNullException.ThrowIfNull(command);
        ArgumentNullException.ThrowIfNull(state);
        InputError Error(string message) => new(command.Location, Field, message);

        if (statement is null || statement.Matter != state.Matter || !state.IsOpen)
        {
            return ArchiveDecision.Refused(Error($"statement \"{command.StatementId}\" is not recorded in the ledger"));
        }

        if (state.ArchivedSources.TryGetValue(statement.StatementId, out var archived))
        {
            return archived == command.File.Sha256
                ? new ArchiveDecision([], AlreadyPresent: true, [])
                : ArchiveDecision.Refused(Error(
                    $"statement \"{statement.StatementId}\" already has an archived source (SHA-256 {archived}); \"{command.File.Name}\" has other bytes (SHA-256 {command.File.Sha256})"));
        }

        var offset = command.File.Text is { } text ? QuoteMatcher.Find(text, statement.Quote) : null;
        return new ArchiveDecision(
            [new SourceArchived(state.Matter, statement.StatementId, now, command.RecordedBy, command.File.Sha256, command.File.MediaType, command.File.Length,
                command.File.Extraction, offset is not null, offset)],
            AlreadyPresent: false,
            []);
    }
}

/// <summary>The events to append (none when already present), or the errors (then no events).</summary>
public sealed record ArchiveDecision(IReadOnlyList<SourceArchived> Events, bool AlreadyPresent, IReadOnlyList<InputError> Errors)
{
    public static ArchiveDecision Refused(InputError error) => new([], false, [error]);
}
