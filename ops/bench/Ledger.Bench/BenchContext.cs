using Ledger.Bench.Corpus;
using Ledger.Bench.Imports;
using Microsoft.Data.Sqlite;
using Npgsql;

namespace Ledger.Bench;

/// <summary>What scenarios share: the options, the generated documents, a scratch directory and the imported ledger.</summary>
internal sealed class BenchContext(BenchOptions options) : IDisposable
{
    private readonly DirectoryInfo work = Directory.CreateTempSubdirectory("ledger-bench-");
    private DocumentSet? documents;
    private int files;

    public BenchOptions Options => options;

    public string WorkDirectory => work.FullName;

    /// <summary>The main data set: documents of 100 statements over about 100 matters.</summary>
    public DocumentSet Documents => documents ??= Generate();

    /// <summary>A ledger file holding <see cref="Documents"/>, left by the import scenario for the read scenarios.</summary>
    public string? ImportedLedger { get; set; }

    public string NewFile(string name) => Path.Combine(work.FullName, $"{++files:00}-{name}.db");

    public async Task<string> ImportedLedgerAsync(CancellationToken cancellationToken)
    {
        if (ImportedLedger is null)
        {
            var path = NewFile("ledger");
            Progress($"importing {Documents.Statements:N0} statements for the read scenarios");
            await LedgerImport.RunAsync(path, Documents, cancellationToken);
            ImportedLedger = path;
        }

        return ImportedLedger;
    }

    public static void Progress(string message) => Console.Error.WriteLine($"[bench {DateTime.Now:HH:mm:ss}] {message}");

    /// <summary>
    /// Between measurements: no pooled connection of an earlier run open, no garbage of it left to collect, and none of
    /// its files' pages still waiting for the kernel to write them back while the next run is timed.
    /// </summary>
    public static void Settle()
    {
        SqliteConnection.ClearAllPools();
        NpgsqlConnection.ClearAllPools();
        GC.Collect();
        GC.WaitForPendingFinalizers();
        GC.Collect();
        if (OperatingSystem.IsLinux() || OperatingSystem.IsMacOS())
        {
            using var sync = System.Diagnostics.Process.Start(new System.Diagnostics.ProcessStartInfo("sync") { UseShellExecute = false });
            sync?.WaitForExit();
        }
    }

    /// <summary>A ledger file a scenario has measured and needs no more, with its write-ahead log.</summary>
    public static void Delete(string path)
    {
        SqliteConnection.ClearAllPools();
        foreach (var file in new[] { path, $"{path}-wal", $"{path}-shm" })
        {
            File.Delete(file);
        }
    }

    public void Dispose()
    {
        SqliteConnection.ClearAllPools();
        work.Delete(recursive: true);
    }

    private DocumentSet Generate()
    {
        Progress($"generating {options.Statements:N0} statements (seed {DisclosureGenerator.DefaultSeed})");
        return new DisclosureGenerator().Spread(options.Statements, perDocument: 100, matters: 100);
    }
}
