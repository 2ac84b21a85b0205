using System.Net;
using System.Net.Sockets;
using System.Text;
using System.Text.Json.Nodes;
using Ledger.Messaging.Notifying;
using Ledger.Messaging.Webhooks;
using Ledger.Verification;
using Xunit;

namespace Ledger.EndToEnd;

/// <summary>Webhooks from the real server to a real receiver on loopback, through an outage.</summary>
public sealed class WebhookTests : IDisposable
{
    private static readonly TimeSpan Patience = TimeSpan.FromSeconds(90);
    private readonly TempStore store = new();

    public void Dispose() => store.Dispose();

    [Fact]
    public async Task A_receiver_that_was_down_later_gets_every_event_in_order_each_signed()
    {
        using var receiver = new Receiver();
        await store.ImportSamplesAsync();
        var added = await store.RunAsync("webhooks", "add", receiver.Url, "--from-start", "--allow-private-target", "--json");
        Assert.True(added.ExitCode == 0, added.ToString());
        var subscription = JsonNode.Parse(added.Stdout)!;
        var (id, secret) = ((string)subscription["id"]!, (string)subscription["secret"]!);

        await using var server = await LedgerServerProcess.StartAsync(store, environment: new Dictionary<string, string>
        {
            ["Ledger__Webhooks__AllowPrivateTargets"] = "true",
            ["Ledger__Webhooks__RetryBaseSeconds"] = "0.5",
            ["Ledger__Webhooks__RetryCapSeconds"] = "2",
        });
        // The reference case's eight events and its overdue promise.
        await WaitAsync(() => receiver.Accepted.Count >= 9, receiver, server);
        Assert.True(receiver.Accepted.Count == 9, Describe(receiver));

        // Outage: first the receiver answers 503, then it is not there at all; events keep being recorded.
        receiver.Failing = true;
        await ImportAsync("outage-1", 3);
        await WaitAsync(() => receiver.Refused >= 2, receiver, server);
        receiver.Stop();
        await ImportAsync("outage-2", 2);
        await Task.Delay(TimeSpan.FromSeconds(3));
        receiver.Failing = false;
        receiver.Start();
        await WaitAsync(() => receiver.Accepted.Count >= 9 + (3 * 4) + (2 * 4), receiver, server);
        await Task.Delay(TimeSpan.FromSeconds(1));
        Assert.True(receiver.Accepted.Count == 9 + (3 * 4) + (2 * 4), Describe(receiver));

        var notice = Assert.Single(receiver.Accepted, d => ((string)JsonNode.Parse(d.Body)!["type"]!).StartsWith("org.ledger.promise.", StringComparison.Ordinal));
        Assert.Equal(8, receiver.Accepted.ToList().IndexOf(notice));
        Assert.True(WebhookSignature.Verify(secret, notice.MessageId, notice.Timestamp, notice.Body, notice.Signature), "bad signature on the overdue notice");
        var accepted = receiver.Accepted.Where(d => d != notice).ToList();
        Assert.Equal(Enumerable.Range(1, 28).Select(i => (long)i), accepted.Select(d => (long)JsonNode.Parse(d.Body)!["ledgerposition"]!));
        Assert.Equal(accepted.Count, accepted.Select(d => d.MessageId).Distinct().Count());
        Assert.All(accepted, d => Assert.True(WebhookSignature.Verify(secret, d.MessageId, d.Timestamp, d.Body, d.Signature), $"bad signature on {d.MessageId}"));
        Assert.All(accepted, d => Assert.Equal("application/cloudevents+json; charset=utf-8", d.ContentType));
        Assert.All(accepted, d => Assert.True(ProofHolds(d.Body), $"the inclusion proof of {d.MessageId} does not hold: {d.Body}"));
        string[] matters = ["outage-1/0", "outage-1/1", "outage-1/2", "outage-2/0", "outage-2/1"];
        Assert.Equal(matters.SelectMany(m => Enumerable.Repeat(m, 4)), accepted.Skip(8).Select(d => ((string)JsonNode.Parse(d.Body)!["subject"]!)["webhooks/".Length..]));

        var log = await store.RunAsync("webhooks", "deliveries", id, "--limit", "500", "--json");
        var attempts = JsonNode.Parse(log.Stdout)!.AsArray();
        Assert.Contains(attempts, a => (int?)a!["statusCode"] == 503);
        Assert.Contains(attempts, a => a!["statusCode"] is null && a["error"] is not null);
        Assert.Equal(29, attempts.Count(a => (int?)a!["statusCode"] == 200));
    }

    [Fact]
    public async Task A_subscription_made_through_the_api_while_the_server_runs_gets_its_backlog_at_once_then_new_events()
    {
        using var receiver = new Receiver();
        await using var server = await LedgerServerProcess.StartAsync(store, sample: true, new Dictionary<string, string> { ["Ledger__Webhooks__AllowPrivateTargets"] = "true" });
        var key = await store.RunAsync("keys", "create", "--owner", "ada", "--role", "admin", "--json");
        Assert.True(key.ExitCode == 0, key.ToString());
        using var request = new HttpRequestMessage(HttpMethod.Post, "api/webhooks")
        {
            Content = new StringContent($$"""{"url":"{{receiver.Url}}","fromStart":true}""", Encoding.UTF8, "application/json"),
        };
        request.Headers.Authorization = new System.Net.Http.Headers.AuthenticationHeaderValue("Bearer", (string)JsonNode.Parse(key.Stdout)!["key"]!);

        using var created = await server.Http.SendAsync(request);
        Assert.Equal(HttpStatusCode.Created, created.StatusCode);
        // The backlog: the reference case's 8 events and the notice of its promise gone overdue, placed after them.
        await WaitAsync(() => receiver.Accepted.Count == 9, receiver, server);
        await ImportAsync("after", 1);
        await WaitAsync(() => receiver.Accepted.Count == 9 + 4, receiver, server);

        var delivered = receiver.Accepted.Select(d => JsonNode.Parse(d.Body)!).ToList();
        Assert.Equal("org.ledger.promise.overdue", (string?)delivered[8]["type"]);
        Assert.Equal(Enumerable.Range(1, 12).Select(i => (long)i), delivered.Where((_, i) => i != 8).Select(d => (long)d["ledgerposition"]!));
    }

    [Fact]
    public async Task A_subscription_added_while_a_separate_worker_runs_gets_its_backlog_without_waiting_for_a_new_event()
    {
        using var receiver = new Receiver();
        await store.ImportSamplesAsync();
        using var worker = store.Start(new Dictionary<string, string> { ["Ledger__Webhooks__SweepSeconds"] = "1" }, "worker", "--allow-private-webhook-targets");
        await Notifications.WaitForAsync(() => Notifications.ReadAsync(store.RunAsync), n => n.Count == 9, Patience, worker);

        // Made by another process, so no wake-up reaches the worker: its sweep finds the subscription behind.
        var added = await store.RunAsync("webhooks", "add", receiver.Url, "--from-start", "--allow-private-target", "--json");
        Assert.True(added.ExitCode == 0, added.ToString());
        var deadline = DateTime.UtcNow + Patience;
        while (receiver.Accepted.Count < 9)
        {
            Assert.True(DateTime.UtcNow < deadline, $"waited {Patience}: {receiver.Accepted.Count} accepted; the worker said:\n{string.Join('\n', worker.Lines.TakeLast(40))}\n{worker.Stderr}");
            await Task.Delay(100);
        }

        var delivered = receiver.Accepted.Select(d => JsonNode.Parse(d.Body)!).ToList();
        Assert.Equal(9, delivered.Count);
        Assert.Equal("org.ledger.promise.overdue", (string?)delivered[8]["type"]);
        Assert.Equal(Enumerable.Range(1, 8).Select(i => (long)i), delivered.Take(8).Select(d => (long)d["ledgerposition"]!));
    }

    /// <summary>What a receiver checks: the leaf hash recomputed from the CloudEvent itself, folded up its path to the root it names.</summary>
    private static bool ProofHolds(string body)
    {
        var cloudEvent = JsonNode.Parse(body)!;
        var leaf = long.Parse((string)cloudEvent["merkleleaf"]!, System.Globalization.CultureInfo.InvariantCulture);
        return leaf == (long)cloudEvent["ledgerposition"]! - 1
            && MerkleVerifier.VerifyInclusion(leaf, long.Parse((string)cloudEvent["merkletreesize"]!, System.Globalization.CultureInfo.InvariantCulture),
                CanonicalEvent.LeafHash(LedgerCloudEvents.FromJson(body)),
                ((string)cloudEvent["merklepath"]!).Split(',', StringSplitOptions.RemoveEmptyEntries).Select(Convert.FromBase64String).ToList(),
                Convert.FromBase64String((string)cloudEvent["merkleroot"]!));
    }

    private async Task ImportAsync(string batch, int documents)
    {
        var text = new StringBuilder();
        for (var d = 0; d < documents; d++)
        {
            text.AppendLine($$"""{"matter":"webhooks/{{batch}}/{{d}}","organization":"Acme","title":"{{batch}}","statements":[{"id":"wh-{{batch}}-{{d}}-1","type":"PositionStated","publishedAt":"2025-03-01","topic":"t","position":"p","speaker":{"name":"Acme"},"source":{"url":"https://example.org/x"},"quote":"Q."},{"id":"wh-{{batch}}-{{d}}-2","type":"PositionStated","publishedAt":"2025-03-02","topic":"t","position":"p2","speaker":{"name":"Acme"},"source":{"url":"https://example.org/x"},"quote":"Q2."},{"id":"wh-{{batch}}-{{d}}-3","type":"PositionStated","publishedAt":"2025-03-03","topic":"t","position":"p3","speaker":{"name":"Acme"},"source":{"url":"https://example.org/x"},"quote":"Q3."}]}""");
        }

        var file = store.PathOf($"{batch}.ndjson");
        await File.WriteAllTextAsync(file, text.ToString());
        var result = await store.RunAsync("import", file);
        Assert.True(result.ExitCode == 0, result.ToString());
    }

    private static string Describe(Receiver receiver) =>
        $"accepted {receiver.Accepted.Count}: {string.Join(", ", receiver.Accepted.Select(d => d.MessageId))}";

    private static async Task WaitAsync(Func<bool> done, Receiver receiver, LedgerServerProcess server)
    {
        var deadline = DateTime.UtcNow + Patience;
        while (!done())
        {
            Assert.True(DateTime.UtcNow < deadline, $"waited {Patience}: {Describe(receiver)}; {receiver.Refused} refused; the server said:\n{server.Process.Stderr}\n{string.Join('\n', server.Process.Lines.TakeLast(40))}");
            await Task.Delay(100);
        }
    }

    public sealed record Delivery(string MessageId, long Timestamp, string Signature, string ContentType, string Body);

    /// <summary>A webhook receiver on a loopback port that can answer 503 or vanish.</summary>
    private sealed class Receiver : IDisposable
    {
        private readonly int port = FreePort();
        private readonly Lock gate = new();
        private readonly List<Delivery> accepted = [];
        private HttpListener? listener;
        private int refused;

        public Receiver() => Start();

        public string Url => $"http://127.0.0.1:{port}/hook";

        public volatile bool Failing;

        public int Refused => Volatile.Read(ref refused);

        public IReadOnlyList<Delivery> Accepted
        {
            get
            {
                lock (gate)
                {
                    return [.. accepted];
                }
            }
        }

        public void Start()
        {
            listener = new HttpListener();
            listener.Prefixes.Add($"http://127.0.0.1:{port}/");
            listener.Start();
            _ = ServeAsync(listener);
        }

        public void Stop()
        {
            listener?.Close();
            listener = null;
        }

        public void Dispose() => Stop();

        private async Task ServeAsync(HttpListener current)
        {
            while (current.IsListening)
            {
                HttpListenerContext context;
                try
                {
                    context = await current.GetContextAsync();
                }
                catch (Exception ex) when (ex is HttpListenerException or ObjectDisposedException or InvalidOperationException)
                {
                    return;
                }

                using var reader = new StreamReader(context.Request.InputStream, Encoding.UTF8);
                var body = await reader.ReadToEndAsync();
                if (Failing)
                {
                    Interlocked.Increment(ref refused);
                    context.Response.StatusCode = 503;
                }
                else
                {
                    lock (gate)
                    {
                        accepted.Add(new Delivery(context.Request.Headers["webhook-id"]!, long.Parse(context.Request.Headers["webhook-timestamp"]!, System.Globalization.CultureInfo.InvariantCulture),
                            context.Request.Headers["webhook-signature"]!, context.Request.ContentType ?? string.Empty, body));
                    }

                    context.Response.StatusCode = 200;
                }

                context.Response.Close();
            }
        }

        private static int FreePort()
        {
            using var probe = new TcpListener(IPAddress.Loopback, 0);
            probe.Start();
            return ((IPEndPoint)probe.LocalEndpoint).Port;
        }
    }
}
