using System.Text;

namespace Ledger.EndToEnd;

/// <summary>
/// A minimal Server-Sent Events reader: collects (id, data) pairs of events (numeric ids), every message with its id
/// if it had one, and remembers the last id for resuming.
/// </summary>
public sealed class SseClient(HttpClient http, string path)
{
    private readonly Lock gate = new();
    private readonly List<(long Id, string Data)> received = [];
    private readonly List<(string? Id, string Data)> messages = [];

    public IReadOnlyList<(string? Id, string Data)> Messages
    {
        get
        {
            lock (gate)
            {
                return [.. messages];
            }
        }
    }

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

    /// <summary>The last id received; set it to resume from an id another client received.</summary>
    public string? LastId { get; set; }

    public int Comments { get; private set; }

    /// <summary>Reads until cancelled or the server ends the stream; sends Last-Event-ID when it has one.</summary>
    public async Task ReadAsync(CancellationToken cancellationToken)
    {
        using var request = new HttpRequestMessage(HttpMethod.Get, path);
        request.Headers.Accept.ParseAdd("text/event-stream");
        if (LastId is { } last)
        {
            request.Headers.Add("Last-Event-ID", last);
        }

        try
        {
            using var response = await http.SendAsync(request, HttpCompletionOption.ResponseHeadersRead, cancellationToken);
            response.EnsureSuccessStatusCode();
            await using var stream = await response.Content.ReadAsStreamAsync(cancellationToken);
            using var reader = new StreamReader(stream, Encoding.UTF8);
            string? id = null;
            var data = new StringBuilder();
            while (await reader.ReadLineAsync(cancellationToken) is { } line)
            {
                if (line.Length == 0)
                {
                    if (data.Length > 0)
                    {
                        lock (gate)
                        {
                            messages.Add((id, data.ToString()));
                            if (long.TryParse(id, System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out var position))
                            {
                                received.Add((position, data.ToString()));
                            }
                        }

                        LastId = id ?? LastId;
                    }

                    (id, data) = (null, new StringBuilder());
                }
                else if (line.StartsWith(':'))
                {
                    Comments++;
                }
                else if (line.StartsWith("id: ", StringComparison.Ordinal))
                {
                    id = line[4..];
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
