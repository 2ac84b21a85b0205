using System.Globalization;
using Ledger.Projections;

namespace Ledger.Server.Dashboard;

/// <summary>
/// The matter's timeline as an SVG drawn on the server: time runs left to right; the top lane has one mark per
/// statement (coloured by type, with a tooltip); below it each promise has a lane with its window from promise to
/// due date, the overdue stretch past the due date (to the delivery, or to the as-of time when nothing came), and
/// the delivery.
/// </summary>
public static class TimelineChart
{
    private const double Width = 960;
    private const double Left = 150;
    private const double Right = 24;
    private const double Top = 28;
    private const double StatementLane = 56;
    private const double PromiseLane = 34;
    private const double AxisHeight = 30;

    public static Html Render(IReadOnlyList<TimelineEntry> entries, MatterStatus status, DateTimeOffset asOf)
    {
        var instants = entries.Select(e => e.Statement.PublishedAt)
            .Concat(status.Promises.SelectMany(p => new[] { p.PromisedAt, Day(p.DueBy), p.DeliveredAt ?? p.PromisedAt }))
            .ToList();
        if (instants.Count == 0)
        {
            return Html.Of($"<p class=\"muted\">No statements yet.</p>");
        }

        var anyOpen = status.Promises.Any(p => p.Status is PromiseStates.Overdue or PromiseStates.Open);
        if (anyOpen)
        {
            instants.Add(asOf);
        }

        var start = instants.Min();
        var end = instants.Max();
        var span = Math.Max((end - start).TotalDays, 1);
        start = start.AddDays(-span * 0.03);
        end = end.AddDays(span * 0.03);
        var plot = Width - Left - Right;
        double X(DateTimeOffset at) => Math.Round(Left + ((at - start).TotalDays / (end - start).TotalDays * plot), 1);

        var height = Top + StatementLane + (status.Promises.Count * PromiseLane) + AxisHeight;
        var bottom = height - AxisHeight;
        var parts = new List<Html>
        {
            Html.Of($"<text class=\"lane-label\" x=\"8\" y=\"{Top + (StatementLane / 2) + 4}\">statements</text>"),
            Html.Of($"<line class=\"lane-rule\" x1=\"{Left}\" x2=\"{Width - Right}\" y1=\"{Top + (StatementLane / 2)}\" y2=\"{Top + (StatementLane / 2)}\"/>"),
        };

        parts.AddRange(Axis(start, end, X, Top - 8, bottom));

        // Statements published on the same day are stacked so that every mark stays visible.
        var stacked = new Dictionary<DateOnly, int>();
        foreach (var entry in entries)
        {
            var s = entry.Statement;
            var day = DateOnly.FromDateTime(s.PublishedAt.UtcDateTime);
            var index = stacked.TryGetValue(day, out var n) ? n : 0;
            stacked[day] = index + 1;
            var y = Top + (StatementLane / 2) + ((index % 2 == 0 ? -1 : 1) * ((index + 1) / 2) * 12);
            var tooltip = $"{Dates.Short(s.PublishedAt)} · {s.Type} · {s.StatementId}" + (s.Speaker is null ? string.Empty : $" · {s.Speaker.Name}") + $"\n{Dates.Excerpt(s.Quote, 160)}";
            parts.Add(Html.Of($"<a href=\"#statement-{Ids.Anchor(s.StatementId)}\"><circle class=\"mark type-{Ids.Css(s.Type)}\" data-statement=\"{s.StatementId}\" cx=\"{X(s.PublishedAt)}\" cy=\"{y}\" r=\"6\"><title>{tooltip}</title></circle></a>"));
        }

        var lane = 0;
        foreach (var p in status.Promises)
        {
            var y = Top + StatementLane + (lane * PromiseLane) + (PromiseLane / 2);
            var due = Day(p.DueBy);
            var x0 = X(p.PromisedAt);
            var x1 = Math.Max(X(due), x0 + 2);
            var late = p.DeliveredAt is { } d ? d > due ? d : (DateTimeOffset?)null : p.Status == PromiseStates.Overdue ? asOf : null;
            var title = $"promise {p.Id}: {p.What}\npromised {Dates.Short(p.PromisedAt)}, due {p.DueBy.ToString("yyyy-MM-dd", CultureInfo.InvariantCulture)}"
                + (p.DueText is null ? string.Empty : $" (\"{p.DueText}\")")
                + (p.DeliveredAt is { } delivered ? $", delivered {Dates.Short(delivered)}" : string.Empty)
                + $" — {p.Status}";
            var g = new List<Html>
            {
                Html.Of($"<title>{title}</title>"),
                Html.Of($"<rect class=\"window\" x=\"{x0}\" y=\"{y - 6}\" width=\"{Math.Round(x1 - x0, 1)}\" height=\"12\" rx=\"3\"/>"),
                Html.Of($"<line class=\"due\" x1=\"{x1}\" x2=\"{x1}\" y1=\"{y - 10}\" y2=\"{y + 10}\"/>"),
            };
            if (late is { } lateEnd)
            {
                var xl = Math.Max(X(lateEnd), x1 + 2);
                g.Add(Html.Of($"<rect class=\"overdue\" x=\"{x1}\" y=\"{y - 6}\" width=\"{Math.Round(xl - x1, 1)}\" height=\"12\" rx=\"3\"/>"));
            }

            if (p.DeliveredAt is { } at)
            {
                g.Add(Html.Of($"<path class=\"delivered\" d=\"M{X(at)} {y - 8} l6 8 l-6 8 l-6 -8 z\"/>"));
            }

            g.Add(Html.Of($"<circle class=\"promised\" cx=\"{x0}\" cy=\"{y}\" r=\"4\"/>"));
            parts.Add(Html.Of($"<text class=\"lane-label\" x=\"8\" y=\"{y + 4}\">{Dates.Excerpt(p.Id, 20)}</text>"));
            parts.Add(Html.Of($"<g class=\"promise-window promise-{Ids.Css(p.Status)}\" data-promise=\"{p.Id}\">{Html.Join(g)}</g>"));
            lane++;
        }

        if (anyOpen && asOf <= end)
        {
            var xa = X(asOf);
            parts.Add(Html.Of($"<line class=\"as-of\" x1=\"{xa}\" x2=\"{xa}\" y1=\"{Top - 8}\" y2=\"{bottom}\"/><text class=\"as-of-label\" x=\"{xa - 4}\" y=\"{Top - 12}\" text-anchor=\"end\">as of {Dates.Short(asOf)}</text>"));
        }

        var label = $"Timeline of {entries.Count} statements and {status.Promises.Count} promises";
        return Html.Of($"<svg class=\"timeline\" viewBox=\"0 0 {Width} {height}\" width=\"100%\" role=\"img\" aria-label=\"{label}\" xmlns=\"http://www.w3.org/2000/svg\">{Html.Join(parts)}</svg>");
    }

    private static DateTimeOffset Day(DateOnly date) => new(date.ToDateTime(TimeOnly.MinValue), TimeSpan.Zero);

    /// <summary>Ticks at month starts (or year starts over long spans), labelled, with light grid lines.</summary>
    private static IEnumerable<Html> Axis(DateTimeOffset start, DateTimeOffset end, Func<DateTimeOffset, double> x, double top, double bottom)
    {
        var months = ((end.Year - start.Year) * 12) + end.Month - start.Month;
        var step = months switch { <= 14 => 1, <= 36 => 3, <= 96 => 12, _ => 24 };
        var tick = new DateTimeOffset(start.Year, start.Month, 1, 0, 0, 0, TimeSpan.Zero).AddMonths(1);
        if (step >= 12)
        {
            tick = new DateTimeOffset(start.Year + 1, 1, 1, 0, 0, 0, TimeSpan.Zero);
        }
        else
        {
            while ((tick.Month - 1) % step != 0)
            {
                tick = tick.AddMonths(1);
            }
        }

        yield return Html.Of($"<line class=\"axis\" x1=\"{x(start)}\" x2=\"{x(end)}\" y1=\"{bottom}\" y2=\"{bottom}\"/>");
        for (; tick <= end; tick = tick.AddMonths(step))
        {
            var at = x(tick);
            var text = tick.Month == 1 || step >= 12 ? tick.ToString("yyyy", CultureInfo.InvariantCulture) : tick.ToString("MMM", CultureInfo.InvariantCulture);
            yield return Html.Of($"<line class=\"grid\" x1=\"{at}\" x2=\"{at}\" y1=\"{top}\" y2=\"{bottom}\"/><text class=\"tick\" x=\"{at}\" y=\"{bottom + 18}\" text-anchor=\"middle\">{text}</text>");
        }
    }
}
