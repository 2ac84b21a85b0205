using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Net.Sockets;
using System.Text;
using Ledger.Messaging.Notifying;
using Ledger.Messaging.Telemetry;
using Ledger.Messaging.Verifying;
using Ledger.Storage;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Wolverine;
using Wolverine.Runtime;

namespace Ledger.Messaging.Webhooks;

/// <summary>How deliveries behave: private targets, retry back-off, time-out, and how often subscriptions behind are woken.</summary>
public sealed record WebhookSettings(bool AllowPrivateTargets = false, double RetryBaseSeconds = 2, double RetryCapSeconds = 600, double TimeoutSeconds = 10,
    double SweepSeconds = 15)
{
    /// <summary>Exponential: base, 2x base, 4x base ... up to the cap.</summary>
    public TimeSpan Backoff(int failures) => TimeSpan.FromSeconds(Math.Min(RetryCapSeconds, RetryBaseSeconds * Math.Pow(2, Math.Max(0, failures - 1))));
}

/// <summary>Deliver what a subscription has not yet acknowledged, in log order; sent on the sequential "webhooks" queue.</summary>
public sealed record DeliverWebhooks(string SubscriptionId);

/// <summary>Every recorded event wakes the subscriptions it matches.</summary>
public static class WebhookTrigger
{
    public static async Task<IReadOnlyList<DeliverWebhooks>> WakeAsync(StoredEvent recorded, IWebhookStore webhooks, CancellationToken cancellationToken)
    {
        return (await webhooks.ListAsync(cancellationToken))
            .Where(s => s.Active && s.DeliveredThrough < recorded.Position && s.Filter.Matches(recorded))
            .Select(s => new DeliverWebhooks(s.Id))
            .ToList();
    }
}

/// <summary>
/// Sends the subscription's pending events one by one in log order, so that each matter's events arrive in order.
/// The first failure stops the round and schedules a durable retry with exponential back-off; a receiver that was
/// down later gets everything it missed. 410 Gone removes the subscription, as Standard Webhooks suggests.
/// </summary>
public static class DeliverWebhooksHandler
{
    public static async Task Handle(DeliverWebhooks command, IWebhookStore webhooks, IEventStore store, INotificationFeed feed, WebhookSender sender, WebhookSettings settings,
        TimeProvider clock, IMessageBus bus, ILogger<DeliverWebhooks> logger, CancellationToken cancellationToken)
    {
        // Another process is delivering for this subscription; look again shortly, as its round may end before this event.
        await using var exclusive = await webhooks.TryLockDeliveriesAsync(command.SubscriptionId, cancellationToken);
        if (exclusive is null)
        {
            await bus.ScheduleAsync(command, TimeSpan.FromSeconds(1));
            return;
        }

        var subscription = await webhooks.GetAsync(command.SubscriptionId, cancellationToken);
        if (subscription is not { Active: true } || subscription.NextAttemptAt > clock.GetUtcNow() + TimeSpan.FromSeconds(0.5))
        {
            // Gone, or a retry is already scheduled for later: that retry resumes in order.
            return;
        }

        // Promise notices go out in the log order too, each after the event it was decided at; one at the position
        // delivered through may have gone out already.
        var notices = new List<Notification>();
        foreach (var n in await PromiseNotices.ReadAsync(feed, subscription.Filter, subscription.DeliveredThrough, cancellationToken))
        {
            if (PromiseNotices.PositionOf(n) > subscription.DeliveredThrough || !await webhooks.AcknowledgedAsync(subscription.Id, WebhookSender.MessageIdOf(subscription, n), cancellationToken))
            {
                notices.Add(n);
            }
        }

        await foreach (var item in PromiseNotices.MergeAsync(store.ReadAllAsync(subscription.DeliveredThrough + 1, subscription.Filter, cancellationToken), notices))
        {
            var position = item.Event?.Position ?? PromiseNotices.PositionOf(item.Notice!);
            var attempt = subscription.FailedAttempts + 1;
            var outcome = item.Event is { } e
                ? await sender.SendAsync(subscription, e, cancellationToken)
                : await sender.SendAsync(subscription, item.Notice!, cancellationToken);
            await webhooks.LogAttemptAsync(new WebhookAttempt(0, subscription.Id, position, outcome.MessageId, attempt, outcome.At, outcome.StatusCode, outcome.Error, outcome.Duration.TotalMilliseconds), cancellationToken);
            if (outcome.StatusCode == (int)HttpStatusCode.Gone)
            {
                await webhooks.RemoveAsync(subscription.Id, clock.GetUtcNow(), cancellationToken);
                logger.LogWarning("webhook {Id}: the receiver answered 410 Gone; subscription removed", subscription.Id);
                return;
            }

            if (!outcome.Delivered)
            {
                MessagingMetrics.WebhookFailures.Add(1);
                var delay = settings.Backoff(attempt);
                await webhooks.RecordFailureAsync(subscription.Id, attempt, clock.GetUtcNow() + delay, outcome.Error ?? $"HTTP {outcome.StatusCode}", cancellationToken);
                await bus.ScheduleAsync(new DeliverWebhooks(subscription.Id), delay);
                logger.LogWarning("webhook {Id}: delivery of {Message} failed ({Error}); attempt {Attempt}, retrying in {Delay}", subscription.Id, outcome.MessageId, outcome.Error ?? $"HTTP {outcome.StatusCode}", attempt, delay);
                return;
            }

            MessagingMetrics.WebhookDeliveries.Add(1);
            await webhooks.AdvanceAsync(subscription.Id, position, cancellationToken);
            subscription = subscription with { DeliveredThrough = Math.Max(subscription.DeliveredThrough, position), FailedAttempts = 0, NextAttemptAt = null };
        }
    }
}

public sealed record DeliveryOutcome(string MessageId, DateTimeOffset At, int? StatusCode, string? Error, TimeSpan Duration)
{
    public bool Delivered => StatusCode is >= 200 and < 300;
}

/// <summary>Posts one event as a structured CloudEvent with Standard Webhooks headers, refusing private targets unless allowed.</summary>
public sealed class WebhookSender : IDisposable
{
    private readonly HttpClient http;
    private readonly TimeProvider clock;
    private readonly EventProofs proofs;

    public WebhookSender(WebhookSettings settings, TimeProvider clock, EventProofs proofs, WebhookResolver resolver)
    {
        this.clock = clock;
        this.proofs = proofs;
        var handler = new SocketsHttpHandler
        {
            AllowAutoRedirect = false,
            PooledConnectionLifetime = TimeSpan.FromMinutes(5),
            // Checked on the address actually connected to, so that DNS cannot swap a public name for a private address.
            ConnectCallback = async (context, cancellationToken) =>
            {
                var addresses = await resolver.ResolveAsync(context.DnsEndPoint.Host, cancellationToken);
                var allowed = addresses.Where(a => settings.AllowPrivateTargets || !WebhookTargets.IsPrivate(a)).ToArray();
                if (allowed.Length == 0)
                {
                    throw new HttpRequestException($"{context.DnsEndPoint.Host} resolves only to private, loopback or link-local addresses (or IPv6 forms of them), which webhooks may not call");
                }

                var socket = new Socket(SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };
                try
                {
                    await socket.ConnectAsync(allowed, context.DnsEndPoint.Port, cancellationToken);
                    return new NetworkStream(socket, ownsSocket: true);
                }
                catch
                {
                    socket.Dispose();
                    throw;
                }
            },
        };
        http = new HttpClient(handler) { Timeout = TimeSpan.FromSeconds(settings.TimeoutSeconds) };
    }

    public static string MessageIdOf(WebhookSubscription subscription, Notification notice) => $"{subscription.Id}.{notice.Id}";

    public async Task<DeliveryOutcome> SendAsync(WebhookSubscription subscription, StoredEvent e, CancellationToken cancellationToken) =>
        await PostAsync(subscription, $"{subscription.Id}.{e.Position.ToString(CultureInfo.InvariantCulture)}", LedgerCloudEvents.ToJson(e, await proofs.ForAsync(e, cancellationToken)), cancellationToken);

    public Task<DeliveryOutcome> SendAsync(WebhookSubscription subscription, Notification notice, CancellationToken cancellationToken) =>
        PostAsync(subscription, MessageIdOf(subscription, notice), PromiseNotices.ToCloudEvent(notice), cancellationToken);

    private async Task<DeliveryOutcome> PostAsync(WebhookSubscription subscription, string messageId, string body, CancellationToken cancellationToken)
    {
        var at = clock.GetUtcNow();
        var timestamp = at.ToUnixTimeSeconds();
        using var request = new HttpRequestMessage(HttpMethod.Post, subscription.Url)
        {
            Content = new StringContent(body, Encoding.UTF8, "application/cloudevents+json"),
        };
        request.Headers.Add("webhook-id", messageId);
        request.Headers.Add("webhook-timestamp", timestamp.ToString(CultureInfo.InvariantCulture));
        request.Headers.Add("webhook-signature", WebhookSignature.Sign(subscription.Secret, messageId, timestamp, body));
        var watch = Stopwatch.StartNew();
        try
        {
            using var response = await http.SendAsync(request, cancellationToken);
            return new DeliveryOutcome(messageId, at, (int)response.StatusCode, response.IsSuccessStatusCode ? null : $"HTTP {(int)response.StatusCode}", watch.Elapsed);
        }
        catch (Exception ex) when (ex is HttpRequestException or TaskCanceledException or IOException or SocketException && !cancellationToken.IsCancellationRequested)
        {
            return new DeliveryOutcome(messageId, at, null, ex.Message, watch.Elapsed);
        }
    }

    public void Dispose() => http.Dispose();
}

public static class WebhookTargets
{
    /// <summary>Why a URL may not receive webhooks, or null: http(s) only, and no private, loopback or link-local address.</summary>
    public static Task<string?> ProblemAsync(string url, bool allowPrivateTargets, CancellationToken cancellationToken) =>
        ProblemAsync(url, allowPrivateTargets, WebhookResolver.System, cancellationToken);

    public static async Task<string?> ProblemAsync(string url, bool allowPrivateTargets, WebhookResolver resolver, CancellationToken cancellationToken)
    {
        if (!Uri.TryCreate(url, UriKind.Absolute, out var uri) || (uri.Scheme != Uri.UriSchemeHttp && uri.Scheme != Uri.UriSchemeHttps))
        {
            return $"\"{url}\" is not an absolute http or https URL";
        }

        if (allowPrivateTargets)
        {
            return null;
        }

        IPAddress[] addresses;
        try
        {
            addresses = IPAddress.TryParse(uri.Host.Trim('[', ']'), out var literal) ? [literal] : await resolver.ResolveAsync(uri.Host, cancellationToken);
        }
        catch (SocketException ex)
        {
            return $"{uri.Host} does not resolve ({ex.Message})";
        }

        return addresses.Any(IsPrivate)
            ? $"{uri.Host} is a private, loopback or link-local address; webhooks may not call it unless the server allows private targets"
            : null;
    }

    /// <summary>Private, loopback, link-local and the like, also when an IPv6 address carries such an IPv4 address.</summary>
    public static bool IsPrivate(IPAddress address)
    {
        if (EmbeddedIPv4(address).Any(IsPrivate))
        {
            return true;
        }

        if (IPAddress.IsLoopback(address) || address.Equals(IPAddress.Any) || address.Equals(IPAddress.IPv6Any)
            || address.IsIPv6LinkLocal || address.IsIPv6SiteLocal || address.IsIPv6Multicast || address.IsIPv6UniqueLocal)
        {
            return true;
        }

        if (address.AddressFamily != AddressFamily.InterNetwork)
        {
            return false;
        }

        var b = address.GetAddressBytes();
        return b[0] == 10 || b[0] == 127 || b[0] == 0
            || (b[0] == 172 && b[1] >= 16 && b[1] <= 31)
            || (b[0] == 192 && b[1] == 168)
            || (b[0] == 169 && b[1] == 254)
            || (b[0] == 100 && b[1] >= 64 && b[1] <= 127)
            || b[0] >= 224;
    }

    /// <summary>
    /// The IPv4 addresses an IPv6 address may lead to: IPv4-mapped and IPv4-compatible (::a.b.c.d), NAT64 (64:ff9b::/96,
    /// and 64:ff9b:1::/48 at each RFC 6052 prefix length it allows), 6to4 (2002::/16) and Teredo (2001::/32, whose
    /// client address is the inverted last 32 bits).
    /// </summary>
    public static IEnumerable<IPAddress> EmbeddedIPv4(IPAddress address)
    {
        if (address.AddressFamily != AddressFamily.InterNetworkV6)
        {
            yield break;
        }

        var b = address.GetAddressBytes();
        static bool Zero(ReadOnlySpan<byte> bytes) => !bytes.ContainsAnyExcept((byte)0);
        IPAddress V4(params byte[] bytes) => new(bytes);
        if (Zero(b.AsSpan(0, 10)) && ((b[10] == 0xff && b[11] == 0xff) || (b[10] == 0 && b[11] == 0)))
        {
            yield return V4(b[12], b[13], b[14], b[15]);
        }
        else if (b[0] == 0 && b[1] == 0x64 && b[2] == 0xff && b[3] == 0x9b && Zero(b.AsSpan(4, 8)))
        {
            yield return V4(b[12], b[13], b[14], b[15]);
        }
        else if (b[0] == 0 && b[1] == 0x64 && b[2] == 0xff && b[3] == 0x9b && b[4] == 0 && b[5] == 1)
        {
            // Local-use NAT64: the prefix may be /48, /56, /64 or /96, each placing the address elsewhere (byte 8 is reserved).
            yield return V4(b[6], b[7], b[9], b[10]);
            yield return V4(b[7], b[9], b[10], b[11]);
            yield return V4(b[9], b[10], b[11], b[12]);
            yield return V4(b[12], b[13], b[14], b[15]);
        }
        else if (b[0] == 0x20 && b[1] == 0x02)
        {
            yield return V4(b[2], b[3], b[4], b[5]);
        }
        else if (b[0] == 0x20 && b[1] == 0x01 && b[2] == 0 && b[3] == 0)
        {
            yield return V4((byte)~b[12], (byte)~b[13], (byte)~b[14], (byte)~b[15]);
        }
    }
}

/// <summary>Resolves a webhook target's host name, at registration and again on every connection.</summary>
public class WebhookResolver
{
    public static WebhookResolver System { get; } = new();

    public virtual Task<IPAddress[]> ResolveAsync(string host, CancellationToken cancellationToken) => Dns.GetHostAddressesAsync(host, cancellationToken);
}

/// <summary>
/// At start-up every active subscription catches up on what it missed while no worker ran; after that, every
/// <see cref="WebhookSettings.SweepSeconds"/> each one that is behind the log or the notices, and has no retry pending,
/// is woken again. Wake-ups come with each event and notice; the sweep is the safety net for one that was lost (a
/// subscription made in another process, a retry message that never ran).
/// </summary>
public sealed class WebhookSweep(IWebhookStore webhooks, IEventStore store, INotificationFeed feed, WebhookSettings settings, TimeProvider clock,
    IWolverineRuntime runtime, ILogger<WebhookSweep> logger) : BackgroundService
{
    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        var bus = new MessageBus(runtime);
        var noticesSeen = 0L;
        var everyOne = true;
        var starting = true;
        while (!stoppingToken.IsCancellationRequested)
        {
            try
            {
                await foreach (var notice in feed.ReadNoticesAsync(noticesSeen, stoppingToken))
                {
                    noticesSeen = Math.Max(noticesSeen, notice.Sequence);
                    everyOne = true;
                }

                var last = await store.LastPositionAsync(stoppingToken);
                var now = clock.GetUtcNow();
                foreach (var subscription in await webhooks.ListAsync(stoppingToken))
                {
                    if (subscription.Active && (starting || ((subscription.NextAttemptAt is null || subscription.NextAttemptAt <= now) && (everyOne || subscription.DeliveredThrough < last))))
                    {
                        await bus.PublishAsync(new DeliverWebhooks(subscription.Id));
                    }
                }

                everyOne = starting = false;
            }
            catch (Exception ex) when (ex is not OperationCanceledException)
            {
                // The next sweep tries again; deliveries themselves go on meanwhile.
                logger.LogWarning(ex, "webhook sweep failed");
            }

            await Task.Delay(TimeSpan.FromSeconds(settings.SweepSeconds), clock, stoppingToken).ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
        }
    }
}
