using System.Diagnostics;
using Ledger.Bench.Corpus;
using Ledger.Importing;
using Ledger.Store.Sqlite;

namespace Ledger.Bench.Imports;

/// <summary>How long an import took, how much of it went to reading and validating the JSON, and to pausing for the GC.</summary>
internal sealed record ImportTiming(TimeSpan Total, TimeSpan Reading, TimeSpan GcPause, int Gen0, int Gen1, int Gen2);

/// <summary>The path `ledger import` takes: text, documents, validated commands, the handler, the SQLite store.</summary>
internal static class LedgerImport
{
    public const string Actor = "ledger-bench";

    public static async Task<ImportTiming> RunAsync(string path, DocumentSet documents, CancellationToken cancellationToken)
    {
        await using var store = await SqliteEventStore.OpenAsync(path, cancellationToken);
        var (pause, gen0, gen1, gen2) = (GC.GetTotalPauseDuration(), GC.CollectionCount(0), GC.CollectionCount(1), GC.CollectionCount(2));
        var clock = Stopwatch.StartNew();
        var errors = new List<InputError>();
        // The CLI's path: split the input into documents, then validate them in parallel.
        var raws = documents.Documents.SelectMany(d => DisclosureReader.Read($"{d.Name}.json", d.Json, errors)).ToList();
        var commands = ImportDocument.ReadAll(raws, Actor, errors);

        var reading = clock.Elapsed;
        Fail(errors.Select(e => e.ToString()));
        var result = await new ImportDocumentHandler(store, TimeProvider.System).HandleAsync(commands, null, cancellationToken);
        var total = clock.Elapsed;
        Fail(result.Errors.Select(e => e.ToString()).Append(result.Conflict).OfType<string>());
        if (result.Appended != documents.Statements)
        {
            throw new InvalidOperationException($"the ledger appended {result.Appended} of {documents.Statements} statements");
        }

        return new ImportTiming(total, reading, GC.GetTotalPauseDuration() - pause,
            GC.CollectionCount(0) - gen0, GC.CollectionCount(1) - gen1, GC.CollectionCount(2) - gen2);
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
