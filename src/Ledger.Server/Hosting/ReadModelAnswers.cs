using System.Collections.Concurrent;
using System.Globalization;
using Ledger.Querying;
using Microsoft.Extensions.Primitives;

namespace Ledger.Server.Hosting;

/// <summary>
/// Marks a GET endpoint whose answer for the current view (no as-of, no known-at) depends only on the stored read
/// models, hence on the log position they reflect, and on the day asked about (overdue is rendered for a day), or the
/// minute for a page that prints the time it shows.
/// </summary>
public sealed record ReadModelAnswer(bool ShowsTheMinute)
{
    public static ReadModelAnswer PerDay { get; } = new(false);

    public static ReadModelAnswer PerMinute { get; } = new(true);
}

/// <summary>
/// Serves a read-model answer again while the read models stand at the position it was made at, on the same day (or
/// minute): dashboards and clients that poll the same pages are answered without reading and rendering anew, and get
/// an ETag to revalidate with (If-None-Match: 304). An append moves the position, so nothing stale is ever served.
/// </summary>
internal sealed class ReadModelAnswers(RequestDelegate next, TimeProvider clock)
{
    private const int MaxEntries = 2_048;
    private const long MaxBytes = 64L << 20;

    private static readonly string[] TimeParameters = ["asOf", "knownAt", "as-of", "known-at"];
    private static readonly object NotKeptKey = new();

    /// <summary>Headers of the moment or of the transfer, not of the answer.</summary>
    private static readonly HashSet<string> Unkept = new(["Date", "Server", "Content-Length", "Transfer-Encoding", "ETag"], StringComparer.OrdinalIgnoreCase);

    private readonly ConcurrentDictionary<string, Answer> answers = new(StringComparer.Ordinal);
    private long bytes;

    public async Task InvokeAsync(HttpContext http, LedgerQueries queries)
    {
        if (!HttpMethods.IsGet(http.Request.Method)
            || http.GetEndpoint()?.Metadata.GetMetadata<ReadModelAnswer>() is not { } kind
            || TimeParameters.Any(http.Request.Query.ContainsKey)
            || queries.ReadModels is not { } models)
        {
            await next(http);
            return;
        }

        var cancellationToken = http.RequestAborted;
        var position = await models.PositionAsync(cancellationToken);
        var now = clock.GetUtcNow().UtcDateTime;
        var period = now.ToString(kind.ShowsTheMinute ? "yyyy-MM-ddTHH:mm" : "yyyy-MM-dd", CultureInfo.InvariantCulture);
        var key = $"{http.Request.Path}{http.Request.QueryString}";
        var tag = $"\"{position.ToString(CultureInfo.InvariantCulture)}.{period}\"";
        if (answers.TryGetValue(key, out var kept) && kept.Tag == tag)
        {
            await ServeAsync(http, kept, cancellationToken);
            return;
        }

        var body = http.Response.Body;
        using var buffer = new MemoryStream();
        http.Response.Body = buffer;
        try
        {
            await next(http);
        }
        finally
        {
            http.Response.Body = body;
        }

        var headers = http.Response.Headers.Where(h => !Unkept.Contains(h.Key)).Select(h => KeyValuePair.Create(h.Key, h.Value)).ToList();
        var answer = new Answer(tag, headers, buffer.ToArray());
        // Kept only when no append came in while it was made: then it is the answer at that position.
        if (http.Response.StatusCode == StatusCodes.Status200OK && position > 0 && !http.Items.ContainsKey(NotKeptKey) && await models.PositionAsync(cancellationToken) == position)
        {
            Keep(key, answer);
            http.Response.Headers.ETag = tag;
        }

        http.Response.ContentLength = answer.Body.Length;
        await body.WriteAsync(answer.Body, cancellationToken);
    }

    /// <summary>Says that this answer was not read from the read models alone (a fold of the events): it is not kept.</summary>
    public static void NotKept(HttpContext http) => http.Items[NotKeptKey] = true;

    private static async Task ServeAsync(HttpContext http, Answer answer, CancellationToken cancellationToken)
    {
        var response = http.Response;
        foreach (var (name, value) in answer.Headers)
        {
            response.Headers[name] = value;
        }

        response.Headers.ETag = answer.Tag;
        if (http.Request.Headers.IfNoneMatch.Contains(answer.Tag))
        {
            response.StatusCode = StatusCodes.Status304NotModified;
            response.Headers.ContentType = default;
            return;
        }

        response.ContentLength = answer.Body.Length;
        await response.Body.WriteAsync(answer.Body, cancellationToken);
    }

    private void Keep(string key, Answer answer)
    {
        if (answers.Count >= MaxEntries || Interlocked.Add(ref bytes, answer.Body.Length) > MaxBytes)
        {
            answers.Clear();
            Interlocked.Exchange(ref bytes, answer.Body.Length);
        }

        answers[key] = answer;
    }

    private sealed record Answer(string Tag, IReadOnlyList<KeyValuePair<string, StringValues>> Headers, byte[] Body);
}
