using Ledger.Messaging.Hosting;
using Ledger.Messaging.Notifying;
using Ledger.Messaging.Webhooks;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace Ledger.Cli.Hosting;

/// <summary>The Wolverine host behind `ledger worker` and `ledger codegen`: its log, a line per event, is its output.</summary>
public static class MessagingHost
{
    public static IHost Build(CommandContext context, INotificationFeed? feed = null, string? contentRoot = null, bool writingCode = false,
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
        builder.Logging.AddConsole(options => options.LogToStandardErrorThreshold = LogLevel.None);
        builder.Logging.SetMinimumLevel(LogLevel.Information);
        builder.Logging.AddFilter("Wolverine", LogLevel.Warning);
        builder.Logging.AddFilter("JasperFx", LogLevel.Warning);
        builder.Logging.AddFilter("Microsoft", LogLevel.Warning);
        builder.AddLedgerMessaging(new LedgerResources(context.Backend, context.Store, context.Clock, feed, webhooks, webhookSettings), MessagingRole.Worker, writingCode);
        return builder.Build();
    }
}
