using System.Buffers.Binary;
using System.Net;
using System.Net.Sockets;
using System.Text;
using Xunit;

namespace Ledger.EndToEnd;

/// <summary>A store that cannot serve when a command opens it is a store failure (exit 4, which scripts retry on), not a usage error.</summary>
public sealed class StartingPostgresTests : IAsyncLifetime
{
    private readonly TcpListener listener = new(IPAddress.Loopback, 0);
    private readonly CancellationTokenSource stop = new();

    private Task serving = Task.CompletedTask;

    public Task InitializeAsync()
    {
        listener.Start();
        serving = AnswerStartingUpAsync(stop.Token);
        return Task.CompletedTask;
    }

    [Fact]
    public async Task A_postgres_that_is_starting_up_exits_4()
    {
        var port = ((IPEndPoint)listener.LocalEndpoint).Port;

        var result = await LedgerCli.RunAsync(["--store", $"postgresql://ledger:secret@127.0.0.1:{port}/ledger", "matters"]);

        Assert.True(result.ExitCode == 4, result.ToString());
        Assert.Contains("the store failed", result.Stderr, StringComparison.Ordinal);
        Assert.Contains("57P03", result.Stderr, StringComparison.Ordinal);
    }

    /// <summary>
    /// Speaks just enough of PostgreSQL's protocol: refuses TLS ('N'), then answers the startup message with the
    /// FATAL error 57P03 a server sends while it starts up.
    /// </summary>
    private async Task AnswerStartingUpAsync(CancellationToken cancellationToken)
    {
        while (!cancellationToken.IsCancellationRequested)
        {
            Socket client;
            try
            {
                client = await listener.AcceptSocketAsync(cancellationToken);
            }
            catch (OperationCanceledException)
            {
                return;
            }

            try
            {
                await AnswerAsync(client, cancellationToken);
            }
            catch (Exception ex) when (ex is IOException or SocketException)
            {
                // The client gave up mid-handshake; the next one is answered all the same.
            }
        }
    }

    private static async Task AnswerAsync(Socket client, CancellationToken cancellationToken)
    {
        const int sslRequest = 80877103;
        const int gssRequest = 80877104;
        using (client)
        {
            await using var stream = new NetworkStream(client);
            var header = new byte[8];
            while (true)
            {
                await stream.ReadExactlyAsync(header, cancellationToken);
                var length = BinaryPrimitives.ReadInt32BigEndian(header);
                var code = BinaryPrimitives.ReadInt32BigEndian(header.AsSpan(4));
                await stream.ReadExactlyAsync(new byte[length - 8], cancellationToken);
                if (code is sslRequest or gssRequest)
                {
                    await stream.WriteAsync("N"u8.ToArray(), cancellationToken);
                    continue;
                }

                var fields = Encoding.ASCII.GetBytes("SFATAL\0VFATAL\0C57P03\0Mthe database system is starting up\0\0");
                var message = new byte[5 + fields.Length];
                message[0] = (byte)'E';
                BinaryPrimitives.WriteInt32BigEndian(message.AsSpan(1), 4 + fields.Length);
                fields.CopyTo(message, 5);
                await stream.WriteAsync(message, cancellationToken);
                return;
            }
        }
    }

    public async Task DisposeAsync()
    {
        await stop.CancelAsync();
        listener.Stop();
        try
        {
            await serving;
        }
        catch (Exception ex) when (ex is OperationCanceledException or SocketException or ObjectDisposedException or IOException)
        {
            // Stopping the listener ends the loop one way or another.
        }

        stop.Dispose();
    }
}
