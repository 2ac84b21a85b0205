using System.Globalization;
using System.ServiceModel.Syndication;
using System.Text;
using System.Xml;
using System.Xml.Linq;
using Ledger.Events;
using Ledger.Messaging.Notifying;
using Ledger.Server.Dashboard;
using Ledger.Storage;
using Ledger.Verification;

namespace Ledger.Server.Feeds;

/// <summary>
/// Atom feeds (RFC 4287) of the ledger, per matter, per organization and global, archived per RFC 5005: the current
/// document holds the newest, not yet full page and links to the newest archive; each archive is a fixed page of
/// events linked to its neighbours, so that a reader can walk the whole history, and caches may keep it for good once
/// its successor exists (the newest archive still gains its next-archive link). When the
/// store keeps a Merkle log each entry carries its inclusion proof (ledger:inclusion, namespace urn:ledger:merkle:1).
/// Promise notices are entries too, after the event they were decided at; ?types= (comma-separated) keeps the entries of
/// those types, event types or promise.overdue, promise.delivered-late, promise.due-soon.
/// </summary>
public static class AtomFeeds
{
    public const string ContentType = "application/atom+xml; charset=utf-8";
    private static readonly XNamespace History = "http://purl.org/syndication/history/1.0";
    private static readonly XNamespace Merkle = "urn:ledger:merkle:1";

    public static WebApplication MapAtomFeeds(this WebApplication app)
    {
        var pageSize = app.Configuration.GetValue("Ledger:Feeds:PageSize", 50);
        app.MapGet("/feeds/all", (HttpContext http, IEventStore store, INotificationFeed feed, string? types) =>
            FeedAsync(http, store, feed, Scope.All.Only(types), null, pageSize)).WithName("GetFeed").Current();
        app.MapGet("/feeds/archive/{page:int}/all", (HttpContext http, IEventStore store, INotificationFeed feed, int page, string? types) =>
            FeedAsync(http, store, feed, Scope.All.Only(types), page, pageSize)).WithName("GetFeedArchive").Archive();
        app.MapGet("/feeds/organizations/{organization}", (HttpContext http, IEventStore store, INotificationFeed feed, string organization, string? types) =>
            FeedAsync(http, store, feed, Scope.Organization(organization).Only(types), null, pageSize)).WithName("GetOrganizationFeed").Current();
        app.MapGet("/feeds/archive/{page:int}/organizations/{organization}", (HttpContext http, IEventStore store, INotificationFeed feed, int page, string organization, string? types) =>
            FeedAsync(http, store, feed, Scope.Organization(organization).Only(types), page, pageSize)).WithName("GetOrganizationFeedArchive").Archive();
        app.MapGet("/feeds/matters/{**matter}", (HttpContext http, IEventStore store, INotificationFeed feed, string matter, string? types) =>
            FeedAsync(http, store, feed, Scope.Matter(Ids.FromPath(matter)).Only(types), null, pageSize)).WithName("GetMatterFeed").Current();
        app.MapGet("/feeds/archive/{page:int}/matters/{**matter}", (HttpContext http, IEventStore store, INotificationFeed feed, int page, string matter, string? types) =>
            FeedAsync(http, store, feed, Scope.Matter(Ids.FromPath(matter)).Only(types), page, pageSize)).WithName("GetMatterFeedArchive").Archive();
        return app;
    }

    private static RouteHandlerBuilder Current(this RouteHandlerBuilder route) =>
        route.WithTags("feeds").Produces<string>(StatusCodes.Status200OK, "application/atom+xml");

    private static RouteHandlerBuilder Archive(this RouteHandlerBuilder route) => route.Current().ProducesProblem(StatusCodes.Status404NotFound);

    /// <summary>What a feed covers, its id, title and path.</summary>
    public sealed record Scope(string Id, string Title, string Path, EventFilter Filter, string Query = "")
    {
        /// <summary>Only entries of these types (comma-separated); the query string then rides on every link.</summary>
        public Scope Only(string? types)
        {
            var list = types?.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries) ?? [];
            return list.Length == 0 ? this
                : this with { Id = $"{Id}:types:{string.Join(',', list)}", Filter = Filter with { Types = list }, Query = "?types=" + Uri.EscapeDataString(string.Join(',', list)) };
        }

        public static Scope All { get; } = new("urn:ledger:feed:all", "Ledger: every statement", "all", EventFilter.All);

        public static Scope Matter(string matter) => new($"urn:ledger:feed:matter:{matter}", $"Ledger: {matter}", $"matters/{matter}", new EventFilter(Matters: [matter]));

        public static Scope Organization(string organization) =>
            new($"urn:ledger:feed:organization:{Uri.EscapeDataString(organization)}", $"Ledger: {organization}", $"organizations/{Uri.EscapeDataString(organization)}", new EventFilter(Organizations: [organization]));
    }

    private static async Task<IResult> FeedAsync(HttpContext http, IEventStore store, INotificationFeed feed, Scope scope, int? page, int pageSize)
    {
        var events = new List<LedgerItem>();
        var notices = await PromiseNotices.ReadAsync(feed, scope.Filter, 0, http.RequestAborted);
        await foreach (var item in PromiseNotices.MergeAsync(store.ReadAllAsync(1, scope.Filter, http.RequestAborted), notices))
        {
            events.Add(item);
        }

        var archived = events.Count / pageSize;
        if (page is { } p && (p < 1 || p > archived))
        {
            return Results.Problem(statusCode: StatusCodes.Status404NotFound, title: "no such archive page",
                detail: $"{scope.Path} has {archived} archive page(s) of {pageSize} entries; newer entries are in the current feed");
        }

        var slice = page is { } number ? events.GetRange((number - 1) * pageSize, pageSize) : events.GetRange(archived * pageSize, events.Count - (archived * pageSize));
        var proofs = await ProofsAsync(store, [.. slice.Select(i => i.Event).OfType<StoredEvent>()], archive: page is not null, http.RequestAborted);
        return Feed(http, scope, page, archived, events, slice, proofs);
    }

    /// <summary>
    /// Inclusion proofs of a page's entries. An archive never changes, so its proofs are in the smallest tree holding
    /// the whole page; the current document's are in the tree as it is now.
    /// </summary>
    private static async Task<IReadOnlyDictionary<long, InclusionProof>> ProofsAsync(IEventStore store, List<StoredEvent> slice, bool archive, CancellationToken cancellationToken)
    {
        var proofs = new Dictionary<long, InclusionProof>();
        if (store is not IVerifiableStore { Merkle: var log } || slice.Count == 0)
        {
            return proofs;
        }

        var tree = await log.OpenTreeAsync(cancellationToken);
        long? size = null;
        if (archive)
        {
            if (await log.LeafIndexAsync(slice[^1].Position, cancellationToken) is not { } last || last >= tree.Size)
            {
                return proofs;
            }

            size = last + 1;
        }

        foreach (var e in slice)
        {
            if (await ProveInclusion.InTreeAsync(log, tree, e, size, cancellationToken) is { } proof)
            {
                proofs[e.Position] = proof;
            }
        }

        return proofs;
    }

    private static IResult Feed(HttpContext http, Scope scope, int? page, int archived, List<LedgerItem> events, List<LedgerItem> slice, IReadOnlyDictionary<long, InclusionProof> proofs)
    {
        var root = $"{http.Request.Scheme}://{http.Request.Host}";
        string Current() => $"{root}/feeds/{scope.Path}{scope.Query}";
        string Archive(int n) => $"{root}/feeds/archive/{n.ToString(CultureInfo.InvariantCulture)}/{scope.Path}{scope.Query}";
        var feed = new SyndicationFeed(scope.Title, "Statements recorded in the ledger and promise notices, newest first", new Uri($"{root}/"), scope.Id,
            slice.Count > 0 ? Updated(slice[^1]) : events.Count > 0 ? Updated(events[^1]) : DateTimeOffset.UnixEpoch)
        {
            Generator = "Ledger",
            Items = slice.AsEnumerable().Reverse().Select(i => i.Event is { } e ? Entry(e, root, proofs.GetValueOrDefault(e.Position)) : Entry(i.Notice!, root)).ToList(),
        };
        feed.Links.Add(new SyndicationLink(new Uri(page is { } self ? Archive(self) : Current()), "self", null, "application/atom+xml", 0));
        if (page is { } current)
        {
            feed.ElementExtensions.Add(new XElement(History + "archive"));
            feed.Links.Add(new SyndicationLink(new Uri(Current()), "current", null, "application/atom+xml", 0));
            if (current > 1)
            {
                feed.Links.Add(new SyndicationLink(new Uri(Archive(current - 1)), "prev-archive", null, "application/atom+xml", 0));
            }

            if (current < archived)
            {
                feed.Links.Add(new SyndicationLink(new Uri(Archive(current + 1)), "next-archive", null, "application/atom+xml", 0));
            }
        }
        else if (archived > 0)
        {
            feed.Links.Add(new SyndicationLink(new Uri(Archive(archived)), "prev-archive", null, "application/atom+xml", 0));
        }

        var text = new StringBuilder();
        using (var writer = XmlWriter.Create(text, new XmlWriterSettings { Encoding = Encoding.UTF8, Indent = true, Async = false }))
        {
            new Atom10FeedFormatter(feed).WriteTo(writer);
        }

        // An archive never changes once its successor exists; the newest one still gains its next-archive link.
        http.Response.Headers.CacheControl = page is { } number && number < archived ? "public, max-age=31536000, immutable" : "no-cache";
        return Results.Text(text.ToString().Replace("encoding=\"utf-16\"", "encoding=\"utf-8\"", StringComparison.Ordinal), ContentType);
    }

    private static DateTimeOffset Updated(LedgerItem item) => item.Event?.RecordedAt ?? item.Notice!.NotifiedAt;

    /// <summary>A promise notice: its stable id, the promise statement to prove, and the log position it was decided at.</summary>
    private static SyndicationItem Entry(Notification notice, string root)
    {
        var type = PromiseNotices.TypeOf(notice.Kind);
        using var data = System.Text.Json.JsonDocument.Parse(notice.Data);
        var promise = data.RootElement.TryGetProperty("promiseId", out var id) ? id.GetString() : null;
        var dueBy = data.RootElement.TryGetProperty("dueBy", out var due) ? due.GetString() : null;
        var what = notice.Kind switch
        {
            NotificationKinds.PromiseOverdue => $"promise {promise} overdue since {dueBy}",
            NotificationKinds.PromiseDeliveredLate => $"promise {promise} delivered late (due {dueBy})",
            _ => $"promise {promise} due soon (due {dueBy})",
        };
        var item = new SyndicationItem
        {
            Id = $"urn:ledger:notice:{notice.Id}",
            LastUpdatedTime = notice.NotifiedAt,
            PublishDate = notice.OccurredAt,
            Title = new TextSyndicationContent($"{what}: {notice.Matter}"),
            Summary = new TextSyndicationContent(
                $"{what}; promised in statement {notice.StatementId}; decided from the log through event {PromiseNotices.PositionOf(notice).ToString(CultureInfo.InvariantCulture)}"),
        };
        item.Links.Add(new SyndicationLink(new Uri($"{root}/matters/{notice.Matter}"), "alternate", null, "text/html", 0));
        item.Categories.Add(new SyndicationCategory(type, "urn:ledger:event-type", type));
        item.Authors.Add(new SyndicationPerson(null, "Ledger", null));
        return item;
    }

    private static SyndicationItem Entry(StoredEvent e, string root, InclusionProof? proof)
    {
        var recorded = EventEnvelope.ToEvent(e);
        var matterPage = new Uri($"{root}/matters/{e.Stream}");
        var item = new SyndicationItem
        {
            Id = $"urn:ledger:event:{e.Position.ToString(CultureInfo.InvariantCulture)}",
            LastUpdatedTime = e.RecordedAt,
        };
        item.Links.Add(new SyndicationLink(matterPage, "alternate", null, "text/html", 0));
        item.Categories.Add(new SyndicationCategory(e.Type, "urn:ledger:event-type", e.Type));
        if (proof is not null)
        {
            item.ElementExtensions.Add(new XElement(Merkle + "inclusion",
                new XAttribute("leaf", proof.LeafIndex),
                new XAttribute("treeSize", proof.TreeSize),
                new XAttribute("leafHash", Convert.ToBase64String(proof.LeafHash)),
                new XAttribute("root", Convert.ToBase64String(proof.RootHash)),
                proof.Path.Select(hash => new XElement(Merkle + "hash", Convert.ToBase64String(hash)))));
        }

        switch (recorded)
        {
            case Statement s:
                item.Title = new TextSyndicationContent($"{e.Type}: {e.Stream}");
                item.PublishDate = s.PublishedAt;
                item.Summary = new TextSyndicationContent(s.Quote);
                item.Content = new TextSyndicationContent(
                    $"\"{s.Quote}\"\n— {s.Speaker?.Name ?? "unnamed"}{(s.Speaker?.Role is { } role ? $" ({role})" : string.Empty)}, {s.PublishedAt:yyyy-MM-dd}\n"
                    + $"source: {s.Source.Title ?? s.Source.Url ?? "unknown"}\nstatement {s.StatementId}, quote SHA-256 {s.QuoteSha256}, recorded {e.RecordedAt:O} by {s.RecordedBy}");
                item.Authors.Add(new SyndicationPerson(null, s.Speaker?.Name ?? e.Organization, null));
                if (s.Source.Url is { } url && Uri.TryCreate(url, UriKind.Absolute, out var source))
                {
                    item.Links.Add(new SyndicationLink(source, "related", s.Source.Title, null, 0));
                }

                break;
            case SourceArchived archived:
                item.Title = new TextSyndicationContent($"Source archived: {archived.SourceOf}");
                item.PublishDate = e.RecordedAt;
                item.Summary = new TextSyndicationContent(Projections.ArchivedSource.Of(archived).Describe());
                item.Authors.Add(new SyndicationPerson(null, e.RecordedBy, null));
                break;
            case MatterOpened opened:
                item.Title = new TextSyndicationContent($"Matter opened: {opened.Title}");
                item.PublishDate = e.RecordedAt;
                item.Summary = new TextSyndicationContent($"{opened.Organization}: {opened.Title} ({e.Stream})");
                item.Authors.Add(new SyndicationPerson(null, e.RecordedBy, null));
                break;
        }

        return item;
    }
}
