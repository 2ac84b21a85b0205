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

    /// <exception cref="UsageException">The location names no backend this build has, or PostgreSQL cannot be reached.</exception>
    public static Task<IEventStore> OpenAsync(string location, CancellationToken cancellationToken) => OpenAsync(Backend(location), cancellationToken);

    public static async Task<IEventStore> OpenAsync(LedgerBackend backend, CancellationToken cancellationToken)
    {
        try
        {
            return await backend.OpenStoreAsync(cancellationToken);
        }
        catch (Exception ex) when (backend is PostgresBackend && IsUnreachable(ex))
        {
            throw new UsageException($"--store: cannot open PostgreSQL ({ex.Message})");
        }
        catch (Exception ex) when (backend is EventStoreDbBackend && IsUnreachableNode(ex))
        {
            var reason = ex is Grpc.Core.RpcException rpc
                ? string.Join(": ", new[] { rpc.Status.Detail, rpc.Status.DebugException?.Message }.Where(m => !string.IsNullOrEmpty(m)))
                : ex.Message;
            throw new UsageException($"--store: cannot open EventStoreDB ({reason})");
        }
    }

    // Its own method, so that Npgsql loads only when a PostgreSQL store is asked for.
    private static bool IsUnreachable(Exception ex) => ex is Npgsql.NpgsqlException or ArgumentException or System.Net.Sockets.SocketException;

    private static bool IsUnreachableNode(Exception ex) =>
        ex is Grpc.Core.RpcException { StatusCode: Grpc.Core.StatusCode.Unavailable or Grpc.Core.StatusCode.Unauthenticated or Grpc.Core.StatusCode.PermissionDenied or Grpc.Core.StatusCode.DeadlineExceeded }
            or Grpc.Core.RpcException { StatusCode: Grpc.Core.StatusCode.Internal, Status.DebugException: HttpRequestException }
            or FormatException or IOException or System.Security.Cryptography.CryptographicException;
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
