using System.Text.Json;
using System.Text.Json.Nodes;
using Ledger.Diffing;
using Ledger.Events;
using Ledger.Projections;
using Ledger.Projections.ReadModels;

namespace Ledger.Server.Dashboard;

/// <summary>The times a page was asked for: as of a publication time, known at a recording time (as the CLI's --as-of and --known-at).</summary>
public sealed record PageTimes(DateTimeOffset AsOf, DateTimeOffset? KnownAt, string? AsOfText, string? KnownAtText)
{
    public bool IsNow => AsOfText is null && KnownAtText is null;

    /// <summary>The query's times; a page of now reads the current view, which the read models hold.</summary>
    public Querying.ReadTime Read(DateTimeOffset now) => new(AsOf, KnownAt, IsNow ? AsOf : now);

    /// <summary>The query string that keeps these times on links ("" when the page shows now).</summary>
    public string Query(params (string Name, string? Value)[] more) => DashboardQuery.Build([("as-of", AsOfText), ("known-at", KnownAtText), .. more]);
}

public static class DashboardQuery
{
    public static string Build(IEnumerable<(string Name, string? Value)> parameters)
    {
        var parts = parameters.Where(p => !string.IsNullOrEmpty(p.Value)).Select(p => $"{p.Name}={Uri.EscapeDataString(p.Value!)}").ToList();
        return parts.Count == 0 ? string.Empty : "?" + string.Join('&', parts);
    }
}

/// <summary>What the board shows: a page of matters, the counts, and the first overdue and open promises.</summary>
public sealed record BoardModel(Page<MatterRow> Matters, LedgerCounts Counts, IReadOnlyList<TrackedPromise> Promises, PageTimes Times);

/// <summary>What an organization's page shows: its summary, a page of its matters, its first overdue and open promises.</summary>
public sealed record OrganizationPageModel(OrganizationSummary Summary, Page<MatterRow> Matters, IReadOnlyList<TrackedPromise> Promises, PageTimes Times);

/// <summary>What the matter page shows; built by the endpoint from the pure projections.</summary>
public sealed record MatterPageModel(
    MatterTimeline Timeline,
    MatterStatus Status,
    PageTimes Times,
    IReadOnlyList<HistoryEntry> History,
    HistoryComparison? Comparison,
    WordingComparison? Wording,
    string? Problem);

/// <summary>Server-rendered pages: the matters board, a matter, an organization. Every dynamic text goes through <see cref="Html.Of"/>.</summary>
public static class Pages
{
    public static Html Layout(string title, Html main, string stream, Html crumbs, string? matter = null, string? feed = null)
    {
        return Html.Of($"""
            <!doctype html>
            <html lang="en">
            <head>
            <meta charset="utf-8">
            <meta name="viewport" content="width=device-width, initial-scale=1">
            <title>{title} · Ledger</title>
            <link rel="stylesheet" href="{DashboardAssets.CssPath}">
            <script src="{DashboardAssets.ScriptPath}" defer></script>
            {Html.When(feed is not null, Html.Of($"<link rel=\"alternate\" type=\"application/atom+xml\" title=\"Atom feed\" href=\"{feed}\">"))}
            </head>
            <body data-stream="{stream}" data-matter="{matter}">
            <header class="top">
              <a class="brand" href="/"><span class="logo">▤</span> Ledger</a>
              <nav class="crumbs">{crumbs}</nav>
              {Html.When(feed is not null, Html.Of($"<a class=\"feed\" href=\"{feed}\" title=\"Atom feed of these events\">feed</a>"))}
              <span id="live" class="live" hidden title="Live updates from the ledger">live</span>
            </header>
            <main id="content">
            {main}
            </main>
            <footer class="bottom">Ledger · public statements, as recorded · every statement is kept, corrections and withdrawals are new entries</footer>
            </body>
            </html>
            """);
    }

    public static Html Error(int status, string message) =>
        Layout(status == 404 ? "Not found" : "Bad request", Html.Of($"""
            <section class="card problem">
              <h1>{(status == 404 ? "Not found" : "Bad request")}</h1>
              <p>{message}</p>
              <p><a href="/">Back to the matters</a></p>
            </section>
            """), "/api/stream", Html.Empty);

    // ---------------------------------------------------------------- board

    public static Html Board(BoardModel m)
    {
        var times = m.Times;
        var today = DateOnly.FromDateTime(times.AsOf.UtcDateTime);
        var main = Html.Of($"""
            <div class="page-head">
              <div>
                <h1>Matters</h1>
                <p class="muted">{Count(m.Counts.Matters, "matter")} · {Count(m.Counts.OpenPromises + m.Counts.OverduePromises, "open promise")} · {m.Counts.OverduePromises} overdue · {TimesText(times)}</p>
              </div>
              {TimesForm("/", times, Html.Empty)}
            </div>
            <section class="card">
              {MattersTable(m.Matters.Items, times, today, showOrganization: true)}
              {Html.When(m.Counts.Matters == 0, NoMatters(times))}
              {NextLink("/", m.Matters.Next, times)}
            </section>
            <section class="card">
              <h2>Open and overdue promises</h2>
              {PromiseList(m.Promises, times)}
            </section>
            """);
        return Layout("Matters", main, "/api/stream", Html.Of($"<a href=\"/\">Matters</a>"), feed: "/feeds/all");
    }

    // ---------------------------------------------------------------- organization

    public static Html Organization(OrganizationPageModel m)
    {
        var times = m.Times;
        var summary = m.Summary;
        var today = DateOnly.FromDateTime(times.AsOf.UtcDateTime);
        var organization = summary.Organization;
        var main = Html.Of($"""
            <div class="page-head">
              <div>
                <p class="eyebrow">Organization</p>
                <h1>{organization}</h1>
                <p class="muted">{TimesText(times)}</p>
              </div>
              {TimesForm(Ids.OrganizationPath(organization), times, Html.Empty)}
            </div>
            <section class="tiles">
              {Tile("matters", summary.Matters, "")}
              {Tile("promises", summary.Promises, "")}
              {Tile("delivered on time", summary.DeliveredOnTime, "good")}
              {Tile("delivered late", summary.DeliveredLate, summary.DeliveredLate > 0 ? "warn" : "")}
              {Tile("overdue", summary.Overdue, summary.Overdue > 0 ? "bad" : "")}
              {Tile("open", summary.Open, "")}
              {Tile("withdrawn", summary.Withdrawn, "")}
            </section>
            <section class="card">
              <h2>Matters</h2>
              {MattersTable(m.Matters.Items, times, today, showOrganization: false)}
              {NextLink(Ids.OrganizationPath(organization), m.Matters.Next, times)}
            </section>
            <section class="card">
              <h2>Promises</h2>
              {PromiseList(m.Promises, times)}
            </section>
            """);
        return Layout(organization, main, "/api/stream" + DashboardQuery.Build([("organization", organization)]),
            Html.Of($"<a href=\"/\">Matters</a><span>›</span><span>{organization}</span>"), feed: "/feeds/organizations/" + Uri.EscapeDataString(organization));
    }

    private static Html MattersTable(IReadOnlyList<MatterRow> rows, PageTimes times, DateOnly today, bool showOrganization)
    {
        var body = rows.Select(r => Html.Of($"""
            <tr class="matter-row" data-matter="{r.Matter}">
              <td><a class="matter-link" href="{Ids.MatterPath(r.Matter) + times.Query()}">{r.Title}</a><div class="muted mono">{r.Matter}</div></td>
              {Html.When(showOrganization, Html.Of($"<td><a href=\"{Ids.OrganizationPath(r.Organization) + times.Query()}\">{r.Organization}</a></td>"))}
              <td>{PhaseBadge(r.Phase)}</td>
              <td>{ReviewText(r.Review)}</td>
              <td class="num">{r.Statements}</td>
              <td class="nowrap">{Dates.Short(r.LastPublishedAt)}</td>
              <td>{PromiseBadges(r.OverdueOn(today), r.Promises.Open - r.OverdueOn(today), r.Promises.DeliveredOnTime, r.Promises.DeliveredLate, r.Promises.Promises)}</td>
            </tr>
            """));
        var head = showOrganization
            ? Html.Of($"<tr><th>Matter</th><th>Organization</th><th>Phase</th><th>Review</th><th class=\"num\">Statements</th><th>Last published</th><th>Promises</th></tr>")
            : Html.Of($"<tr><th>Matter</th><th>Phase</th><th>Review</th><th class=\"num\">Statements</th><th>Last published</th><th>Promises</th></tr>");
        return Html.Of($"<table class=\"grid-table board\"><thead>{head}</thead><tbody>{Html.Join(body)}</tbody></table>");
    }

    private static Html PromiseList(IReadOnlyList<TrackedPromise> promises, PageTimes times)
    {
        if (promises.Count == 0)
        {
            return Html.Of($"<p class=\"muted\">None.</p>");
        }

        var rows = promises.Select(p => Html.Of($"""
            <tr data-promise="{p.Id}">
              <td>{StatusBadge(p.Status, p.DaysOverdue)}</td>
              <td><a href="{Ids.MatterPath(p.Matter) + times.Query() + "#promises"}">{p.Matter}</a></td>
              <td class="mono">{p.Id}</td>
              <td>{p.What}</td>
              <td class="due"><span class="nowrap">{Dates.Day(p.DueBy)}</span>{DueText(p.DueText)}</td>
              <td class="nowrap">{Dates.Short(p.DeliveredAt)}</td>
            </tr>
            """));
        return Html.Of($"<table class=\"grid-table\"><thead><tr><th>Status</th><th>Matter</th><th>Promise</th><th>What</th><th>Due by</th><th>Delivered</th></tr></thead><tbody>{Html.Join(rows)}</tbody></table>");
    }

    private static Html NextLink(string path, string? cursor, PageTimes times) =>
        cursor is null ? Html.Empty : Html.Of($"<p class=\"pager\"><a rel=\"next\" href=\"{path + times.Query(("cursor", cursor))}\">Next page →</a></p>");

    private static string Count(int n, string noun) => n == 1 ? $"1 {noun}" : $"{n} {noun}s";

    /// <summary>Why the board is empty: a ledger with nothing yet, or a time before anything was recorded or published.</summary>
    private static Html NoMatters(PageTimes times) =>
        times.IsNow ? Html.Of($"<p class=\"muted empty\">The ledger holds no matter yet. Import documents with <code>ledger import</code>.</p>")
        : times.KnownAt is { } k && times.AsOfText is null ? Html.Of($"<p class=\"muted empty\">The ledger held no published matter at {Dates.Short(k)}.</p>")
        : Html.Of($"<p class=\"muted empty\">No matter had a statement published by {Dates.Short(times.AsOf)}{(times.KnownAt is { } known ? $", as the ledger held it at {Dates.Short(known)}" : string.Empty)}.</p>");

    // ---------------------------------------------------------------- matter

    public static Html Matter(MatterPageModel m)
    {
        var s = m.Status;
        var times = m.Times;
        var path = Ids.MatterPath(s.Matter);
        var main = Html.Of($"""
            <div class="page-head">
              <div>
                <p class="eyebrow"><a href="{Ids.OrganizationPath(s.Organization) + times.Query()}">{s.Organization}</a> · <span class="mono">{s.Matter}</span></p>
                <h1>{s.Title}</h1>
                <p>{PhaseBadge(s.Phase)} {PromiseBadges(s.Promises)} <span class="muted">{TimesText(times)}</span></p>
              </div>
              {TimesForm(path, times, Html.Empty)}
            </div>
            {Html.When(m.Problem is not null, Html.Of($"<p class=\"notice\" role=\"alert\">{m.Problem}</p>"))}
            <div class="columns">
              {StatusCard(s)}
              <section class="card" id="promises">
                <h2>Promises</h2>
                {PromisesTable(s.Promises, times.AsOf)}
              </section>
            </div>
            <section class="card" id="timeline">
              <h2>Timeline</h2>
              {TimelineChart.Render(m.Timeline.Entries, s, times.AsOf)}
              <p class="legend">{Legend()}</p>
            </section>
            {AllegationsCard(s)}
            <section class="card" id="history">
              <h2>History</h2>
              {CompareForm(path, m)}
              {(m.Comparison is { } c ? ComparisonView(c) : Html.Empty)}
              <ol class="history">{Html.Join(m.History.AsEnumerable().Reverse().Select(e => HistoryItem(e, m.Timeline)))}</ol>
            </section>
            <section class="card" id="wording">
              <h2>Wording</h2>
              {WordingForm(path, m)}
              {(m.Wording is { } w ? WordingView(w) : Html.Of($"<p class=\"muted\">Choose two statements to compare their wording word by word.</p>"))}
            </section>
            """);
        return Layout(s.Title, main, "/api/stream" + DashboardQuery.Build([("matter", s.Matter)]),
            Html.Of($"<a href=\"/\">Matters</a><span>›</span><a href=\"{Ids.OrganizationPath(s.Organization)}\">{s.Organization}</a><span>›</span><span>{s.Matter}</span>"), s.Matter, "/feeds" + path);
    }

    private static Html StatusCard(MatterStatus s)
    {
        var review = s.Review;
        return Html.Of($"""
            <section class="card status-card" id="status">
              <h2>Status</h2>
              <dl class="facts">
                <dt>Phase</dt><dd>{PhaseBadge(s.Phase)}</dd>
                <dt>Review</dt><dd>{ReviewText(review)}</dd>
                {Html.When(review.Scope is not null, Html.Of($"<dt>Scope</dt><dd>{review.Scope}</dd>"))}
                {Html.When(review.Principles.Count > 0, Html.Of($"<dt>Principles</dt><dd>{string.Join("; ", review.Principles)}</dd>"))}
                {Html.When(review.Outcome is not null, Html.Of($"<dt>Outcome</dt><dd>{review.Outcome}</dd>"))}
                <dt>Statements</dt><dd>{s.Statements} <span class="muted">(revision {s.Revision})</span></dd>
                <dt>Last published</dt><dd>{Dates.Short(s.LastPublishedAt)}</dd>
                {Html.Join(s.Actions.Select(a => Html.Of($"<dt>Action</dt><dd><span class=\"badge action\">{a.Action}</span> {string.Join(", ", a.Services)}{(a.Counterparty is null ? string.Empty : " for " + a.Counterparty)} <span class=\"muted\">{Dates.Short(a.TakenAt)}</span>{Html.When(a.Exclusions.Count > 0, Html.Of($"<div class=\"muted\">excluded: {string.Join("; ", a.Exclusions)}</div>"))}</dd>")))}
                {Html.Join(s.Positions.Select(p => Html.Of($"<dt>Position</dt><dd><strong>{p.Topic}</strong>: {p.Position} <span class=\"muted\">{Dates.Short(p.StatedAt)}</span></dd>")))}
              </dl>
            </section>
            """);
    }

    private static Html AllegationsCard(MatterStatus s) => s.Allegations.Count == 0 ? Html.Empty : Html.Of($"""
        <section class="card" id="allegations">
          <h2>Allegations</h2>
          <table class="grid-table">
            <thead><tr><th>Allegation</th><th>Assessment</th><th>Assessed</th><th>Finding or summary</th></tr></thead>
            <tbody>{Html.Join(s.Allegations.Select(a => Html.Of($"""
                <tr data-allegation="{a.Id}">
                  <td class="mono">{a.Id}{Html.When(a.ReportedBy is not null, Html.Of($"<div class=\"muted\">reported by {a.ReportedBy} {Dates.Short(a.ReportedAt)}</div>"))}</td>
                  <td><span class="badge assessment-{Ids.Css(a.Assessment)}">{a.Assessment}</span>{Html.When(a.Stage is not null, Html.Of($" <span class=\"muted\">{a.Stage}</span>"))}</td>
                  <td class="nowrap">{Dates.Short(a.AssessedAt)}</td>
                  <td>{a.Finding ?? a.Summary}</td>
                </tr>
                """)))}</tbody>
          </table>
        </section>
        """);

    public static Html PromisesTable(IReadOnlyList<PromiseStatus> promises, DateTimeOffset asOf)
    {
        if (promises.Count == 0)
        {
            return Html.Of($"<p class=\"muted\">No promises.</p>");
        }

        var today = DateOnly.FromDateTime(asOf.UtcDateTime);
        var rows = promises.Select(p => Html.Of($"""
            <tr data-promise="{p.Id}" class="promise-row promise-{Ids.Css(p.Status)}">
              <td>{StatusBadge(p.Status, p.Status == PromiseStates.Overdue ? today.DayNumber - p.DueBy.DayNumber : p.Status == PromiseStates.Delivered ? Lateness.DaysLate(p.DueBy, p.DeliveredAt) : null)}</td>
              <td class="what"><div class="mono">{p.Id}</div><div>{p.What}</div><div class="muted">promised {Dates.Short(p.PromisedAt)}</div>{Html.When(p.Delivery is not null, Html.Of($"<div class=\"muted\">delivered: {p.Delivery}</div>"))}</td>
              <td class="due"><span class="nowrap">{Dates.Day(p.DueBy)}</span>{DueText(p.DueText)}{Delivered(p)}</td>
            </tr>
            """));
        return Html.Of($"<table class=\"grid-table promises\"><thead><tr><th>Status</th><th>Promise</th><th>Due by</th></tr></thead><tbody>{Html.Join(rows)}</tbody></table>");
    }

    private static Html Delivered(PromiseStatus p)
    {
        if (p.DeliveredAt is not { } at)
        {
            return Html.Empty;
        }

        var late = DateOnly.FromDateTime(at.UtcDateTime).DayNumber - p.DueBy.DayNumber;
        return Html.Of($"<div class=\"delivered {(late > 0 ? "late" : "on-time")}\">delivered {Dates.Short(at)}{(late > 0 ? $", {late} d late" : ", on time")}</div>");
    }

    private static Html HistoryItem(HistoryEntry e, MatterTimeline timeline)
    {
        // A promise falling due names its promise's statement, which has an entry of its own.
        var overdue = e.Type == MatterHistory.PromiseOverdue;
        var statement = timeline.Entries.FirstOrDefault(t => t.Statement.StatementId == e.StatementId)?.Statement;
        var source = statement?.Source;
        var sourceTitle = source?.Title ?? source?.Url ?? "source";
        var sourceHtml = source is null ? Html.Empty
            : Ids.IsWebLink(source.Url) ? Html.Of($"<a class=\"source\" href=\"{source.Url}\" rel=\"noopener noreferrer nofollow\">{sourceTitle}</a>{(source.Publisher is null ? string.Empty : " — " + source.Publisher)}")
            : Html.Of($"<span class=\"source\">{sourceTitle}{(source.Publisher is null ? string.Empty : " — " + source.Publisher)}</span>");
        return Html.Of($"""
            <li class="history-entry" id="{(overdue ? "overdue-" : "statement-")}{Ids.Anchor(e.StatementId)}" data-revision="{e.Revision}" {(overdue ? "data-promise-statement" : "data-statement")}="{e.StatementId}">
              <div class="entry-head">
                <span class="revision">r{e.Revision}</span>
                <span class="nowrap">{Dates.Short(e.PublishedAt)}</span>
                <span class="badge type type-{Ids.Css(e.Type)}">{e.Type}</span>
                <span class="mono">{e.StatementId}</span>
                {Html.When(e.Speaker is not null, Html.Of($"<span class=\"muted\">{e.Speaker}</span>"))}
                {Html.When(e.CorrectedBy.Count > 0, Html.Of($"<span class=\"badge corrected\">corrected by {string.Join(", ", e.CorrectedBy)}</span>"))}
                <span class="muted recorded" title="recorded {Dates.Full(e.RecordedAt)}">recorded {Dates.Short(e.RecordedAt)}</span>
              </div>
              <blockquote class="quote">{e.Quote}</blockquote>
              <div class="muted">{sourceHtml}</div>
              {ArchivedLine(e.ArchivedSource)}
              <ul class="changes">{Html.Join(e.Changes.Select(ChangeLine))}</ul>
            </li>
            """);
    }

    /// <summary>Whether the quote is in the statement's archived source, linking to the bytes; nothing without one.</summary>
    private static Html ArchivedLine(ArchivedSource? archived) =>
        archived is null ? Html.Empty
            : Html.Of($"""<div class="archived {(archived.QuoteFound ? "found" : "missing")}"><a href="/api/sources/{archived.Sha256}" rel="nofollow">{archived.Describe()}</a></div>""");

    private static Html ChangeLine(string line)
    {
        var kind = line.Contains(" -> ", StringComparison.Ordinal) ? "changed"
            : line.Contains("removed", StringComparison.Ordinal) || line.Contains("withdrawn", StringComparison.Ordinal) ? "removed"
            : "added";
        return Html.Of($"<li class=\"change {kind}\">{line}</li>");
    }

    private static Html CompareForm(string path, MatterPageModel m)
    {
        // Revisions count statements; a promise falling due is an entry without a revision of its own.
        var statements = m.History.Where(e => e.Type != MatterHistory.PromiseOverdue).ToList();
        var count = statements.Count;
        var from = m.Comparison?.From.Revision ?? Math.Max(count - 1, 0);
        var to = m.Comparison?.To.Revision ?? count;
        Html Options(int selected, int first) => Html.Join(Enumerable.Range(first, count - first + 1).Select(v => Html.Of(
            $"<option value=\"{v}\"{Html.When(v == selected, Html.Trusted(" selected"))}>{(v == 0 ? "r0 · before the first statement" : $"r{v} · {Dates.Short(statements[v - 1].PublishedAt)} · {statements[v - 1].StatementId}")}</option>")));
        return Html.Of($"""
            <form class="inline-form" method="get" action="{path}#history">
              {HiddenTimes(m.Times)}
              <label>Compare <select name="from">{Options(from, 0)}</select></label>
              <label>with <select name="to">{Options(to, 1)}</select></label>
              <button type="submit">Show changes</button>
            </form>
            """);
    }

    private static Html ComparisonView(HistoryComparison c)
    {
        var ops = c.Patch.OfType<JsonObject>().Select(op =>
        {
            var name = op["op"]?.GetValue<string>() ?? "?";
            var value = op["value"] is { } v ? v.ToJsonString(CompactJson) : op["from"]?.GetValue<string>() is { } f ? "from " + f : string.Empty;
            return Html.Of($"<tr class=\"op op-{Ids.Css(name)}\"><td><span class=\"badge op-{Ids.Css(name)}\">{name}</span></td><td class=\"mono\">{op["path"]?.GetValue<string>()}</td><td class=\"mono value\">{Dates.Excerpt(value, 400)}</td></tr>");
        });
        return Html.Of($"""
            <div class="comparison" data-from="{c.From.Revision}" data-to="{c.To.Revision}">
              <h3>Changes from revision {c.From.Revision} to revision {c.To.Revision}</h3>
              {(c.Changes.Count == 0 ? Html.Of($"<p class=\"muted\">No change.</p>") : Html.Of($"<ul class=\"changes\">{Html.Join(c.Changes.Select(ChangeLine))}</ul>"))}
              <details>
                <summary>JSON Patch (RFC 6902), {c.Patch.Count} operations</summary>
                <table class="grid-table patch"><thead><tr><th>op</th><th>path</th><th>value</th></tr></thead><tbody>{Html.Join(ops)}</tbody></table>
              </details>
            </div>
            """);
    }

    /// <summary>Compact JSON without \u escapes of markup characters: the text is HTML-encoded when it is written into the page.</summary>
    private static readonly JsonSerializerOptions CompactJson = new() { WriteIndented = false, Encoder = System.Text.Encodings.Web.JavaScriptEncoder.UnsafeRelaxedJsonEscaping };

    private static Html WordingForm(string path, MatterPageModel m)
    {
        var ids = m.Timeline.Entries.Select(e => e.Statement).ToList();
        Html Options(string? selected) => Html.Join(ids.Select(st => Html.Of(
            $"<option value=\"{st.StatementId}\"{Html.When(st.StatementId == selected, Html.Trusted(" selected"))}>{Dates.Short(st.PublishedAt)} · {st.StatementId}</option>")));
        return Html.Of($"""
            <form class="inline-form" method="get" action="{path}#wording">
              {HiddenTimes(m.Times)}
              <label>Wording of <select name="wording-from">{Options(m.Wording?.From)}</select></label>
              <label>against <select name="wording-to">{Options(m.Wording?.To ?? ids.LastOrDefault()?.StatementId)}</select></label>
              <button type="submit">Compare wording</button>
            </form>
            """);
    }

    public static Html WordingView(WordingComparison w)
    {
        var segments = w.Segments.Select(seg => seg.Op switch
        {
            DiffOp.Insert => Html.Of($"<ins>{seg.Text}</ins>"),
            DiffOp.Delete => Html.Of($"<del>{seg.Text}</del>"),
            _ => Html.Text(seg.Text),
        });
        var inserted = w.Segments.Where(x => x.Op == DiffOp.Insert).Sum(x => x.Text.Split(' ', StringSplitOptions.RemoveEmptyEntries).Length);
        var deleted = w.Segments.Where(x => x.Op == DiffOp.Delete).Sum(x => x.Text.Split(' ', StringSplitOptions.RemoveEmptyEntries).Length);
        return Html.Of($"""
            <div class="wording" data-from="{w.From}" data-to="{w.To}">
              <p class="muted"><span class="mono">{w.From}</span> → <span class="mono">{w.To}</span> · <span class="ins-count">+{inserted}</span> words, <span class="del-count">−{deleted}</span> words</p>
              <p class="word-diff">{Html.Join(segments)}</p>
            </div>
            """);
    }

    // ---------------------------------------------------------------- pieces

    public static Html PhaseBadge(string phase) => Html.Of($"<span class=\"badge phase phase-{Ids.Css(phase)}\">{phase.Replace('-', ' ')}</span>");

    /// <summary>A promise's status; <paramref name="daysOverdue"/> is how far past its due date it is, or was when delivered late.</summary>
    public static Html StatusBadge(string status, int? daysOverdue) => status switch
    {
        PromiseStates.Overdue => Html.Of($"<span class=\"badge status-overdue\" title=\"{daysOverdue} days past the due date\">overdue{(daysOverdue is { } d ? $" · {d} d" : string.Empty)}</span>"),
        PromiseStates.Delivered when daysOverdue is { } late =>
            Html.Of($"<span class=\"badge status-delivered-late\" title=\"delivered {late} days after the due date\">delivered late ({late} d)</span>"),
        _ => Html.Of($"<span class=\"badge status-{Ids.Css(status)}\">{status}</span>"),
    };

    private static Html PromiseBadges(IReadOnlyList<PromiseStatus> promises) =>
        PromiseBadges(
            promises.Count(p => p.Status == PromiseStates.Overdue),
            promises.Count(p => p.Status == PromiseStates.Open),
            promises.Count(p => p.Status == PromiseStates.Delivered && Lateness.DaysLate(p.DueBy, p.DeliveredAt) is null),
            promises.Count(p => p.Status == PromiseStates.Delivered && Lateness.DaysLate(p.DueBy, p.DeliveredAt) is not null),
            promises.Count);

    private static Html PromiseBadges(int overdue, int open, int onTime, int late, int all) =>
        Html.Of($"""{Html.When(overdue > 0, Html.Of($"<span class=\"badge status-overdue overdue-count\">{overdue} overdue</span> "))}{Html.When(open > 0, Html.Of($"<span class=\"badge status-open\">{open} open</span> "))}{Html.When(onTime > 0, Html.Of($"<span class=\"badge status-delivered\">{onTime} delivered</span> "))}{Html.When(late > 0, Html.Of($"<span class=\"badge status-delivered-late\">{late} delivered late</span>"))}{Html.When(all == 0, Html.Of($"<span class=\"muted\">none</span>"))}""");

    private static Html ReviewText(ReviewStatus r) => Html.Of($"<span class=\"review review-{Ids.Css(r.Status)}\">{r.Status.Replace('-', ' ')}</span>{Html.When(r.Reviewer is not null, Html.Of($"<div class=\"muted\">{r.Reviewer}</div>"))}");

    private static Html DueText(string? text) => text is null ? Html.Empty : Html.Of($"<div class=\"muted\">“{text}”</div>");

    private static Html Tile(string label, int value, string tone) => Html.Of($"<div class=\"tile {tone}\"><div class=\"tile-value\">{value}</div><div class=\"tile-label\">{label}</div></div>");

    /// <summary>What time the page shows: now, what had been said by a time, or what the ledger held at a time.</summary>
    private static string TimesText(PageTimes t) => (t.AsOfText, t.KnownAt) switch
    {
        (null, null) => $"as of now ({Dates.Short(t.AsOf)})",
        (null, { } k) => $"as the ledger held it at {Dates.Short(k)}",
        (_, null) => $"as of {Dates.Short(t.AsOf)}",
        (_, { } k) => $"as of {Dates.Short(t.AsOf)}, as the ledger held it at {Dates.Short(k)}",
    };

    private static Html TimesForm(string action, PageTimes t, Html extra) => Html.Of($"""
        <form class="times" method="get" action="{action}">
          {extra}
          <label title="Publication time: what had been said by then; a date (2025-09-30) or a timestamp with an offset">As of <input name="as-of" value="{t.AsOfText}" placeholder="now" size="12"></label>
          <label title="Recording time: what the ledger held then; a date (2025-09-30) or a timestamp with an offset">Known at <input name="known-at" value="{t.KnownAtText}" placeholder="now" size="12"></label>
          <button type="submit">Apply</button>
          {Html.When(!t.IsNow, Html.Of($"<a class=\"reset\" href=\"{action}\">now</a>"))}
        </form>
        """);

    private static Html HiddenTimes(PageTimes t) => Html.Of(
        $"{Html.When(t.AsOfText is not null, Html.Of($"<input type=\"hidden\" name=\"as-of\" value=\"{t.AsOfText}\">"))}{Html.When(t.KnownAtText is not null, Html.Of($"<input type=\"hidden\" name=\"known-at\" value=\"{t.KnownAtText}\">"))}");

    private static Html Legend() => Html.Join(EventTypes().Select(t => Html.Of($"<span class=\"key\"><span class=\"dot type-{Ids.Css(t)}\"></span>{t}</span>")).Append(Html.Of(
        $"<span class=\"key\"><span class=\"bar window\"></span>promise window</span><span class=\"key\"><span class=\"bar overdue\"></span>overdue</span><span class=\"key\"><span class=\"diamond\"></span>delivered</span>")));

    private static IEnumerable<string> EventTypes() =>
    [
        nameof(AllegationReported), nameof(ReviewLaunched), nameof(FindingsDisclosed), nameof(ActionTaken), nameof(DisclosurePromised),
        nameof(DisclosureDelivered), nameof(ReviewConcluded), nameof(PositionStated), nameof(StatementWithdrawn), nameof(EntryCorrected),
    ];
}
