using Ledger.Storage;
using Ledger.Messaging.Hosting;

namespace Ledger.Cli;

/// <summary>Finds the store from --store, then LEDGER_STORE, then the default SQLite file in the user's data directory.</summary>
public static class StoreLocation
{
    public static string Resolve(string? option) => LedgerBackend.Locate(option);

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
            return LedgerBackend.Parse(location);
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
        catch (ArgumentException ex) when (backend is PostgresBackend)
        {
            throw new UsageException($"--store: cannot open PostgreSQL ({ex.Message})");
        }
        catch (Exception ex) when (backend is PostgresBackend && IsUnreachable(ex))
        {
            throw new StoreUnavailableException($"--store: cannot open PostgreSQL ({ex.Message})", ex);
        }
        catch (Exception ex) when (backend is EventStoreDbBackend && IsMisconfiguredNode(ex))
        {
            throw new UsageException($"--store: cannot open EventStoreDB ({Reason(ex)})");
        }
        catch (Exception ex) when (backend is EventStoreDbBackend && IsUnreachableNode(ex))
        {
            throw new StoreUnavailableException($"--store: cannot open EventStoreDB ({Reason(ex)})", ex);
        }
    }

    private static string Reason(Exception ex) => ex is Grpc.Core.RpcException rpc
        ? string.Join(": ", new[] { rpc.Status.Detail, rpc.Status.DebugException?.Message }.Where(m => !string.IsNullOrEmpty(m)))
        : ex.Message;

    // Its own method, so that Npgsql loads only when a PostgreSQL store is asked for.
    private static bool IsUnreachable(Exception ex) => ex is Npgsql.NpgsqlException or System.Net.Sockets.SocketException or TimeoutException;

    /// <summary>Wrong credentials, a malformed connection string or certificate: the caller's to fix, not a store that is down.</summary>
    private static bool IsMisconfiguredNode(Exception ex) =>
        ex is Grpc.Core.RpcException { StatusCode: Grpc.Core.StatusCode.Unauthenticated or Grpc.Core.StatusCode.PermissionDenied }
            or FormatException or System.Security.Cryptography.CryptographicException;

    private static bool IsUnreachableNode(Exception ex) =>
        ex is Grpc.Core.RpcException { StatusCode: Grpc.Core.StatusCode.Unavailable or Grpc.Core.StatusCode.DeadlineExceeded }
            or Grpc.Core.RpcException { StatusCode: Grpc.Core.StatusCode.Internal, Status.DebugException: HttpRequestException }
            or IOException;
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
