using System.Text.Json.Nodes;
using Ledger.Verification;
using Xunit;

namespace Ledger.EndToEnd;

/// <summary>`ledger serve` with a witness configured: the checkpoints it signs go to the witness, and the API serves them cosigned.</summary>
public sealed class WitnessedServerTests : IDisposable
{
    private const string Origin = "ledger.example.org/disclosures";
    private readonly TempStore store = new();
    private readonly TempStore witnessFolder = new();

    public void Dispose()
    {
        store.Dispose();
        witnessFolder.Dispose();
    }

    [Fact]
    public async Task The_server_sends_its_checkpoints_to_the_witness_and_serves_them_cosigned()
    {
        var logKey = NoteVerifier.Parse((await store.RunAsync("log", "key", "create", "--name", Origin)).Stdout.Trim());
        var witnessKey = WitnessVerifier.Parse(await WitnessProcess.CreateKeyAsync(witnessFolder.Folder, "witness.example.org/w1"));
        using var witness = await WitnessProcess.StartAsync(witnessFolder.Folder, logKey.ToString());
        var environment = new Dictionary<string, string>
        {
            ["Ledger__Log__CheckpointSeconds"] = "1",
            ["Ledger__Log__Witnesses__0__Url"] = witness.Address.ToString(),
            ["Ledger__Log__Witnesses__0__Key"] = witnessKey.ToString(),
            ["Ledger__Log__Quorum"] = "1",
        };
        await using var server = await LedgerServerProcess.StartAsync(store, sample: true, environment);

        // The first checkpoint may be signed before the sample is in the tree (size 0), and a newer one may be signed
        // between two reads: wait for one that holds the sample and that both routes serve.
        string? note = null;
        string? stated = null;
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(60);
        while (note is null || note != stated || Checkpoint.Open(note, Origin, [logKey]).Size == 0)
        {
            Assert.True(DateTime.UtcNow < deadline, $"no cosigned checkpoint of the sample was served alike by both routes: {server.Process.Stderr}");
            await Task.Delay(250);
            using var response = await server.Http.GetAsync("api/log/checkpoint");
            note = response.IsSuccessStatusCode ? await response.Content.ReadAsStringAsync() : null;
            var state = JsonNode.Parse(await server.Http.GetStringAsync("api/log"))!;
            stated = (string?)state["checkpoint"]?["note"];
        }

        Assert.True(Checkpoint.Open(note, Origin, [logKey]).Size > 0);
        Assert.Equal("witness.example.org/w1", Assert.Single(Cosignatures.Verify(note, [witnessKey])).Witness);
    }
}
