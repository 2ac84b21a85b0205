namespace Ledger.Verification.Tests;

public sealed class AddCheckpointTests : IDisposable
{
    private static readonly DateTimeOffset Now = new(2026, 12, 6, 12, 0, 0, TimeSpan.Zero);
    private readonly NoteSigner log = NoteSigner.Generate(LogFixtures.Origin);
    private readonly WitnessSigner witness = WitnessSigner.Generate("witness.example.org/w1");
    private readonly MemoryMerkleNodes tree = new();

    public AddCheckpointTests()
    {
        for (var i = 0; i < 12; i++)
        {
            tree.Append(MerkleHashes.Leaf([(byte)i]));
        }
    }

    [Fact]
    public void The_spec_example_request_parses()
    {
        const string body = "old 20852014\nPlRNCrwHpqhGrupue0L7gxbjbMiKA9temvuZZDDpkaw=\njrJZDmY8Y7SyJE0MWLpLozkIVMSMZcD5kvuKxPC3swk=\n5+pKlUdi2LeF/BcMHBn+Ku6yhPGNCswZZD1X/6QgPd8=\n/6WVhPs2CwSsb5rYBH5cjHV/wSmA79abXAwhXw3Kj/0=\n\n"
            + "example.com/behind-the-sofa\n20852163\nCsUYapGGPo4dkMgIAUqom/Xajj7h2fB2MPA3j2jxq2I=\n\n\u2014 example.com/behind-the-sofa Az3grlgtzPICa5OS8npVmf1Myq/5IZniMp+ZJurmRDeOoRDe4URYN7u5/Zhcyv2q1gGzGku9nTo+zyWE+xeMcTOAYQ8=\n";
        var request = AddCheckpointRequest.Parse(body);
        Assert.Equal(20852014, request.OldSize);
        Assert.Equal(4, request.Proof.Count);
        Assert.Equal("example.com/behind-the-sofa", AddCheckpoint.OriginOf(request));
        Assert.Equal(body, request.ToBody());
    }

    [Theory]
    [InlineData("old 01\n\nx\n")]
    [InlineData("old -1\n\nx\n")]
    [InlineData("new 1\n\nx\n")]
    [InlineData("old 1\nnot-base64\n\nx\n")]
    [InlineData("old 1\n")]
    public void Malformed_requests_are_refused(string body) =>
        Assert.Throws<FormatException>(() => AddCheckpointRequest.Parse(body));

    [Fact]
    public async Task A_first_checkpoint_then_a_consistent_one_are_cosigned()
    {
        var first = Decide(0, [], await Note(5), null);
        Assert.Equal(200, first.Status);
        Assert.Equal(5, first.Cosigned!.Size);
        var cosigned = Cosignatures.Add(await Note(5), [first.Body]);
        Assert.Single(Cosignatures.Verify(cosigned, [witness.Verifier]));

        var second = Decide(5, await MerkleProofs.ConsistencyAsync(tree, 5, 12), await Note(12), first.Cosigned);
        Assert.Equal(200, second.Status);
        Assert.Equal(12, second.Cosigned!.Size);

        var again = Decide(12, [], await Note(12), second.Cosigned);
        Assert.Equal(200, again.Status);
    }

    [Fact]
    public async Task A_stale_old_size_gets_409_with_the_size_last_cosigned()
    {
        var kept = new WitnessedCheckpoint(LogFixtures.Origin, 5, await MerkleProofs.RootAsync(tree, 5));
        var outcome = Decide(0, [], await Note(12), kept);
        Assert.Equal(409, outcome.Status);
        Assert.Equal("5\n", outcome.Body);
        Assert.Equal("text/x.tlog.size", outcome.ContentType);
        Assert.Null(outcome.Cosigned);
    }

    [Fact]
    public async Task A_bad_proof_gets_422_and_another_root_at_the_same_size_409()
    {
        var kept = new WitnessedCheckpoint(LogFixtures.Origin, 5, await MerkleProofs.RootAsync(tree, 5));
        var proof = (await MerkleProofs.ConsistencyAsync(tree, 5, 12)).ToList();
        proof[0] = MerkleHashes.Leaf("forged"u8);
        Assert.Equal(422, Decide(5, proof, await Note(12), kept).Status);

        var forked = new Checkpoint(LogFixtures.Origin, 5, MerkleHashes.Leaf("forked"u8)).Sign(log);
        Assert.Equal(409, Decide(5, [], forked, kept).Status);
        Assert.Equal(400, Decide(13, [], await Note(12), kept).Status);
    }

    [Fact]
    public async Task An_unknown_log_gets_404_and_another_key_403()
    {
        Assert.Equal(404, AddCheckpoint.Decide(new AddCheckpointRequest(0, [], await Note(5)), [], null, witness, Now).Status);
        using var other = NoteSigner.Generate(LogFixtures.Origin);
        var note = new Checkpoint(LogFixtures.Origin, 5, await MerkleProofs.RootAsync(tree, 5)).Sign(other);
        Assert.Equal(403, Decide(0, [], note, null).Status);
    }

    public void Dispose()
    {
        log.Dispose();
        witness.Dispose();
    }

    private AddCheckpointOutcome Decide(long oldSize, IReadOnlyList<byte[]> proof, string note, WitnessedCheckpoint? kept) =>
        AddCheckpoint.Decide(new AddCheckpointRequest(oldSize, proof, note), [log.Verifier], kept, witness, Now);

    private async Task<string> Note(long size) =>
        new Checkpoint(LogFixtures.Origin, size, await MerkleProofs.RootAsync(tree, size)).Sign(log);
}
