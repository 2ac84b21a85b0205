using System.Security.Cryptography;
using System.Text;
using Ledger.Storage;

namespace Ledger.Messaging.Webhooks;

/// <summary>
/// A URL that receives the events matching its filters, in log order, each signed per Standard Webhooks.
/// DeliveredThrough is the position up to which the receiver has acknowledged everything it asked for.
/// </summary>
public sealed record WebhookSubscription(
    string Id,
    string Url,
    string Secret,
    IReadOnlyList<string> Matters,
    IReadOnlyList<string> Organizations,
    IReadOnlyList<string> Types,
    string CreatedBy,
    DateTimeOffset CreatedAt,
    DateTimeOffset? RemovedAt,
    long DeliveredThrough,
    int FailedAttempts,
    DateTimeOffset? NextAttemptAt,
    string? LastError)
{
    public EventFilter Filter => new(Matters, Organizations, Types);

    public bool Active => RemovedAt is null;
}

/// <summary>One delivery attempt, as the delivery log shows it.</summary>
public sealed record WebhookAttempt(
    long Sequence,
    string SubscriptionId,
    long Position,
    string MessageId,
    int Attempt,
    DateTimeOffset At,
    int? StatusCode,
    string? Error,
    double DurationMs);

/// <summary>Where subscriptions and the delivery log live: beside the events, on every backend.</summary>
public interface IWebhookStore : IAsyncDisposable
{
    Task CreateAsync(WebhookSubscription subscription, CancellationToken cancellationToken = default);

    Task<IReadOnlyList<WebhookSubscription>> ListAsync(CancellationToken cancellationToken = default);

    Task<WebhookSubscription?> GetAsync(string id, CancellationToken cancellationToken = default);

    /// <summary>Stops deliveries; the subscription and its log stay. False when there is no such active subscription.</summary>
    Task<bool> RemoveAsync(string id, DateTimeOffset at, CancellationToken cancellationToken = default);

    /// <summary>Records the receiver's acknowledgement of everything up to a position and clears the failure state.</summary>
    Task AdvanceAsync(string id, long position, CancellationToken cancellationToken = default);

    Task RecordFailureAsync(string id, int failedAttempts, DateTimeOffset nextAttemptAt, string error, CancellationToken cancellationToken = default);

    Task LogAttemptAsync(WebhookAttempt attempt, CancellationToken cancellationToken = default);

    Task<IReadOnlyList<WebhookAttempt>> AttemptsAsync(string id, int limit, CancellationToken cancellationToken = default);

    /// <summary>Whether the receiver acknowledged (2xx) a message with this id.</summary>
    Task<bool> AcknowledgedAsync(string id, string messageId, CancellationToken cancellationToken = default);

    /// <summary>
    /// Exclusive right to deliver for one subscription, across every process on this store; null while another holds it.
    /// One sender at a time keeps each subscription's deliveries in log order.
    /// </summary>
    Task<IAsyncDisposable?> TryLockDeliveriesAsync(string id, CancellationToken cancellationToken = default);
}

/// <summary>Standard Webhooks signatures: HMAC-SHA256 over "id.timestamp.body" with the secret after "whsec_".</summary>
public static class WebhookSignature
{
    public const string SecretPrefix = "whsec_";

    public static string NewSecret() => SecretPrefix + Convert.ToBase64String(RandomNumberGenerator.GetBytes(32));

    public static string NewId(string prefix) => prefix + "_" + Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(12));

    /// <summary>The webhook-signature header value: "v1," and the base64 HMAC.</summary>
    public static string Sign(string secret, string messageId, long timestamp, string body)
    {
        var key = Convert.FromBase64String(secret.StartsWith(SecretPrefix, StringComparison.Ordinal) ? secret[SecretPrefix.Length..] : secret);
        var signed = Encoding.UTF8.GetBytes($"{messageId}.{timestamp.ToString(System.Globalization.CultureInfo.InvariantCulture)}.{body}");
        return "v1," + Convert.ToBase64String(HMACSHA256.HashData(key, signed));
    }

    /// <summary>Whether any v1 signature in the header matches; constant-time comparison.</summary>
    public static bool Verify(string secret, string messageId, long timestamp, string body, string signatureHeader)
    {
        var expected = Encoding.ASCII.GetBytes(Sign(secret, messageId, timestamp, body));
        return signatureHeader.Split(' ', StringSplitOptions.RemoveEmptyEntries)
            .Any(candidate => CryptographicOperations.FixedTimeEquals(Encoding.ASCII.GetBytes(candidate), expected));
    }
}
