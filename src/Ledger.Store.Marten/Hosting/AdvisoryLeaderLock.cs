using System.Security.Cryptography;
using System.Text;
using Npgsql;

namespace Ledger.Store.Marten;

/// <summary>A session-level PostgreSQL advisory lock on a dedicated connection; the server frees it when that connection drops.</summary>
public sealed class AdvisoryLeaderLock(string connectionString, string name) : ILeaderLock
{
    public TimeSpan RetryInterval { get; init; } = TimeSpan.FromSeconds(1);

    public long Key { get; } = BitConverter.ToInt64(SHA256.HashData(Encoding.UTF8.GetBytes("ledger:" + name)), 0);

    public async Task<ILeadership> AcquireAsync(CancellationToken cancellationToken)
    {
        while (true)
        {
            var connection = new NpgsqlConnection(new NpgsqlConnectionStringBuilder(connectionString) { Pooling = false, KeepAlive = 5 }.ToString());
            try
            {
                await connection.OpenAsync(cancellationToken);
                await using var command = new NpgsqlCommand("SELECT pg_try_advisory_lock(@key)", connection);
                command.Parameters.AddWithValue("key", Key);
                if (await command.ExecuteScalarAsync(cancellationToken) is true)
                {
                    return new Lease(connection, RetryInterval);
                }
            }
            catch (NpgsqlException)
            {
                // The database is away: keep waiting, as a standby would.
            }

            await connection.DisposeAsync();
            await Task.Delay(RetryInterval, cancellationToken);
        }
    }

    private sealed class Lease : ILeadership
    {
        private readonly NpgsqlConnection connection;
        private readonly CancellationTokenSource lost = new();
        private readonly Task watch;

        public Lease(NpgsqlConnection connection, TimeSpan interval)
        {
            this.connection = connection;
            watch = WatchAsync(interval);
        }

        public CancellationToken Lost => lost.Token;

        public async ValueTask DisposeAsync()
        {
            await lost.CancelAsync();
            await watch;
            await connection.DisposeAsync();
            lost.Dispose();
        }

        // A lock lives as long as its connection: when the connection breaks, so does the leadership.
        private async Task WatchAsync(TimeSpan interval)
        {
            try
            {
                while (!lost.IsCancellationRequested)
                {
                    await Task.Delay(interval, lost.Token);
                    await using var ping = new NpgsqlCommand("SELECT 1", connection);
                    await ping.ExecuteScalarAsync(lost.Token);
                }
            }
            catch (OperationCanceledException)
            {
            }
            catch (Exception ex) when (ex is NpgsqlException or InvalidOperationException or IOException)
            {
                await lost.CancelAsync();
            }
        }
    }
}
