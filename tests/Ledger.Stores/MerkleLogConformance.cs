using Ledger.Events;
using Ledger.Storage;
using Ledger.Verification;

namespace Ledger.Stores;

/// <summary>
/// What every backend's Merkle log must show: the tree it keeps is the RFC 9162 tree over the canonical leaf hashes of
/// its events in global order, whatever the appends looked like. Each backend's test class says how to open a fresh
/// store and how to wait for its tree to catch up.
/// </summary>
public abstract class MerkleLogConformance
{
    private static readonly DateTimeOffset Now = new(2026, 1, 10, 12, 0, 0, TimeSpan.Zero);

    protected abstract Task<IEventStore> OpenFreshAsync();

    /// <summary>Returns once the tree covers every event appended so far.</summary>
    protected abstract Task CatchUpAsync(IEventStore store);

    protected static IMerkleLog Log(IEventStore store) => ((IVerifiableStore)store).Merkle;

    /// <summary>A real statement in its stored form, with text varying by id so that leaf hashes differ.</summary>
    protected static EventToAppend Event(string id, string matter = "a/one", string organization = "Acme")
    {
        var source = new Source("https://example.org/" + id, null, null, null, null, null);
        var quote = $"Quote {id} \u00e9\u2028 \"quoted\".";
        Statement statement = new PositionStated(id, matter, Now.AddDays(-1), Now.AddSeconds(id.Length), "spec", null, source, quote, Hashing.Sha256Hex(quote), "topic", "position " + id);
        return EventEnvelope.ToAppend(statement, organization);
    }

    protected static async Task<List<T>> ListAsync<T>(IAsyncEnumerable<T> items)
    {
        var list = new List<T>();
        await foreach (var item in items)
        {
            list.Add(item);
        }

        return list;
    }

    /// <summary>The leaves whose stored event no longer hashes to the leaf hash the tree holds (or is gone).</summary>
    protected static async Task<List<long>> MismatchesAsync(IEventStore store) =>
        (await ListAsync(Log(store).ReadLeavesAsync()))
            .Where(l => l.Event is null || !CanonicalEvent.LeafHash(l.Event).AsSpan().SequenceEqual(l.StoredHash))
            .Select(l => l.Index)
            .ToList();

    /// <summary>The reference: the in-memory tree over the leaf hashes of every event as read back, in global order.</summary>
    protected static async Task<(MemoryMerkleNodes Tree, List<StoredEvent> Events)> ExpectedAsync(IEventStore store)
    {
        var events = await ListAsync(store.ReadAllAsync());
        var tree = new MemoryMerkleNodes();
        foreach (var e in events)
        {
            tree.Append(CanonicalEvent.LeafHash(e));
        }

        return (tree, events);
    }

    /// <summary>Random batches over a few matters, with conflicting appends (stale versions, a repeated statement id) among them.</summary>
    protected static async Task AppendRandomlyAsync(IEventStore store, int statements, int seed)
    {
        var random = new Random(seed);
        var versions = (await store.ListStreamsAsync()).ToDictionary(s => s.Stream, s => s.Version, StringComparer.Ordinal);
        var appended = 0;
        while (appended < statements)
        {
            var matter = $"m/{random.Next(5)}";
            var version = versions.GetValueOrDefault(matter);
            var batch = Enumerable.Range(0, Math.Min(1 + random.Next(6), statements - appended))
                .Select(i => Event($"s{seed}-{appended + i}", matter, $"Org{matter[^1]}")).ToList();
            if (random.Next(8) == 0)
            {
                await Assert.ThrowsAsync<ConcurrencyConflictException>(() => store.AppendAsync(matter, version + 1, batch));
            }

            if (appended > 0 && random.Next(10) == 0)
            {
                await Assert.ThrowsAsync<ConcurrencyConflictException>(() => store.AppendAsync(matter, version, [.. batch, Event($"s{seed}-0")]));
            }

            versions[matter] = (await store.AppendAsync(matter, version, batch)).NextExpectedVersion;
            appended += batch.Count;
        }
    }

    /// <summary>Roots, every inclusion proof and consistency proofs between sizes, against the reference and the verifier.</summary>
    protected static async Task AssertTreeAsync(IEventStore store)
    {
        var (expected, events) = await ExpectedAsync(store);
        var tree = await Log(store).OpenTreeAsync();
        Assert.Equal(events.Count, tree.Size);
        var n = tree.Size;
        var sizes = new long[] { 1, 2, 3, 7, 15, 16, 17, 31, 32, 33, 63, 64, 65, 100, 129, n - 1, n }.Where(s => s >= 1 && s <= n).Distinct().ToList();
        var leafHashes = events.Select(CanonicalEvent.LeafHash).ToList();
        foreach (var size in sizes)
        {
            var root = await MerkleProofs.RootAsync(tree, size);
            Assert.Equal(await MerkleProofs.RootAsync(expected, size), root);
            Assert.Equal(MerkleHashes.Root(leafHashes.Take((int)size).ToList()), root);
            var leaves = size == n ? Enumerable.Range(0, (int)n).Select(i => (long)i) : new long[] { 0, size / 2, size - 1 }.Distinct();
            foreach (var leaf in leaves)
            {
                var proof = await MerkleProofs.InclusionAsync(tree, leaf, size);
                Assert.True(MerkleVerifier.VerifyInclusion(leaf, size, leafHashes[(int)leaf], proof, root), $"inclusion of leaf {leaf} in {size}");
                Assert.Equal(await MerkleProofs.InclusionAsync(expected, leaf, size), proof);
            }

            foreach (var newer in sizes.Where(s => s > size))
            {
                var proof = await MerkleProofs.ConsistencyAsync(tree, size, newer);
                var newRoot = await MerkleProofs.RootAsync(expected, newer);
                Assert.True(MerkleVerifier.VerifyConsistency(size, newer, root, newRoot, proof), $"consistency {size} -> {newer}");
                Assert.Equal(await MerkleProofs.ConsistencyAsync(expected, size, newer), proof);
            }
        }

        Assert.Equal(MerkleHashes.Empty(), await MerkleProofs.RootAsync(tree, 0));
        await Assert.ThrowsAnyAsync<ArgumentOutOfRangeException>(async () => await tree.GetNodesAsync([new MerkleNodeId(0, n)]));
    }

    [Fact]
    public async Task The_tree_over_random_appends_has_the_roots_and_proofs_of_the_reference_tree()
    {
        await using var store = await OpenFreshAsync();
        Assert.Equal(0, (await Log(store).OpenTreeAsync()).Size);
        await AppendRandomlyAsync(store, 150, seed: 1);
        await CatchUpAsync(store);
        await AssertTreeAsync(store);

        await AppendRandomlyAsync(store, 60, seed: 2);
        await CatchUpAsync(store);
        await AssertTreeAsync(store);
    }

    [Fact]
    public async Task A_tree_opened_earlier_stays_at_its_size_while_the_log_grows()
    {
        await using var store = await OpenFreshAsync();
        await AppendRandomlyAsync(store, 40, seed: 3);
        await CatchUpAsync(store);
        var before = await Log(store).OpenTreeAsync();
        var root = await MerkleProofs.RootAsync(before, before.Size);

        await AppendRandomlyAsync(store, 30, seed: 4);
        await CatchUpAsync(store);

        Assert.Equal(40, before.Size);
        Assert.Equal(root, await MerkleProofs.RootAsync(before, before.Size));
        await Assert.ThrowsAnyAsync<ArgumentOutOfRangeException>(async () => await MerkleProofs.RootAsync(before, 41));
        Assert.Equal(70, (await Log(store).OpenTreeAsync()).Size);
    }

    [Fact]
    public async Task Leaves_are_read_back_with_their_events_and_hashes_and_positions_map_to_dense_leaf_indexes()
    {
        await using var store = await OpenFreshAsync();
        await AppendRandomlyAsync(store, 50, seed: 5);
        await CatchUpAsync(store);
        var events = await ListAsync(store.ReadAllAsync());

        var leaves = await ListAsync(Log(store).ReadLeavesAsync());
        var tail = await ListAsync(Log(store).ReadLeavesAsync(45));

        Assert.Equal(Enumerable.Range(0, 50).Select(i => (long)i), leaves.Select(l => l.Index));
        Assert.Equal(events, leaves.Select(l => l.Event));
        Assert.Equal(events.Select(e => e.Position), leaves.Select(l => l.Position));
        Assert.All(leaves, l => Assert.Equal(CanonicalEvent.LeafHash(l.Event!), l.StoredHash));
        Assert.Equal([45L, 46, 47, 48, 49], tail.Select(l => l.Index));
        for (var i = 0; i < events.Count; i++)
        {
            Assert.Equal(i, await Log(store).LeafIndexAsync(events[i].Position));
        }

        Assert.Null(await Log(store).LeafIndexAsync(events[^1].Position + 1));
        Assert.Null(await Log(store).LeafIndexAsync(0));
    }

    [Fact]
    public async Task Checkpoints_are_kept_listed_by_size_and_never_changed()
    {
        await using var store = await OpenFreshAsync();
        var log = Log(store);
        var at = new DateTimeOffset(2026, 2, 1, 8, 30, 15, TimeSpan.Zero).AddTicks(1234567);
        var ten = new StoredCheckpoint(10, Enumerable.Repeat((byte)1, 32).ToArray(), "ledger.example\n10\nroot\n\n— sig\n", at);
        var four = new StoredCheckpoint(4, Enumerable.Repeat((byte)2, 32).ToArray(), "ledger.example\n4\nroot\n\n— sig\n", at.AddMinutes(-5));

        Assert.Null(await log.LatestCheckpointAsync());
        await log.AddCheckpointAsync(ten);
        await log.AddCheckpointAsync(four);
        await log.AddCheckpointAsync(new StoredCheckpoint(10, ten.RootHash.ToArray(), ten.Note, ten.SignedAt));
        await Assert.ThrowsAsync<InvalidOperationException>(() => log.AddCheckpointAsync(ten with { RootHash = four.RootHash }));
        await Assert.ThrowsAsync<InvalidOperationException>(() => log.AddCheckpointAsync(ten with { Note = "other" }));

        var list = await log.ListCheckpointsAsync();
        Assert.Equal([4L, 10], list.Select(c => c.TreeSize));
        Assert.Equal(four.RootHash, list[0].RootHash);
        Assert.Equal((four.Note, four.SignedAt), (list[0].Note, list[0].SignedAt));
        var latest = await log.LatestCheckpointAsync();
        Assert.Equal(ten.RootHash, latest!.RootHash);
        Assert.Equal((10L, ten.Note, ten.SignedAt), (latest.TreeSize, latest.Note, latest.SignedAt));
    }

    [Fact]
    public async Task Appends_refused_for_a_stale_version_or_a_known_statement_leave_the_tree_as_it_was_and_the_next_append_extends_it()
    {
        await using var store = await OpenFreshAsync();
        await store.AppendAsync("a/one", 0, [Event("c1"), Event("c2")]);
        await CatchUpAsync(store);
        var root = await MerkleProofs.RootAsync(await Log(store).OpenTreeAsync(), 2);

        await Assert.ThrowsAsync<ConcurrencyConflictException>(() => store.AppendAsync("a/one", 1, [Event("c3")]));
        await Assert.ThrowsAsync<ConcurrencyConflictException>(() => store.AppendAsync("b/two", 0, [Event("c4", "b/two"), Event("c1", "b/two")]));
        await CatchUpAsync(store);
        var after = await Log(store).OpenTreeAsync();
        Assert.Equal(2, after.Size);
        Assert.Equal(root, await MerkleProofs.RootAsync(after, 2));

        await store.AppendAsync("b/two", 0, [Event("c4", "b/two")]);
        await store.AppendAsync("a/one", 2, [Event("c3")]);
        await CatchUpAsync(store);
        await AssertTreeAsync(store);
    }
}
