using System.Net;
using System.Net.Sockets;
using System.Text.RegularExpressions;

namespace Ledger.Store.EventStoreDb.Tests;

/// <summary>
/// A TCP relay between a client and a node, on the loopback, that can cut every connection at a chosen moment: once the
/// client has sent a given number of bytes more, the node's next bytes (its answer) are dropped and both sides are reset,
/// as a network failure would. It relays bytes only, so it serves TLS and cleartext alike, real node or fake.
/// </summary>
internal sealed class CuttingProxy : IAsyncDisposable
{
    private readonly TcpListener listener = new(IPAddress.Loopback, 0);
    private readonly EventStoreDbHost node;
    private readonly Lock gate = new();
    private readonly List<Socket> sockets = [];
    private readonly CancellationTokenSource stop = new();
    private long clientBytesBeforeCut = -1;
    private bool cutDue;
    private int cuts;
    private int connections;

    private CuttingProxy(EventStoreDbHost node)
    {
        this.node = node;
        listener.Start();
        _ = AcceptAsync();
    }

    /// <summary>
    /// Relays to one host of the connection string; <paramref name="throughProxy"/> is the same string naming the relay as
    /// its only host (no discovery, which would lead the client to the nodes' own addresses).
    /// </summary>
    public static CuttingProxy To(string connectionString, int hostIndex, out string throughProxy)
    {
        var host = EventStoreDbConnectionString.Parse(connectionString).Hosts[hostIndex];
        var proxy = new CuttingProxy(host);
        var port = ((IPEndPoint)proxy.listener.LocalEndpoint).Port;
        var parts = Regex.Match(connectionString, "^(?<scheme>[^:]+)://(?<user>[^@/?]*@)?(?<hosts>[^/?]*)(?<rest>.*)$", RegexOptions.None, TimeSpan.FromSeconds(1));
        throughProxy = $"{parts.Groups["scheme"].Value.Replace("+discover", string.Empty, StringComparison.Ordinal)}://{parts.Groups["user"].Value}{host.Host}:{port}{parts.Groups["rest"].Value}";
        return proxy;
    }

    /// <summary>Connections the client has opened through the relay.</summary>
    public int Connections => Volatile.Read(ref connections);

    /// <summary>Times every connection was cut.</summary>
    public int Cuts => Volatile.Read(ref cuts);

    /// <summary>Once the client has sent <paramref name="clientBytes"/> more bytes, the node's next bytes are dropped and every connection is reset.</summary>
    public void CutAtTheAnswerAfter(long clientBytes)
    {
        lock (gate)
        {
            clientBytesBeforeCut = clientBytes;
            cutDue = false;
        }
    }

    private async Task AcceptAsync()
    {
        try
        {
            while (true)
            {
                var client = await listener.AcceptSocketAsync(stop.Token);
                var upstream = new Socket(SocketType.Stream, ProtocolType.Tcp);
                try
                {
                    await upstream.ConnectAsync(node.Host, node.Port, stop.Token);
                }
                catch (SocketException)
                {
                    client.Dispose();
                    upstream.Dispose();
                    continue;
                }

                Interlocked.Increment(ref connections);
                lock (gate)
                {
                    sockets.Add(client);
                    sockets.Add(upstream);
                }

                _ = PumpAsync(client, upstream, fromClient: true);
                _ = PumpAsync(upstream, client, fromClient: false);
            }
        }
        catch (Exception ex) when (ex is OperationCanceledException or ObjectDisposedException or SocketException)
        {
            // Stopped.
        }
    }

    private async Task PumpAsync(Socket from, Socket to, bool fromClient)
    {
        var buffer = new byte[64 * 1024];
        try
        {
            while (true)
            {
                var read = await from.ReceiveAsync(buffer, SocketFlags.None, stop.Token);
                if (read == 0)
                {
                    to.Shutdown(SocketShutdown.Send);
                    return;
                }

                if (!fromClient && TakeCut())
                {
                    CutAll();
                    return;
                }

                await to.SendAsync(buffer.AsMemory(0, read), SocketFlags.None, stop.Token);
                if (fromClient)
                {
                    Count(read);
                }
            }
        }
        catch (Exception ex) when (ex is OperationCanceledException or ObjectDisposedException or SocketException)
        {
            CloseBoth(from, to);
        }
    }

    private void Count(int sent)
    {
        lock (gate)
        {
            if (clientBytesBeforeCut >= 0)
            {
                clientBytesBeforeCut -= sent;
                if (clientBytesBeforeCut <= 0)
                {
                    clientBytesBeforeCut = -1;
                    cutDue = true;
                }
            }
        }
    }

    private bool TakeCut()
    {
        lock (gate)
        {
            var due = cutDue;
            cutDue = false;
            return due;
        }
    }

    /// <summary>Resets every connection (linger 0 sends RST), as a failed network does.</summary>
    private void CutAll()
    {
        List<Socket> all;
        lock (gate)
        {
            all = [.. sockets];
            sockets.Clear();
        }

        Interlocked.Increment(ref cuts);
        Reset(all);
    }

    private static void Reset(List<Socket> all)
    {
        foreach (var socket in all)
        {
            try
            {
                socket.LingerState = new LingerOption(true, 0);
            }
            catch (Exception ex) when (ex is ObjectDisposedException or SocketException)
            {
                // Closed meanwhile.
            }

            socket.Dispose();
        }
    }

    private void CloseBoth(Socket from, Socket to)
    {
        lock (gate)
        {
            sockets.Remove(from);
            sockets.Remove(to);
        }

        from.Dispose();
        to.Dispose();
    }

    public async ValueTask DisposeAsync()
    {
        await stop.CancelAsync();
        listener.Stop();
        List<Socket> all;
        lock (gate)
        {
            all = [.. sockets];
            sockets.Clear();
        }

        Reset(all);
        stop.Dispose();
    }
}
