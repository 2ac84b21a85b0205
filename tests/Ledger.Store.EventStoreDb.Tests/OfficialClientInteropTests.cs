using System.Diagnostics;
using System.Text.Json.Nodes;
using Ledger.Storage;
using Ledger.Store.EventStoreDb.ProtocolFake;
using Ledger.Stores;
using Ledger.Testing;

namespace Ledger.Store.EventStoreDb.Tests;

/// <summary>
/// The official KurrentDB Node.js client (@kurrent/kurrentdb-client, installed by ops/esdb/ensure-node-client.sh) against
/// the protocol fake: what our client writes, the official one reads, and the other way round. The fake and our client
/// share our .proto files, so this is what keeps those files honest without a real node: the official client brings
/// its own generated code.
/// </summary>
public sealed class OfficialClientInteropTests : IDisposable
{
    private static readonly string Scripts = Path.Combine(Checkout.Root, "ops", "bench", "esdb-node");
    private readonly string directory = Directory.CreateTempSubdirectory("ledger-esdb-official-").FullName;

    private static async Task<string> NodeAsync(params string[] args)
    {
        var info = new ProcessStartInfo("node") { WorkingDirectory = Scripts, RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (var arg in args)
        {
            info.ArgumentList.Add(arg);
        }

        using var process = Process.Start(info)!;
        var output = process.StandardOutput.ReadToEndAsync();
        var error = process.StandardError.ReadToEndAsync();
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(60));
        await process.WaitForExitAsync(timeout.Token);
        Assert.True(process.ExitCode == 0, $"node {string.Join(' ', args)} exited {process.ExitCode}: {await error}");
        return await output;
    }

    [Fact]
    public async Task The_official_client_reads_the_ledgers_events_with_their_type_content_type_data_and_envelope()
    {
        await using var fake = await EventStoreDbProtocolFake.StartAsync();
        await using (IEventStore ours = await EventStoreDbEventStore.OpenAsync(fake.ConnectionString, EventStoreDbEventStore.DefaultStreamPrefix))
        {
            var result = await new Ledger.Importing.ImportPipeline(ours, new FixedClock(new DateTimeOffset(2026, 1, 10, 12, 0, 0, TimeSpan.Zero))).HandleAsync(Sample.Documents());
            Assert.Empty(result.Errors);
        }

        await using var store = await EventStoreDbEventStore.OpenAsync(fake.ConnectionString, EventStoreDbEventStore.DefaultStreamPrefix);
        var written = await store.ReadStreamAsync("microsoft/imod-azure").ToListAsync();
        var read = (await NodeAsync("read.mjs", fake.ConnectionString, "ledger/microsoft/imod-azure"))
            .Split('\n', StringSplitOptions.RemoveEmptyEntries).Select(line => JsonNode.Parse(line)!).ToList();

        Assert.Equal(written.Count, read.Count);
        for (var i = 0; i < read.Count; i++)
        {
            Assert.Equal(i, (int)read[i]["revision"]!);
            Assert.Equal(written[i].Type, (string?)read[i]["type"]);
            Assert.True((bool)read[i]["isJson"]!, "the official client must see application/json");
            Assert.True(JsonNode.DeepEquals(JsonNode.Parse(written[i].Data), read[i]["data"]), $"data of revision {i} differs");
            Assert.Equal(written[i].StatementId, (string?)read[i]["metadata"]!["statementId"]);
            Assert.Equal("Microsoft", (string?)read[i]["metadata"]!["organization"]);
        }
    }

    [Fact]
    public async Task What_the_official_client_appends_with_expected_revisions_our_client_reads_as_ledger_events()
    {
        await using var fake = await EventStoreDbProtocolFake.StartAsync();
        var corpus = Path.Combine(directory, "appends.ndjson");
        await File.WriteAllTextAsync(corpus, """
            {"stream":"acme/one","revision":-1,"events":[{"type":"MatterOpened","data":{"matter":"acme/one","organization":"Acme","title":"One","recordedAt":"2026-01-10T12:00:00Z","recordedBy":"node"},"metadata":{"organization":"Acme","recordedAt":"2026-01-10T12:00:00Z","recordedBy":"node"}}]}
            {"stream":"acme/one","revision":0,"events":[{"type":"MatterOpened","data":{"matter":"acme/one","organization":"Acme","title":"Again","recordedAt":"2026-01-10T12:00:01Z","recordedBy":"node"},"metadata":{"organization":"Acme","recordedAt":"2026-01-10T12:00:01Z","recordedBy":"node"}}]}
            """);

        var appended = JsonNode.Parse(await NodeAsync("append.mjs", fake.ConnectionString, corpus, EventStoreDbEventStore.DefaultStreamPrefix))!;
        await using var store = await EventStoreDbEventStore.OpenAsync(fake.ConnectionString, EventStoreDbEventStore.DefaultStreamPrefix);
        var events = await store.ReadAllAsync().ToListAsync();

        Assert.Equal(2, (int)appended["events"]!);
        Assert.Equal(["acme/one:1:node:Acme", "acme/one:2:node:Acme"], events.Select(e => $"{e.Stream}:{e.Version}:{e.RecordedBy}:{e.Organization}"));
        Assert.Equal([1L, 2L], events.Select(e => e.Position));

        // The official client read the fake's server features as a node's and took BatchAppend.
        Assert.Equal((2, 0), (fake.Node.AppendsThroughBatchAppend, fake.Node.AppendsThroughAppend));
    }

    [Fact]
    public async Task The_official_client_follows_the_ledger_through_a_prefix_filtered_all_subscription_and_gets_the_errors_it_expects()
    {
        await using var fake = await EventStoreDbProtocolFake.StartAsync();
        await using (IEventStore ours = await EventStoreDbEventStore.OpenAsync(fake.ConnectionString, EventStoreDbEventStore.DefaultStreamPrefix))
        {
            var result = await new Ledger.Importing.ImportPipeline(ours, new FixedClock(new DateTimeOffset(2026, 1, 10, 12, 0, 0, TimeSpan.Zero))).HandleAsync(Sample.Documents());
            Assert.Empty(result.Errors);
        }

        // An event outside the ledger's prefix, which the server-side filter must keep from the subscriber.
        var outside = Path.Combine(directory, "outside.ndjson");
        await File.WriteAllTextAsync(outside, """{"stream":"x","revision":-1,"events":[{"type":"Other","data":{},"metadata":{}}]}""");
        await NodeAsync("append.mjs", fake.ConnectionString, outside, "other/");

        var probe = JsonNode.Parse(await NodeAsync("probe.mjs", fake.ConnectionString, "ledger/", "8", "ledger/microsoft/imod-azure"))!;

        Assert.Equal(Enumerable.Range(0, 8).Select(r => $"ledger/microsoft/imod-azure@{r}"), probe["subscribed"]!.AsArray().Select(e => (string)e!));
        Assert.Equal(7, (int)probe["lastRevision"]!);
        Assert.Equal("WrongExpectedVersionError", (string?)probe["staleAppend"]);
        Assert.Equal("StreamNotFoundError", (string?)probe["missingStream"]);
    }

    public void Dispose() => Directory.Delete(directory, recursive: true);
}
