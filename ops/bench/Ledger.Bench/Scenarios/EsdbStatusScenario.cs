using System.Diagnostics;
using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;
using System.Text.Json.Serialization;
using Google.Protobuf;
using Ledger.Bench.Corpus;
using Ledger.Bench.Imports;
using Ledger.Bench.Postgres;
using Ledger.Bench.Reporting;
using Ledger.Storage;
using Ledger.Store.EventStoreDb.Protocol;
using Ledger.Store.EventStoreDb.Protocol.Streams;
using Ledger.Store.EventStoreDb.ProtocolFake;
using Ledger.Store.Sqlite;

namespace Ledger.Bench.Scenarios;

/// <summary>
/// `ledger status` on an EventStoreDB ledger of 1,000,000 events (50,000 with --quick) whose state store is warm: a fresh
/// process of the built CLI each time. The node is the protocol fake (tests/Shared/EventStoreDbProtocolFake), served by this
/// process over gRPC on the loopback: it measures the client's work at open (the catalogue and read models in the state
/// store), not a server's. The events are those of an imported SQLite ledger, copied under fresh matter names and statement
/// ids (in the envelope and the data) until there are enough, written into the fake's log directly.
/// </summary>
internal sealed class EsdbStatusScenario : IScenario
{
    public const double TargetMilliseconds = 1000;

    public string Name => "esdb-status";

    public async Task<ScenarioResult> RunAsync(BenchContext context, CancellationToken cancellationToken)
    {
        var cli = Path.Combine(RepositoryRoot.Find(), "src", "Ledger.Cli", "bin", "Release", "net10.0", OperatingSystem.IsWindows() ? "ledger.exe" : "ledger");
        if (!File.Exists(cli))
        {
            return ScenarioResult.Skip(Name, "build src/Ledger.Cli first (dotnet build -c Release)");
        }

        var events = context.Options.Quick ? 50_000 : 1_000_000;
        var (statements, matters) = (10_000, 1_000);
        BenchContext.Progress($"esdb-status: importing {statements:N0} statements in {matters:N0} matters to copy from");
        var source = context.NewFile("esdb-status-source");
        await LedgerImport.RunAsync(source, new DisclosureGenerator(DisclosureGenerator.DefaultSeed + 6).Spread(statements, statements / matters, matters), cancellationToken);

        await using var fake = await EventStoreDbProtocolFake.StartAsync();
        var (matter, seeded) = await SeedAsync(fake.Log, source, events, cancellationToken);
        BenchContext.Delete(source);
        var state = context.NewFile("esdb-status-state");
        var store = fake.ConnectionString;
        var sqlite = Measure(fake, cli, store, $"sqlite:{state}", matter, "SQLite");
        var stateBytes = new[] { state, $"{state}-wal" }.Where(File.Exists).Sum(f => new FileInfo(f).Length);
        var figures = new List<Figure>
        {
            new("events", seeded, "count", $"copies of {statements:N0} statements in {matters:N0} matters"),
            new("first status, cold SQLite state", sqlite.Cold.TotalMilliseconds, "ms", $"{sqlite.ReadCold:N0} events read from $all; state file {stateBytes / 1e6:F0} MB after"),
            new("status, warm SQLite state (best of 3)", sqlite.Best.TotalMilliseconds, "ms", "runs: " + Join(sqlite.Runs)),
            new("events read from $all per warm status, SQLite state", sqlite.ReadWarm, "count", "counted by the fake"),
        };
        var checks = new List<Check> { new($"{TargetMilliseconds:N0} ms / warm ledger status, SQLite state (best of 3)", TargetMilliseconds / sqlite.Best.TotalMilliseconds, 1) };

        if (PostgresServer.WhyUnavailable() is { } reason)
        {
            BenchContext.Progress($"esdb-status: no PostgreSQL state measured: {reason}");
        }
        else
        {
            await using var server = await PostgresServer.StartAsync(cancellationToken);
            var database = await server.CreateDatabaseAsync("esdb_status_state", cancellationToken);
            var postgres = Measure(fake, cli, store, $"postgres:{database}", matter, "PostgreSQL");
            figures.Add(new("first status, cold PostgreSQL state", postgres.Cold.TotalMilliseconds, "ms", $"{postgres.ReadCold:N0} events read from $all"));
            figures.Add(new("status, warm PostgreSQL state (best of 3)", postgres.Best.TotalMilliseconds, "ms", "runs: " + Join(postgres.Runs)));
            figures.Add(new("events read from $all per warm status, PostgreSQL state", postgres.ReadWarm, "count", "counted by the fake"));
            checks.Add(new($"{TargetMilliseconds:N0} ms / warm ledger status, PostgreSQL state (best of 3)", TargetMilliseconds / postgres.Best.TotalMilliseconds, 1));
        }

        return new ScenarioResult(
            Name,
            "`ledger status <matter>` as a fresh process of the built CLI (src/Ledger.Cli, Release), wall time, against an EventStoreDB ledger on the protocol fake "
                + "(the tests' in-memory gRPC node, served by the bench process on the loopback, HTTP/2 cleartext), with a SQLite state store (LEDGER_STATE), then with a PostgreSQL one "
                + "(a throwaway cluster of the machine's PostgreSQL server binaries). "
                + "The ledger's events are those of a SQLite import of generated documents, copied under fresh matter names and statement ids until there are enough, "
                + "written into the fake's log directly (no reservation streams). The first status warms the state store (the catalogue of the ledger's $all positions, "
                + "streams and statement ids, and, in SQLite, the read models); the next three are timed, the best taken.",
            figures,
            checks);
    }

    private static Measured Measure(EventStoreDbProtocolFake fake, string cli, string store, string state, string matter, string kind)
    {
        BenchContext.Progress($"esdb-status: warming the {kind} state store with one ledger status");
        var read = fake.Node.EventsReadFromAll;
        var cold = Run(cli, store, state, matter);
        var readCold = fake.Node.EventsReadFromAll - read;
        var runs = new List<TimeSpan>();
        read = fake.Node.EventsReadFromAll;
        for (var run = 0; run < 3; run++)
        {
            BenchContext.Settle();
            runs.Add(Run(cli, store, state, matter));
        }

        var measured = new Measured(cold, readCold, runs, (fake.Node.EventsReadFromAll - read) / 3.0);
        BenchContext.Progress($"esdb-status: warm ledger status with a {kind} state, best {measured.Best.TotalMilliseconds:F0} ms");
        return measured;
    }

    private static string Join(IEnumerable<TimeSpan> runs) => string.Join(", ", runs.Select(r => r.TotalMilliseconds.ToString("F0", CultureInfo.InvariantCulture)));

    private sealed record Measured(TimeSpan Cold, long ReadCold, IReadOnlyList<TimeSpan> Runs, double ReadWarm)
    {
        public TimeSpan Best => Runs.Min();
    }

    /// <summary>Copies the source ledger's events into the fake's log as our client writes them, until <paramref name="count"/>; a matter of the last copy, and the count.</summary>
    private static async Task<(string Matter, int Count)> SeedAsync(FakeLog log, string source, int count, CancellationToken cancellationToken)
    {
        await using var ledger = await SqliteEventStore.OpenAsync(source, cancellationToken);
        var events = new List<StoredEvent>();
        await foreach (var e in ledger.ReadAllAsync(1, null, cancellationToken))
        {
            events.Add(e);
        }

        var written = 0;
        var matter = string.Empty;
        for (var copy = 0; written < count; copy++)
        {
            foreach (var run in Runs(events.Take(count - written)))
            {
                log.Append($"ledger/{run[0].Stream}-{copy}", new AppendReq.Types.Options { Any = new Empty() }, [.. run.Select(e => Propose(e, copy))]);
                // A matter with statements: the last copy may stop right after a MatterOpened.
                matter = run.Any(e => e.StatementId is not null) ? $"{run[0].Stream}-{copy}" : matter;
                written += run.Count;
            }
        }

        return (matter, written);
    }

    /// <summary>Consecutive events of one stream: one append each.</summary>
    private static IEnumerable<List<StoredEvent>> Runs(IEnumerable<StoredEvent> events)
    {
        var run = new List<StoredEvent>();
        foreach (var e in events)
        {
            if (run.Count > 0 && run[0].Stream != e.Stream)
            {
                yield return run;
                run = [];
            }

            run.Add(e);
        }

        if (run.Count > 0)
        {
            yield return run;
        }
    }

    /// <summary>The event as our client proposes it (EventEncoding): type and content type, data, and the envelope as custom metadata.</summary>
    private static AppendReq.Types.ProposedMessage Propose(StoredEvent e, int copy)
    {
        var envelope = new SeedEnvelope(e.StatementId is { } id ? $"{id}-{copy}" : null, e.Organization, e.PublishedAt, e.RecordedAt, e.RecordedBy);
        var message = new AppendReq.Types.ProposedMessage
        {
            Id = new UUID { String = Guid.NewGuid().ToString() },
            CustomMetadata = ByteString.CopyFrom(JsonSerializer.SerializeToUtf8Bytes(envelope, SeedJson.Default.SeedEnvelope)),
            Data = ByteString.CopyFromUtf8(Renamed(e.Data, copy)),
        };
        message.Metadata.Add("type", e.Type);
        message.Metadata.Add("content-type", "application/json");
        return message;
    }

    /// <summary>The event's data naming the copy's matter and statement id: the read models key on them.</summary>
    private static string Renamed(string data, int copy)
    {
        var node = JsonNode.Parse(data)!.AsObject();
        foreach (var key in new[] { "matter", "statementId" })
        {
            if (node[key] is JsonValue value && value.TryGetValue<string>(out var text))
            {
                node[key] = $"{text}-{copy}";
            }
        }

        return node.ToJsonString();
    }

    /// <summary>One `ledger status` process against the node and state; its wall time.</summary>
    private static TimeSpan Run(string cli, string store, string state, string matter)
    {
        var start = new ProcessStartInfo(cli, ["--store", store, "status", matter]) { RedirectStandardOutput = true, RedirectStandardError = true };
        start.Environment["LEDGER_STATE"] = state;
        var started = Stopwatch.StartNew();
        using var process = Process.Start(start)!;
        process.StandardOutput.ReadToEnd();
        var error = process.StandardError.ReadToEnd();
        process.WaitForExit();
        var elapsed = started.Elapsed;
        return process.ExitCode == 0 ? elapsed : throw new InvalidOperationException($"ledger status exited {process.ExitCode}: {error}");
    }
}

internal sealed record SeedEnvelope(string? StatementId, string Organization, DateTimeOffset? PublishedAt, DateTimeOffset RecordedAt, string RecordedBy);

[JsonSourceGenerationOptions(PropertyNamingPolicy = JsonKnownNamingPolicy.CamelCase, DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull)]
[JsonSerializable(typeof(SeedEnvelope))]
internal sealed partial class SeedJson : JsonSerializerContext;
