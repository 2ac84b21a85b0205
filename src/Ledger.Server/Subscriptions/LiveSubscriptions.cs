using System.Globalization;
using System.Text;
using Ledger.Messaging.Hosting;
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
/// Promise notices go out after the event they were decided at, with the id "position.sequence"; type and types
/// (comma-separated) filter events and notices alike (promise.overdue, promise.delivered-late, promise.due-soon).
/// </summary>
public static class LiveSubscriptions
{
    public static IHostApplicationBuilder AddLiveSubscriptions(this IHostApplicationBuilder builder)
    {
        var poll = TimeSpan.FromSeconds(builder.Configuration.GetValue("Ledger:Stream:NoticePollSeconds", 1.0));
        builder.Services.AddSingleton(services => new EventBroadcaster(services.GetRequiredService<IEventStore>(), services.GetRequiredService<INotificationFeed>(),
            services.GetRequiredService<ILogger<EventBroadcaster>>()) { NoticePoll = poll, FollowRelay = services.GetRequiredService<LedgerBackend>().RelaysEvents });
        builder.Services.AddHostedService(services => services.GetRequiredService<EventBroadcaster>());
        builder.Services.AddHostedService<ProjectionLagReporter>();
        return builder;
    }

    public static WebApplication MapLiveSubscriptions(this WebApplication app)
    {
        var heartbeat = TimeSpan.FromSeconds(app.Configuration.GetValue("Ledger:Stream:HeartbeatSeconds", 15.0));
        app.MapGet("/api/stream", (HttpContext http, EventBroadcaster broadcaster, IEventStore store, INotificationFeed feed, EventProofs proofs, string[]? matter, string[]? organization, string[]? type, string? types, long? from) =>
                StreamAsync(http, broadcaster, store, new Sources(feed, proofs), new EventFilter(matter, organization, TypeFilter.Of(type, types)), from, heartbeat))
            .WithName("Stream")
            .WithTags("ledger")
            .WithSummary("Live events as Server-Sent Events (CloudEvents JSON); resume with Last-Event-ID or ?from=position")
            .Produces<string>(StatusCodes.Status200OK, "text/event-stream").ProducesProblem(StatusCodes.Status400BadRequest);
        return app;
    }

    private static async Task StreamAsync(HttpContext http, EventBroadcaster broadcaster, IEventStore store, Sources sources, EventFilter filter, long? from, TimeSpan heartbeat)
    {
        var cancellation = http.RequestAborted;
        var after = StreamCursor.Parse(http.Request.Headers["Last-Event-ID"].ToString()) ?? (from is { } start ? new StreamCursor(Math.Max(0, start - 1), 0) : null);

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
            await RelayAsync(body, store, sources, listener, filter, after, heartbeat, cancellation);
        }
        finally
        {
            LedgerMetrics.Subscribers.Add(-1);
        }
    }

    private static async Task RelayAsync(Stream body, IEventStore store, Sources sources, EventBroadcaster.Listener listener, EventFilter filter, StreamCursor? after, TimeSpan heartbeat, CancellationToken cancellation)
    {
        var resumedAt = after ?? new StreamCursor(0, 0);
        var sent = resumedAt;
        var sentNotices = new HashSet<long>();
        if (after is { } resume)
        {
            var notices = (await PromiseNotices.ReadAsync(sources.Feed, filter, resume.Position, cancellation)).Where(n => resume.Precedes(n)).ToList();
            await foreach (var item in PromiseNotices.MergeAsync(store.ReadAllAsync(resume.Position + 1, filter, cancellation), notices))
            {
                sent = await SendAsync(body, item, sources, withId: true, cancellation) ?? sent;
                if (item.Notice is { } notice)
                {
                    sentNotices.Add(notice.Sequence);
                }
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

                while (listener.Events.TryRead(out var item))
                {
                    if (item.Event is { } e && e.Position > sent.Position)
                    {
                        sent = await SendAsync(body, item, sources, withId: true, cancellation) ?? sent;
                    }
                    else if (item.Notice is { } notice && resumedAt.Precedes(notice) && sentNotices.Add(notice.Sequence))
                    {
                        // A notice decided while a later event was already on its way goes out without an id, so that
                        // a client resuming from that event's id neither misses the event nor gets the notice twice.
                        sent = await SendAsync(body, item, sources, withId: sent.Precedes(notice), cancellation) ?? sent;
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

    /// <summary>Sends an event or a notice; the cursor after it when it carried an id.</summary>
    private static async Task<StreamCursor?> SendAsync(Stream body, LedgerItem item, Sources sources, bool withId, CancellationToken cancellation)
    {
        if (item.Event is { } e)
        {
            await WriteAsync(body, $"id: {e.Position.ToString(CultureInfo.InvariantCulture)}\ndata: {LedgerCloudEvents.ToJson(e, await sources.Proofs.ForAsync(e, cancellation))}\n\n", cancellation);
            return new StreamCursor(e.Position, 0);
        }

        var notice = item.Notice!;
        var id = withId ? $"id: {PromiseNotices.CursorOf(notice)}\n" : string.Empty;
        await WriteAsync(body, $"{id}data: {PromiseNotices.ToCloudEvent(notice)}\n\n", cancellation);
        return withId ? new StreamCursor(PromiseNotices.PositionOf(notice), notice.Sequence) : null;
    }

    private static async Task WriteAsync(Stream body, string text, CancellationToken cancellation)
    {
        await body.WriteAsync(Encoding.UTF8.GetBytes(text), cancellation);
        await body.FlushAsync(cancellation);
    }
}

/// <summary>Where a stream stands: after the event at Position, and after the notices there up to feed sequence Sequence.</summary>
internal sealed record StreamCursor(long Position, long Sequence)
{
    /// <summary>"8" (an event's id) or "8.12" (a notice's id); null when absent or not a cursor.</summary>
    public static StreamCursor? Parse(string? text)
    {
        if (string.IsNullOrEmpty(text))
        {
            return null;
        }

        var dot = text.IndexOf('.', StringComparison.Ordinal);
        var position = dot < 0 ? text : text[..dot];
        var sequence = dot < 0 ? "0" : text[(dot + 1)..];
        return long.TryParse(position, NumberStyles.None, CultureInfo.InvariantCulture, out var p) && long.TryParse(sequence, NumberStyles.None, CultureInfo.InvariantCulture, out var s)
            ? new StreamCursor(p, s)
            : null;
    }

    /// <summary>Whether a notice comes after this point of the stream.</summary>
    public bool Precedes(Notification notice) =>
        PromiseNotices.PositionOf(notice) > Position || (PromiseNotices.PositionOf(notice) == Position && notice.Sequence > Sequence);
}

internal sealed record Sources(INotificationFeed Feed, EventProofs Proofs);

/// <summary>The type filter: repeated type= and comma-separated types= together.</summary>
internal static class TypeFilter
{
    public static string[]? Of(string[]? type, string? types) =>
        types is null ? type : [.. type ?? [], .. types.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries)];
}
