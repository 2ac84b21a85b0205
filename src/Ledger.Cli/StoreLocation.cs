using Ledger.Storage;
using Ledger.Messaging.Hosting;
using Ledger.Server.Hosting;

namespace Ledger.Cli;

/// <summary>Finds the store from --store, then LEDGER_STORE, then the default SQLite file in the user's data directory.</summary>
public static class StoreLocation
{
    public static string Resolve(string? option) => LedgerBackends.Locate(option);

    /// <exception cref="UsageException">LEDGER_CLOCK_OFFSET is not a time span.</exception>
    public static LedgerClock Clock()
    {
        try
        {
            return LedgerClock.FromEnvironment();
        }
        catch (FormatException ex)
        {
            throw new UsageException(ex.Message);
        }
    }

    /// <exception cref="UsageException">The location names no backend this build has.</exception>
    public static LedgerBackend Backend(string location)
    {
        try
        {
            return AvailableBackends.All.Parse(location);
        }
        catch (InvalidStoreLocationException ex)
        {
            throw new UsageException(ex.Message);
        }
    }

    /// <exception cref="UsageException">The location names no backend this build has, or its connection string is malformed.</exception>
    /// <exception cref="StoreUnavailableException">The store cannot be reached or answers that it cannot serve now.</exception>
    public static Task<IEventStore> OpenAsync(string location, CancellationToken cancellationToken) => OpenAsync(Backend(location), cancellationToken);

    public static async Task<IEventStore> OpenAsync(LedgerBackend backend, CancellationToken cancellationToken)
    {
        try
        {
            return await backend.OpenStoreAsync(cancellationToken);
        }
        catch (Exception ex) when (backend.Explain(ex) is { } failure)
        {
            throw failure.Unreachable ? new StoreUnavailableException($"--store: {failure.Reason}", ex) : new UsageException($"--store: {failure.Reason}");
        }
    }
}

/// <summary>The store could not be reached when the command opened it (exit code 4): scripts retry on it.</summary>
public sealed class StoreUnavailableException : Exception
{
    public StoreUnavailableException()
    {
    }

    public StoreUnavailableException(string message)
        : base(message)
    {
    }

    public StoreUnavailableException(string message, Exception innerException)
        : base(message, innerException)
    {
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
