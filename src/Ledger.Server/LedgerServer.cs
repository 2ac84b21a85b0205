using Ledger.Messaging.Hosting;
using Ledger.Messaging.Webhooks;
using Ledger.Server.Api;
using Ledger.Server.Dashboard;
using Ledger.Server.Feeds;
using Ledger.Server.Hosting;
using Ledger.Server.Subscriptions;
using Ledger.Server.Webhooks;

namespace Ledger.Server;

/// <summary>`ledger serve`: the HTTP API, live subscriptions, feeds, webhooks and dashboard, with the worker embedded.</summary>
public static class LedgerServer
{
    private static readonly Dictionary<string, string?> QuietLogging = new()
    {
        ["Logging:LogLevel:Default"] = "Warning",
        ["Logging:LogLevel:Microsoft.AspNetCore"] = "Warning",
        ["Logging:LogLevel:Wolverine"] = "Warning",
        ["Logging:LogLevel:JasperFx"] = "Warning",
        ["Logging:LogLevel:Marten"] = "Warning",
    };

    /// <summary>Configuration: Ledger:Store (else LEDGER_STORE, else the default SQLite file), Ledger:LoadSample, and ASP.NET's usual keys (urls).</summary>
    public static async Task<WebApplication> BuildAsync(string[] args)
    {
        var builder = WebApplication.CreateBuilder(args);
        // The console is for the person who started the server: warnings and its address. These defaults sit below every
        // other configuration source, so appsettings, Logging__LogLevel__Default=Information or the command line win.
        builder.Configuration.Sources.Insert(0, new Microsoft.Extensions.Configuration.Memory.MemoryConfigurationSource { InitialData = QuietLogging });

        var settings = ServerSettings.From(builder.Configuration);
        var backend = settings.Backend();
        var store = await backend.OpenStoreAsync(CancellationToken.None);
        var feed = await backend.OpenFeedAsync(CancellationToken.None);
        var webhooks = await backend.OpenWebhooksAsync(CancellationToken.None);
        var webhookSettings = builder.Configuration.GetSection("Ledger:Webhooks").Get<WebhookSettings>() ?? new WebhookSettings();
        builder.Services.AddSingleton(settings);
        builder.Services.AddSingleton(await backend.OpenSourceArchiveAsync(CancellationToken.None));
        builder.AddLedgerMessaging(new LedgerResources(backend, store, LedgerClock.FromEnvironment(), feed, webhooks, webhookSettings), settings.Worker ? MessagingRole.Worker : MessagingRole.Commands);
        builder.AddLedgerHosting(settings);
        builder.AddLedgerApi();
        builder.AddLedgerLog(backend);
        builder.AddLiveSubscriptions();
        builder.AddLedgerDashboard();

        var app = builder.Build();
        app.MapLedgerHosting();
        app.MapLedgerApi();
        app.MapLedgerLog();
        app.MapLiveSubscriptions();
        app.MapLedgerDashboard();
        app.MapAtomFeeds();
        app.MapWebhookEndpoints();
        return app;
    }
}
