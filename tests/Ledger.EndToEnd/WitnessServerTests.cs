using System.Net;
using Ledger.Testing;
using Ledger.Verification;
using Xunit;

namespace Ledger.EndToEnd;

/// <summary>
/// `ledger witness serve` over HTTP as C2SP tlog-witness says: cosign (200), unknown log (404), another key (403),
/// a stale old size (409 with text/x.tlog.size), a bad consistency proof (422), and a state that survives kill -9.
/// </summary>
public sealed class WitnessServerTests : IDisposable
{
    private const string Origin = "ledger.example.org/disclosures";
    private readonly TempStore folder = new();
    private readonly NoteSigner log = NoteSigner.Generate(Origin);
    private readonly MemoryMerkleNodes tree = new();

    public WitnessServerTests()
    {
        for (var i = 0; i < 20; i++)
        {
            tree.Append(MerkleHashes.Leaf([(byte)i]));
        }
    }

    public void Dispose()
    {
        log.Dispose();
        folder.Dispose();
    }

    [Fact]
    public async Task A_checkpoint_is_cosigned_then_a_consistent_larger_one_and_the_cosignatures_verify()
    {
        var witnessKey = WitnessVerifier.Parse(await WitnessProcess.CreateKeyAsync(folder.Folder, "witness.example.org/w1"));
        using var witness = await WitnessProcess.StartAsync(folder.Folder, log.Verifier.ToString());

        var first = await witness.AddCheckpointAsync(await BodyAsync(0, 7));
        var before = DateTimeOffset.UtcNow.ToUnixTimeSeconds();
        var second = await witness.AddCheckpointAsync(await BodyAsync(7, 20));
        var after = DateTimeOffset.UtcNow.ToUnixTimeSeconds();

        Assert.True(first.Status == HttpStatusCode.OK, first.Body);
        Assert.True(second.Status == HttpStatusCode.OK, second.Body);
        // Checked with the verifier written from the C2SP text, not the code that made the cosignature.
        Assert.True(C2spCosignatureVerifier.Verify(witnessKey.ToString(), new Checkpoint(Origin, 20, await MerkleProofs.RootAsync(tree, 20)).ToText(), second.Body.TrimEnd('\n'), out var time));
        Assert.InRange(time, before, after);
        Assert.False(C2spCosignatureVerifier.Verify(witnessKey.ToString(), new Checkpoint(Origin, 7, await MerkleProofs.RootAsync(tree, 7)).ToText(), second.Body.TrimEnd('\n'), out _));
        var note = Cosignatures.Add(await NoteAsync(20), [second.Body]);
        Assert.Equal("witness.example.org/w1", Assert.Single(Cosignatures.Verify(note, [witnessKey])).Witness);
        Assert.Empty(Cosignatures.Verify(Cosignatures.Add(await NoteAsync(7), [first.Body]), [WitnessVerifier.Parse(await WitnessProcess.CreateKeyAsync(folder.PathOf("other"), "witness.example.org/w1"))]));
    }

    [Fact]
    public async Task Unknown_logs_get_404_other_keys_403_stale_sizes_409_and_bad_proofs_422()
    {
        await WitnessProcess.CreateKeyAsync(folder.Folder, "witness.example.org/w1");
        using var witness = await WitnessProcess.StartAsync(folder.Folder, log.Verifier.ToString());
        using var stranger = NoteSigner.Generate("elsewhere.example.org/log");
        using var impostor = NoteSigner.Generate(Origin);
        Assert.Equal(HttpStatusCode.OK, (await witness.AddCheckpointAsync(await BodyAsync(0, 7))).Status);

        var unknown = await witness.AddCheckpointAsync($"old 0\n\n{new Checkpoint(stranger.Name, 7, await MerkleProofs.RootAsync(tree, 7)).Sign(stranger)}");
        var forged = await witness.AddCheckpointAsync($"old 7\n\n{new Checkpoint(Origin, 7, await MerkleProofs.RootAsync(tree, 7)).Sign(impostor)}");
        var stale = await witness.AddCheckpointAsync(await BodyAsync(0, 20));
        var proof = (await MerkleProofs.ConsistencyAsync(tree, 7, 20)).ToList();
        proof[^1] = MerkleHashes.Leaf("not the tree"u8);
        var badProof = await witness.AddCheckpointAsync(new AddCheckpointRequest(7, proof, await NoteAsync(20)).ToBody());
        var malformed = await witness.AddCheckpointAsync("old 007\n\n" + await NoteAsync(20));

        Assert.Equal(HttpStatusCode.NotFound, unknown.Status);
        Assert.Equal(HttpStatusCode.Forbidden, forged.Status);
        Assert.Equal(HttpStatusCode.Conflict, stale.Status);
        Assert.Equal("text/x.tlog.size", stale.ContentType);
        Assert.Equal("7\n", stale.Body);
        Assert.Equal(HttpStatusCode.UnprocessableEntity, badProof.Status);
        Assert.Equal(HttpStatusCode.BadRequest, malformed.Status);
        var stillSeven = await witness.AddCheckpointAsync(await BodyAsync(0, 20));
        Assert.Equal("7\n", stillSeven.Body);
    }

    [Fact]
    public async Task What_the_witness_cosigned_survives_kill_9()
    {
        await WitnessProcess.CreateKeyAsync(folder.Folder, "witness.example.org/w1");
        using (var witness = await WitnessProcess.StartAsync(folder.Folder, log.Verifier.ToString()))
        {
            Assert.Equal(HttpStatusCode.OK, (await witness.AddCheckpointAsync(await BodyAsync(0, 13))).Status);
            Assert.True(witness.Process.Kill());
        }

        using var restarted = await WitnessProcess.StartAsync(folder.Folder, log.Verifier.ToString());
        var fromZero = await restarted.AddCheckpointAsync(await BodyAsync(0, 20));
        var fromThirteen = await restarted.AddCheckpointAsync(await BodyAsync(13, 20));

        Assert.Equal(HttpStatusCode.Conflict, fromZero.Status);
        Assert.Equal("13\n", fromZero.Body);
        Assert.Equal(HttpStatusCode.OK, fromThirteen.Status);
    }

    private async Task<string> NoteAsync(long size) =>
        new Checkpoint(Origin, size, await MerkleProofs.RootAsync(tree, size)).Sign(log);

    private async Task<string> BodyAsync(long oldSize, long size) =>
        new AddCheckpointRequest(oldSize, oldSize == 0 ? [] : await MerkleProofs.ConsistencyAsync(tree, oldSize, size), await NoteAsync(size)).ToBody();
}
