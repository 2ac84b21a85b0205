using System.Globalization;
using System.Text.Json.Nodes;
using Xunit;

namespace Ledger.EndToEnd;

/// <summary>The worker on the embedded store: every event notified once, overdue promises raised once, across kills.</summary>
public sealed class WorkerTests : IDisposable
{
    private static readonly TimeSpan Patience = TimeSpan.FromSeconds(60);
    private readonly TempStore store = new();

    public void Dispose() => store.Dispose();

    [Fact]
    public async Task The_worker_notifies_every_event_once_in_log_order_and_the_overdue_promise_once_across_a_restart()
    {
        await store.ImportSamplesAsync();
        using (var worker = store.Start("worker"))
        {
            await Notifications.WaitForAsync(() => Notifications.ReadAsync(store.RunAsync), n => n.Count == 9, Patience, worker);
            worker.Kill();
        }

        var more = store.PathOf("more.json");
        await File.WriteAllTextAsync(more, """
            {"matter":"microsoft/imod-azure","statements":[
              {"id":"e2e-later-position","type":"PositionStated","publishedAt":"2025-10-01","topic":"cloud","position":"we keep reviewing","speaker":{"name":"Brad Smith"},"source":{"url":"https://example.org/later","title":"later"},"quote":"We keep reviewing."}]}
            """);
        Assert.Equal(0, (await store.RunAsync("import", more)).ExitCode);

        using var restarted = store.Start("worker");
        var feed = await Notifications.WaitForAsync(() => Notifications.ReadAsync(store.RunAsync), n => n.Count >= 10, Patience, restarted);
        await Task.Delay(TimeSpan.FromSeconds(3));
        feed = await Notifications.ReadAsync(store.RunAsync);

        var events = feed.Where(n => (string)n["kind"]! == "event-recorded").Select(n => (long)n["position"]!).ToList();
        Assert.Equal(Enumerable.Range(1, 9).Select(i => (long)i), events);
        Assert.Equal("event:9", (string)feed.Single(n => (long?)n["position"] == 9)["id"]!);
        var overdue = Assert.Single(feed, n => (string)n["kind"]! == "promise-overdue");
        Assert.Equal("promise-overdue:microsoft/imod-azure/lessons-learned@2025-11-06", (string)overdue["id"]!);
        Assert.Equal("2025-11-07T00:00:00+00:00", (string)overdue["occurredAt"]!);
        Assert.Equal("lessons-learned", (string)overdue["data"]!["promiseId"]!);
        Assert.DoesNotContain(restarted.Lines, l => l.Contains("notified event:1:", StringComparison.Ordinal));

        // The same feed a page at a time: each full page says on standard error where the next one starts.
        var paged = new List<string>();
        var after = "0";
        while (true)
        {
            var page = await store.RunAsync("notifications", "--json", "--limit", "4", "--after", after);
            Assert.True(page.ExitCode == 0, page.ToString());
            var items = JsonNode.Parse(page.Stdout)!.AsArray().Select(n => n!).ToList();
            paged.AddRange(items.Select(n => (string)n["id"]!));
            if (items.Count < 4)
            {
                Assert.Equal(string.Empty, page.Stderr.Trim());
                break;
            }

            after = ((long)items[^1]["sequence"]!).ToString(CultureInfo.InvariantCulture);
            Assert.Contains($"--after {after}", page.Stderr, StringComparison.Ordinal);
        }

        Assert.Equal(feed.Select(n => (string)n["id"]!), paged);
    }

    [Fact]
    public async Task A_worker_killed_before_a_promise_falls_due_raises_it_after_restart_exactly_once()
    {
        // The first worker runs a month before the deadline, so it is killed before it whatever its start-up takes.
        var dueBy = DateOnly.FromDateTime(DateTime.UtcNow).AddDays(30);
        var deadline = new DateTimeOffset(dueBy.AddDays(1).ToDateTime(TimeOnly.MinValue), TimeSpan.Zero);
        var document = store.PathOf("promise.json");
        await File.WriteAllTextAsync(document, $$$"""
            {"matter":"acme/deadline","organization":"Acme","title":"A promise about to fall due","statements":[
              {"id":"acme-promise","type":"DisclosurePromised","publishedAt":"2026-01-05","speaker":{"name":"Acme"},"source":{"url":"https://example.org/acme","title":"Acme"},"quote":"We will publish the report.","promise":{"id":"report","what":"the report","dueBy":"{{{dueBy:yyyy-MM-dd}}}"}}]}
            """);
        Assert.Equal(0, (await store.RunAsync("import", document)).ExitCode);

        using (var worker = store.Start("worker"))
        {
            await WaitAsync(() => worker.Lines.Any(l => l.Contains("scheduled the deadline check of promise report", StringComparison.Ordinal)) && store.RelayedThrough() == 2, worker);
            Assert.True(worker.Kill(), "the worker had stopped before it was killed");
        }

        Assert.DoesNotContain(await Notifications.ReadAsync(store.RunAsync), n => (string)n["kind"]! == "promise-overdue");

        // The month passes while the worker is dead: the ledger's clock moves past the deadline, and the check the killed
        // worker stored for it falls due now (Wolverine schedules on the system clock, which a test cannot move).
        Assert.Equal(1, store.BringScheduledMessagesForward(typeof(Ledger.Messaging.Deadlines.CheckPromiseDeadline).FullName!));
        var pastDeadline = deadline + TimeSpan.FromHours(1) - DateTimeOffset.UtcNow;
        var clock = new Dictionary<string, string> { ["LEDGER_CLOCK_OFFSET"] = pastDeadline.TotalSeconds.ToString("F3", CultureInfo.InvariantCulture) };

        using var restarted = store.Start(clock, "worker");
        var feed = await Notifications.WaitForAsync(
            () => Notifications.ReadAsync(args => store.RunAsync(clock, args)), n => n.Any(x => (string)x["kind"]! == "promise-overdue"), Patience, restarted);
        await Task.Delay(TimeSpan.FromSeconds(3));
        feed = await Notifications.ReadAsync(args => store.RunAsync(clock, args));

        var overdue = Assert.Single(feed, n => (string)n["kind"]! == "promise-overdue");
        Assert.Equal($"promise-overdue:acme/deadline/report@{dueBy:yyyy-MM-dd}", (string)overdue["id"]!);
        Assert.Equal($"{deadline:yyyy-MM-dd}T00:00:00+00:00", (string)overdue["occurredAt"]!);
        Assert.Single(restarted.Lines, l => l.Contains("notified promise-overdue:", StringComparison.Ordinal));
        // The scheduled check survived the kill: the restarted relay resumed after the promise and scheduled nothing new.
        Assert.DoesNotContain(restarted.Lines, l => l.Contains("scheduled the deadline check", StringComparison.Ordinal));
        Assert.Equal([1L, 2L], feed.Where(n => (string)n["kind"]! == "event-recorded").Select(n => (long)n["position"]!));
    }

    private static async Task WaitAsync(Func<bool> condition, BackgroundCli worker)
    {
        var deadline = DateTime.UtcNow + Patience;
        while (!condition())
        {
            Assert.False(worker.HasExited, $"the worker exited: {string.Join('\n', worker.Lines)}{worker.Stderr}");
            Assert.True(DateTime.UtcNow < deadline, $"waited {Patience} in vain; worker output:\n{string.Join('\n', worker.Lines)}{worker.Stderr}");
            await Task.Delay(100);
        }
    }
}

/// <summary>Reads the notification feed through `ledger notifications --json`.</summary>
public static class Notifications
{
    public static async Task<List<JsonNode>> ReadAsync(Func<string[], Task<CliResult>> run)
    {
        var result = await run(["notifications", "--json"]);
        Assert.True(result.ExitCode == 0, result.ToString());
        return JsonNode.Parse(result.Stdout)!.AsArray().Select(n => n!).ToList();
    }

    public static async Task<List<JsonNode>> WaitForAsync(Func<Task<List<JsonNode>>> read, Func<List<JsonNode>, bool> done, TimeSpan patience, params BackgroundCli[] workers)
    {
        var deadline = DateTime.UtcNow + patience;
        while (true)
        {
            var feed = await read();
            if (done(feed))
            {
                return feed;
            }

            var logs = string.Join("\n---\n", workers.Select(w => string.Join('\n', w.Lines) + w.Stderr));
            Assert.True(DateTime.UtcNow < deadline, $"the feed did not get there within {patience}: {feed.Count} entries\n{logs}");
            Assert.True(workers.Any(w => !w.HasExited), $"every worker exited:\n{logs}");
            await Task.Delay(250);
        }
    }
}
