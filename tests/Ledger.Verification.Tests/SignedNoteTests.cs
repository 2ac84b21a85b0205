namespace Ledger.Verification.Tests;

public sealed class SignedNoteTests
{
    // The signed-note example of golang.org/x/mod/sumdb/note, the format's reference implementation.
    private const string PeterVerifierKey = "PeterNeumann+c74f20a3+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW";
    private const string PeterPrivateKey = "PRIVATE+KEY+PeterNeumann+c74f20a3+AYEKFALVFGyNhPJEMzD1QIDr+Y7hfZx09iUvxdXHKDFz";
    private const string PeterText = "If you think cryptography is the answer to your problem,\nthen you don't know what your problem is.\n";
    private const string PeterNote = PeterText + "\n\u2014 PeterNeumann x08go/ZJkuBS9UG/SffcvIAQxVBtiFupLLr8pAcElZInNIuGUgYN1FFYC2pZSNXgKvqfqdngotpRZb6KE6RyyBwJnAM=\n";

    private const string Origin = "ledger.example/log";

    [Fact]
    public void Signing_reproduces_the_reference_note()
    {
        using var signer = NoteSigner.Parse(PeterPrivateKey);
        Assert.Equal(0xc74f20a3u, signer.KeyId);
        Assert.Equal(PeterVerifierKey, signer.Verifier.ToString());
        Assert.Equal(PeterPrivateKey, signer.ExportPrivateKey());
        Assert.Equal(PeterNote, SignedNote.Sign(PeterText, signer));
    }

    [Fact]
    public void The_reference_note_opens_with_its_verifier_key()
    {
        var verifier = NoteVerifier.Parse(PeterVerifierKey);
        Assert.Equal("PeterNeumann", verifier.Name);
        Assert.Equal(PeterText, SignedNote.Open(PeterNote, [verifier]));
        Assert.Throws<NoteVerificationException>(() => SignedNote.Open(PeterNote.Replace("cryptography", "cryptographY", StringComparison.Ordinal), [verifier]));
    }

    [Theory]
    [InlineData(PeterText + "\n")]
    [InlineData(PeterText + "\n\n")]
    [InlineData(PeterText)]
    [InlineData("")]
    [InlineData(PeterText + "\n\u2014 PeterNeumann\n")]
    [InlineData(PeterText + "\n\u2014 PeterNeumann x08go/ZJkuBS9UG/SffcvIAQxVBtiFupLLr8pAcElZInNIuGUgYN1FFYC2pZSNXgKvqfqdngotpRZb6KE6RyyBwJnAM= \n")]
    [InlineData(PeterText + "\n\u2014 Peter+Neumann x08go/ZJkuBS9UG/SffcvIAQxVBtiFupLLr8pAcElZInNIuGUgYN1FFYC2pZSNXgKvqfqdngotpRZb6KE6RyyBwJnAM=\n")]
    [InlineData("If you think\tcryptography\n\n\u2014 PeterNeumann x08go/ZJkuBS9UG/SffcvIAQxVBtiFupLLr8pAcElZInNIuGUgYN1FFYC2pZSNXgKvqfqdngotpRZb6KE6RyyBwJnAM=\n")]
    public void Malformed_notes_are_rejected(string note) =>
        Assert.Throws<NoteVerificationException>(() => SignedNote.Open(note, [NoteVerifier.Parse(PeterVerifierKey)]));

    [Theory]
    [InlineData("PeterNeumann+c74f20a4+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW")]
    [InlineData("PeterNeumann+c74f20a3+AhpjZHcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW")]
    [InlineData("PeterNeumann+c74f20a3+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10T")]
    [InlineData("PeterNeumann+c74f20a3")]
    [InlineData("Peter Neumann+c74f20a3+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW")]
    [InlineData("+c74f20a3+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW")]
    [InlineData("PeterNeumann+c74f20+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW")]
    public void Malformed_or_inconsistent_verifier_keys_are_refused(string key) =>
        Assert.Throws<FormatException>(() => NoteVerifier.Parse(key));

    [Fact]
    public void Checkpoint_sign_parse_verify_round_trip()
    {
        using var signer = NoteSigner.Generate(Origin);
        var verifier = NoteVerifier.Parse(signer.Verifier.ToString());
        var root = MerkleHashes.Leaf("root"u8);
        var checkpoint = new Checkpoint(Origin, 20852163, root, ["extension line"]);
        var note = checkpoint.Sign(signer);

        Assert.StartsWith($"{Origin}\n20852163\n{Convert.ToBase64String(root)}\nextension line\n\n\u2014 {Origin} ", note, StringComparison.Ordinal);
        var opened = Checkpoint.Open(note, Origin, [verifier]);
        Assert.Equal(Origin, opened.Origin);
        Assert.Equal(20852163, opened.Size);
        Assert.Equal(root, opened.RootHash.ToArray());
        Assert.Equal(["extension line"], opened.Extensions);

        using var again = NoteSigner.Parse(signer.ExportPrivateKey());
        Assert.Equal(note, checkpoint.Sign(again));
    }

    [Fact]
    public void Tampered_checkpoints_are_rejected()
    {
        using var signer = NoteSigner.Generate(Origin);
        var note = new Checkpoint(Origin, 8, MerkleHashes.Leaf("root"u8)).Sign(signer);
        var lines = note.Split('\n');
        string[] tampered =
        [
            note.Replace("\n8\n", "\n9\n", StringComparison.Ordinal),
            note.Replace(lines[2], Convert.ToBase64String(MerkleHashes.Leaf("other"u8)), StringComparison.Ordinal),
            note.Replace(Origin + "\n8", Origin + "x\n8", StringComparison.Ordinal),
            note.Insert(note.IndexOf("\n\n", StringComparison.Ordinal) + 1, "extension\n"),
            note[..^2] + (note[^2] == 'A' ? "B" : "A") + "\n",
            note.Replace("\n\n", "\n", StringComparison.Ordinal),
            note[..^1],
            note.Replace("\u2014", "--", StringComparison.Ordinal),
        ];

        foreach (var bad in tampered)
        {
            Assert.Throws<NoteVerificationException>(() => Checkpoint.Open(bad, Origin, [signer.Verifier]));
        }
    }

    [Fact]
    public void Wrong_key_and_wrong_origin_are_rejected()
    {
        using var signer = NoteSigner.Generate(Origin);
        using var other = NoteSigner.Generate(Origin);
        using var elsewhere = NoteSigner.Generate("other.example/log");
        var note = new Checkpoint(Origin, 3, MerkleHashes.Leaf("root"u8)).Sign(signer);

        Assert.Throws<NoteVerificationException>(() => Checkpoint.Open(note, Origin, [other.Verifier]));
        Assert.Throws<NoteVerificationException>(() => Checkpoint.Open(note, Origin, []));
        Assert.Throws<NoteVerificationException>(() => Checkpoint.Open(note, "other.example/log", [signer.Verifier]));

        // A checkpoint of another origin, validly signed by a trusted key, is still not this log's.
        var foreign = new Checkpoint("other.example/log", 3, MerkleHashes.Leaf("root"u8)).Sign(elsewhere);
        Assert.Throws<NoteVerificationException>(() => Checkpoint.Open(foreign, Origin, [signer.Verifier, elsewhere.Verifier]));
    }

    [Fact]
    public void Unknown_signatures_are_ignored_but_a_bad_known_one_rejects_the_note()
    {
        using var signer = NoteSigner.Generate(Origin);
        using var witness = NoteSigner.Generate("witness.example/w1");
        var checkpoint = new Checkpoint(Origin, 3, MerkleHashes.Leaf("root"u8));
        var cosigned = SignedNote.Sign(checkpoint.ToText(), signer, witness);

        Assert.Equal(3, Checkpoint.Open(cosigned, Origin, [signer.Verifier]).Size);
        Assert.Equal(3, Checkpoint.Open(cosigned, Origin, [witness.Verifier]).Size);

        var forged = cosigned.Replace(
            cosigned.Split('\n')[^2],
            $"\u2014 witness.example/w1 {Convert.ToBase64String([.. BitConverter.GetBytes(witness.KeyId).Reverse(), .. new byte[64]])}",
            StringComparison.Ordinal);
        Assert.Throws<NoteVerificationException>(() => Checkpoint.Open(forged, Origin, [signer.Verifier, witness.Verifier]));
    }

    [Theory]
    [InlineData("ledger.example/log\n08\nAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=\n")]
    [InlineData("ledger.example/log\n-1\nAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=\n")]
    [InlineData("ledger.example/log\n8\nAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA==\n")]
    [InlineData("ledger.example/log\n8\n")]
    [InlineData("\n8\nAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=\n")]
    [InlineData("ledger.example/log\n8\nAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=")]
    public void Malformed_checkpoint_texts_are_refused(string text) =>
        Assert.Throws<FormatException>(() => Checkpoint.Parse(text));

    [Fact]
    public void Checkpoint_text_is_origin_size_and_root_lines()
    {
        var checkpoint = Checkpoint.Parse("example.com/behind-the-sofa\n20852163\nCsUYapGGPo4dkMgIAUqom/Xajj7h2fB2MPA3j2jxq2I=\n");
        Assert.Equal(20852163, checkpoint.Size);
        Assert.Equal("example.com/behind-the-sofa\n20852163\nCsUYapGGPo4dkMgIAUqom/Xajj7h2fB2MPA3j2jxq2I=\n", checkpoint.ToText());
        Assert.Equal("example.com/behind-the-sofa\n0\n47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU=\n", new Checkpoint("example.com/behind-the-sofa", 0, MerkleHashes.Empty()).ToText());
    }
}
