using System.Text.Json;
using Ledger.Messaging.Notifying;
using Microsoft.Extensions.Logging;

namespace Ledger.Messaging.Deadlines;

/// <summary>A promise's due date passed with nothing delivered. Raised once per promise and due date.</summary>
public sealed record PromiseBecameOverdue(
    string Matter,
    string Organization,
    string PromiseId,
    string What,
    DateOnly DueBy,
    string? DueText,
    string PromiseStatementId,
    DateTimeOffset PromisedAt,
    DateTimeOffset OverdueSince,
    DateTimeOffset DetectedAt)
{
    public string NotificationId => $"promise-overdue:{Matter}/{PromiseId}@{DueBy:yyyy-MM-dd}";
}

public static class PromiseBecameOverdueHandler
{
    private static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web);

    public static async Task Handle(PromiseBecameOverdue message, INotificationFeed feed, TimeProvider clock, ILogger<PromiseBecameOverdue> logger, CancellationToken cancellationToken)
    {
        var id = message.NotificationId;
        var entered = await feed.AppendAsync(
            new NewNotification(
                id,
                NotificationKinds.PromiseOverdue,
                message.Matter,
                message.Organization,
                null,
                null,
                message.PromiseStatementId,
                message.OverdueSince,
                clock.GetUtcNow(),
                JsonSerializer.Serialize(message, Json)),
            cancellationToken);
        if (entered)
        {
            logger.LogInformation("notified {Id}: promise overdue since {Since:O}", id, message.OverdueSince);
        }
    }
}
