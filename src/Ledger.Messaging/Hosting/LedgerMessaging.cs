using System.Data.Common;
using JasperFx.CodeGeneration;
using Ledger.Messaging.Deadlines;
using Ledger.Messaging.Notifying;
using Ledger.Messaging.Verifying;
using Ledger.Messaging.Webhooks;
using Ledger.Storage;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Hosting;
using Wolverine;
using Wolverine.ErrorHandling;

namespace Ledger.Messaging.Hosting;

public enum MessagingRole
{
    /// <summary>A server without its embedded worker (a `ledger worker` runs beside it): handlers run in process, nothing is persisted or scheduled.</summary>
    Commands,

    /// <summary>The long-running worker: durable queues, scheduled deadline checks, the relay and Wolverine's durability agents.</summary>
    Worker,
}

/// <summary>What the messaging module needs, opened by the caller.</summary>
public sealed record LedgerResources(
    LedgerBackend Backend,
    IEventStore Store,
    LedgerClock Clock,
    INotificationFeed? Feed = null,
    IWebhookStore? Webhooks = null,
    WebhookSettings? WebhookSettings = null);

public static class LedgerMessaging
{
    public const string DeadlinesQueue = "deadlines";
    public const string WebhooksQueue = "webhooks";

    /// <summary>
    /// Registers Wolverine with the ledger's handlers. Handler code is generated ahead of time (ledger codegen) and
    /// loaded statically, so no compiler runs at start-up.
    /// </summary>
    public static IHostApplicationBuilder AddLedgerMessaging(this IHostApplicationBuilder builder, LedgerResources resources, MessagingRole role, bool writingCode = false)
    {
        builder.Services.AddSingleton(resources.Store);
        builder.Services.AddSingleton(resources.Clock);
        builder.Services.AddSingleton<TimeProvider>(resources.Clock);
        builder.Services.AddSingleton(resources.Backend);
        builder.Services.TryAddSingleton(LogOptions.From(builder.Configuration).Policy);
        builder.Services.AddSingleton<EventProofs>();
        builder.Services.AddSingleton<PromiseNoticeEntry>();
        builder.Services.AddSingleton(DeadlineSettings.From(builder.Configuration));
        if (resources.Feed is not null)
        {
            builder.Services.AddSingleton(resources.Feed);
        }

        if (resources.Webhooks is not null)
        {
            builder.Services.AddSingleton(resources.Webhooks);
            builder.Services.AddSingleton(resources.WebhookSettings ?? new WebhookSettings());
            builder.Services.AddSingleton(WebhookResolver.System);
            builder.Services.AddSingleton<WebhookSender>();
        }

        builder.UseWolverine(options =>
        {
            options.ApplicationAssembly = typeof(LedgerMessaging).Assembly;
            options.ServiceName = "ledger";
            options.CodeGeneration.TypeLoadMode = writingCode ? TypeLoadMode.Dynamic : TypeLoadMode.Static;
            if (role == MessagingRole.Commands)
            {
                options.Durability.Mode = DurabilityMode.MediatorOnly;
                return;
            }

            resources.Backend.PersistMessages(options);
            options.Durability.Mode = resources.Backend.SharedByWorkers ? DurabilityMode.Balanced : DurabilityMode.Solo;
            // Deadline checks fire within a second of their time rather than the default five.
            options.Durability.ScheduledJobPollingTime = TimeSpan.FromSeconds(1);
            options.Policies.UseDurableLocalQueues();
            options.PublishMessage<CheckPromiseDeadline>().ToLocalQueue(DeadlinesQueue);
            options.PublishMessage<CheckPromiseReminder>().ToLocalQueue(DeadlinesQueue);
            options.PublishMessage<CheckPromiseDelivery>().ToLocalQueue(DeadlinesQueue);
            // One round of deliveries at a time, so that a subscription's events leave in log order.
            options.LocalQueue(WebhooksQueue).Sequential();
            options.PublishMessage<DeliverWebhooks>().ToLocalQueue(WebhooksQueue);
            options.Policies.OnException<DbException>().RetryWithCooldown(TimeSpan.FromMilliseconds(200), TimeSpan.FromSeconds(1), TimeSpan.FromSeconds(5))
                .Then.ScheduleRetry(TimeSpan.FromSeconds(30), TimeSpan.FromMinutes(2), TimeSpan.FromMinutes(10));
        });

        if (role == MessagingRole.Worker)
        {
            builder.Services.AddSingleton<EventRelay>();
            resources.Backend.AddWorkerServices(builder.Services);
            if (!resources.Backend.RelaysEvents)
            {
                builder.Services.AddSingleton(resources.Backend.LeaderLock(NotificationRelay.Name));
                builder.Services.AddHostedService<NotificationRelay>();
            }

            builder.Services.AddLedgerCheckpointSigning(builder.Configuration);
            if (resources.Webhooks is not null)
            {
                builder.Services.AddHostedService<WebhookSweep>();
            }
        }

        return builder;
    }
}
