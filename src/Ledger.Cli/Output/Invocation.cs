namespace Ledger.Cli.Output;

/// <summary>How to run this very ledger again from a shell, for hints: `ledger` only when that name finds this executable.</summary>
public static class Invocation
{
    public static string Command { get; } = Find();

    private static string Find()
    {
        var process = Environment.ProcessPath;
        if (process is not null && Path.GetFileNameWithoutExtension(process) is "ledger")
        {
            return OnPath(process) ? "ledger" : Quote(process);
        }

        // Started by the dotnet host (dotnet ledger.dll, dotnet run): the host and this assembly.
        var host = process is not null && Path.GetFileNameWithoutExtension(process) == "dotnet" && !OnPath(process) ? Quote(process) : "dotnet";
        return $"{host} {Quote(typeof(Invocation).Assembly.Location)}";
    }

    private static bool OnPath(string executable)
    {
        var folder = Path.GetDirectoryName(Path.GetFullPath(executable));
        return (Environment.GetEnvironmentVariable("PATH") ?? string.Empty)
            .Split(Path.PathSeparator, StringSplitOptions.RemoveEmptyEntries)
            .Any(entry => string.Equals(Path.TrimEndingDirectorySeparator(Path.GetFullPath(entry)), Path.TrimEndingDirectorySeparator(folder ?? string.Empty), StringComparison.Ordinal)
                && File.Exists(Path.Combine(entry, Path.GetFileName(executable))));
    }

    private static string Quote(string path) => path.Any(c => char.IsWhiteSpace(c) || c is '\'' or '"' or '$' or '&' or ';') ? $"'{path.Replace("'", "'\\''", StringComparison.Ordinal)}'" : path;
}
