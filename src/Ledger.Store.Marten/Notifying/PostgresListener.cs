using Npgsql;

namespace Ledger.Store.Marten;

/// <summary>
/// LISTEN on one channel over a connection of its own until cancelled, reconnecting after a failure. A quiet connection
/// is probed, so that one that died silently is replaced. <c>listening</c> is told when the connection starts and stops
/// listening: notifications sent meanwhile are lost, and the caller must assume it missed some.
/// </summary>
internal static class PostgresListener
{
    private static readonly TimeSpan Idle = TimeSpan.FromSeconds(30);
    private static readonly TimeSpan Retry = TimeSpan.FromSeconds(1);

    public static async Task ListenAsync(NpgsqlDataSource dataSource, string channel, Action<string> notified, Action<bool> listening, CancellationToken cancellationToken)
    {
        while (!cancellationToken.IsCancellationRequested)
        {
            try
            {
                await using var connection = await dataSource.OpenConnectionAsync(cancellationToken);
                connection.Notification += (_, notification) => notified(notification.Payload);
                await using (var listen = connection.CreateCommand())
                {
                    listen.CommandText = $"LISTEN {channel}";
                    await listen.ExecuteNonQueryAsync(cancellationToken);
                }

                listening(true);
                while (true)
                {
                    if (!await connection.WaitAsync(Idle, cancellationToken))
                    {
                        await using var probe = connection.CreateCommand();
                        probe.CommandText = "SELECT 1";
                        await probe.ExecuteScalarAsync(cancellationToken);
                    }
                }
            }
            catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
            {
                listening(false);
                return;
            }
            catch (Exception ex) when (ex is NpgsqlException or InvalidOperationException or IOException or TimeoutException)
            {
                listening(false);
                try
                {
                    await Task.Delay(Retry, cancellationToken);
                }
                catch (OperationCanceledException)
                {
                    return;
                }
            }
        }
    }
}
