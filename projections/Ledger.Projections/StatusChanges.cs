namespace Ledger.Projections;

/// <summary>Readable lines for the change between two statuses, e.g. "allegation x: unassessed -> partially-substantiated".</summary>
public static class StatusChanges
{
    public static IReadOnlyList<string> Describe(MatterStatus before, MatterStatus after)
    {
        var lines = new List<string>();
        if (before.Phase != after.Phase)
        {
            lines.Add($"phase: {before.Phase} -> {after.Phase}");
        }

        if (before.Review.Status != after.Review.Status)
        {
            var who = after.Review.Reviewer is { } reviewer ? $" (reviewer: {reviewer})" : string.Empty;
            lines.Add($"review: {before.Review.Status} -> {after.Review.Status}{who}");
        }

        if (after.Review.Outcome is { } outcome && before.Review.Outcome != outcome)
        {
            lines.Add($"review outcome: {outcome}");
        }

        Compare(lines, before.Allegations, after.Allegations, a => a.Id,
            a => $"allegation {a.Id} added: {a.Assessment}" + (a.Summary is null ? string.Empty : $" ({a.Summary})"),
            a => $"allegation {a.Id} removed",
            (b, a) => b.Assessment != a.Assessment ? $"allegation {a.Id}: {b.Assessment} -> {a.Assessment}"
                : b.Summary != a.Summary && a.Summary is not null ? $"allegation {a.Id} reported: {a.Summary}"
                : null);
        Compare(lines, before.Actions, after.Actions, a => a.StatementId,
            a => $"action: {a.Action} {Join(a.Services)}" + (a.Counterparty is null ? string.Empty : $" for {a.Counterparty}")
                + (a.Exclusions.Count == 0 ? string.Empty : $"; excluded: {Join(a.Exclusions)}"),
            a => $"action withdrawn: {a.Action} {Join(a.Services)}",
            (_, _) => null);
        Compare(lines, before.Positions, after.Positions, p => p.StatementId,
            p => $"position on {p.Topic}: {p.Position}",
            p => $"position on {p.Topic} withdrawn",
            (_, _) => null);
        Compare(lines, before.Promises, after.Promises, p => p.Id,
            p => $"promise {p.Id}: {p.What}, due {p.DueBy:yyyy-MM-dd}" + (p.DueText is null ? string.Empty : $" (\"{p.DueText}\")") + $" [{p.Status}]",
            p => $"promise {p.Id} removed",
            (b, a) => b.Status != a.Status ? $"promise {a.Id}: {b.Status} -> {a.Status}" : null);
        return lines;
    }

    /// <summary>The line a correction adds: what it changed of which statement.</summary>
    public static string DescribeCorrection(Events.EntryCorrected correction) =>
        $"correction of {correction.Corrects}: {string.Join(", ", correction.Changes.Keys)} ({correction.Reason})";

    private static void Compare<T>(List<string> lines, IReadOnlyList<T> before, IReadOnlyList<T> after, Func<T, string> key,
        Func<T, string> added, Func<T, string> removed, Func<T, T, string?> changed)
    {
        var old = before.ToDictionary(key, StringComparer.Ordinal);
        var now = after.ToDictionary(key, StringComparer.Ordinal);
        foreach (var item in before.Where(b => !now.ContainsKey(key(b))))
        {
            lines.Add(removed(item));
        }

        foreach (var item in after)
        {
            if (!old.TryGetValue(key(item), out var previous))
            {
                lines.Add(added(item));
            }
            else if (changed(previous, item) is { } line)
            {
                lines.Add(line);
            }
        }
    }

    private static string Join(IReadOnlyList<string> items) => string.Join(", ", items);
}
