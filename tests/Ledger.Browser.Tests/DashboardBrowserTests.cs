using System.Text.RegularExpressions;
using Microsoft.Playwright;

namespace Ledger.Browser.Tests;

/// <summary>The dashboard as a person sees it: the real server, Debian's chromium, screenshots in TestResults/screenshots.</summary>
[Collection(DashboardCollection.Name)]
public sealed partial class DashboardBrowserTests(DashboardServer server)
{
    private string MatterUrl(string matter, string query = "") => server.BaseUrl + "/matters/" + matter + query;

    [Fact]
    public async Task Board_leads_to_the_sample_matter_whose_lessons_learned_promise_is_overdue()
    {
        var page = await server.NewPageAsync();
        var errors = new List<string>();
        page.PageError += (_, error) => errors.Add(error);

        await page.GotoAsync(server.BaseUrl + "/");
        var row = page.Locator($"tr.matter-row[data-matter=\"{DashboardServer.SampleMatter}\"]");
        Assert.Equal("1 overdue", (await row.Locator(".overdue-count").InnerTextAsync()).Trim());
        Assert.Equal("action taken", await row.Locator(".phase").TextContentAsync());
        await DashboardServer.ScreenshotAsync(page, "board");

        await row.GetByRole(AriaRole.Link, new() { Name = "Review of IMOD's use of Azure" }).ClickAsync();
        await page.WaitForURLAsync("**/matters/microsoft/imod-azure");
        Assert.Equal("Review of IMOD's use of Azure", await page.Locator("h1").InnerTextAsync());

        var promise = page.Locator("#promises tr[data-promise=\"lessons-learned\"]");
        Assert.Matches(OverdueBadge(), await promise.Locator(".badge").InnerTextAsync());
        Assert.Contains("2025-11-06", await promise.Locator(".due").InnerTextAsync(), StringComparison.Ordinal);

        // The timeline: one mark per statement, a window for the promise with its overdue stretch highlighted.
        var chart = page.Locator("#timeline svg.timeline");
        Assert.Equal(7, await chart.Locator("circle.mark").CountAsync());
        Assert.Equal(1, await chart.Locator("g.promise-window[data-promise=\"lessons-learned\"] rect.overdue").CountAsync());
        Assert.Contains("msft-2025-09-25-findings", await chart.Locator("circle.mark[data-statement=\"msft-2025-09-25-findings\"] title").TextContentAsync(), StringComparison.Ordinal);

        await DashboardServer.ScreenshotAsync(page, "matter");
        Assert.Empty(errors);
    }

    [Fact]
    public async Task History_shows_the_change_between_any_two_revisions()
    {
        var page = await server.NewPageAsync();
        await page.GotoAsync(MatterUrl(DashboardServer.SampleMatter));

        await page.Locator("#history select[name=from]").SelectOptionAsync("3");
        await page.Locator("#history select[name=to]").SelectOptionAsync("7");
        await page.GetByRole(AriaRole.Button, new() { Name = "Show changes" }).ClickAsync();
        await page.WaitForURLAsync(new Regex("from=3&to=7"));

        var comparison = page.Locator(".comparison");
        Assert.Equal("Changes from revision 3 to revision 7", await comparison.Locator("h3").InnerTextAsync());
        var lines = await comparison.Locator("li.change").AllInnerTextsAsync();
        Assert.Contains("phase: reported -> action-taken", lines);
        Assert.Contains("allegation azure-surveillance-storage: unassessed -> partially-substantiated", lines);
        Assert.Contains(lines, l => l.StartsWith("promise lessons-learned: More information", StringComparison.Ordinal));

        await comparison.Locator("summary").ClickAsync();
        Assert.True(await comparison.Locator("tr.op-add").CountAsync() > 0);
        await page.Locator("#history").ScreenshotAsync(new() { Path = Path.Combine(DashboardServer.Screenshots, "history-diff.png") });
    }

    [Fact]
    public async Task Wording_diff_marks_inserted_and_deleted_words()
    {
        var page = await server.NewPageAsync();
        await page.GotoAsync(MatterUrl(DashboardServer.SampleMatter, "?wording-from=msft-2025-05-15-findings&wording-to=msft-2025-09-25-findings#wording"));

        var diff = page.Locator("#wording .word-diff");
        var inserted = string.Join(" ", await diff.Locator("ins").AllInnerTextsAsync());
        var deleted = string.Join(" ", await diff.Locator("del").AllInnerTextsAsync());
        Assert.Contains("Guardian", inserted, StringComparison.Ordinal);
        Assert.Contains("Based on these reviews", deleted, StringComparison.Ordinal);
        Assert.Equal("msft-2025-09-25-findings", await page.Locator("#wording select[name=wording-to]").InputValueAsync());
        await page.Locator("#wording").ScreenshotAsync(new() { Path = Path.Combine(DashboardServer.Screenshots, "wording-diff.png") });
    }

    [Fact]
    public async Task Markup_in_recorded_documents_is_shown_as_text_and_never_runs()
    {
        var page = await server.NewPageAsync();
        var requests = new List<string>();
        page.Request += (_, request) => requests.Add(request.Url);
        await page.GotoAsync(MatterUrl(DashboardServer.EscapingMatter));

        Assert.Equal("<script>window.__xss = 'title'</script>Escaping <b>check</b>", await page.Locator("h1").InnerTextAsync());
        var quote = await page.Locator("#statement-acme-1 blockquote").InnerTextAsync();
        Assert.Equal("We said \"<script>window.__xss = 'quote'</script>\" & <img src=x onerror=\"window.__xss='img'\"> nothing more.", quote);
        Assert.Contains("<svg onload=", await page.Locator("#promises tr[data-promise=report]").InnerTextAsync(), StringComparison.Ordinal);
        Assert.Contains("</td><script>", await page.Locator("#status").InnerTextAsync(), StringComparison.Ordinal);

        // Nothing from the documents became an element or a handler, and nothing ran.
        Assert.Equal(0, await page.Locator("main script, main img, main b, main i, main u, main em, [onerror], [onload]").CountAsync());
        Assert.Equal(1, await page.Locator("main svg").CountAsync());
        Assert.Equal("none", await page.EvaluateAsync<string>("() => typeof window.__xss === 'undefined' ? 'none' : String(window.__xss)"));
        Assert.All(requests, url => Assert.StartsWith(server.BaseUrl + "/", url, StringComparison.Ordinal));
        await DashboardServer.ScreenshotAsync(page, "escaping");

        await page.Locator(".eyebrow a").ClickAsync();
        await page.WaitForURLAsync("**/organizations/**");
        Assert.Equal("Acme <i>Corp</i> & \"Sons\"", await page.Locator("h1").InnerTextAsync());
        Assert.Equal("none", await page.EvaluateAsync<string>("() => typeof window.__xss === 'undefined' ? 'none' : String(window.__xss)"));
    }

    [Fact]
    public async Task Organization_page_counts_the_overdue_promise()
    {
        var page = await server.NewPageAsync();
        await page.GotoAsync(server.BaseUrl + "/organizations/Microsoft");
        Assert.Equal("Microsoft", await page.Locator("h1").InnerTextAsync());
        Assert.Equal("1", await page.Locator(".tile.bad .tile-value").InnerTextAsync());
        Assert.Equal(1, await page.Locator($"tr.matter-row[data-matter=\"{DashboardServer.SampleMatter}\"]").CountAsync());
        Assert.Matches(OverdueBadge(), await page.Locator("tr[data-promise=\"lessons-learned\"] .badge").InnerTextAsync());
        await DashboardServer.ScreenshotAsync(page, "organization");
    }

    [Fact]
    public async Task As_of_a_date_shows_what_had_been_said_by_then()
    {
        var page = await server.NewPageAsync();
        await page.GotoAsync(MatterUrl(DashboardServer.SampleMatter, "?as-of=2025-10-01"));
        Assert.Equal("open", await page.Locator("#promises tr[data-promise=\"lessons-learned\"] .badge").InnerTextAsync());

        await page.GotoAsync(MatterUrl(DashboardServer.SampleMatter, "?as-of=2025-08-10"));
        Assert.Equal(0, await page.Locator("#promises tr[data-promise]").CountAsync());
        Assert.Equal(3, await page.Locator("li.history-entry").CountAsync());
        Assert.Equal("reported", await page.Locator("#status .phase").TextContentAsync());
        Assert.Equal("2025-08-10", await page.Locator("form.times input[name=as-of]").InputValueAsync());
    }

    [Fact]
    public async Task Unknown_matter_and_bad_times_are_answered_with_a_page()
    {
        var page = await server.NewPageAsync();
        var missing = await page.GotoAsync(MatterUrl("nobody/<nothing>"));
        Assert.Equal(404, missing!.Status);
        Assert.Contains("no matter \"nobody/<nothing>\"", await page.Locator("main").InnerTextAsync(), StringComparison.Ordinal);

        var bad = await page.GotoAsync(server.BaseUrl + "/?as-of=yesterday");
        Assert.Equal(400, bad!.Status);
        Assert.Contains("as-of: \"yesterday\"", await page.Locator("main").InnerTextAsync(), StringComparison.Ordinal);
    }

    /// <summary>
    /// The live-update contract: GET /api/stream?matter=... sends Server-Sent Events whose data is a CloudEvent with the
    /// matter as subject. The stream is played by the browser here (its server side is not this module's), while the
    /// statement itself is really imported: the page fetches itself again and swaps its main element without reloading.
    /// </summary>
    [Fact]
    public async Task A_stream_event_for_the_matter_refreshes_the_page_in_place()
    {
        var page = await server.NewPageAsync();
        var release = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        string? streamUrl = null;
        await page.RouteAsync("**/api/stream**", async route =>
        {
            streamUrl = route.Request.Url;
            await release.Task;
            var cloudEvent = """{"specversion":"1.0","type":"ReviewConcluded","source":"ledger","id":"live-2","time":"2025-04-01T00:00:00Z","subject":"example/live","data":{}}""";
            await route.FulfillAsync(new()
            {
                Status = 200,
                ContentType = "text/event-stream",
                Body = $"retry: 600000\nid: 1000\ndata: {cloudEvent}\n\n",
            });
        });

        await page.GotoAsync(MatterUrl(DashboardServer.LiveMatter));
        Assert.Equal(1, await page.Locator("li.history-entry").CountAsync());
        await page.EvaluateAsync("() => { window.__sameDocument = true; }");

        var file = Path.Combine(server.Folder, "live-2.json");
        await File.WriteAllTextAsync(file, Documents.LiveSecond);
        var import = await server.ImportAsync(file);
        Assert.True(import.ExitCode == 0, import.Output);
        Assert.Equal(1, await page.Locator("li.history-entry").CountAsync());

        release.SetResult();
        await page.Locator("html[data-updates]").WaitForAsync();
        Assert.Equal(2, await page.Locator("li.history-entry").CountAsync());
        Assert.Equal("concluded", await page.Locator("#status .phase").TextContentAsync());
        Assert.True(await page.EvaluateAsync<bool>("() => window.__sameDocument === true"));
        Assert.Equal(server.BaseUrl + "/api/stream?matter=example%2Flive", streamUrl);
        await DashboardServer.ScreenshotAsync(page, "live-update");
    }

    /// <summary>
    /// A live refresh arriving while the reader fills in a form keeps what they typed and chose, and the caret where
    /// it was; the rest of the page is replaced.
    /// </summary>
    [Fact]
    public async Task A_live_refresh_keeps_a_form_being_filled_in()
    {
        var page = await server.NewPageAsync();
        var release = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        await page.RouteAsync("**/api/stream**", async route =>
        {
            await release.Task;
            var cloudEvent = $$$"""{"specversion":"1.0","type":"StatementRecorded","source":"ledger","id":"form-1","time":"2025-04-01T00:00:00Z","subject":"{{{DashboardServer.SampleMatter}}}","data":{}}""";
            await route.FulfillAsync(new() { Status = 200, ContentType = "text/event-stream", Body = $"retry: 600000\nid: 1001\ndata: {cloudEvent}\n\n" });
        });

        await page.GotoAsync(MatterUrl(DashboardServer.SampleMatter));
        var from = page.Locator("#content select[name=from]");
        var chosen = await from.Locator("option").Last.GetAttributeAsync("value");
        Assert.NotNull(chosen);
        Assert.NotEqual(chosen, await from.InputValueAsync());
        await from.SelectOptionAsync(chosen);
        var asOf = page.Locator("#content input[name=as-of]");
        await asOf.FillAsync("2025-08");
        await page.EvaluateAsync("() => document.querySelector('#content li.history-entry').setAttribute('data-before-refresh', '')");

        release.SetResult();
        await page.Locator("html[data-updates]").WaitForAsync(new() { Timeout = 30_000 });
        Assert.Equal(0, await page.Locator("[data-before-refresh]").CountAsync());
        Assert.Equal("2025-08", await asOf.InputValueAsync());
        Assert.Equal(chosen, await from.InputValueAsync());
        Assert.Equal("as-of", await page.EvaluateAsync<string>("() => document.activeElement && document.activeElement.name"));
        Assert.Equal(7, await page.EvaluateAsync<int>("() => document.activeElement.selectionStart"));
    }

    /// <summary>The same through the server's own /api/stream: a statement imported by another process shows up on the open page.</summary>
    [Fact]
    public async Task A_statement_recorded_elsewhere_appears_on_the_open_page_through_the_servers_stream()
    {
        var page = await server.NewPageAsync();
        await page.GotoAsync(MatterUrl(DashboardServer.StreamMatter));
        await page.Locator("#live").WaitForAsync(new() { State = WaitForSelectorState.Visible });
        Assert.Equal(1, await page.Locator("li.history-entry").CountAsync());
        Assert.Equal(0, await page.Locator("#promises tr[data-promise]").CountAsync());

        var file = Path.Combine(server.Folder, "stream-2.json");
        await File.WriteAllTextAsync(file, Documents.StreamSecond);
        var import = await server.ImportAsync(file);
        Assert.True(import.ExitCode == 0, import.Output);

        await page.Locator("html[data-updates]").WaitForAsync(new() { Timeout = 30_000 });
        await page.Locator("li.history-entry[data-statement=\"stream-2\"]").WaitForAsync();
        Assert.Matches(OverdueBadge(), await page.Locator("#promises tr[data-promise=\"report\"] .badge").InnerTextAsync());
        Assert.Equal(1, await page.Locator("g.promise-window[data-promise=\"report\"]").CountAsync());
        await DashboardServer.ScreenshotAsync(page, "live-update-from-server");
    }

    [Fact]
    public async Task Pages_load_nothing_from_elsewhere_and_forbid_it()
    {
        var page = await server.NewPageAsync();
        var requests = new List<string>();
        page.Request += (_, request) => requests.Add(request.Url);
        var errors = new List<string>();
        page.PageError += (_, error) => errors.Add(error);

        foreach (var path in new[] { "/", "/matters/microsoft/imod-azure?from=1&to=7", "/organizations/Microsoft" })
        {
            var response = await page.GotoAsync(server.BaseUrl + path);
            Assert.Equal(200, response!.Status);
            var policy = await response.HeaderValueAsync("content-security-policy");
            Assert.Contains("default-src 'none'", policy, StringComparison.Ordinal);
            Assert.Equal("10px", await page.EvaluateAsync<string>("() => getComputedStyle(document.querySelector('.card')).borderTopLeftRadius"));
        }

        Assert.All(requests, url => Assert.StartsWith(server.BaseUrl + "/", url, StringComparison.Ordinal));
        Assert.Contains(requests, url => url.EndsWith("/_dashboard/dashboard.css", StringComparison.Ordinal));
        Assert.Contains(requests, url => url.EndsWith("/_dashboard/dashboard.js", StringComparison.Ordinal));
        Assert.Empty(errors);
    }

    [GeneratedRegex("^overdue · [0-9]+ d$")]
    private static partial Regex OverdueBadge();
}
