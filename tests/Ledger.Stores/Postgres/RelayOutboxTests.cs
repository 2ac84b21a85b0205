using Ledger.Messaging.Deadlines;
using Ledger.Messaging.Hosting;
using Ledger.Messaging.Notifying;
using Ledger.Store.Marten;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Npgsql;
using Wolverine;

namespace Ledger.Stores.Postgres;

/// <summary>
/// The relay's step on PostgreSQL is one transaction: a failure injected into the feed entry, after the step's
/// messages were handed to Wolverine's outbox, leaves neither the entry nor the messages; once the feed accepts
/// entries again, the same step stores both.
/// </summary>
[Collection(PostgresCollection.Name)]
public sealed class RelayOutboxTests(PostgresCluster cluster)
{
    private static readonly DateOnly FarDue = new(2099, 1, 1);

    [Fact]
    public async Task A_failed_feed_entry_leaves_no_message_of_its_step_and_a_retried_step_stores_both()
    {
        var connectionString = await cluster.CreateDatabaseAsync();
        var backend = new PostgresBackend(connectionString);
        await using var store = await backend.OpenStoreAsync(CancellationToken.None);
        await using var feed = await backend.OpenFeedAsync(CancellationToken.None);
        await using var webhooks = await backend.OpenWebhooksAsync(CancellationToken.None);
        var builder = Host.CreateApplicationBuilder(new HostApplicationBuilderSettings { DisableDefaults = true });
        builder.AddLedgerMessaging(new LedgerResources(backend, store, LedgerClock.Unshifted, feed, webhooks), MessagingRole.Worker);
        using var host = builder.Build();
        await host.StartAsync();
        try
        {
            var step = host.Services.GetRequiredService<IRelayStep>();
            var entry = new NewNotification("event:1", NotificationKinds.EventRecorded, "acme/x", "Acme", 1, "DisclosurePromised", "s-1",
                DateTimeOffset.UnixEpoch, DateTimeOffset.UnixEpoch, "{}");
            var check = new CheckPromiseDeadline("acme/x", "p-1", FarDue);
            Func<IMessageBus, ValueTask> publish = async bus => await bus.ScheduleAsync(check, check.Deadline);

            await ExecuteAsync(connectionString,
                """
                CREATE FUNCTION ledger.refuse_entries() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN RAISE EXCEPTION 'injected failure'; END $$;
                CREATE TRIGGER refuse_entries BEFORE INSERT ON ledger.notifications FOR EACH ROW EXECUTE FUNCTION ledger.refuse_entries();
                """);
            var failure = await Assert.ThrowsAnyAsync<Exception>(() => step.CommitAsync(entry, publish, CancellationToken.None));
            Assert.Contains("injected failure", Messages(failure));
            Assert.Equal((0L, 0L), await CountAsync(connectionString));

            await ExecuteAsync(connectionString, "DROP TRIGGER refuse_entries ON ledger.notifications");
            await step.CommitAsync(entry, publish, CancellationToken.None);
            Assert.Equal((1L, 1L), await CountAsync(connectionString));
            Assert.Equal([("event:1", (long?)1)], (await ToListAsync(feed.ReadAsync())).Select(n => (n.Id, n.Position)));
        }
        finally
        {
            await host.StopAsync();
        }
    }

    private static string Messages(Exception exception)
    {
        var text = new List<string>();
        for (Exception? e = exception; e is not null; e = e.InnerException)
        {
            text.Add(e.Message);
        }

        return string.Join(" / ", text);
    }

    /// <summary>Feed entries, and the messages Wolverine stored (its scheduled ones are incoming envelopes).</summary>
    private static async Task<(long Entries, long Messages)> CountAsync(string connectionString)
    {
        await using var connection = new NpgsqlConnection(connectionString);
        await connection.OpenAsync();
        await using var command = new NpgsqlCommand(
            """
            SELECT (SELECT count(*) FROM ledger.notifications),
                   (SELECT count(*) FROM ledger_messages.wolverine_incoming_envelopes) + (SELECT count(*) FROM ledger_messages.wolverine_outgoing_envelopes)
            """,
            connection);
        await using var reader = await command.ExecuteReaderAsync();
        await reader.ReadAsync();
        return (reader.GetInt64(0), reader.GetInt64(1));
    }

    private static async Task ExecuteAsync(string connectionString, string sql)
    {
        await using var connection = new NpgsqlConnection(connectionString);
        await connection.OpenAsync();
        await using var command = new NpgsqlCommand(sql, connection);
        await command.ExecuteNonQueryAsync();
    }

    private static async Task<List<T>> ToListAsync<T>(IAsyncEnumerable<T> items)
    {
        var list = new List<T>();
        await foreach (var item in items)
        {
            list.Add(item);
        }

        return list;
    }
}
