using System.Reflection;
using Ledger.Importing;
using Ledger.Storage;
using Microsoft.AspNetCore.DataProtection;
using Microsoft.Extensions.Diagnostics.HealthChecks;

namespace Ledger.Server.Hosting;

public static class ServerHosting
{
    /// <summary>Health checks, the sample on an empty ledger, and the started server's address on standard output.</summary>
    public static IHostApplicationBuilder AddLedgerHosting(this IHostApplicationBuilder builder, ServerSettings settings)
    {
        builder.Services.AddHealthChecks().AddCheck<StoreHealthCheck>("store", tags: ["ready"]);
        // Nothing the server hands out is protected by ASP.NET's data protection (no cookies): keep no keys on disk.
        builder.Services.AddDataProtection().UseEphemeralDataProtectionProvider();
        if (settings.LoadSample)
        {
            builder.Services.AddHostedService<SampleLoader>();
        }

        builder.Services.AddHostedService<AddressAnnouncer>();
        return builder;
    }

    public static WebApplication MapLedgerHosting(this WebApplication app)
    {
        app.MapHealthChecks("/health/live", new() { Predicate = _ => false });
        app.MapHealthChecks("/health/ready", new() { Predicate = check => check.Tags.Contains("ready") });
        return app;
    }

    /// <summary>The documents shipped in samples/, embedded in the server.</summary>
    public static IEnumerable<(string Name, string Text)> Samples()
    {
        var assembly = Assembly.GetExecutingAssembly();
        foreach (var name in assembly.GetManifestResourceNames().Where(n => n.StartsWith("samples/", StringComparison.Ordinal)).Order(StringComparer.Ordinal))
        {
            using var reader = new StreamReader(assembly.GetManifestResourceStream(name)!);
            yield return (name, reader.ReadToEnd());
        }
    }
}

/// <summary>Ready when the store answers.</summary>
internal sealed class StoreHealthCheck(IEventStore store) : IHealthCheck
{
    public async Task<HealthCheckResult> CheckHealthAsync(HealthCheckContext context, CancellationToken cancellationToken = default)
    {
        try
        {
            await store.ListStreamsAsync(cancellationToken);
            return HealthCheckResult.Healthy();
        }
        catch (Exception ex) when (ex is System.Data.Common.DbException or IOException or InvalidOperationException)
        {
            return HealthCheckResult.Unhealthy("the store does not answer", ex);
        }
    }
}

/// <summary>An empty ledger gets the reference case, so that a first visit shows something real.</summary>
internal sealed class SampleLoader(IEventStore store, TimeProvider clock, ILogger<SampleLoader> logger) : IHostedService
{
    public async Task StartAsync(CancellationToken cancellationToken)
    {
        if ((await store.ListStreamsAsync(cancellationToken)).Count > 0)
        {
            return;
        }

        var errors = new List<InputError>();
        var raws = ServerHosting.Samples().SelectMany(s => DisclosureReader.Read(s.Name, System.Text.Encoding.UTF8.GetBytes(s.Text), errors)).ToList();
        var documents = ImportDocument.ReadValid(raws, "ledger serve (sample)", errors).ToList();
        if (errors.Count > 0)
        {
            throw new InvalidOperationException($"the embedded sample is invalid: {string.Join("; ", errors)}");
        }

        var result = await new ImportPipeline(store, clock).HandleAsync(documents, cancellationToken: cancellationToken);
        logger.LogInformation("the ledger was empty: loaded the sample ({Appended} statements)", result.Appended);
    }

    public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;
}

/// <summary>Prints where the server listens once it does, for the person who started it.</summary>
internal sealed class AddressAnnouncer(IHostApplicationLifetime lifetime, Microsoft.AspNetCore.Hosting.Server.IServer server) : IHostedService
{
    public Task StartAsync(CancellationToken cancellationToken)
    {
        lifetime.ApplicationStarted.Register(() =>
        {
            var addresses = server.Features.Get<Microsoft.AspNetCore.Hosting.Server.Features.IServerAddressesFeature>()?.Addresses ?? [];
            foreach (var address in addresses)
            {
                Console.WriteLine($"ledger: serving on {address}");
            }
        });
        return Task.CompletedTask;
    }

    public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;
}
