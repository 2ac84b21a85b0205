using System.Text.Json;
using System.Text.Json.Nodes;
using System.Text.Json.Serialization;
using Ledger.Diffing;
using Ledger.Events;
using Ledger.Serialization;

namespace Ledger.Projections;

/// <summary>
/// One history entry: a statement and the change of status it brought, as a JSON Patch and as readable lines.
/// <see cref="Revision"/> numbers the entries in publication order (0 is the empty start); it is not the event's version
/// in its stream, which counts in recording order from the matter's opening.
/// </summary>
public sealed record HistoryEntry(
    int Revision,
    string StatementId,
    string Type,
    DateTimeOffset PublishedAt,
    DateTimeOffset RecordedAt,
    long Position,
    string? Speaker,
    string Quote,
    IReadOnlyList<string> CorrectedBy,
    IReadOnlyList<string> Changes,
    JsonArray Patch,
    MatterStatus Status,
    [property: JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] ArchivedSource? ArchivedSource = null);

/// <summary>The change between two points of a matter's history.</summary>
public sealed record HistoryComparison(string Matter, HistoryPoint From, HistoryPoint To, IReadOnlyList<string> Changes, JsonArray Patch, MatterStatus? Before, MatterStatus After);

public sealed record HistoryPoint(int Revision, DateTimeOffset? At);

/// <summary>A word-level comparison of the wording of two statements.</summary>
public sealed record WordingComparison(string From, string To, string FromQuote, string ToQuote, string Rendered, IReadOnlyList<DiffSegment> Segments);

/// <summary>
/// The history of a matter: one entry per statement in publication order, and one per promise falling due undelivered
/// (type <see cref="PromiseOverdue"/>, at the start of the day after its due date, carrying the promise's statement id
/// and keeping the version of the statement before it). Each entry's status is evaluated as of that entry's time;
/// applying the patches in order to an empty document reproduces each status.
/// </summary>
public static class MatterHistory
{
    public const string PromiseOverdue = "promise.overdue";

    /// <summary>The history, with the promises fallen due by <paramref name="through"/> (the date asked; none after the last statement when null).</summary>
    public static IReadOnlyList<HistoryEntry> Build(MatterTimeline timeline, DateTimeOffset? through = null)
    {
        var entries = new List<HistoryEntry>();
        var fold = StatusFold.Empty(timeline.Matter, timeline.Organization, timeline.Title);
        var previous = fold.Render(DateTimeOffset.MinValue);
        JsonNode? previousJson = new JsonObject();

        // A promise going overdue is its own entry, never a change brought by the next statement.
        void FallDue(DateTimeOffset until)
        {
            var open = previous.Promises.Where(p => p.Status == PromiseStates.Open).Select(p => p.Id).ToHashSet(StringComparer.Ordinal);
            foreach (var promise in fold.Render(until).Promises.Where(p => p.Status == PromiseStates.Overdue && open.Contains(p.Id)).OrderBy(p => p.DueBy).ThenBy(p => p.Id, StringComparer.Ordinal))
            {
                var since = new DateTimeOffset(promise.DueBy.AddDays(1).ToDateTime(TimeOnly.MinValue), TimeSpan.Zero);
                var status = fold.Render(since);
                var json = ToJson(status);
                var promised = timeline.Entries.First(e => e.Statement.StatementId == promise.StatementId);
                entries.Add(new HistoryEntry(
                    fold.Revision, promise.StatementId, PromiseOverdue, since, promised.Statement.RecordedAt, promised.Position, null, string.Empty, [],
                    [$"promise {promise.Id} overdue since {promise.DueBy:yyyy-MM-dd}"], JsonPatch.Diff(previousJson, json), status));
                previous = status;
                previousJson = json;
            }
        }

        foreach (var entry in timeline.Entries)
        {
            var s = entry.Statement;
            FallDue(s.PublishedAt);
            fold = StatusFold.Evolve(fold, s);
            var status = fold.Render(s.PublishedAt);
            var json = ToJson(status);
            var changes = new List<string>();
            if (entries.Count == 0)
            {
                changes.Add($"matter opened: {timeline.Organization}, \"{timeline.Title}\"");
            }

            if (s is EntryCorrected correction)
            {
                changes.Add(StatusChanges.DescribeCorrection(correction));
            }

            changes.AddRange(StatusChanges.Describe(previous, status));
            entries.Add(new HistoryEntry(
                fold.Revision, s.StatementId, s.Type, s.PublishedAt, s.RecordedAt, entry.Position,
                s.Speaker?.Name, s.Quote, entry.CorrectedBy, changes, JsonPatch.Diff(previousJson, json), status, entry.ArchivedSource));
            previous = status;
            previousJson = json;
        }

        if (through is { } end)
        {
            FallDue(end);
        }

        return entries;
    }

    /// <summary>Compares two points, each a revision (0 is before the first statement) or a publication time.</summary>
    /// <exception cref="HistoryPointException">A revision the history does not have, or an end point before the first statement.</exception>
    public static HistoryComparison Compare(MatterTimeline timeline, HistoryPoint from, HistoryPoint to)
    {
        var history = Build(timeline);
        var before = At(timeline, history, from);
        var after = At(timeline, history, to) ?? throw new HistoryPointException("the end point of a comparison must be after the first statement");
        var empty = StatusFold.Empty(timeline.Matter, timeline.Organization, timeline.Title).Render(DateTimeOffset.MinValue);
        var patch = JsonPatch.Diff(before is null ? new JsonObject() : ToJson(before), ToJson(after));
        return new HistoryComparison(timeline.Matter, Resolve(history, from), Resolve(history, to), StatusChanges.Describe(before ?? empty, after), patch, before, after);
    }

    public static WordingComparison CompareWording(Statement from, Statement to)
    {
        var segments = WordDiff.Compare(from.Quote, to.Quote);
        return new WordingComparison(from.StatementId, to.StatementId, from.Quote, to.Quote, WordDiff.Render(segments), segments);
    }

    public static JsonNode ToJson(MatterStatus status) => JsonSerializer.SerializeToNode(status, LedgerJson.Output)!;

    private static MatterStatus? At(MatterTimeline timeline, IReadOnlyList<HistoryEntry> history, HistoryPoint point)
    {
        if (point.At is { } at)
        {
            // The history's statuses leave the archived sources out (each entry carries its own), so comparisons do too.
            return timeline.PublishedBy(at).Any() ? MatterViews.Status(timeline, at) with { ArchivedSources = null } : null;
        }

        var statements = Statements(history);
        if (point.Revision < 0 || point.Revision > statements.Count)
        {
            throw new HistoryPointException($"matter {timeline.Matter} has revisions 0 to {statements.Count}, not {point.Revision} (revision 0 is before its first statement)");
        }

        return point.Revision == 0 ? null : statements[point.Revision - 1].Status;
    }

    private static List<HistoryEntry> Statements(IReadOnlyList<HistoryEntry> history) => [.. history.Where(e => e.Type != PromiseOverdue)];

    private static HistoryPoint Resolve(IReadOnlyList<HistoryEntry> history, HistoryPoint point) =>
        point.At is { } at ? new HistoryPoint(Statements(history).Count(e => e.PublishedAt <= at), at) : point;
}

/// <summary>A comparison point the history does not have; its message is for the person who named it.</summary>
public sealed class HistoryPointException(string message) : Exception(message)
{
    public HistoryPointException()
        : this("no such point in the history")
    {
    }

    public HistoryPointException(string message, Exception innerException)
        : this(message + ": " + innerException.Message)
    {
    }
}
