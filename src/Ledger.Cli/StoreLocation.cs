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

        if (location.StartsWith("postgres:", StringComparison.OrdinalIgnoreCase) && !location.StartsWith("postgres://", StringComparison.OrdinalIgnoreCase))
        {
            return await OpenPostgresAsync(location["postgres:".Length..], cancellationToken);
        }

        if (location.StartsWith("postgresql://", StringComparison.OrdinalIgnoreCase) || location.StartsWith("postgres://", StringComparison.OrdinalIgnoreCase))
        {
            return await OpenPostgresAsync(PostgresUri.ToConnectionString(location), cancellationToken);
        }

        if (location.EndsWith(".db", StringComparison.OrdinalIgnoreCase) || location.EndsWith(".sqlite", StringComparison.OrdinalIgnoreCase))
        {
            return await SqliteEventStore.OpenAsync(location, cancellationToken);
        }

        throw new UsageException($"--store \"{location}\": unknown store; use sqlite:<path>, postgres:<connection string> or postgresql://user@host:port/database");
    }

    // Its own method, so that Marten and Npgsql load only when a PostgreSQL store is asked for.
    private static async Task<IEventStore> OpenPostgresAsync(string connectionString, CancellationToken cancellationToken)
    {
        try
        {
            return await Ledger.Store.Marten.MartenEventStore.OpenAsync(connectionString, cancellationToken: cancellationToken);
        }
        catch (Exception ex) when (ex is Npgsql.NpgsqlException or ArgumentException or System.Net.Sockets.SocketException)
        {
            throw new UsageException($"--store: cannot open PostgreSQL ({ex.Message})");
        }
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
