using System.Text.Json;
using Ledger.Events;
using Ledger.Importing;
using Ledger.Projections;
using Ledger.Projections.ReadModels;
using Ledger.Querying;
using Ledger.Serialization;
using Ledger.Server.Auth;
using Ledger.Server.Dashboard;
using Ledger.Server.Hosting;
using Ledger.Storage;
using Microsoft.Extensions.Options;

namespace Ledger.Server.Api;

/// <summary>
/// A page of a list: its items, the address of the next page (null on the last), and the global log position the
/// answer reflects. The same fields as the CLI's --json output of a list.
/// </summary>
public sealed record ListPage<T>(IReadOnlyList<T> Items, string? Next, long Position);

/// <summary>A history without a comparison: the same fields as `ledger history --json`.</summary>
public sealed record MatterHistoryView(string Matter, string Organization, string Title, IReadOnlyList<HistoryEntry> Entries);

/// <summary>An event as `ledger tail --json` prints it: its place in the ledger, its envelope and its data unchanged.</summary>
public sealed record EventView(long Position, string Stream, long Version, string Type, string? StatementId, string Organization,
    DateTimeOffset? PublishedAt, DateTimeOffset RecordedAt, string RecordedBy, JsonElement Data)
{
    public static EventView From(StoredEvent e)
    {
        using var data = JsonDocument.Parse(e.Data);
        return new(e.Position, e.Stream, e.Version, e.Type, e.StatementId, e.Organization, e.PublishedAt, e.RecordedAt, e.RecordedBy, data.RootElement.Clone());
    }
}

/// <summary>The public read side: projections over the events, with the CLI's JSON and its as-of / known-at semantics.</summary>
internal static class ReadEndpoints
{
    public static void Map(RouteGroupBuilder api)
    {
        api.MapGet("/matters", Matters).WithName("ListMatters").WithMetadata(ReadModelAnswer.PerDay)
            .WithSummary("Matters with phase, statement count and overdue promises, newest first, a page at a time (limit, cursor); filters organization, phase, overdue")
            .Produces<ListPage<MatterSummary>>().ProducesProblem(StatusCodes.Status400BadRequest);
        api.MapGet("/matters/{**matter}", Status).WithName("GetMatterStatus").WithMetadata(ReadModelAnswer.PerDay)
            .WithSummary("A matter's status as of a publication time (asOf) and as known at a recording time (knownAt); the matter id may contain '/'")
            .Produces<MatterStatus>().ProducesProblem(StatusCodes.Status400BadRequest).ProducesProblem(StatusCodes.Status404NotFound);
        // Two bodies for one status and content type, documented as a oneOf (ApiDocument); the answer without from/to
        // comes first, as a generated client that reads a oneOf as one type takes the first.
        api.MapGet("/history/{**matter}", History).WithName("GetMatterHistory")
            .WithSummary("A matter's statements in publication order with the change each made; with from/to (a version or a date), the change between two points")
            .Produces<MatterHistoryView>().Produces<HistoryComparison>().ProducesProblem(StatusCodes.Status400BadRequest).ProducesProblem(StatusCodes.Status404NotFound);
        api.MapGet("/diff", Diff).WithName("DiffStatements").WithSummary("A word-level diff of the wording of two statements (ids in from and to)")
            .Produces<WordingComparison>().ProducesProblem(StatusCodes.Status400BadRequest).ProducesProblem(StatusCodes.Status404NotFound);
        api.MapGet("/promises", Promises).WithName("ListPromises").WithMetadata(ReadModelAnswer.PerDay)
            .WithSummary("Promises across matters with their status, by due date, a page at a time (limit, cursor); filters organization, matter, status, overdue, dueBefore")
            .Produces<ListPage<TrackedPromise>>().ProducesProblem(StatusCodes.Status400BadRequest);
        api.MapGet("/organizations", Organizations).WithName("ListOrganizations").WithMetadata(ReadModelAnswer.PerDay)
            .WithSummary("Per organization: matters, and promises delivered on time, late, overdue or open, by name, a page at a time (limit, cursor)")
            .Produces<ListPage<OrganizationSummary>>().ProducesProblem(StatusCodes.Status400BadRequest);
        api.MapGet("/streams/{**matter}", StreamEvents).WithName("GetMatterEvents").WithSummary("The events of one matter's stream, from a version (1-based) on")
            .Produces<IReadOnlyList<EventView>>().ProducesProblem(StatusCodes.Status400BadRequest).ProducesProblem(StatusCodes.Status404NotFound);
        api.MapGet("/events", Events).WithName("ListEvents")
            .WithSummary("Events in global order from a position (1-based) on, filtered by matter, organization and type (each repeatable), at most limit of them")
            .Produces<IReadOnlyList<EventView>>().ProducesProblem(StatusCodes.Status400BadRequest);
    }

    /// <summary>API answers are compact JSON: clients parse them, and a page is a third smaller than indented.</summary>
    public static IResult Json<T>(T value) => TypedResults.Json(value, LedgerJson.OutputLine);

    private static async Task<IResult> Matters(HttpContext http, int? limit, string? cursor, string? organization, string? phase, bool? overdue, string? asOf, string? knownAt,
        LedgerQueries queries, TimeProvider clock, CancellationToken cancellationToken)
    {
        if (!QueryTimes.TryResolve(asOf, knownAt, clock.GetUtcNow(), out var time, out var problem) || !Paging.TryLimit(limit, out var size, out problem))
        {
            return problem;
        }

        var page = await queries.MattersAsync(new MatterQuery(size, cursor, organization, phase, overdue == true ? time.Today : null), time, cancellationToken);
        return Paging.Result(http, new Page<MatterSummary>(page.Items.Select(r => r.Render(time.Today)).ToList(), page.Next, page.Position));
    }

    private static async Task<IResult> Status(HttpContext http, string matter, string? asOf, string? knownAt, LedgerQueries queries, TimeProvider clock, CancellationToken cancellationToken)
    {
        if (!QueryTimes.TryResolve(asOf, knownAt, clock.GetUtcNow(), out var time, out var problem))
        {
            return problem;
        }

        var status = await queries.StatusAsync(Ids.FromPath(matter), time, cancellationToken);
        if (!status.Stored)
        {
            ReadModelAnswers.NotKept(http);
        }

        http.Response.Headers[Paging.PositionHeader] = status.Position.ToString(System.Globalization.CultureInfo.InvariantCulture);
        return Json(status.Value);
    }

    private static async Task<IResult> History(string matter, string? from, string? to, string? knownAt, LedgerQueries queries, TimeProvider clock, CancellationToken cancellationToken)
    {
        DateTimeOffset? k = null;
        if (knownAt is not null)
        {
            if (!Timestamps.TryParseQueryTime(knownAt, out var at))
            {
                return QueryTimes.Invalid("knownAt", knownAt);
            }

            k = at;
        }

        HistoryPoint? fromPoint = null, toPoint = null;
        foreach (var (name, text) in new[] { ("from", from), ("to", to) })
        {
            if (text is null)
            {
                continue;
            }

            if (!TryPoint(text, out var point))
            {
                return Problems.Result(StatusCodes.Status400BadRequest, "Invalid query parameter", $"{name}: \"{text}\" is neither a revision number nor a date",
                    new Dictionary<string, object?> { ["parameter"] = name });
            }

            (fromPoint, toPoint) = name == "from" ? (point, toPoint) : (fromPoint, point);
        }

        var timeline = await queries.TimelineAsync(Ids.FromPath(matter), k, cancellationToken);
        if (from is null && to is null)
        {
            return Json(new MatterHistoryView(timeline.Matter, timeline.Organization, timeline.Title, MatterHistory.Build(timeline, k ?? clock.GetUtcNow())));
        }

        return Json(MatterHistory.Compare(timeline, fromPoint ?? new HistoryPoint(0, null), toPoint ?? new HistoryPoint(timeline.Entries.Count, null)));
    }

    private static bool TryPoint(string text, out HistoryPoint? point)
    {
        point = int.TryParse(text, System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out var revision) ? new HistoryPoint(revision, null)
            : Timestamps.TryParseQueryTime(text, out var at) ? new HistoryPoint(0, at)
            : null;
        return point is not null;
    }

    private static async Task<IResult> Diff(string? from, string? to, LedgerQueries queries, CancellationToken cancellationToken)
    {
        if (string.IsNullOrWhiteSpace(from) || string.IsNullOrWhiteSpace(to))
        {
            return Problems.Result(StatusCodes.Status400BadRequest, "Invalid query parameter", "give the two statements' ids as from and to");
        }

        var a = await queries.StatementAsync(from, cancellationToken);
        var b = await queries.StatementAsync(to, cancellationToken);
        return Json(MatterHistory.CompareWording(a, b));
    }

    private static async Task<IResult> Promises(HttpContext http, int? limit, string? cursor, string? organization, string? matter, string? status, bool? overdue, string? dueBefore,
        string? asOf, string? knownAt, LedgerQueries queries, TimeProvider clock, CancellationToken cancellationToken)
    {
        if (!QueryTimes.TryResolve(asOf, knownAt, clock.GetUtcNow(), out var time, out var problem) || !Paging.TryLimit(limit, out var size, out problem))
        {
            return problem;
        }

        string[] states = [PromiseStates.Open, PromiseStates.Overdue, PromiseStates.Delivered, PromiseStates.Withdrawn];
        if (status is not null && !states.Contains(status))
        {
            return Paging.Invalid("status", $"status \"{status}\" is not one of {string.Join(", ", states)}");
        }

        if (overdue == true && status is not null && status != PromiseStates.Overdue)
        {
            return Paging.Invalid("overdue", "overdue=true asks for overdue promises; it cannot be combined with another status");
        }

        DateOnly? before = null;
        if (dueBefore is not null)
        {
            if (!DateOnly.TryParseExact(dueBefore, "yyyy-MM-dd", System.Globalization.CultureInfo.InvariantCulture, System.Globalization.DateTimeStyles.None, out var day))
            {
                return Paging.Invalid("dueBefore", $"dueBefore: \"{dueBefore}\" is not a date (2025-09-25)");
            }

            before = day;
        }

        var query = new PromiseQuery(size, time.Today, cursor, organization, matter, overdue == true ? PromiseStates.Overdue : status, before);
        return Paging.Result(http, await queries.PromisesAsync(query, time, cancellationToken));
    }

    private static async Task<IResult> Organizations(HttpContext http, int? limit, string? cursor, string? asOf, string? knownAt, LedgerQueries queries, TimeProvider clock,
        CancellationToken cancellationToken)
    {
        if (!QueryTimes.TryResolve(asOf, knownAt, clock.GetUtcNow(), out var time, out var problem) || !Paging.TryLimit(limit, out var size, out problem))
        {
            return problem;
        }

        return Paging.Result(http, await queries.OrganizationsAsync(new OrganizationQuery(size, time.Today, cursor), time, cancellationToken));
    }

    private static async Task<IResult> StreamEvents(string matter, long? fromVersion, IEventStore store, CancellationToken cancellationToken)
    {
        matter = Ids.FromPath(matter);
        var events = new List<EventView>();
        await foreach (var e in store.ReadStreamAsync(matter, Math.Max(1, fromVersion ?? 1), cancellationToken))
        {
            events.Add(EventView.From(e));
        }

        if (events.Count == 0 && !(await store.ListStreamsAsync(cancellationToken)).Any(s => s.Stream == matter))
        {
            throw new NotFoundException($"no matter \"{matter}\" in the ledger");
        }

        return Json(events);
    }

    private static async Task<IResult> Events(HttpContext http, long? from, string[]? matter, string[]? organization, string[]? type, int? limit, IEventStore store,
        IOptions<ApiSettings> settings, CancellationToken cancellationToken)
    {
        var types = type ?? [];
        if (types.FirstOrDefault(t => !EventTypes.TryGetType(t, out _)) is { } unknown)
        {
            return Problems.Result(StatusCodes.Status400BadRequest, "Invalid query parameter", $"type \"{unknown}\" is not one of {string.Join(", ", EventTypes.All)}");
        }

        var max = settings.Value.MaxEventsPerPage;
        if (limit is < 1 || limit > max)
        {
            return Problems.Result(StatusCodes.Status400BadRequest, "Invalid query parameter", $"limit must be between 1 and {max}");
        }

        var events = new List<EventView>();
        await foreach (var e in store.ReadAllAsync(Math.Max(1, from ?? 1), new EventFilter(matter, organization, types), cancellationToken))
        {
            events.Add(EventView.From(e));
            if (events.Count == (limit ?? max))
            {
                break;
            }
        }

        if (events.Count == (limit ?? max))
        {
            // A full page: the next one starts after its last event, with the same filters (RFC 8288 link).
            var query = http.Request.Query.Where(q => q.Key != "from").SelectMany(q => q.Value.Select(v => $"{Uri.EscapeDataString(q.Key)}={Uri.EscapeDataString(v ?? string.Empty)}"));
            var next = string.Join("&", query.Append($"from={(events[^1].Position + 1).ToString(System.Globalization.CultureInfo.InvariantCulture)}"));
            http.Response.Headers.Link = $"</api/events?{next}>; rel=\"next\"";
        }

        return Json(events);
    }
}

/// <summary>The CLI's --as-of / --known-at rules: a date means the end of that day (UTC); known-at alone also sets as-of.</summary>
internal static class QueryTimes
{
    public static bool TryResolve(string? asOfText, string? knownAtText, DateTimeOffset now, out ReadTime time, out IResult problem)
    {
        var ok = TryResolve(asOfText, knownAtText, now, out DateTimeOffset asOf, out DateTimeOffset? knownAt, out problem);
        time = new ReadTime(asOf, knownAt, now);
        return ok;
    }

    public static bool TryResolve(string? asOfText, string? knownAtText, DateTimeOffset now, out DateTimeOffset asOf, out DateTimeOffset? knownAt, out IResult problem)
    {
        asOf = now;
        knownAt = null;
        problem = TypedResults.Ok();
        if (knownAtText is not null)
        {
            if (!Timestamps.TryParseQueryTime(knownAtText, out var k))
            {
                problem = Invalid("knownAt", knownAtText);
                return false;
            }

            knownAt = k;
            asOf = k;
        }

        if (asOfText is not null)
        {
            if (!Timestamps.TryParseQueryTime(asOfText, out var a))
            {
                problem = Invalid("asOf", asOfText);
                return false;
            }

            asOf = a;
        }

        return true;
    }

    public static IResult Invalid(string parameter, string text) =>
        Problems.Result(StatusCodes.Status400BadRequest, "Invalid query parameter",
            $"{parameter}: \"{text}\" is not a date (2025-09-25) or a timestamp with an offset (2025-09-25T14:00:00Z)",
            new Dictionary<string, object?> { ["parameter"] = parameter });
}

/// <summary>
/// Paging of the list routes: limit (default 50, at most 500) and an opaque cursor; the next page's address in a
/// Link header and the next field, and the position the answer reflects in X-Ledger-Position and the position field.
/// </summary>
internal static class Paging
{
    public const string PositionHeader = "X-Ledger-Position";

    public static bool TryLimit(int? limit, out int size, out IResult problem)
    {
        size = limit ?? PageCursor.DefaultLimit;
        problem = TypedResults.Ok();
        if (size is >= 1 and <= PageCursor.MaxLimit)
        {
            return true;
        }

        problem = Invalid("limit", $"limit must be between 1 and {PageCursor.MaxLimit}");
        return false;
    }

    public static IResult Invalid(string parameter, string detail) =>
        Problems.Result(StatusCodes.Status400BadRequest, "Invalid query parameter", detail, new Dictionary<string, object?> { ["parameter"] = parameter });

    public static IResult Result<T>(HttpContext http, Page<T> page)
    {
        string? next = null;
        if (page.Next is { } cursor)
        {
            var query = http.Request.Query.Where(q => q.Key != "cursor")
                .SelectMany(q => q.Value.Select(v => $"{Uri.EscapeDataString(q.Key)}={Uri.EscapeDataString(v ?? string.Empty)}"));
            next = $"{http.Request.PathBase}{http.Request.Path}?{string.Join("&", query.Append($"cursor={Uri.EscapeDataString(cursor)}"))}";
            http.Response.Headers.Link = $"<{next}>; rel=\"next\"";
        }

        http.Response.Headers[PositionHeader] = page.Position.ToString(System.Globalization.CultureInfo.InvariantCulture);
        return ReadEndpoints.Json(new ListPage<T>(page.Items, next, page.Position));
    }
}
