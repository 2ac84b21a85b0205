using System.Security.Cryptography;
using CsCheck;

namespace Ledger.Verification.Tests;

public sealed class MerklePropertyTests
{
    private static readonly Gen<int> GenSize = Gen.Int[1, 300];

    [Fact]
    public void Empty_tree_root_is_the_hash_of_nothing()
    {
        Assert.Equal("e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855", Convert.ToHexStringLower(MerkleHashes.Root([])));
        Assert.Equal(MerkleHashes.Empty(), Now(MerkleProofs.RootAsync(new MemoryMerkleNodes(), 0)));
    }

    [Fact]
    public void Leaf_and_node_hashes_are_domain_separated()
    {
        var data = "L123456"u8.ToArray();
        Assert.Equal(SHA256.HashData([0x00, .. data]), MerkleHashes.Leaf(data));
        var a = MerkleHashes.Leaf([1]);
        var b = MerkleHashes.Leaf([2]);
        Assert.Equal(SHA256.HashData([0x01, .. a, .. b]), MerkleHashes.Node(a, b));
    }

    [Fact]
    public void Appender_root_equals_the_reference_tree_hash_at_every_size() =>
        GenSize.Sample(size =>
        {
            var (nodes, leaves) = Tree(size);
            for (var n = 0; n <= size; n += 1 + (n / 16))
            {
                Assert.Equal(MerkleHashes.Root(leaves.Take(n).ToList()), Now(MerkleProofs.RootAsync(nodes, n)));
            }

            Assert.Equal(MerkleHashes.Root(leaves), Now(MerkleProofs.RootAsync(nodes, size)));
        }, iter: 60);

    [Fact]
    public void Inclusion_of_every_leaf_verifies_and_a_mutation_is_rejected() =>
        Gen.Select(GenSize, Gen.Int[0, int.MaxValue]).Sample((size, seed) =>
        {
            var (nodes, leaves) = Tree(size);
            var root = Now(MerkleProofs.RootAsync(nodes, size));
            var random = new Random(seed);
            for (var i = 0; i < size; i++)
            {
                var proof = Now(MerkleProofs.InclusionAsync(nodes, i, size));
                Assert.True(proof.Count <= 64 - long.LeadingZeroCount(size), "proof is O(log n)");
                Assert.True(MerkleVerifier.VerifyInclusion(i, size, leaves[i], proof, root), $"leaf {i} of {size}");

                if (size > 1)
                {
                    Assert.False(MerkleVerifier.VerifyInclusion(i, size, leaves[(i + 1) % size], proof, root));
                }

                Assert.False(MerkleVerifier.VerifyInclusion(i, size, leaves[i], proof, Flip(root, random)));
                if (proof.Count > 0)
                {
                    var mutated = proof.ToArray();
                    var at = random.Next(mutated.Length);
                    mutated[at] = Flip(mutated[at], random);
                    Assert.False(MerkleVerifier.VerifyInclusion(i, size, leaves[i], mutated, root));
                    Assert.False(MerkleVerifier.VerifyInclusion(i, size, leaves[i], proof.Take(proof.Count - 1).ToArray(), root));
                }

                Assert.False(MerkleVerifier.VerifyInclusion(i, size, leaves[i], [.. proof, root], root));
            }
        }, iter: 40);

    [Fact]
    public void Consistency_between_every_pair_of_sizes_verifies_and_a_mutation_is_rejected() =>
        Gen.Select(Gen.Int[1, 70], Gen.Int[0, int.MaxValue]).Sample((size, seed) =>
        {
            var (nodes, _) = Tree(size);
            var roots = Enumerable.Range(0, size + 1).Select(n => Now(MerkleProofs.RootAsync(nodes, n))).ToArray();
            var random = new Random(seed);
            for (var n = 1; n <= size; n++)
            {
                for (var m = 1; m <= n; m++)
                {
                    var proof = Now(MerkleProofs.ConsistencyAsync(nodes, m, n));
                    Assert.True(proof.Count <= 2 * (64 - long.LeadingZeroCount(n)), "proof is O(log n)");
                    Assert.True(MerkleVerifier.VerifyConsistency(m, n, roots[m], roots[n], proof), $"{m} to {n}");
                    Assert.False(MerkleVerifier.VerifyConsistency(m, n, Flip(roots[m], random), roots[n], proof));
                    Assert.False(MerkleVerifier.VerifyConsistency(m, n, roots[m], Flip(roots[n], random), proof));
                    if (proof.Count > 0)
                    {
                        var mutated = proof.ToArray();
                        var at = random.Next(mutated.Length);
                        mutated[at] = Flip(mutated[at], random);
                        Assert.False(MerkleVerifier.VerifyConsistency(m, n, roots[m], roots[n], mutated));
                        Assert.False(MerkleVerifier.VerifyConsistency(m, n, roots[m], roots[n], proof.Skip(1).ToArray()));
                    }

                    if (m < n)
                    {
                        Assert.False(MerkleVerifier.VerifyConsistency(n, m, roots[n], roots[m], proof));
                    }
                }
            }
        }, iter: 12);

    [Fact]
    public void A_frontier_loaded_at_any_size_continues_the_same_tree() =>
        Gen.Select(GenSize, Gen.Int[0, 300]).Sample((size, at) =>
        {
            var cut = Math.Min(at, size);
            var (nodes, leaves) = Tree(size);
            var frontier = Now(MerkleFrontier.LoadAsync(nodes, cut));
            Assert.Equal(Now(MerkleProofs.RootAsync(nodes, cut)), frontier.Root());
            for (var i = cut; i < size; i++)
            {
                var completed = frontier.Append(leaves[i]);
                Assert.Equal(new MerkleNodeId(0, i), completed[0].Node);
                var stored = Now(nodes.GetNodesAsync(completed.Select(c => c.Node).ToList()));
                Assert.Equal(stored, completed.Select(c => c.Hash).ToList());
            }

            Assert.Equal(MerkleHashes.Root(leaves), frontier.Root());
            Assert.Equal(MerkleHashes.Root(leaves), nodes.Root());
        }, iter: 60);

    [Fact]
    public void A_frontier_appending_for_the_upper_levels_yields_the_same_nodes_from_that_level_up() =>
        Gen.Select(GenSize, Gen.Int[0, 8]).Sample((size, fromLevel) =>
        {
            var (_, leaves) = Tree(size);
            var all = new MerkleFrontier();
            var upper = new MerkleFrontier();
            var completed = new List<byte[]>();
            foreach (var leaf in leaves)
            {
                var expected = all.Append(leaf).Where(c => c.Node.Level >= fromLevel).Select(c => c.Hash).ToList();
                completed.Clear();
                upper.Append(leaf, fromLevel, completed);
                Assert.Equal(expected, completed);
            }

            Assert.Equal(all.Root(), upper.Root());
        }, iter: 60);

    [Fact]
    public void Proofs_read_only_logarithmically_many_nodes()
    {
        var (nodes, _) = Tree(1000);
        var counting = new CountingSource(nodes);
        _ = Now(MerkleProofs.InclusionAsync(counting, 0, 999));
        _ = Now(MerkleProofs.ConsistencyAsync(counting, 511, 999));
        _ = Now(MerkleProofs.RootAsync(counting, 999));
        Assert.Equal(3, counting.Calls);
        Assert.True(counting.MaxNodes <= 20, $"{counting.MaxNodes} nodes read for one proof");
    }

    [Fact]
    public void Proofs_past_the_log_size_are_refused()
    {
        var (nodes, _) = Tree(5);
        Assert.Throws<ArgumentOutOfRangeException>(() => Now(MerkleProofs.InclusionAsync(nodes, 5, 5)));
        Assert.Throws<ArgumentOutOfRangeException>(() => Now(MerkleProofs.RootAsync(nodes, 6)));
        Assert.Throws<ArgumentOutOfRangeException>(() => Now(MerkleProofs.ConsistencyAsync(nodes, 4, 3)));
        Assert.Throws<ArgumentException>(() => nodes.Append(new byte[31]));
    }

    private static (MemoryMerkleNodes Nodes, List<byte[]> Leaves) Tree(int size)
    {
        var nodes = new MemoryMerkleNodes();
        var leaves = new List<byte[]>(size);
        for (var i = 0; i < size; i++)
        {
            var leaf = MerkleHashes.Leaf(BitConverter.GetBytes(i));
            leaves.Add(leaf);
            Assert.Equal(i, nodes.Append(leaf));
        }

        return (nodes, leaves);
    }

    private static byte[] Flip(byte[] hash, Random random)
    {
        var copy = hash.ToArray();
        copy[random.Next(copy.Length)] ^= (byte)(1 << random.Next(8));
        return copy;
    }

    // The memory source completes synchronously; anything else is a bug in the test setup.
    private static T Now<T>(ValueTask<T> pending) =>
        pending.IsCompletedSuccessfully ? pending.Result : throw new InvalidOperationException("the memory node source completes synchronously");

    private sealed class CountingSource(IMerkleNodeSource inner) : IMerkleNodeSource
    {
        public int Calls { get; private set; }

        public int MaxNodes { get; private set; }

        public long Size => inner.Size;

        public ValueTask<IReadOnlyList<byte[]>> GetNodesAsync(IReadOnlyList<MerkleNodeId> nodes, CancellationToken cancellationToken = default)
        {
            Calls++;
            MaxNodes = Math.Max(MaxNodes, nodes.Count);
            return inner.GetNodesAsync(nodes, cancellationToken);
        }
    }
}
