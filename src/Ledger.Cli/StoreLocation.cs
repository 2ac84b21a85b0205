using Ledger.Storage;
using Ledger.Store.Sqlite;

namespace Ledger.Cli;

/// <summary>Finds the store from --store, then LEDGER_STORE, then the default SQLite file in the user's data directory.</summary>
public static class StoreLocation
{
    public static string DefaultPath =>
        Path.Combine(Environment.GetFolderPath(Environment.SpecialFolder.LocalApplicationData, Environment.SpecialFolderOption.Create), "ledger", "ledger.db");

    public static string Resolve(string? option)
    {
        if (!string.IsNullOrWhiteSpace(option))
        {
            return option;
        }

        var fromEnvironment = Environment.GetEnvironmentVariable("LEDGER_STORE");
        return string.IsNullOrWhiteSpace(fromEnvironment) ? $"sqlite:{DefaultPath}" : fromEnvironment;
    }

    /// <exception cref="UsageException">The location names no backend this build has.</exception>
    public static async Task<IEventStore> OpenAsync(string location, CancellationToken cancellationToken)
    {
        if (location.StartsWith("sqlite:", StringComparison.OrdinalIgnoreCase))
        {
            return await SqliteEventStore.OpenAsync(location["sqlite:".Length..], cancellationToken);
        }

        if (location.EndsWith(".db", StringComparison.OrdinalIgnoreCase) || location.EndsWith(".sqlite", StringComparison.OrdinalIgnoreCase))
        {
            return await SqliteEventStore.OpenAsync(location, cancellationToken);
        }

        throw new UsageException($"--store \"{location}\": unknown store; use sqlite:<path>");
    }
}

/// <summary>A mistake in how the command was called (exit code 1).</summary>
public sealed class UsageException(string message) : Exception(message)
{
    public UsageException()
        : this("usage error")
    {
    }

    public UsageException(string message, Exception innerException)
        : this(message + ": " + innerException.Message)
    {
    }
}
