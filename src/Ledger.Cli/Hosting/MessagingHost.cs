using Ledger.Messaging.Hosting;
using Ledger.Messaging.Notifying;
using Ledger.Messaging.Webhooks;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace Ledger.Cli.Hosting;

/// <summary>The Wolverine host behind a command: quiet for short commands, a line per event for the worker.</summary>
public static class MessagingHost
{
    public static IHost Build(CommandContext context, MessagingRole role, INotificationFeed? feed = null, string? contentRoot = null, bool writingCode = false,
        IWebhookStore? webhooks = null, WebhookSettings? webhookSettings = null)
    {
        var builder = Host.CreateApplicationBuilder(new HostApplicationBuilderSettings
        {
            DisableDefaults = true,
            ContentRootPath = contentRoot ?? AppContext.BaseDirectory,
        });
        builder.Logging.ClearProviders();
        builder.Logging.AddSimpleConsole(options =>
        {
            options.SingleLine = true;
            options.TimestampFormat = "yyyy-MM-dd'T'HH:mm:ss.fff ";
            options.UseUtcTimestamp = true;
        });
        // Short commands keep standard output for their results; the worker's log is its output.
        builder.Logging.AddConsole(options => options.LogToStandardErrorThreshold = role == MessagingRole.Worker ? LogLevel.None : LogLevel.Trace);
        builder.Logging.SetMinimumLevel(role == MessagingRole.Worker ? LogLevel.Information : LogLevel.Warning);
        builder.Logging.AddFilter("Wolverine", role == MessagingRole.Worker ? LogLevel.Warning : LogLevel.Error);
        builder.Logging.AddFilter("JasperFx", LogLevel.Warning);
        builder.Logging.AddFilter("Microsoft", LogLevel.Warning);
        builder.AddLedgerMessaging(new LedgerResources(context.Backend, context.Store, context.Clock, feed, webhooks, webhookSettings), role, writingCode);
        return builder.Build();
    }
}
