using System.Diagnostics;
using Ledger.Store.Sqlite;
using Ledger.Verification;
using Microsoft.Data.Sqlite;

namespace Ledger.Bench.Scenarios;

/// <summary>
/// Proof latency on a tree of a million leaves in a ledger file. Importing a million real events would take minutes, so
/// the tree is written with synthetic leaf hashes through the store's own tree-writing code (SqliteMerkleTables.Append, the
/// append transaction's path), in appends of 100 leaves as the imports make them; proofs are then read through the
/// store's IMerkleLog as any verifier does, and checked against an in-memory tree of the same leaves.
/// </summary>
internal sealed class MerkleProofScenario : IScenario
{
    public const double TargetMilliseconds = 1.0;
    private const int Leaves = 1_000_000;
    private const int PerAppend = 100;
    private const int AppendsPerTransaction = 100;

    public string Name => "merkle-proof";

    public async Task<ScenarioResult> RunAsync(BenchContext context, CancellationToken cancellationToken)
    {
        var path = context.NewFile("merkle-proof");
        await using var store = await SqliteEventStore.OpenAsync(path, cancellationToken);
        var (build, reference) = Build(path);
        BenchContext.Progress($"wrote a tree of {Leaves:N0} leaves in {build.TotalSeconds:F1} s");

        var tree = await store.Merkle.OpenTreeAsync(cancellationToken);
        var root = await MerkleProofs.RootAsync(tree, tree.Size, cancellationToken);
        if (tree.Size != Leaves || !root.AsSpan().SequenceEqual(reference.Root()))
        {
            throw new InvalidOperationException("the stored tree's root differs from the in-memory tree's");
        }

        var quick = context.Options.Quick;
        var random = new Random(42);
        var samples = quick ? 500 : 5000;
        var inclusion = new List<double>(samples);
        var consistency = new List<double>(samples);
        for (var i = -200; i < samples; i++)
        {
            var leaf = random.NextInt64(Leaves);
            var clock = Stopwatch.StartNew();
            var proof = await MerkleProofs.InclusionAsync(tree, leaf, Leaves, cancellationToken);
            var elapsed = clock.Elapsed.TotalMilliseconds;
            if (!MerkleVerifier.VerifyInclusion(leaf, Leaves, Leaf(leaf), proof, root))
            {
                throw new InvalidOperationException($"the inclusion proof of leaf {leaf} does not verify");
            }

            var old = 1 + random.NextInt64(Leaves - 1);
            clock.Restart();
            var step = await MerkleProofs.ConsistencyAsync(tree, old, Leaves, cancellationToken);
            var consistencyElapsed = clock.Elapsed.TotalMilliseconds;
            if (i < 50 && !MerkleVerifier.VerifyConsistency(old, Leaves, await MerkleProofs.RootAsync(reference, old, cancellationToken), root, step))
            {
                throw new InvalidOperationException($"the consistency proof from {old} does not verify");
            }

            // The first 200 warm up the JIT, the pool and the page cache.
            if (i >= 0)
            {
                inclusion.Add(elapsed);
                consistency.Add(consistencyElapsed);
            }
        }

        inclusion.Sort();
        consistency.Sort();
        BenchContext.Progress($"inclusion p50 {Percentile(inclusion, 50):F3} ms, p99 {Percentile(inclusion, 99):F3} ms; consistency p50 {Percentile(consistency, 50):F3} ms, p99 {Percentile(consistency, 99):F3} ms");
        var size = new FileInfo(path).Length + (File.Exists(path + "-wal") ? new FileInfo(path + "-wal").Length : 0);
        return new ScenarioResult(
            Name,
            $"Inclusion proofs of random leaves, and consistency proofs from random sizes, in a tree of {Leaves:N0} leaves, read through SqliteEventStore.Merkle "
                + "(a connection kept open with its statements prepared, one point read per stored node, the leaf rows of the 64-leaf block below the stored levels); each proof verified with MerkleVerifier.",
            [
                new("tree size", Leaves, "leaves", $"synthetic leaf hashes written through SqliteMerkleTables.Append in appends of {PerAppend}, {build.TotalSeconds:F1} s"),
                new("file size", size / 1024.0 / 1024.0, "MiB", "ledger file with its write-ahead log, no events"),
                new("inclusion proof, p50", Percentile(inclusion, 50), "ms", $"{samples} random leaves after 200 warm-up proofs"),
                new("inclusion proof, p99", Percentile(inclusion, 99), "ms", $"max {inclusion[^1]:F3} ms"),
                new("consistency proof, p50", Percentile(consistency, 50), "ms", $"{samples} random old sizes to {Leaves:N0}"),
                new("consistency proof, p99", Percentile(consistency, 99), "ms", $"max {consistency[^1]:F3} ms"),
            ],
            [new Check($"inclusion proof p99 within {TargetMilliseconds} ms (target / p99)", TargetMilliseconds / Percentile(inclusion, 99), 1.0)]);
    }

    private static byte[] Leaf(long index) => MerkleHashes.Leaf(BitConverter.GetBytes(index));

    /// <summary>The tree written through the store's code path in transactions of many appends, and the same leaves in memory.</summary>
    private static (TimeSpan Build, MemoryMerkleNodes Reference) Build(string path)
    {
        var clock = Stopwatch.StartNew();
        var reference = new MemoryMerkleNodes();
        using var connection = new SqliteConnection($"Data Source={path};Pooling=False");
        connection.Open();
        using var tables = new SqliteMerkleTables(connection);
        var frontier = new MerkleFrontier();
        for (var first = 0L; first < Leaves; first += PerAppend * AppendsPerTransaction)
        {
            using var transaction = connection.BeginTransaction();
            tables.Transaction = transaction;
            for (var append = first; append < Math.Min(Leaves, first + (PerAppend * AppendsPerTransaction)); append += PerAppend)
            {
                var hashes = new byte[PerAppend][];
                for (var i = 0; i < PerAppend; i++)
                {
                    hashes[i] = Leaf(append + i);
                    reference.Append(hashes[i]);
                }

                tables.Append(frontier, hashes);
            }

            transaction.Commit();
        }

        return (clock.Elapsed, reference);
    }

    private static double Percentile(List<double> sorted, int percent) =>
        sorted[Math.Clamp((int)Math.Ceiling(percent / 100.0 * sorted.Count) - 1, 0, sorted.Count - 1)];
}
