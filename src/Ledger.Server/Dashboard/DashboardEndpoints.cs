using Ledger.Importing;
using Ledger.Projections;
using Ledger.Projections.ReadModels;
using Ledger.Querying;
using Ledger.Server.Hosting;
using Microsoft.Extensions.Primitives;

namespace Ledger.Server.Dashboard;

/// <summary>
/// The dashboard: server-rendered pages at / (matters board), /matters/{matter} and /organizations/{name}, with its
/// stylesheet and script served from this assembly; nothing is loaded from elsewhere (the Content-Security-Policy
/// says so to the browser).
/// </summary>
public static class DashboardEndpoints
{
    private const string HtmlType = "text/html";
    private const string Policy =
        "default-src 'none'; style-src 'self'; script-src 'self'; img-src 'self' data:; connect-src 'self'; form-action 'self'; base-uri 'none'; frame-ancestors 'none'";

    public static IHostApplicationBuilder AddLedgerDashboard(this IHostApplicationBuilder builder) => builder;

    public static WebApplication MapLedgerDashboard(this WebApplication app)
    {
        app.MapGet(DashboardAssets.CssPath, (HttpContext http) => DashboardAssets.Serve(http, DashboardAssets.Css, "text/css; charset=utf-8")).ExcludeFromDescription();
        app.MapGet(DashboardAssets.ScriptPath, (HttpContext http) => DashboardAssets.Serve(http, DashboardAssets.Script, "text/javascript; charset=utf-8")).ExcludeFromDescription();
        app.MapGet("/", (HttpContext http, LedgerQueries queries, TimeProvider clock, CancellationToken ct) =>
            Render(http, clock, async times =>
            {
                var time = times.Read(clock.GetUtcNow());
                var matters = await queries.MattersAsync(new MatterQuery(PageCursor.DefaultLimit, Text(http.Request.Query["cursor"])), time, ct);
                return Pages.Board(new BoardModel(matters, await queries.CountsAsync(time, ct), await OpenPromisesAsync(queries, time, null, ct), times));
            })).WithName("BoardPage").Page().WithMetadata(ReadModelAnswer.PerMinute);
        app.MapGet("/matters/{**matter}", (string matter, HttpContext http, LedgerQueries queries, TimeProvider clock, CancellationToken ct) =>
            Render(http, clock, times => MatterAsync(queries, Ids.FromPath(matter), http.Request.Query, times, ct))).WithName("MatterPage").Page().Produces<string>(StatusCodes.Status404NotFound, HtmlType);
        app.MapGet("/organizations/{**name}", (string name, HttpContext http, LedgerQueries queries, TimeProvider clock, CancellationToken ct) =>
            Render(http, clock, async times =>
            {
                name = Ids.FromPath(name);
                var time = times.Read(clock.GetUtcNow());
                var summary = (await queries.OrganizationsAsync(new OrganizationQuery(1, time.Today, Name: name), time, ct)).Items.SingleOrDefault()
                    ?? throw new NotFoundException($"no organization \"{name}\" in the ledger");
                var matters = await queries.MattersAsync(new MatterQuery(PageCursor.DefaultLimit, Text(http.Request.Query["cursor"]), name), time, ct);
                return Pages.Organization(new OrganizationPageModel(summary, matters, await OpenPromisesAsync(queries, time, name, ct), times));
            })).WithName("OrganizationPage").Page().Produces<string>(StatusCodes.Status404NotFound, HtmlType).WithMetadata(ReadModelAnswer.PerMinute);
        return app;
    }

    /// <summary>A page for people: HTML, 400 for a bad as-of or known-at.</summary>
    private static RouteHandlerBuilder Page(this RouteHandlerBuilder route) =>
        route.WithTags("dashboard").Produces<string>(StatusCodes.Status200OK, HtmlType).Produces<string>(StatusCodes.Status400BadRequest, HtmlType);

    /// <summary>The first overdue promises, then the first open ones, of the ledger or of one organization.</summary>
    private static async Task<IReadOnlyList<TrackedPromise>> OpenPromisesAsync(LedgerQueries queries, ReadTime time, string? organization, CancellationToken ct)
    {
        var overdue = await queries.PromisesAsync(new PromiseQuery(PageCursor.DefaultLimit, time.Today, Organization: organization, Status: PromiseStates.Overdue), time, ct);
        var open = await queries.PromisesAsync(new PromiseQuery(PageCursor.DefaultLimit, time.Today, Organization: organization, Status: PromiseStates.Open), time, ct);
        return [.. overdue.Items, .. open.Items];
    }

    /// <summary>The matter page: status as of / known at, history (and a comparison of two revisions), the wording diff of two statements.</summary>
    public static async Task<Html> MatterAsync(LedgerQueries queries, string matter, IQueryCollection query, PageTimes times, CancellationToken ct)
    {
        var full = await queries.TimelineAsync(matter, times.KnownAt, ct);
        LedgerQueries.ExistedBy(full, times.AsOf);
        var timeline = full with { Entries = full.PublishedBy(times.AsOf).ToList() };
        var status = MatterViews.Status(timeline, times.AsOf);
        var history = MatterHistory.Build(timeline, times.AsOf);
        string? problem = null;

        HistoryComparison? comparison = null;
        var fromText = Text(query["from"]);
        var toText = Text(query["to"]);
        if (fromText is not null || toText is not null)
        {
            if (history.Count == 0)
            {
                problem = "nothing to compare: no statement was published by then";
            }
            else if (Point(fromText ?? "0") is not { } from || Point(toText ?? history.Count.ToString(System.Globalization.CultureInfo.InvariantCulture)) is not { } to)
            {
                problem = "from and to take a revision number (0 to " + history.Count + ") or a date";
            }
            else
            {
                try
                {
                    comparison = MatterHistory.Compare(timeline, from, to);
                }
                catch (HistoryPointException ex)
                {
                    problem = ex.Message;
                }
            }
        }

        WordingComparison? wording = null;
        var first = Text(query["wording-from"]);
        var second = Text(query["wording-to"]);
        if (first is null && second is null)
        {
            // By default, how the wording of the latest statement changed from the one before it of the same type.
            var latest = timeline.Entries.Select(e => e.Statement).GroupBy(st => st.Type).Where(g => g.Count() > 1)
                .Select(g => g.TakeLast(2).ToList()).MaxBy(pair => pair[1].PublishedAt);
            if (latest is not null)
            {
                wording = MatterHistory.CompareWording(latest[0], latest[1]);
            }
        }
        else if (first is null || second is null)
        {
            problem = "the wording diff needs two statements (wording-from and wording-to)";
        }
        else
        {
            try
            {
                wording = MatterHistory.CompareWording(await queries.StatementAsync(first, ct), await queries.StatementAsync(second, ct));
            }
            catch (NotFoundException ex)
            {
                problem = ex.Message;
            }
        }

        return Pages.Matter(new MatterPageModel(timeline, status, times, history, comparison, wording, problem));
    }

    private static async Task<IResult> Render(HttpContext http, TimeProvider clock, Func<PageTimes, Task<Html>> page)
    {
        http.Response.Headers.ContentSecurityPolicy = Policy;
        http.Response.Headers.XContentTypeOptions = "nosniff";
        http.Response.Headers.CacheControl = "no-store";
        if (!TryTimes(http.Request.Query, clock.GetUtcNow(), out var times, out var error))
        {
            return Results.Content(Pages.Error(400, error).Value, "text/html; charset=utf-8", statusCode: 400);
        }

        try
        {
            return Results.Content((await page(times)).Value, "text/html; charset=utf-8");
        }
        catch (NotFoundException ex)
        {
            return Results.Content(Pages.Error(404, ex.Message).Value, "text/html; charset=utf-8", statusCode: 404);
        }
    }

    /// <summary>As the CLI: known-at alone also sets as-of; a bare date means the end of that day (UTC).</summary>
    public static bool TryTimes(IQueryCollection query, DateTimeOffset now, out PageTimes times, out string error)
    {
        var asOfText = Text(query["as-of"]);
        var knownAtText = Text(query["known-at"]);
        times = new PageTimes(now, null, null, null);
        error = string.Empty;
        DateTimeOffset? knownAt = null;
        var asOf = now;
        if (knownAtText is not null)
        {
            if (!Timestamps.TryParseQueryTime(knownAtText, out var k))
            {
                error = $"known-at: \"{knownAtText}\" is not a date (2025-09-25) or a timestamp with an offset (2025-09-25T14:00:00Z)";
                return false;
            }

            knownAt = k;
            asOf = k;
        }

        if (asOfText is not null)
        {
            if (!Timestamps.TryParseQueryTime(asOfText, out var a))
            {
                error = $"as-of: \"{asOfText}\" is not a date (2025-09-25) or a timestamp with an offset (2025-09-25T14:00:00Z)";
                return false;
            }

            asOf = a;
        }

        times = new PageTimes(asOf, knownAt, asOfText, knownAtText);
        return true;
    }

    private static string? Text(StringValues values) => values.Count > 0 && !string.IsNullOrWhiteSpace(values[0]) ? values[0]!.Trim() : null;

    private static HistoryPoint? Point(string text) =>
        int.TryParse(text, System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out var revision) ? new HistoryPoint(revision, null)
        : Timestamps.TryParseQueryTime(text, out var at) ? new HistoryPoint(0, at)
        : null;
}
