using System.Runtime.InteropServices;
using Microsoft.Data.Sqlite;

namespace Ledger.Bench.Reporting;

/// <summary>What a reader needs to compare two reports: the machine, the runtime, the build and the SQLite library.</summary>
internal sealed record MachineFacts(
    int Cores, string Os, string Runtime, string Architecture, string Configuration, string Sqlite, string WorkDirectory, string? LoadAtStart, string? LoadAtEnd)
{
    /// <summary>1, 5 and 15 minute load averages where the OS tells them: other work on the machine skews every figure.</summary>
    public static string? LoadAverage() =>
        File.Exists("/proc/loadavg") ? string.Join(' ', File.ReadAllText("/proc/loadavg").Split(' ').Take(3)) : null;

    public static MachineFacts Collect(string workDirectory, string? loadAtStart)
    {
        using var connection = new SqliteConnection("Data Source=:memory:");
        connection.Open();
        using var command = connection.CreateCommand();
        command.CommandText = "SELECT sqlite_version()";
        var sqlite = (string)command.ExecuteScalar()!;
#if DEBUG
        const string configuration = "Debug (figures are not representative: run with -c Release)";
#else
        const string configuration = "Release";
#endif
        return new MachineFacts(Environment.ProcessorCount, RuntimeInformation.OSDescription, RuntimeInformation.FrameworkDescription,
            RuntimeInformation.ProcessArchitecture.ToString(), configuration, sqlite, workDirectory, loadAtStart, LoadAverage());
    }
}
