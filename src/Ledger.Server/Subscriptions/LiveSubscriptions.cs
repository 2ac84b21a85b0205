using System.Globalization;
using System.Text;
using Ledger.Messaging.Notifying;
using Ledger.Messaging.Verifying;
using Ledger.Server.Telemetry;
using Ledger.Storage;

namespace Ledger.Server.Subscriptions;

/// <summary>
/// GET /api/stream: Server-Sent Events of new events, filtered by matter, organization and type (each repeatable).
/// Each event's global position is its SSE id; Last-Event-ID (or ?from=position) resumes after it with no gap and no
/// duplicate. Payloads are CloudEvents 1.0 JSON,
/// with the event's inclusion proof in the log when the store keeps one. Comments keep idle connections alive.
/// </summary>
public static class LiveSubscriptions
{
    public static IHostApplicationBuilder AddLiveSubscriptions(this IHostApplicationBuilder builder)
    {
        builder.Services.AddSingleton<EventBroadcaster>();
        builder.Services.AddHostedService(services => services.GetRequiredService<EventBroadcaster>());
        builder.Services.AddHostedService<ProjectionLagReporter>();
        return builder;
    }

    public static WebApplication MapLiveSubscriptions(this WebApplication app)
    {
        var heartbeat = TimeSpan.FromSeconds(app.Configuration.GetValue("Ledger:Stream:HeartbeatSeconds", 15.0));
        app.MapGet("/api/stream", (HttpContext http, EventBroadcaster broadcaster, IEventStore store, EventProofs proofs, string[]? matter, string[]? organization, string[]? type, long? from) =>
                StreamAsync(http, broadcaster, store, proofs, new EventFilter(matter, organization, type), from, heartbeat))
            .WithName("Stream")
            .WithTags("ledger")
            .WithSummary("Live events as Server-Sent Events (CloudEvents JSON); resume with Last-Event-ID or ?from=position")
            .Produces<string>(StatusCodes.Status200OK, "text/event-stream").ProducesProblem(StatusCodes.Status400BadRequest);
        return app;
    }

    private static async Task StreamAsync(HttpContext http, EventBroadcaster broadcaster, IEventStore store, EventProofs proofs, EventFilter filter, long? from, TimeSpan heartbeat)
    {
        var cancellation = http.RequestAborted;
        long? after = long.TryParse(http.Request.Headers["Last-Event-ID"].ToString(), NumberStyles.None, CultureInfo.InvariantCulture, out var lastId) ? lastId
            : from is { } start ? Math.Max(0, start - 1)
            : null;

        http.Response.ContentType = "text/event-stream";
        http.Response.Headers.CacheControl = "no-cache";
        http.Response.Headers["X-Accel-Buffering"] = "no";
        var body = http.Response.Body;

        // Join before saying "connected" and before reading history: whatever is appended from then on is queued,
        // and skipped if history had it.
        using var listener = await broadcaster.JoinAsync(filter, cancellation);
        LedgerMetrics.Subscribers.Add(1);
        try
        {
            await WriteAsync(body, "retry: 2000\n: connected\n\n", cancellation);
            await RelayAsync(body, store, proofs, listener, filter, after, heartbeat, cancellation);
        }
        finally
        {
            LedgerMetrics.Subscribers.Add(-1);
        }
    }

    private static async Task RelayAsync(Stream body, IEventStore store, EventProofs proofs, EventBroadcaster.Listener listener, EventFilter filter, long? after, TimeSpan heartbeat, CancellationToken cancellation)
    {
        var sent = after ?? 0;
        if (after is { } resumeAfter)
        {
            await foreach (var e in store.ReadAllAsync(resumeAfter + 1, filter, cancellation))
            {
                await SendAsync(body, e, proofs, cancellation);
                sent = e.Position;
            }
        }

        try
        {
            while (!cancellation.IsCancellationRequested)
            {
                using var wait = CancellationTokenSource.CreateLinkedTokenSource(cancellation);
                wait.CancelAfter(heartbeat);
                try
                {
                    if (!await listener.Events.WaitToReadAsync(wait.Token))
                    {
                        return;
                    }
                }
                catch (OperationCanceledException) when (!cancellation.IsCancellationRequested)
                {
                    await WriteAsync(body, ": heartbeat\n\n", cancellation);
                    continue;
                }

                while (listener.Events.TryRead(out var e))
                {
                    if (e.Position > sent)
                    {
                        await SendAsync(body, e, proofs, cancellation);
                        sent = e.Position;
                    }
                }
            }
        }
        catch (ClientTooSlowException)
        {
            // The connection ends; the client reconnects with Last-Event-ID and catches up from the store.
        }
        catch (OperationCanceledException) when (cancellation.IsCancellationRequested)
        {
        }
    }

    private static async Task SendAsync(Stream body, StoredEvent e, EventProofs proofs, CancellationToken cancellation) =>
        await WriteAsync(body, $"id: {e.Position.ToString(CultureInfo.InvariantCulture)}\ndata: {LedgerCloudEvents.ToJson(e, await proofs.ForAsync(e, cancellation))}\n\n", cancellation);

    private static async Task WriteAsync(Stream body, string text, CancellationToken cancellation)
    {
        await body.WriteAsync(Encoding.UTF8.GetBytes(text), cancellation);
        await body.FlushAsync(cancellation);
    }
}
