using System.ServiceModel.Syndication;
using System.Xml;
using System.Xml.Linq;
using Xunit;

namespace Ledger.EndToEnd;

/// <summary>Atom feeds from the real server, read with System.ServiceModel.Syndication, walked through their RFC 5005 archives.</summary>
public sealed class AtomFeedTests : IDisposable
{
    private static readonly XNamespace History = "http://purl.org/syndication/history/1.0";
    private readonly TempStore store = new();

    public void Dispose() => store.Dispose();

    [Fact]
    public async Task Walking_a_matter_feed_back_through_its_archives_gives_every_event_once_newest_first()
    {
        // Without the embedded worker no promise notice joins the events (DeadlineNoticeTests covers those).
        await using var server = await LedgerServerProcess.StartAsync(store, sample: true, new Dictionary<string, string> { ["Ledger__Feeds__PageSize"] = "3", ["Ledger__Worker"] = "false" });

        var current = await LoadAsync(server, "feeds/matters/microsoft/imod-azure");
        var documents = new List<(SyndicationFeed Feed, bool Archive)> { (current, false) };
        for (var previous = Link(current, "prev-archive"); previous is not null; previous = Link(documents[^1].Feed, "prev-archive"))
        {
            var archive = await LoadAsync(server, previous.ToString());
            documents.Add((archive, archive.ElementExtensions.Any(x => x.OuterName == "archive" && x.OuterNamespace == History.NamespaceName)));
            Assert.Equal(current.Links.Single(l => l.RelationshipType == "self").Uri, Link(archive, "current"));
        }

        // 8 events (the matter's opening and 7 statements) in pages of 3: 2 archives of 3, and 2 in the current feed.
        Assert.Equal([2, 3, 3], documents.Select(d => d.Feed.Items.Count()));
        Assert.Equal([false, true, true], documents.Select(d => d.Archive));
        var ids = documents.SelectMany(d => d.Feed.Items).Select(i => i.Id).ToList();
        Assert.Equal(Enumerable.Range(1, 8).Reverse().Select(i => $"urn:ledger:event:{i}"), ids);
        Assert.Null(Link(documents[^1].Feed, "prev-archive"));
        Assert.Equal(Link(documents[1].Feed, "self"), Link(documents[2].Feed, "next-archive"));

        var findings = documents.SelectMany(d => d.Feed.Items).Single(i => i.Id == "urn:ledger:event:2");
        Assert.Equal("FindingsDisclosed", findings.Categories.Single().Name);
        Assert.Equal(new DateTimeOffset(2025, 5, 15, 0, 0, 0, TimeSpan.Zero), findings.PublishDate);
        Assert.StartsWith("Based on these reviews", ((TextSyndicationContent)findings.Summary).Text, StringComparison.Ordinal);
        Assert.Contains(findings.Links, l => l.RelationshipType == "related" && l.Uri.Host == "blogs.microsoft.com");
    }

    [Fact]
    public async Task Organization_and_global_feeds_hold_their_events_and_unknown_archive_pages_are_404()
    {
        await using var server = await LedgerServerProcess.StartAsync(store, sample: true, new Dictionary<string, string> { ["Ledger__Worker"] = "false" });

        var organization = await LoadAsync(server, "feeds/organizations/Microsoft");
        var all = await LoadAsync(server, "feeds/all");
        var other = await LoadAsync(server, "feeds/organizations/Acme");
        using var missing = await server.Http.GetAsync("feeds/archive/1/all");

        Assert.Equal(8, organization.Items.Count());
        Assert.Equal(8, all.Items.Count());
        Assert.Empty(other.Items);
        Assert.Equal(System.Net.HttpStatusCode.NotFound, missing.StatusCode);
        Assert.Equal("application/problem+json", missing.Content.Headers.ContentType?.MediaType);
    }

    [Fact]
    public async Task Only_an_archive_page_that_has_its_successor_is_immutable()
    {
        // Without the worker, so that no promise notice joins the pages while the test reads them.
        await using var server = await LedgerServerProcess.StartAsync(store, sample: true, new Dictionary<string, string> { ["Ledger__Feeds__PageSize"] = "3", ["Ledger__Worker"] = "false" });

        // 8 events in pages of 3: archives 1 and 2; the newest, 2, gains a next-archive link once a third page fills.
        var (oldest, _) = await ArchiveAsync(server, 1);
        var (newest, newestLinksOn) = await ArchiveAsync(server, 2);
        var file = store.PathOf("more.json");
        await File.WriteAllTextAsync(file, """{"matter":"acme/cache","organization":"Acme","title":"Cache","statements":[{"id":"acme-cache-1","type":"PositionStated","publishedAt":"2025-03-01","topic":"t","position":"p","speaker":{"name":"Acme"},"source":{"url":"https://example.org/cache"},"quote":"Q."}]}""");
        var imported = await store.RunAsync("import", file);
        Assert.True(imported.ExitCode == 0, imported.ToString());
        var (formerNewest, formerNewestLinksOn) = await ArchiveAsync(server, 2);
        var (third, _) = await ArchiveAsync(server, 3);

        Assert.Contains("immutable", oldest, StringComparison.Ordinal);
        Assert.DoesNotContain("immutable", newest, StringComparison.Ordinal);
        Assert.False(newestLinksOn, "the newest archive links to a next archive that does not exist yet");
        Assert.Contains("immutable", formerNewest, StringComparison.Ordinal);
        Assert.True(formerNewestLinksOn, "archive 2 does not link to archive 3");
        Assert.DoesNotContain("immutable", third, StringComparison.Ordinal);
    }

    /// <summary>An archive page's Cache-Control, and whether it links to a next archive.</summary>
    private static async Task<(string CacheControl, bool LinksOn)> ArchiveAsync(LedgerServerProcess server, int page)
    {
        using var response = await server.Http.GetAsync($"feeds/archive/{page}/all");
        Assert.True(response.IsSuccessStatusCode, $"archive {page}: {(int)response.StatusCode}");
        await using var stream = await response.Content.ReadAsStreamAsync();
        using var reader = XmlReader.Create(stream);
        return (response.Headers.CacheControl?.ToString() ?? string.Empty, Link(SyndicationFeed.Load(reader), "next-archive") is not null);
    }

    private static async Task<SyndicationFeed> LoadAsync(LedgerServerProcess server, string path)
    {
        using var response = await server.Http.GetAsync(path);
        Assert.True(response.IsSuccessStatusCode, $"{path}: {(int)response.StatusCode}");
        Assert.Equal("application/atom+xml", response.Content.Headers.ContentType?.MediaType);
        await using var stream = await response.Content.ReadAsStreamAsync();
        using var reader = XmlReader.Create(stream);
        return SyndicationFeed.Load(reader);
    }

    private static Uri? Link(SyndicationFeed feed, string relation) => feed.Links.SingleOrDefault(l => l.RelationshipType == relation)?.Uri;
}
