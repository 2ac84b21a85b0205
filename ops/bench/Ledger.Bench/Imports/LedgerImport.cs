using System.Diagnostics;
using Ledger.Bench.Corpus;
using Ledger.Importing;
using Ledger.Messaging.Hosting;
using Ledger.Storage;
using Ledger.Store.Sqlite;

namespace Ledger.Bench.Imports;

/// <summary>How long an import took, how much of it went to splitting the input into documents, to pausing for the GC, and the processor time it used.</summary>
internal sealed record ImportTiming(TimeSpan Total, TimeSpan Reading, TimeSpan GcPause, int Gen0, int Gen1, int Gen2)
{
    /// <summary>Processor time of the whole process over the import, all threads.</summary>
    public TimeSpan Cpu { get; init; }
}

/// <summary>The path `ledger import` takes: UTF-8 input, documents, validated commands, the import pipeline, the store.</summary>
internal static class LedgerImport
{
    public const string Actor = "ledger-bench";

    /// <summary>Into the SQLite ledger file at <paramref name="path"/>.</summary>
    public static Task<ImportTiming> RunAsync(string path, DocumentSet documents, CancellationToken cancellationToken) =>
        RunAsync(path, documents, merkleTree: true, cancellationToken);

    /// <summary>Into the SQLite ledger file at <paramref name="path"/>, with or without the Merkle tree written by each append.</summary>
    public static Task<ImportTiming> RunAsync(string path, DocumentSet documents, bool merkleTree, CancellationToken cancellationToken) =>
        RunAsync(path, documents, new SqliteStoreOptions { MerkleTree = merkleTree }, cancellationToken);

    /// <summary>Into the SQLite ledger file at <paramref name="path"/>, opened with these options.</summary>
    public static async Task<ImportTiming> RunAsync(string path, DocumentSet documents, SqliteStoreOptions options, CancellationToken cancellationToken)
    {
        await using var store = await SqliteEventStore.OpenAsync(path, options, cancellationToken);
        return await RunAsync(store, documents, cancellationToken);
    }

    /// <summary>Into an open store, through the import pipeline as `ledger import` does; opening the store is not timed.</summary>
    public static async Task<ImportTiming> RunAsync(IEventStore store, DocumentSet documents, CancellationToken cancellationToken)
    {
        // `ledger import` reads files as UTF-8 bytes; encoding here stands in for the file read, outside the clock.
        var files = documents.Documents.Select(d => (Name: $"{d.Name}.json", Utf8: System.Text.Encoding.UTF8.GetBytes(d.Json))).ToList();
        var (pause, gen0, gen1, gen2) = (GC.GetTotalPauseDuration(), GC.CollectionCount(0), GC.CollectionCount(1), GC.CollectionCount(2));
        var cpu = Process.GetCurrentProcess().TotalProcessorTime;
        var clock = Stopwatch.StartNew();
        var errors = new List<InputError>();
        // The CLI's path: split the input into documents, then validate them ahead of the handler, overlapping its appends.
        var raws = files.SelectMany(f => DisclosureReader.Read(f.Name, f.Utf8, errors)).ToList();
        var reading = clock.Elapsed;
        var result = await new ImportPipeline(store, LedgerClock.Unshifted).HandleAsync(ImportDocument.ReadValid(raws, Actor, errors), null, cancellationToken);
        var total = clock.Elapsed;
        var cpuUsed = Process.GetCurrentProcess().TotalProcessorTime - cpu;
        Fail(errors.Select(e => e.ToString()));
        Fail(result.Errors.Select(e => e.ToString()).Append(result.Conflict).OfType<string>());
        if (result.Appended != documents.Statements)
        {
            throw new InvalidOperationException($"the ledger appended {result.Appended} of {documents.Statements} statements");
        }

        return new ImportTiming(total, reading, GC.GetTotalPauseDuration() - pause,
            GC.CollectionCount(0) - gen0, GC.CollectionCount(1) - gen1, GC.CollectionCount(2) - gen2) { Cpu = cpuUsed };
    }

    /// <summary>Generated input must import cleanly; anything else is a bug in the generator, not a figure.</summary>
    private static void Fail(IEnumerable<string> problems)
    {
        var list = problems.Take(5).ToList();
        if (list.Count > 0)
        {
            throw new InvalidOperationException($"the generated documents did not import:{Environment.NewLine}{string.Join(Environment.NewLine, list)}");
        }
    }
}
