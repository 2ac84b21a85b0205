namespace Ledger.Bench.Reporting;

internal static class RepositoryRoot
{
    /// <summary>The folder holding Ledger.sln, above the working directory or, failing that, above the program.</summary>
    public static string Find() =>
        Above(Environment.CurrentDirectory) ?? Above(AppContext.BaseDirectory)
            ?? throw new InvalidOperationException("no Ledger.sln above the working directory or the program; give the report path with --out");

    private static string? Above(string start)
    {
        for (var directory = new DirectoryInfo(start); directory is not null; directory = directory.Parent)
        {
            if (File.Exists(Path.Combine(directory.FullName, "Ledger.sln")))
            {
                return directory.FullName;
            }
        }

        return null;
    }
}
