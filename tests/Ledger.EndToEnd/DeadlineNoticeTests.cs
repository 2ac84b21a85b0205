using System.Net;
using System.Net.Sockets;
using System.ServiceModel.Syndication;
using System.Text;
using System.Text.Json.Nodes;
using System.Xml;
using Ledger.Messaging.Webhooks;
using Xunit;

namespace Ledger.EndToEnd;

/// <summary>Promise notices (overdue, delivered late, due soon) on every channel of the real server, and in tail and history.</summary>
public sealed class DeadlineNoticeTests : IDisposable
{
    private const string Overdue = "promise-overdue:microsoft/imod-azure/lessons-learned@2025-11-06";
    private static readonly TimeSpan Patience = TimeSpan.FromSeconds(90);
    private readonly TempStore store = new();

    public void Dispose() => store.Dispose();

    [Fact]
    public async Task A_watchdog_hears_the_reference_promise_go_overdue_once_on_sse_atom_and_a_webhook_and_not_again_after_a_restart()
    {
        using var receiver = new Receiver();
        await store.ImportSamplesAsync();
        var added = await store.RunAsync("webhooks", "add", receiver.Url, "--from-start", "--allow-private-target", "--json");
        Assert.True(added.ExitCode == 0, added.ToString());
        var secret = (string)JsonNode.Parse(added.Stdout)!["secret"]!;
        var environment = new Dictionary<string, string> { ["Ledger__Webhooks__AllowPrivateTargets"] = "true" };

        SseClient sse;
        await using (var server = await LedgerServerProcess.StartAsync(store, environment: environment))
        {
            sse = new SseClient(server.Http, "api/stream?from=1");
            using var stop = new CancellationTokenSource();
            var reading = sse.ReadAsync(stop.Token);
            await WaitAsync(() => Count(sse, Overdue) == 1 && receiver.Ids.Contains(Overdue), server, sse, receiver);
            foreach (var feed in new[] { "feeds/all", "feeds/matters/microsoft/imod-azure", "feeds/organizations/Microsoft" })
            {
                var entries = (await LoadAsync(server, feed)).Items.ToList();
                Assert.Single(entries, i => i.Id == $"urn:ledger:notice:{Overdue}");
                Assert.Equal(9, entries.Count);
                Assert.Equal("promise.overdue", entries[0].Categories.Single().Name);
            }

            await stop.CancelAsync();
            await reading;
        }

        // In log order after the eight events of the reference case, as a CloudEvent of its own type.
        var messages = sse.Messages;
        Assert.Equal(9, messages.Count);
        Assert.Equal(["1", "2", "3", "4", "5", "6", "7", "8"], messages.Take(8).Select(m => m.Id));
        Assert.StartsWith("8.", messages[8].Id, StringComparison.Ordinal);
        var notice = JsonNode.Parse(messages[8].Data)!;
        Assert.Equal(("org.ledger.promise.overdue", Overdue, "microsoft/imod-azure"), ((string)notice["type"]!, (string)notice["id"]!, (string)notice["subject"]!));
        Assert.Equal(("msft-2025-09-25-more-information", 8L, "lessons-learned"), ((string)notice["promisestatement"]!, (long)notice["ledgerposition"]!, (string)notice["data"]!["promiseId"]!));
        Assert.Equal("2025-11-07T00:00:00.0000000Z", (string)notice["time"]!);
        var delivered = receiver.Deliveries.Single(d => d.Id == Overdue);
        Assert.True(WebhookSignature.Verify(secret, delivered.MessageId, delivered.Timestamp, delivered.Body, delivered.Signature), "bad signature on the overdue notice");
        Assert.Equal(Overdue, receiver.Ids[8]);

        // Restarted: a statement recorded now reaches both channels, the overdue promise does not come again.
        await using (var restarted = await LedgerServerProcess.StartAsync(store, environment: environment))
        {
            var resumed = new SseClient(restarted.Http, "api/stream") { LastId = sse.LastId };
            using var stop = new CancellationTokenSource();
            var reading = resumed.ReadAsync(stop.Token);
            await ImportLaterStatementAsync();
            await WaitAsync(() => resumed.Received.Any(r => r.Data.Contains("after-restart", StringComparison.Ordinal)) && receiver.Ids.Contains("after-restart"), restarted, resumed, receiver);
            Assert.Single((await LoadAsync(restarted, "feeds/all")).Items, i => i.Id == $"urn:ledger:notice:{Overdue}");
            await stop.CancelAsync();
            await reading;

            Assert.Equal(["9"], resumed.Messages.Select(m => m.Id));
        }

        Assert.Single(receiver.Ids, id => id == Overdue);
        Assert.Equal(10, receiver.Ids.Count);
    }

    [Fact]
    public async Task Late_deliveries_and_promises_due_soon_are_notices_of_their_own_types_that_subscribers_filter_by_kind()
    {
        var soon = DateOnly.FromDateTime(DateTime.UtcNow).AddDays(3);
        var document = store.PathOf("deadlines.json");
        await File.WriteAllTextAsync(document, $$$"""
            {"matter":"acme/deadlines","organization":"Acme","title":"Two promises","statements":[
              {"id":"acme-late-promise","type":"DisclosurePromised","publishedAt":"2025-02-01","source":{"url":"https://example.org/a"},"quote":"We will report by March.","promise":{"id":"report","what":"the report","dueBy":"2025-03-01"}},
              {"id":"acme-late-delivery","type":"DisclosureDelivered","publishedAt":"2025-03-11","source":{"url":"https://example.org/b"},"quote":"Here is the report.","promise":"report","summary":"the report"},
              {"id":"acme-soon-promise","type":"DisclosurePromised","publishedAt":"2025-04-01","source":{"url":"https://example.org/c"},"quote":"We will publish the audit.","promise":{"id":"audit","what":"the audit","dueBy":"{{{soon:yyyy-MM-dd}}}"}}]}
            """);
        Assert.Equal(0, (await store.RunAsync("import", document)).ExitCode);
        using var receiver = new Receiver();
        Assert.Equal(0, (await store.RunAsync("webhooks", "add", receiver.Url, "--from-start", "--allow-private-target", "--type", "promise.delivered-late")).ExitCode);

        await using (var server = await LedgerServerProcess.StartAsync(store, environment: new Dictionary<string, string> { ["Ledger__Webhooks__AllowPrivateTargets"] = "true" }))
        {
            var sse = new SseClient(server.Http, "api/stream?from=1&types=promise.delivered-late,promise.due-soon");
            using var stop = new CancellationTokenSource();
            var reading = sse.ReadAsync(stop.Token);
            await WaitAsync(() => sse.Messages.Count == 2 && receiver.Ids.Count == 1, server, sse, receiver);
            var dueSoon = (await LoadAsync(server, "feeds/all?types=promise.due-soon")).Items.ToList();
            await stop.CancelAsync();
            await reading;

            Assert.Equal(
                ["org.ledger.promise.delivered-late", "org.ledger.promise.due-soon"],
                sse.Messages.Select(m => (string)JsonNode.Parse(m.Data)!["type"]!).Order(StringComparer.Ordinal));
            var late = sse.Messages.Select(m => JsonNode.Parse(m.Data)!).Single(m => (string)m["type"]! == "org.ledger.promise.delivered-late");
            Assert.Equal(("promise-delivered-late:acme/deadlines/report@2025-03-01", 10, "acme-late-promise"), ((string)late["id"]!, (int)late["data"]!["daysLate"]!, (string)late["promisestatement"]!));
            Assert.Equal(["promise-delivered-late:acme/deadlines/report@2025-03-01"], receiver.Ids);
            Assert.Equal([$"urn:ledger:notice:promise-due-soon:acme/deadlines/audit@{soon:yyyy-MM-dd}"], dueSoon.Select(i => i.Id));
        }

        // tail prints the notices after the events they were decided at, and filters them by type.
        var tail = await store.RunAsync("tail");
        Assert.True(tail.ExitCode == 0, tail.ToString());
        var lines = tail.Stdout.Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.Equal(6, lines.Length);
        Assert.Contains("DisclosurePromised", lines[3], StringComparison.Ordinal);
        Assert.Equal(["promise.delivered-late", "promise.due-soon"], lines[4..].Select(l => l.Split("  ", StringSplitOptions.RemoveEmptyEntries)[3]).Order(StringComparer.Ordinal));
        var onlySoon = await store.RunAsync("tail", "--type", "promise.due-soon", "--json");
        var line = JsonNode.Parse(Assert.Single(onlySoon.Stdout.Split('\n', StringSplitOptions.RemoveEmptyEntries)))!;
        Assert.Equal(("promise.due-soon", 4L, "audit"), ((string)line["type"]!, (long)line["position"]!, (string)line["data"]!["promiseId"]!));
    }

    [Fact]
    public async Task History_shows_a_promise_going_overdue_as_its_own_entry_not_on_the_next_statement()
    {
        await store.ImportSamplesAsync();
        var later = store.PathOf("later.json");
        await File.WriteAllTextAsync(later, """
            {"matter":"microsoft/imod-azure","statements":[
              {"id":"msft-2025-12-01-concluded","type":"ReviewConcluded","publishedAt":"2025-12-01","source":{"url":"https://example.org/concluded"},"quote":"The review is concluded.","outcome":"concluded"}]}
            """);
        Assert.Equal(0, (await store.RunAsync("import", later)).ExitCode);

        var history = await store.RunAsync("history", Repo.Matter, "--json");
        var entries = JsonNode.Parse(history.Stdout)!["entries"]!.AsArray().Select(e => e!).ToList();

        var overdue = Assert.Single(entries, e => (string)e["type"]! == "promise.overdue");
        Assert.Equal(["promise lessons-learned overdue since 2025-11-06"], overdue["changes"]!.AsArray().Select(c => (string)c!));
        Assert.Equal("msft-2025-09-25-more-information", (string)overdue["statementId"]!);
        var concluded = entries.Single(e => (string)e["statementId"]! == "msft-2025-12-01-concluded");
        Assert.DoesNotContain(concluded["changes"]!.AsArray(), c => ((string)c!).Contains("overdue", StringComparison.Ordinal));
        Assert.True(entries.IndexOf(overdue) == entries.IndexOf(concluded) - 1, "the overdue entry comes right before the next statement");
        Assert.Contains("promise lessons-learned overdue since 2025-11-06", (await store.RunAsync("history", Repo.Matter)).Stdout, StringComparison.Ordinal);
    }

    private static int Count(SseClient sse, string id) => sse.Messages.Count(m => m.Data.Contains($"\"id\":\"{id}\"", StringComparison.Ordinal));

    private async Task ImportLaterStatementAsync()
    {
        var file = store.PathOf("after-restart.json");
        await File.WriteAllTextAsync(file, """
            {"matter":"microsoft/imod-azure","statements":[
              {"id":"after-restart","type":"PositionStated","publishedAt":"2025-10-01","topic":"cloud","position":"we keep reviewing","source":{"url":"https://example.org/later"},"quote":"We keep reviewing."}]}
            """);
        var result = await store.RunAsync("import", file);
        Assert.True(result.ExitCode == 0, result.ToString());
    }

    private static async Task<SyndicationFeed> LoadAsync(LedgerServerProcess server, string path)
    {
        using var response = await server.Http.GetAsync(path);
        Assert.True(response.IsSuccessStatusCode, $"{path}: {(int)response.StatusCode}");
        await using var stream = await response.Content.ReadAsStreamAsync();
        using var reader = XmlReader.Create(stream);
        return SyndicationFeed.Load(reader);
    }

    private static async Task WaitAsync(Func<bool> done, LedgerServerProcess server, SseClient sse, Receiver receiver)
    {
        var deadline = DateTime.UtcNow + Patience;
        while (!done())
        {
            Assert.True(DateTime.UtcNow < deadline,
                $"waited {Patience}: SSE {string.Join(", ", sse.Messages.Select(m => m.Id))}; webhook {string.Join(", ", receiver.Ids)}; the server said:\n{server.Process.Stderr}\n{string.Join('\n', server.Process.Lines.TakeLast(40))}");
            await Task.Delay(100);
        }
    }

    private sealed record Delivery(string Id, string MessageId, long Timestamp, string Signature, string Body);

    /// <summary>A webhook receiver on a loopback port that accepts everything.</summary>
    private sealed class Receiver : IDisposable
    {
        private readonly HttpListener listener = new();
        private readonly Lock gate = new();
        private readonly List<Delivery> deliveries = [];

        public Receiver()
        {
            using var probe = new TcpListener(IPAddress.Loopback, 0);
            probe.Start();
            var port = ((IPEndPoint)probe.LocalEndpoint).Port;
            probe.Stop();
            Url = $"http://127.0.0.1:{port}/hook";
            listener.Prefixes.Add($"http://127.0.0.1:{port}/");
            listener.Start();
            _ = ServeAsync();
        }

        public string Url { get; }

        public IReadOnlyList<Delivery> Deliveries
        {
            get
            {
                lock (gate)
                {
                    return [.. deliveries];
                }
            }
        }

        /// <summary>The CloudEvent ids received, in order: statement ids and notice ids.</summary>
        public IReadOnlyList<string> Ids => [.. Deliveries.Select(d => d.Id)];

        public void Dispose() => listener.Close();

        private async Task ServeAsync()
        {
            while (listener.IsListening)
            {
                HttpListenerContext context;
                try
                {
                    context = await listener.GetContextAsync();
                }
                catch (Exception ex) when (ex is HttpListenerException or ObjectDisposedException or InvalidOperationException)
                {
                    return;
                }

                using var reader = new StreamReader(context.Request.InputStream, Encoding.UTF8);
                var body = await reader.ReadToEndAsync();
                lock (gate)
                {
                    deliveries.Add(new Delivery((string)JsonNode.Parse(body)!["id"]!, context.Request.Headers["webhook-id"]!,
                        long.Parse(context.Request.Headers["webhook-timestamp"]!, System.Globalization.CultureInfo.InvariantCulture), context.Request.Headers["webhook-signature"]!, body));
                }

                context.Response.StatusCode = 200;
                context.Response.Close();
            }
        }
    }
}
