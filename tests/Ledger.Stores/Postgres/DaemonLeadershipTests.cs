using Ledger.Messaging.Hosting;
using Ledger.Store.Marten;
using Microsoft.Extensions.Hosting;

namespace Ledger.Stores.Postgres;

/// <summary>
/// Two workers on one Marten ledger: the one whose async daemon runs (hot/cold, Marten's advisory lock) leads the
/// worker's other singleton tasks too; when it stops, its lease is lost and the other worker leads.
/// </summary>
[Collection(PostgresCollection.Name)]
public sealed class DaemonLeadershipTests(PostgresCluster cluster)
{
    private static readonly TimeSpan Patience = TimeSpan.FromSeconds(90);

    [Fact]
    public async Task One_worker_leads_with_its_daemon_and_the_other_takes_over_when_it_stops()
    {
        var connectionString = await cluster.CreateDatabaseAsync();
        var backend = new PostgresBackend(connectionString);
        await using var store = await backend.OpenStoreAsync(CancellationToken.None);
        await using var feed = await backend.OpenFeedAsync(CancellationToken.None);
        await using var webhooks = await backend.OpenWebhooksAsync(CancellationToken.None);
        var resources = new LedgerResources(backend, store, LedgerClock.Unshifted, feed, webhooks);
        using var first = await StartWorkerAsync(resources);
        using var second = await StartWorkerAsync(resources);
        using var patience = new CancellationTokenSource(Patience);

        var firstLease = backend.WorkerLeadership("test", first.Services).AcquireAsync(patience.Token);
        var secondLease = backend.WorkerLeadership("test", second.Services).AcquireAsync(patience.Token);
        var won = await Task.WhenAny(firstLease, secondLease);
        var (leader, standby, waiting) = won == firstLease ? (first, second, secondLease) : (second, first, firstLease);
        await using var lease = await won;
        Assert.False(waiting.IsCompleted, "both workers lead");
        Assert.False(lease.Lost.IsCancellationRequested);

        await leader.StopAsync();
        await using var taken = await waiting;
        while (!lease.Lost.IsCancellationRequested)
        {
            await Task.Delay(TimeSpan.FromMilliseconds(100), patience.Token);
        }

        Assert.False(taken.Lost.IsCancellationRequested);
        await standby.StopAsync();
    }

    private static async Task<IHost> StartWorkerAsync(LedgerResources resources)
    {
        var builder = Host.CreateApplicationBuilder(new HostApplicationBuilderSettings { DisableDefaults = true });
        builder.AddLedgerMessaging(resources, MessagingRole.Worker);
        var host = builder.Build();
        await host.StartAsync();
        return host;
    }
}
