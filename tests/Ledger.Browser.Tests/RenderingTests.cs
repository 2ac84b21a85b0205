using System.Text.RegularExpressions;
using Ledger.Projections;
using Ledger.Projections.ReadModels;
using Ledger.Server.Dashboard;
using Ledger.Specs;
using Ledger.Testing;

namespace Ledger.Browser.Tests;

/// <summary>The HTML and SVG rendering alone, without a server or a browser.</summary>
public sealed partial class RenderingTests
{
    private static readonly DateTimeOffset Now = SpecLedger.At("2026-01-15T12:00:00Z");

    [Fact]
    public void Interpolated_values_are_encoded_and_fragments_are_kept()
    {
        var hostile = "<script>alert('x')</script> & \"quoted\"";
        var inner = Html.Of($"<b>{hostile}</b>");
        var outer = Html.Of($"<p title=\"{hostile}\">{inner} {42.5} {new DateOnly(2025, 11, 6):yyyy-MM-dd}</p>");

        Assert.Equal("<b>&lt;script&gt;alert(&#x27;x&#x27;)&lt;/script&gt; &amp; &quot;quoted&quot;</b>", inner.Value);
        Assert.StartsWith("<p title=\"&lt;script&gt;", outer.Value, StringComparison.Ordinal);
        Assert.EndsWith("</b> 42.5 2025-11-06</p>", outer.Value, StringComparison.Ordinal);
        Assert.Equal("Zürich – 東京", Html.Text("Zürich – 東京").Value);
    }

    [Fact]
    public void Sample_timeline_has_one_mark_per_statement_and_one_window_per_promise()
    {
        var ledger = new SpecLedger().Record(File.ReadAllText(Checkout.SampleFile), "2025-10-01T00:00:00Z");
        var timeline = ledger.Timeline(matter: "microsoft/imod-azure");
        var status = MatterViews.Status(timeline, Now);

        var svg = TimelineChart.Render(timeline.Entries, status, Now).Value;

        Assert.StartsWith("<svg class=\"timeline\"", svg, StringComparison.Ordinal);
        Assert.Equal(7, Count(svg, "<circle class=\"mark "));
        foreach (var entry in timeline.Entries)
        {
            Assert.Equal(1, Count(svg, $"data-statement=\"{entry.Statement.StatementId}\""));
        }

        Assert.Equal(1, Count(svg, "<g class=\"promise-window"));
        Assert.Contains("<g class=\"promise-window promise-overdue\" data-promise=\"lessons-learned\">", svg, StringComparison.Ordinal);
        Assert.Equal(1, Count(svg, "<rect class=\"overdue\""));
        Assert.Contains("as of 2026-01-15 12:00 UTC", svg, StringComparison.Ordinal);
    }

    [Fact]
    public void Promise_windows_show_late_deliveries_and_on_time_ones_without_an_overdue_stretch()
    {
        var ledger = new SpecLedger()
            .Record(SpecLedger.Document(
                SpecLedger.Promise("p1", "2025-01-01", "early", "2025-02-01"),
                SpecLedger.Promise("p2", "2025-01-02", "late", "2025-02-01"),
                SpecLedger.Promise("p3", "2025-01-03", "pending", "2026-06-01"),
                SpecLedger.Delivery("d1", "2025-01-20", "early"),
                SpecLedger.Delivery("d2", "2025-03-15", "late")), "2025-04-01T00:00:00Z");
        var timeline = ledger.Timeline();
        var status = MatterViews.Status(timeline, Now);

        var svg = TimelineChart.Render(timeline.Entries, status, Now).Value;

        Assert.Equal(5, Count(svg, "<circle class=\"mark "));
        Assert.Equal(3, Count(svg, "<g class=\"promise-window"));
        Assert.Equal(2, Count(svg, "<path class=\"delivered\""));
        Assert.Matches(new Regex("data-promise=\"late\">.*<rect class=\"overdue\".*<path class=\"delivered\""), svg);
        Assert.DoesNotMatch(new Regex("data-promise=\"early\">((?!</g>).)*class=\"overdue\""), svg);
        Assert.Contains("<g class=\"promise-window promise-open\" data-promise=\"pending\">", svg, StringComparison.Ordinal);

        var table = Pages.PromisesTable(status.Promises, Now).Value;
        Assert.Contains("delivered 2025-01-20, on time", table, StringComparison.Ordinal);
        Assert.Contains("delivered 2025-03-15, 42 d late", table, StringComparison.Ordinal);
    }

    [Fact]
    public void Compared_revisions_show_change_lines_and_a_readable_patch()
    {
        var ledger = new SpecLedger().Record(File.ReadAllText(Checkout.SampleFile), "2025-10-01T00:00:00Z");
        var timeline = ledger.Timeline(matter: "microsoft/imod-azure");
        var comparison = MatterHistory.Compare(timeline, new HistoryPoint(3, null), new HistoryPoint(7, null));
        var model = new MatterPageModel(timeline, MatterViews.Status(timeline, Now), new PageTimes(Now, null, null, null), MatterHistory.Build(timeline), comparison, null, null);

        var html = Pages.Matter(model).Value;

        Assert.Contains("<li class=\"change changed\">phase: reported -&gt; action-taken</li>", html, StringComparison.Ordinal);
        Assert.Contains("<tr class=\"op op-replace\"><td><span class=\"badge op-replace\">replace</span></td><td class=\"mono\">/review/reviewer</td><td class=\"mono value\">&quot;Covington &amp; Burling", html, StringComparison.Ordinal);
        Assert.DoesNotContain("\\u00", html, StringComparison.Ordinal);
        Assert.Contains("<option value=\"3\" selected>", html, StringComparison.Ordinal);
        Assert.Contains("<option value=\"7\" selected>", html, StringComparison.Ordinal);
    }

    [Fact]
    public void Matter_page_encodes_every_recorded_text()
    {
        var json = Documents.Escaping;
        var ledger = new SpecLedger().Record(json, "2025-04-01T00:00:00Z");
        var timeline = ledger.Timeline(matter: "example/escaping");
        var status = MatterViews.Status(timeline, Now);
        var history = MatterHistory.Build(timeline);
        var wording = MatterHistory.CompareWording(timeline.Entries[0].Statement, timeline.Entries[1].Statement);
        var times = new PageTimes(Now, null, "2026-01-15T12:00:00Z", "<script>");

        var html = Pages.Matter(new MatterPageModel(timeline, status, times, history, MatterHistory.Compare(timeline, new HistoryPoint(0, null), new HistoryPoint(2, null)), wording, "<b>problem</b>")).Value;

        var tags = Tags().Matches(html).Select(m => m.Groups[1].Value.ToLowerInvariant()).ToHashSet();
        Assert.DoesNotContain("b", tags);
        Assert.DoesNotContain("i", tags);
        Assert.DoesNotContain("img", tags);
        Assert.DoesNotContain("em", tags);
        Assert.DoesNotContain("u", tags);
        Assert.Equal(1, Count(html, "<script"));
        Assert.Contains("<script src=\"/_dashboard/dashboard.js\" defer></script>", html, StringComparison.Ordinal);
        Assert.Equal(1, Count(html, "<svg"));
        Assert.DoesNotMatch(new Regex("<[a-zA-Z][^>]*\\son(error|load)="), html);
        Assert.Contains("&lt;script&gt;window.__xss = &#x27;title&#x27;&lt;/script&gt;Escaping &lt;b&gt;check&lt;/b&gt;", html, StringComparison.Ordinal);
        Assert.Contains("value=\"&lt;script&gt;\"", html, StringComparison.Ordinal);
        Assert.Contains("&lt;b&gt;problem&lt;/b&gt;", html, StringComparison.Ordinal);

        // A source URL with a quote in it stays inside its attribute.
        Assert.Contains("href=\"https://example.org/a?q=&quot;&gt;&lt;script&gt;", html, StringComparison.Ordinal);
    }

    [Fact]
    public void Wording_diff_wraps_insertions_and_deletions()
    {
        var ledger = new SpecLedger().Record(SpecLedger.Document(
            SpecLedger.Statement("a", "PositionStated", "2025-01-01", "\"topic\":\"t\",\"position\":\"p\"").Replace("Quote of a.", "We found no <evidence> at all.", StringComparison.Ordinal),
            SpecLedger.Statement("b", "PositionStated", "2025-02-01", "\"topic\":\"t\",\"position\":\"p\"").Replace("Quote of b.", "We found some <evidence> at all.", StringComparison.Ordinal)), "2025-03-01T00:00:00Z");
        var timeline = ledger.Timeline();

        var html = Pages.WordingView(MatterHistory.CompareWording(timeline.Entries[0].Statement, timeline.Entries[1].Statement)).Value;

        Assert.Contains("<del>no</del>", html, StringComparison.Ordinal);
        Assert.Contains("<ins>some</ins>", html, StringComparison.Ordinal);
        Assert.Contains("&lt;evidence&gt;", html, StringComparison.Ordinal);
    }

    [Fact]
    public void Board_shows_phase_and_overdue_badges()
    {
        var ledger = new SpecLedger().Record(File.ReadAllText(Checkout.SampleFile), "2025-10-01T00:00:00Z");
        var status = MatterViews.Status(ledger.Timeline(matter: "microsoft/imod-azure"), Now);
        var promises = PromiseRow.Of(status);
        var row = MatterRow.Of(status, promises, 1, 8);
        var today = DateOnly.FromDateTime(Now.UtcDateTime);
        var board = new BoardModel(new Page<MatterRow>([row], null, 8), new LedgerCounts(1, 0, 1, 8), promises.Select(p => p.Render(today)).ToList(), new PageTimes(Now, null, null, null));

        var html = Pages.Board(board).Value;

        Assert.Contains("<span class=\"badge phase phase-action-taken\">action taken</span>", html, StringComparison.Ordinal);
        Assert.Contains("<span class=\"badge status-overdue overdue-count\">1 overdue</span>", html, StringComparison.Ordinal);
        Assert.Contains("href=\"/matters/microsoft/imod-azure\"", html, StringComparison.Ordinal);
        Assert.DoesNotContain("http://", html.Replace("http://www.w3.org/2000/svg", string.Empty, StringComparison.Ordinal), StringComparison.Ordinal);
        Assert.DoesNotContain("https://", html, StringComparison.Ordinal);
    }

    private static int Count(string text, string part) => Regex.Count(text, Regex.Escape(part));

    [GeneratedRegex("<([a-zA-Z][a-zA-Z0-9]*)[\\s>/]")]
    private static partial Regex Tags();
}
