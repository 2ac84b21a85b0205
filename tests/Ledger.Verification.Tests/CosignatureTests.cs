using System.Buffers.Binary;
using System.Text;
using Ledger.Testing;

namespace Ledger.Verification.Tests;

public sealed class CosignatureTests
{
    // c2sp.org/tlog-cosignature: the example checkpoint, its cosignature line, and the signed message it shows.
    private const string SpecCheckpointText = "example.com/behind-the-sofa\n20852163\nCsUYapGGPo4dkMgIAUqom/Xajj7h2fB2MPA3j2jxq2I=\n";
    private const string SpecCosignature = "jWbPPwAAAABkGFDLEZMHwSRaJNiIDoe9DYn/zXcrtPHeolMI5OWXEhZCB9dlrDJsX3b2oyin1nPZqhf5nNo0xUe+mbIUBkBIfZ+qnA==";
    private const string SpecSignedMessage = "cosignature/v1\ntime 1679315147\nexample.com/behind-the-sofa\n20852163\nCsUYapGGPo4dkMgIAUqom/Xajj7h2fB2MPA3j2jxq2I=\n";

    private static readonly DateTimeOffset Now = new(2026, 12, 6, 12, 0, 0, TimeSpan.Zero);

    [Fact]
    public void The_signed_message_is_the_one_the_spec_shows()
    {
        Assert.Equal(Encoding.UTF8.GetBytes(SpecSignedMessage), Cosignatures.SignedMessage(SpecCheckpointText, 1679315147));
    }

    [Fact]
    public void The_spec_example_line_has_the_framing_this_implementation_writes()
    {
        // The spec publishes no witness public key, so only the framing can be checked: key id, u64 timestamp, 64 bytes.
        var blob = Convert.FromBase64String(SpecCosignature);
        Assert.Equal(4 + 8 + 64, blob.Length);
        Assert.Equal(1679315147UL, BinaryPrimitives.ReadUInt64BigEndian(blob.AsSpan(4)));

        using var witness = WitnessSigner.Generate("witness.example.com/w1");
        var ours = Convert.FromBase64String(witness.Cosign(SpecCheckpointText, DateTimeOffset.FromUnixTimeSeconds(1679315147)).Split(' ')[2].TrimEnd('\n'));
        Assert.Equal(blob.Length, ours.Length);
        Assert.Equal(blob.AsSpan(4, 8).ToArray(), ours.AsSpan(4, 8).ToArray());
    }

    [Fact]
    public void A_cosignature_verifies_with_a_verifier_written_from_the_spec_text()
    {
        using var witness = WitnessSigner.Generate("witness.example.org/w1");
        var line = witness.Cosign(SpecCheckpointText, Now);

        Assert.True(C2spCosignatureVerifier.Verify(witness.Verifier.ToString(), SpecCheckpointText, line.TrimEnd('\n'), out var timestamp));
        Assert.Equal(Now.ToUnixTimeSeconds(), timestamp);
        Assert.False(C2spCosignatureVerifier.Verify(witness.Verifier.ToString(), SpecCheckpointText.Replace("20852163", "20852164", StringComparison.Ordinal), line.TrimEnd('\n'), out _));
    }

    [Fact]
    public void Vkeys_round_trip_with_type_0x04_and_the_spec_key_id()
    {
        using var witness = WitnessSigner.Generate("witness.example.org/w1");
        var vkey = witness.Verifier.ToString();
        var parts = vkey.Split('+', 3);
        var blob = Convert.FromBase64String(parts[2]);
        Assert.Equal(0x04, blob[0]);
        Assert.Equal(C2spCosignatureVerifier.KeyIdHex("witness.example.org/w1", blob.AsSpan(1)), parts[1]);
        Assert.Equal(vkey, WitnessVerifier.Parse(vkey).ToString());

        using var again = WitnessSigner.Parse(witness.ExportPrivateKey());
        Assert.Equal(vkey, again.Verifier.ToString());

        // A log key (type 0x01) is not a witness key, nor the reverse.
        using var log = NoteSigner.Generate("witness.example.org/w1");
        Assert.Throws<FormatException>(() => WitnessVerifier.Parse(log.Verifier.ToString()));
        Assert.Throws<FormatException>(() => NoteVerifier.Parse(vkey));
    }

    [Fact]
    public void A_cosigned_note_still_opens_with_the_log_key_and_counts_toward_a_quorum()
    {
        using var log = NoteSigner.Generate(LogFixtures.Origin);
        using var w1 = WitnessSigner.Generate("w1.example.org/witness");
        using var w2 = WitnessSigner.Generate("w2.example.org/witness");
        using var w3 = WitnessSigner.Generate("w3.example.org/witness");
        var checkpoint = new Checkpoint(LogFixtures.Origin, 5, MerkleHashes.Leaf("five"u8));
        var note = checkpoint.Sign(log);
        var cosigned = Cosignatures.Add(note, [w1.Cosign(checkpoint.ToText(), Now), w2.Cosign(checkpoint.ToText(), Now)]);

        Assert.Equal(checkpoint.ToText(), SignedNote.Open(cosigned, [log.Verifier]));
        var found = Cosignatures.Verify(cosigned, [w1.Verifier, w2.Verifier, w3.Verifier]);
        Assert.Equal(["w1.example.org/witness", "w2.example.org/witness"], found.Select(c => c.Witness).Order());
        Assert.All(found, c => Assert.Equal(Now, c.Time));
        Assert.True(WitnessPolicy.Of([w1.Verifier, w2.Verifier, w3.Verifier], 2).IsWitnessed(cosigned));
        Assert.False(WitnessPolicy.Of([w1.Verifier, w2.Verifier, w3.Verifier], 3).IsWitnessed(cosigned));
        Assert.False(WitnessPolicy.Of([w3.Verifier], 1).IsWitnessed(cosigned));
        Assert.Equal(cosigned, Cosignatures.Add(cosigned, [w1.Cosign(checkpoint.ToText(), Now)]));
    }

    [Fact]
    public void A_cosignature_moved_to_another_checkpoint_is_rejected()
    {
        using var log = NoteSigner.Generate(LogFixtures.Origin);
        using var w1 = WitnessSigner.Generate("w1.example.org/witness");
        var five = new Checkpoint(LogFixtures.Origin, 5, MerkleHashes.Leaf("five"u8));
        var forked = new Checkpoint(LogFixtures.Origin, 5, MerkleHashes.Leaf("forked"u8));
        var moved = Cosignatures.Add(forked.Sign(log), [w1.Cosign(five.ToText(), Now)]);

        Assert.Throws<NoteVerificationException>(() => Cosignatures.Verify(moved, [w1.Verifier]));
        Assert.False(WitnessPolicy.Of([w1.Verifier], 1).IsWitnessed(moved));
    }

    [Fact]
    public void A_quorum_larger_than_the_witnesses_is_refused() =>
        Assert.Throws<ArgumentException>(() => WitnessPolicy.Of([], 1));
}
