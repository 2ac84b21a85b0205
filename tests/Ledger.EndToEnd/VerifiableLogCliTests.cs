using System.Text.Json.Nodes;
using Ledger.Verification;
using Microsoft.Data.Sqlite;
using Xunit;

namespace Ledger.EndToEnd;

/// <summary>
/// The verifiable log through the built executable on SQLite: the key, checkpoints signed by import and on demand,
/// proofs checked here with the reference verifier, online verification of an edited database, and offline
/// verification of an export against checkpoint notes with no store at all.
/// </summary>
public sealed class VerifiableLogCliTests : IDisposable
{
    private const string Origin = "ledger.example.org/disclosures";
    private const string ReviewId = "msft-2025-08-15-review";
    private readonly TempStore store = new();

    public void Dispose() => store.Dispose();

    [Fact]
    public async Task Key_create_writes_an_owner_only_key_refuses_to_overwrite_it_and_show_prints_the_same_verifier_key()
    {
        var created = await store.RunAsync("log", "key", "create", "--name", Origin);
        var again = await store.RunAsync("log", "key", "create", "--name", Origin);
        var shown = await store.RunAsync("log", "key", "show");

        Assert.True(created.ExitCode == 0, created.ToString());
        var keyFile = store.PathOf("ledger.log.key");
        Assert.StartsWith($"PRIVATE+KEY+{Origin}+", await File.ReadAllTextAsync(keyFile), StringComparison.Ordinal);
        if (!OperatingSystem.IsWindows())
        {
            Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite, File.GetUnixFileMode(keyFile));
        }

        Assert.Equal(Origin, NoteVerifier.Parse(created.Stdout.Trim()).Name);
        Assert.True(again.ExitCode == ExitCode.Usage, again.ToString());
        Assert.Contains("--force", again.Stderr, StringComparison.Ordinal);
        Assert.Equal(created.Stdout, shown.Stdout);
        Assert.True((await store.RunAsync("log", "key", "create", "--name", Origin, "--force")).ExitCode == 0);
        Assert.NotEqual(created.Stdout, (await store.RunAsync("log", "key", "show")).Stdout);
    }

    [Fact]
    public async Task Import_signs_a_checkpoint_that_verifies_and_a_statement_proves_against_it()
    {
        var verifier = await CreateKeyAsync();
        await store.ImportSamplesAsync();

        var checkpoints = JsonAssert.Parse(await store.RunAsync("log", "checkpoints", "--json")).AsArray();
        var verified = await store.RunAsync("verify");
        var proof = JsonAssert.Parse(await store.RunAsync("prove", ReviewId, "--json"));

        var checkpoint = Assert.Single(checkpoints)!;
        Assert.Equal(8, (long)checkpoint["treeSize"]!);
        Assert.True(verified.ExitCode == 0, verified.ToString());
        Assert.Contains("verified", verified.Stdout, StringComparison.Ordinal);
        var opened = Checkpoint.Open((string)proof["checkpoint"]!, Origin, [verifier]);
        Assert.Equal(8, (long)proof["treeSize"]!);
        Assert.Equal(Convert.ToBase64String(opened.RootHash.Span), (string)proof["rootHash"]!);
        var path = proof["path"]!.AsArray().Select(h => Convert.FromBase64String((string)h!)).ToList();
        var leafHash = Convert.FromBase64String((string)proof["leafHash"]!);
        Assert.True(MerkleVerifier.VerifyInclusion((long)proof["leafIndex"]!, 8, leafHash, path, opened.RootHash.Span));
        Assert.False(MerkleVerifier.VerifyInclusion((long)proof["leafIndex"]! + 1, 8, leafHash, path, opened.RootHash.Span));
    }

    [Fact]
    public async Task Checkpoint_signs_only_when_the_tree_grew_and_consecutive_checkpoints_prove_consistent()
    {
        var verifier = await CreateKeyAsync();
        await store.ImportSamplesAsync();
        var unchanged = JsonAssert.Parse(await store.RunAsync("log", "checkpoint", "--json"));
        await ImportCorrectionAsync();
        var grown = JsonAssert.Parse(await store.RunAsync("log", "checkpoints", "--json")).AsArray();
        var proof = JsonAssert.Parse(await store.RunAsync("prove", "--consistency", "8", "9", "--json"));
        var badSizes = await store.RunAsync("prove", "--consistency", "9", "8");

        Assert.False((bool)unchanged["signed"]!);
        Assert.Equal([8L, 9L], grown.Select(c => (long)c!["treeSize"]!));
        var old = Checkpoint.Open((string)proof["oldCheckpoint"]!, Origin, [verifier]);
        var newer = Checkpoint.Open((string)proof["newCheckpoint"]!, Origin, [verifier]);
        var path = proof["path"]!.AsArray().Select(h => Convert.FromBase64String((string)h!)).ToList();
        Assert.True(MerkleVerifier.VerifyConsistency(8, 9, old.RootHash.Span, newer.RootHash.Span, path));
        Assert.True(badSizes.ExitCode == ExitCode.InvalidInput, badSizes.ToString());
        Assert.Contains("1 <= old size <= new size <= 9", badSizes.Stderr, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Verify_names_a_statement_edited_in_the_database_and_exits_5()
    {
        await CreateKeyAsync();
        await store.ImportSamplesAsync();
        Tamper($"UPDATE events SET data = replace(data, 'Microsoft', 'Macrosoft') WHERE statement_id = '{ReviewId}'");

        var human = await store.RunAsync("verify");
        var json = await store.RunAsync("verify", "--json");

        Assert.True(human.ExitCode == ExitCode.VerificationFailed, human.ToString());
        Assert.Contains(ReviewId, human.Stdout, StringComparison.Ordinal);
        Assert.Contains("verification failed", human.Stderr, StringComparison.Ordinal);
        Assert.Equal(ExitCode.VerificationFailed, json.ExitCode);
        var report = JsonNode.Parse(json.Stdout)!;
        Assert.False((bool)report["ok"]!);
        var finding = Assert.Single(report["events"]!.AsArray())!;
        Assert.Equal((FindingKinds.Changed, ReviewId, Repo.Matter), ((string)finding["kind"]!, (string)finding["statementId"]!, (string)finding["matter"]!));
        Assert.All(report["checkpoints"]!.AsArray(), c => Assert.False((bool)c!["ok"]!));
    }

    [Fact]
    public async Task An_export_verifies_offline_against_two_checkpoint_notes_without_any_store()
    {
        var (export, notes, publicKey) = await ExportWithCheckpointsAsync();
        var nowhere = store.PathOf(Path.Combine("nowhere", "ledger.db"));

        var result = await LedgerCli.RunAsync(["--store", $"sqlite:{nowhere}", "verify", "--export", export, .. notes, "--public-key", publicKey, "--json"]);

        var report = JsonAssert.Parse(result);
        Assert.True((bool)report["ok"]!, result.ToString());
        Assert.Equal([8L, 9L], report["checkpoints"]!.AsArray().Select(c => (long)c!["treeSize"]!));
        Assert.False(File.Exists(nowhere));
        Assert.False(Directory.Exists(Path.GetDirectoryName(nowhere)));
    }

    [Fact]
    public async Task A_byte_changed_in_a_quote_of_the_export_is_named_offline()
    {
        var (export, notes, publicKey) = await ExportWithCheckpointsAsync();
        var lines = await File.ReadAllLinesAsync(export);
        var index = Array.FindIndex(lines, l => l.Contains($"\"statementId\":\"{ReviewId}\"", StringComparison.Ordinal));
        var quoteAt = lines[index].IndexOf("\"quote\":\"", StringComparison.Ordinal) + 9;
        lines[index] = lines[index][..quoteAt] + (lines[index][quoteAt] == 'X' ? 'Y' : 'X') + lines[index][(quoteAt + 1)..];
        await File.WriteAllLinesAsync(export, lines);

        var result = await LedgerCli.RunAsync(["verify", "--export", export, .. notes, "--public-key", publicKey]);

        Assert.True(result.ExitCode == ExitCode.VerificationFailed, result.ToString());
        Assert.Contains(ReviewId, result.Stdout, StringComparison.Ordinal);
        Assert.Contains($"line {index + 1}", result.Stdout, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("remove")]
    [InlineData("swap")]
    public async Task A_line_removed_from_or_swapped_in_the_export_fails_the_checkpoints_offline(string tampering)
    {
        var (export, notes, publicKey) = await ExportWithCheckpointsAsync();
        var lines = (await File.ReadAllLinesAsync(export)).ToList();
        if (tampering == "remove")
        {
            lines.RemoveAt(2);
        }
        else
        {
            (lines[2], lines[3]) = (lines[3], lines[2]);
        }

        await File.WriteAllLinesAsync(export, lines);

        var result = await LedgerCli.RunAsync(["verify", "--export", export, .. notes, "--public-key", publicKey, "--json"]);

        Assert.True(result.ExitCode == ExitCode.VerificationFailed, result.ToString());
        var report = JsonNode.Parse(result.Stdout)!;
        Assert.All(report["checkpoints"]!.AsArray(), c => Assert.False((bool)c!["ok"]!));
    }

    [Fact]
    public async Task Offline_verification_without_a_checkpoint_or_key_is_a_usage_error()
    {
        var noCheckpoint = await LedgerCli.RunAsync(["verify", "--export", store.PathOf("export.ndjson"), "--public-key", "x"]);
        var noKey = await LedgerCli.RunAsync(["verify", "--export", store.PathOf("export.ndjson"), "--checkpoint", store.PathOf("a.note")]);

        Assert.True(noCheckpoint.ExitCode == ExitCode.Usage, noCheckpoint.ToString());
        Assert.Contains("--checkpoint", noCheckpoint.Stderr, StringComparison.Ordinal);
        Assert.True(noKey.ExitCode == ExitCode.Usage, noKey.ToString());
        Assert.Contains("--public-key", noKey.Stderr, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_timestamp_that_is_no_timestamp_fails_verify_naming_its_event()
    {
        await CreateKeyAsync();
        await store.ImportSamplesAsync();
        Tamper($"UPDATE events SET recorded_at = replace(recorded_at, 'T', 'U') WHERE statement_id = '{ReviewId}'");

        var verified = await store.RunAsync("verify");

        Assert.True(verified.ExitCode == ExitCode.VerificationFailed, verified.ToString());
        Assert.Contains(ReviewId, verified.Stdout, StringComparison.Ordinal);
        Assert.Contains("is not a timestamp", verified.Stdout, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_row_inserted_with_sql_fails_verify_and_the_next_import_refuses_to_sign_it_into_the_log()
    {
        await CreateKeyAsync();
        await store.ImportSamplesAsync();
        Tamper(
            "INSERT INTO events (position, stream_id, stream_version, event_type, statement_id, organization, published_at, recorded_at, recorded_by, data) " +
            "SELECT 9, stream_id, 9, event_type, 'acme-forged', organization, published_at, recorded_at, recorded_by, data FROM events WHERE position = 8; " +
            $"UPDATE streams SET version = 9 WHERE stream_id = '{Repo.Matter}'");

        var verified = await store.RunAsync("verify");
        var other = Repo.Sample();
        other["matter"] = "e2e/other";
        foreach (var statement in other["statements"]!.AsArray())
        {
            statement!["id"] = "other-" + (string)statement["id"]!;
        }

        var file = store.PathOf("other.json");
        await File.WriteAllTextAsync(file, other.ToJsonString());
        var imported = await store.RunAsync("import", file);
        var signed = await store.RunAsync("log", "checkpoint");

        Assert.True(verified.ExitCode == ExitCode.VerificationFailed, verified.ToString());
        Assert.Contains("FORGED  statement acme-forged", verified.Stdout, StringComparison.Ordinal);
        Assert.True(imported.ExitCode == ExitCode.VerificationFailed, imported.ToString());
        Assert.Contains("acme-forged", imported.Stderr, StringComparison.Ordinal);
        Assert.True(signed.ExitCode == ExitCode.VerificationFailed, signed.ToString());
        Assert.Contains("acme-forged", signed.Stderr, StringComparison.Ordinal);
        Assert.True((await store.RunAsync("prove", "acme-forged")).ExitCode != 0);
    }

    private async Task<NoteVerifier> CreateKeyAsync()
    {
        var created = await store.RunAsync("log", "key", "create", "--name", Origin);
        Assert.True(created.ExitCode == 0, created.ToString());
        return NoteVerifier.Parse(created.Stdout.Trim());
    }

    private async Task ImportCorrectionAsync()
    {
        var correction = store.PathOf("correction.json");
        await File.WriteAllTextAsync(correction, $$"""
            {"matter":"{{Repo.Matter}}","statements":[{"id":"curator-fix-1","type":"EntryCorrected","corrects":"{{ReviewId}}","changes":{"scope":"Microsoft's business records."},"reason":"scope shortened to the company's words"}]}
            """);
        var imported = await store.RunAsync("import", correction);
        Assert.True(imported.ExitCode == 0, imported.ToString());
    }

    /// <summary>Two checkpoints (sizes 8 and 9) as note files, the export of the larger log, and the verifier key.</summary>
    private async Task<(string Export, string[] Notes, string PublicKey)> ExportWithCheckpointsAsync()
    {
        var verifier = await CreateKeyAsync();
        await store.ImportSamplesAsync();
        await ImportCorrectionAsync();
        var notes = new List<string>();
        foreach (var checkpoint in JsonAssert.Parse(await store.RunAsync("log", "checkpoints", "--json")).AsArray())
        {
            var file = store.PathOf($"checkpoint-{(long)checkpoint!["treeSize"]!}.note");
            await File.WriteAllTextAsync(file, (string)checkpoint["note"]!);
            notes.AddRange(["--checkpoint", file]);
        }

        var export = store.PathOf("export.ndjson");
        await File.WriteAllBytesAsync(export, await store.ExportAsync());
        Assert.All(await File.ReadAllLinesAsync(export), line => Assert.NotNull(JsonNode.Parse(line)!["leafHash"]));
        var publicKey = store.PathOf("ledger.pub");
        await File.WriteAllTextAsync(publicKey, verifier.ToString());
        return (export, [.. notes], publicKey);
    }

    /// <summary>Edits the ledger file behind the ledger's back, as someone with the file could.</summary>
    private void Tamper(string sql)
    {
        using var connection = new SqliteConnection(new SqliteConnectionStringBuilder { DataSource = store.DbPath, Pooling = false }.ToString());
        connection.Open();
        using var command = connection.CreateCommand();
        command.CommandText = $"DROP TRIGGER IF EXISTS events_are_immutable; {sql};";
        command.ExecuteNonQuery();
    }

    /// <summary>The CLI's exit codes, as documented.</summary>
    private static class ExitCode
    {
        public const int Usage = 1;
        public const int InvalidInput = 2;
        public const int VerificationFailed = 5;
    }
}
