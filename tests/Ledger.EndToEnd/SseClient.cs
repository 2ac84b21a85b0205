using System.Text;

namespace Ledger.EndToEnd;

/// <summary>A minimal Server-Sent Events reader: collects (id, data) pairs and remembers the last id for resuming.</summary>
public sealed class SseClient(HttpClient http, string path)
{
    private readonly Lock gate = new();
    private readonly List<(long Id, string Data)> received = [];

    public IReadOnlyList<(long Id, string Data)> Received
    {
        get
        {
            lock (gate)
            {
                return [.. received];
            }
        }
    }

    public long? LastId { get; private set; }

    public int Comments { get; private set; }

    /// <summary>Reads until cancelled or the server ends the stream; sends Last-Event-ID when it has one.</summary>
    public async Task ReadAsync(CancellationToken cancellationToken)
    {
        using var request = new HttpRequestMessage(HttpMethod.Get, path);
        request.Headers.Accept.ParseAdd("text/event-stream");
        if (LastId is { } last)
        {
            request.Headers.Add("Last-Event-ID", last.ToString(System.Globalization.CultureInfo.InvariantCulture));
        }

        try
        {
            using var response = await http.SendAsync(request, HttpCompletionOption.ResponseHeadersRead, cancellationToken);
            response.EnsureSuccessStatusCode();
            await using var stream = await response.Content.ReadAsStreamAsync(cancellationToken);
            using var reader = new StreamReader(stream, Encoding.UTF8);
            long? id = null;
            var data = new StringBuilder();
            while (await reader.ReadLineAsync(cancellationToken) is { } line)
            {
                if (line.Length == 0)
                {
                    if (id is { } complete && data.Length > 0)
                    {
                        lock (gate)
                        {
                            received.Add((complete, data.ToString()));
                        }

                        LastId = complete;
                    }

                    (id, data) = (null, new StringBuilder());
                }
                else if (line.StartsWith(':'))
                {
                    Comments++;
                }
                else if (line.StartsWith("id: ", StringComparison.Ordinal))
                {
                    id = long.Parse(line[4..], System.Globalization.CultureInfo.InvariantCulture);
                }
                else if (line.StartsWith("data: ", StringComparison.Ordinal))
                {
                    data.Append(line[6..]);
                }
            }
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
        }
        catch (IOException) when (cancellationToken.IsCancellationRequested)
        {
        }
    }
}
