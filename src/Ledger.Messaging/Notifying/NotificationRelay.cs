using System.Data.Common;
using Ledger.Messaging.Hosting;
using Ledger.Storage;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Wolverine.Runtime;

namespace Ledger.Messaging.Notifying;

/// <summary>
/// Follows the event log and enters each event in the notification feed, in log order, with the durable messages it
/// calls for (<see cref="EventRelay"/>), resuming after the last event entered. Only the leading worker relays. This
/// relay serves the backends whose feed and message store cannot share a transaction with the log's reader (SQLite,
/// EventStoreDB): the messages are stored first and the entry last, so a crash between them repeats only that event's
/// messages, whose effects are idempotent (deterministic notice ids, deliveries by acknowledged position). PostgreSQL
/// relays through a Marten subscription instead (<see cref="LedgerBackend.RelaysEvents"/>).
/// </summary>
public sealed class NotificationRelay(
    IEventStore store,
    INotificationFeed feed,
    ILeaderLock leaderLock,
    EventRelay relay,
    IWolverineRuntime runtime,
    ILogger<NotificationRelay> logger) : BackgroundService
{
    public const string Name = "notification-relay";

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        while (!stoppingToken.IsCancellationRequested)
        {
            await using var leadership = await leaderLock.AcquireAsync(stoppingToken);
            logger.LogInformation("leading: relaying the event log to notifications");
            using var lead = CancellationTokenSource.CreateLinkedTokenSource(stoppingToken, leadership.Lost);
            try
            {
                await RelayAsync(lead.Token);
            }
            catch (OperationCanceledException) when (leadership.Lost.IsCancellationRequested && !stoppingToken.IsCancellationRequested)
            {
                logger.LogWarning("lost leadership; standing by");
            }
            catch (Exception ex) when (ex is DbException || ex.InnerException is DbException)
            {
                logger.LogWarning("the store failed ({Message}); retrying", ex.InnerException?.Message ?? ex.Message);
                await Task.Delay(TimeSpan.FromSeconds(1), stoppingToken);
            }
        }
    }

    private async Task RelayAsync(CancellationToken cancellationToken)
    {
        var from = await feed.RelayedThroughAsync(cancellationToken) + 1;
        await foreach (var stored in store.SubscribeAsync(from, null, cancellationToken))
        {
            var relayed = await relay.PrepareAsync(stored, cancellationToken);
            await relayed.PublishAsync(new MessageBus(runtime));
            await feed.AppendAsync(relayed.Entry, cancellationToken);
            logger.LogInformation("notified {Id}: {Type} in {Matter}", relayed.Entry.Id, stored.Type, stored.Stream);
        }
    }
}
