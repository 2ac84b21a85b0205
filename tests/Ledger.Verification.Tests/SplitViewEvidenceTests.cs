namespace Ledger.Verification.Tests;

public sealed class SplitViewEvidenceTests : IDisposable
{
    private readonly NoteSigner log = NoteSigner.Generate(LogFixtures.Origin);
    private readonly MemoryMerkleNodes honest = new();
    private readonly MemoryMerkleNodes forked = new();

    public SplitViewEvidenceTests()
    {
        for (var i = 0; i < 12; i++)
        {
            honest.Append(MerkleHashes.Leaf([(byte)i]));
            forked.Append(MerkleHashes.Leaf([(byte)(i == 3 ? 99 : i)]));
        }
    }

    public void Dispose() => log.Dispose();

    [Fact]
    public async Task Two_roots_at_one_size_prove_a_split_view_and_one_root_does_not()
    {
        var a = await NoteAsync(honest, 12);
        var b = await NoteAsync(forked, 12);

        Assert.Empty(Evidence(a, b, null).Check(log.Verifier));
        Assert.Contains(Evidence(a, a, null).Check(log.Verifier), p => p.Contains("same root", StringComparison.Ordinal));
        using var other = NoteSigner.Generate(LogFixtures.Origin);
        Assert.NotEmpty(Evidence(a, b, null).Check(other.Verifier));
    }

    [Fact]
    public async Task A_proof_to_the_larger_root_that_implies_another_old_root_proves_a_fork()
    {
        // The forked tree's own proof from 7 to 12 leads to its root of 12 and implies its root of 7, not the honest one.
        var path = (await MerkleProofs.ConsistencyAsync(forked, 7, 12)).Select(Convert.ToBase64String).ToList();
        var evidence = Evidence(await NoteAsync(honest, 7), await NoteAsync(forked, 12), new ServedConsistencyProof("b", 7, 12, path));
        Assert.Empty(evidence.Check(log.Verifier));
        Assert.Empty(SplitViewEvidence.Parse(evidence.ToJson()).Check(log.Verifier));

        var honestPath = (await MerkleProofs.ConsistencyAsync(honest, 7, 12)).Select(Convert.ToBase64String).ToList();
        var consistent = Evidence(await NoteAsync(honest, 7), await NoteAsync(honest, 12), new ServedConsistencyProof("b", 7, 12, honestPath));
        Assert.NotEmpty(consistent.Check(log.Verifier));
    }

    [Fact]
    public async Task A_proof_that_merely_fails_proves_no_fork()
    {
        var garbage = Enumerable.Range(0, 3).Select(i => Convert.ToBase64String(MerkleHashes.Leaf([(byte)i]))).ToList();
        var evidence = Evidence(await NoteAsync(honest, 7), await NoteAsync(honest, 12), new ServedConsistencyProof("b", 7, 12, garbage));
        Assert.NotEmpty(evidence.Check(log.Verifier));
    }

    private SplitViewEvidence Evidence(string first, string second, ServedConsistencyProof? proof) =>
        new(LogFixtures.Origin, log.Verifier.ToString(), LogFixtures.Start, "test", new ObservedCheckpoint("a", first), new ObservedCheckpoint("b", second), proof);

    private async Task<string> NoteAsync(MemoryMerkleNodes tree, long size) =>
        new Checkpoint(LogFixtures.Origin, size, await MerkleProofs.RootAsync(tree, size)).Sign(log);
}
