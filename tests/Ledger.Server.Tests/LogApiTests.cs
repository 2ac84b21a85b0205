using System.Net;
using System.Text.Json.Nodes;
using System.Xml.Linq;
using Ledger.Storage;
using Ledger.Store.Sqlite;
using Ledger.Verification;
using Xunit;

namespace Ledger.Server.Tests;

/// <summary>
/// The verifiable log over HTTP on the sample: every proof the server hands out is checked here from the events alone
/// (leaf hashes recomputed from their canonical bytes), never trusted from the response.
/// </summary>
public sealed class LogApiTests(SampleServer server) : IClassFixture<SampleServer>
{
    [Fact]
    public async Task The_log_state_is_the_tree_over_every_event_recomputed_from_their_canonical_bytes()
    {
        var events = await EventsAsync();
        var state = await GetJsonAsync("/api/log");

        Assert.Equal(events.Count, (long)state["treeSize"]!);
        Assert.Equal(MerkleHashes.Root(events.Select(CanonicalEvent.LeafHash).ToList()), Convert.FromBase64String((string)state["rootHash"]!));
    }

    [Fact]
    public async Task An_inclusion_proof_by_statement_id_verifies_against_the_root_of_the_tree_it_names()
    {
        var events = await EventsAsync();
        var finding = events.Single(e => e.StatementId == "msft-2025-09-25-findings");
        var leaf = events.IndexOf(finding);

        var proof = await GetJsonAsync("/api/log/proofs/inclusion?statement=msft-2025-09-25-findings");
        var earlier = await GetJsonAsync($"/api/log/proofs/inclusion?position={finding.Position}&size={leaf + 1}");

        Assert.Equal(leaf, (long)proof["leafIndex"]!);
        Assert.Equal(events.Count, (long)proof["treeSize"]!);
        Assert.Equal(CanonicalEvent.LeafHash(finding), Convert.FromBase64String((string)proof["leafHash"]!));
        Assert.True(Verifies(proof, CanonicalEvent.LeafHash(finding)), proof.ToJsonString());
        Assert.Equal(MerkleHashes.Root(events.Take(leaf + 1).Select(CanonicalEvent.LeafHash).ToList()), Convert.FromBase64String((string)earlier["rootHash"]!));
        Assert.True(Verifies(earlier, CanonicalEvent.LeafHash(finding)), earlier.ToJsonString());
        Assert.False(Verifies(proof, CanonicalEvent.LeafHash(events[0])), "a proof must not verify another event");
    }

    [Fact]
    public async Task Consistency_proofs_between_every_pair_of_sizes_verify_against_roots_recomputed_from_the_events()
    {
        var leaves = (await EventsAsync()).Select(CanonicalEvent.LeafHash).ToList();
        for (var from = 1; from <= leaves.Count; from++)
        {
            var proof = await GetJsonAsync($"/api/log/proofs/consistency?from={from}&to={leaves.Count}");
            var oldRoot = MerkleHashes.Root(leaves.Take(from).ToList());
            var newRoot = MerkleHashes.Root(leaves);

            Assert.Equal(oldRoot, Convert.FromBase64String((string)proof["oldRoot"]!));
            Assert.True(MerkleVerifier.VerifyConsistency(from, leaves.Count, oldRoot, newRoot, Hashes(proof["path"]!)), $"{from} → {leaves.Count}: {proof.ToJsonString()}");
        }
    }

    [Theory]
    [InlineData("/api/log/proofs/inclusion?statement=msft-2025-09-25-findings&size=8", new[] { "prove", "msft-2025-09-25-findings", "--size", "8" })]
    [InlineData("/api/log/proofs/consistency?from=3&to=8", new[] { "prove", "--consistency", "3", "8" })]
    public async Task Proofs_answer_what_ledger_prove_prints_with_json(string path, string[] cli)
    {
        // A proof carries the checkpoint of its size once one is signed: compare after the signer has signed the whole sample.
        await WholeTreeSignedAsync(server.Client);
        var api = await GetJsonAsync(path);
        var printed = await Ledger.EndToEnd.LedgerCli.RunAsync(["--store", server.Factory.StoreOption, .. cli, "--json"]);

        Assert.True(printed.ExitCode == 0, printed.ToString());
        Assert.True(JsonNode.DeepEquals(JsonNode.Parse(printed.Stdout), api), $"GET {path} differs from ledger {string.Join(' ', cli)} --json:\n{api}\n---\n{printed.Stdout}");
    }

    [Theory]
    [InlineData("/api/log/proofs/inclusion", HttpStatusCode.BadRequest)]
    [InlineData("/api/log/proofs/inclusion?statement=msft-2025-09-25-findings&position=2", HttpStatusCode.BadRequest)]
    [InlineData("/api/log/proofs/inclusion?statement=no-such-statement", HttpStatusCode.NotFound)]
    [InlineData("/api/log/proofs/inclusion?position=999", HttpStatusCode.NotFound)]
    [InlineData("/api/log/proofs/inclusion?position=5&size=2", HttpStatusCode.BadRequest)]
    [InlineData("/api/log/proofs/inclusion?position=5&size=999", HttpStatusCode.BadRequest)]
    [InlineData("/api/log/proofs/consistency?from=5&to=2", HttpStatusCode.BadRequest)]
    [InlineData("/api/log/proofs/consistency?from=1&to=999", HttpStatusCode.BadRequest)]
    [InlineData("/api/log/checkpoints/999", HttpStatusCode.NotFound)]
    public async Task Bad_proof_requests_answer_problem_details(string path, HttpStatusCode status)
    {
        using var response = await server.Client.GetAsync(path);

        Assert.Equal(status, response.StatusCode);
        Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
    }

    [Fact]
    public async Task Live_stream_events_carry_inclusion_proofs_that_verify()
    {
        var events = await EventsAsync();
        using var request = new HttpRequestMessage(HttpMethod.Get, "/api/stream?from=1");
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(30));
        using var response = await server.Client.SendAsync(request, HttpCompletionOption.ResponseHeadersRead, timeout.Token);
        using var reader = new StreamReader(await response.Content.ReadAsStreamAsync(timeout.Token));
        var received = new List<JsonNode>();
        while (received.Count < events.Count && await reader.ReadLineAsync(timeout.Token) is { } line)
        {
            if (line.StartsWith("data: ", StringComparison.Ordinal))
            {
                received.Add(JsonNode.Parse(line["data: ".Length..])!);
            }
        }

        Assert.Equal(events.Count, received.Count);
        for (var i = 0; i < events.Count; i++)
        {
            var cloudEvent = received[i];
            var leafHash = CanonicalEvent.LeafHash(events[i]);
            Assert.Equal(leafHash, CanonicalEvent.LeafHash(Ledger.Messaging.Notifying.LedgerCloudEvents.FromJson(cloudEvent.ToJsonString())));
            Assert.Equal(i.ToString(System.Globalization.CultureInfo.InvariantCulture), (string?)cloudEvent["merkleleaf"]);
            Assert.True(MerkleVerifier.VerifyInclusion(i, long.Parse((string)cloudEvent["merkletreesize"]!, System.Globalization.CultureInfo.InvariantCulture), leafHash,
                ((string)cloudEvent["merklepath"]!).Split(',', StringSplitOptions.RemoveEmptyEntries).Select(Convert.FromBase64String).ToList(),
                Convert.FromBase64String((string)cloudEvent["merkleroot"]!)), cloudEvent.ToJsonString());
        }
    }

    [Fact]
    public async Task Atom_entries_carry_inclusion_proofs_that_verify()
    {
        var events = await EventsAsync();
        XNamespace atom = "http://www.w3.org/2005/Atom";
        XNamespace merkle = "urn:ledger:merkle:1";
        var feed = XDocument.Parse(await server.Client.GetStringAsync("/feeds/all"));

        // Promise notices are entries too, but not events of the log: they carry no inclusion proof.
        var entries = feed.Root!.Elements(atom + "entry").Where(e => e.Element(atom + "id")!.Value.StartsWith("urn:ledger:event:", StringComparison.Ordinal)).ToList();
        Assert.Equal(events.Count, entries.Count);
        Assert.All(feed.Root!.Elements(atom + "entry").Except(entries), notice => Assert.Null(notice.Element(merkle + "inclusion")));
        foreach (var entry in entries)
        {
            var proof = entry.Element(merkle + "inclusion")!;
            var leaf = (long)proof.Attribute("leaf")!;
            Assert.True(MerkleVerifier.VerifyInclusion(leaf, (long)proof.Attribute("treeSize")!, CanonicalEvent.LeafHash(events[(int)leaf]),
                proof.Elements(merkle + "hash").Select(h => Convert.FromBase64String(h.Value)).ToList(), Convert.FromBase64String((string)proof.Attribute("root")!)),
                proof.ToString());
        }
    }

    [Fact]
    public async Task An_embedded_ledger_gets_a_key_on_first_start_and_its_checkpoints_open_with_the_published_verifier_key()
    {
        const string origin = "ledger.test/disclosures";
        await using var factory = new LedgerServerFactory(loadSample: true, new Dictionary<string, string>
        {
            ["Ledger:Log:CheckpointSeconds"] = "0.2",
            ["Ledger:Log:Origin"] = origin,
        });
        using var client = factory.CreateClient();
        var verifierKey = (await client.GetStringAsync("/api/log/key")).Trim();
        var state = await WholeTreeSignedAsync(client);

        var note = await client.GetStringAsync("/api/log/checkpoint");
        var checkpoint = Ledger.Verification.Checkpoint.Open(note, origin, [NoteVerifier.Parse(verifierKey)]);
        await using var store = await SqliteEventStore.OpenAsync(factory.DbPath);
        var leaves = await store.ReadAllAsync().Select(CanonicalEvent.LeafHash).Take((int)checkpoint.Size).ToListAsync();

        Assert.StartsWith(origin + "+", verifierKey, StringComparison.Ordinal);
        Assert.True(File.Exists(Path.Combine(factory.Folder, "ledger.log.key")), "the key is kept beside the ledger");
        Assert.Equal(verifierKey, (string?)state["verifierKey"]);
        Assert.True(checkpoint.Size >= 8, $"the checkpoint does not cover the sample: {state.ToJsonString()}");
        Assert.Equal(MerkleHashes.Root(leaves), checkpoint.RootHash.ToArray());
        Assert.Throws<NoteVerificationException>(() => Ledger.Verification.Checkpoint.Open(note, origin, [NoteSigner.Generate(origin).Verifier]));
    }

    private static bool Verifies(JsonNode proof, byte[] leafHash) =>
        MerkleVerifier.VerifyInclusion((long)proof["leafIndex"]!, (long)proof["treeSize"]!, leafHash, Hashes(proof["path"]!), Convert.FromBase64String((string)proof["rootHash"]!));

    private static List<byte[]> Hashes(JsonNode array) => array.AsArray().Select(h => Convert.FromBase64String((string)h!)).ToList();

    private async Task<List<StoredEvent>> EventsAsync()
    {
        _ = await GetJsonAsync("/api/matters");
        await using var store = await SqliteEventStore.OpenAsync(server.Factory.DbPath);
        return await store.ReadAllAsync().ToListAsync();
    }

    /// <summary>Waits (a bounded while) until the latest signed checkpoint covers the whole tree, and returns the log's state.</summary>
    private static async Task<JsonNode> WholeTreeSignedAsync(HttpClient client)
    {
        var deadline = DateTime.UtcNow.AddSeconds(60);
        while (true)
        {
            var state = JsonNode.Parse(await client.GetStringAsync("/api/log"))!;
            if ((long?)state["checkpoint"]?["treeSize"] == (long)state["treeSize"]!)
            {
                return state;
            }

            Assert.True(DateTime.UtcNow < deadline, $"the tree was not signed within 60 s: {state.ToJsonString()}");
            await Task.Delay(100);
        }
    }

    private async Task<JsonNode> GetJsonAsync(string path)
    {
        using var response = await server.Client.GetAsync(path);
        var body = await response.Content.ReadAsStringAsync();
        Assert.True(response.IsSuccessStatusCode, $"GET {path}: {(int)response.StatusCode} {body}");
        return JsonNode.Parse(body)!;
    }
}
