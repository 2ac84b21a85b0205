using Ledger.Events;
using Ledger.Messaging.Hosting;
using Ledger.Storage;
using Ledger.Store.Marten;
using Microsoft.Extensions.Hosting;
using Npgsql;

namespace Ledger.Stores.Postgres;

/// <summary>
/// The relay on PostgreSQL is a subscription in Marten's async daemon whose page commits in one transaction: while the
/// feed refuses entries, the daemon's attempts leave neither an entry nor a message of the event, and the event is
/// retried rather than skipped; once the feed accepts entries again, the event's entry and its messages (the promise's
/// deadline check and reminder) are stored once.
/// </summary>
[Collection(PostgresCollection.Name)]
public sealed class RelayOutboxTests(PostgresCluster cluster)
{
    private static readonly TimeSpan Patience = TimeSpan.FromSeconds(90);
    private static readonly DateTimeOffset Now = new(2026, 1, 10, 12, 0, 0, TimeSpan.Zero);

    [Fact]
    public async Task A_refused_feed_entry_leaves_no_message_and_the_event_is_relayed_once_when_the_feed_accepts_again()
    {
        var connectionString = await cluster.CreateDatabaseAsync();
        var backend = new PostgresBackend(connectionString);
        await using var store = await backend.OpenStoreAsync(CancellationToken.None);
        await using var feed = await backend.OpenFeedAsync(CancellationToken.None);
        await using var webhooks = await backend.OpenWebhooksAsync(CancellationToken.None);

        // Each refused attempt is counted by a sequence, which the failed transaction cannot roll back.
        await ExecuteAsync(connectionString,
            """
            CREATE SEQUENCE ledger.refused_entries;
            CREATE FUNCTION ledger.refuse_entries() RETURNS trigger LANGUAGE plpgsql AS
                $$ BEGIN PERFORM nextval('ledger.refused_entries'); RAISE EXCEPTION 'injected failure'; END $$;
            CREATE TRIGGER refuse_entries BEFORE INSERT ON ledger.notifications FOR EACH ROW EXECUTE FUNCTION ledger.refuse_entries();
            """);
        await store.AppendAsync("acme/x", 0, [Promise("s-1")]);

        var builder = Host.CreateApplicationBuilder(new HostApplicationBuilderSettings { DisableDefaults = true });
        builder.AddLedgerMessaging(new LedgerResources(backend, store, LedgerClock.Unshifted, feed, webhooks), MessagingRole.Worker);
        using var host = builder.Build();
        await host.StartAsync();
        try
        {
            await WaitForAsync(async () => await ScalarAsync(connectionString, "SELECT CASE WHEN is_called THEN last_value ELSE 0 END FROM ledger.refused_entries") >= 2);
            Assert.Equal((0L, 0L), await CountAsync(connectionString));

            await ExecuteAsync(connectionString, "DROP TRIGGER refuse_entries ON ledger.notifications");
            await WaitForAsync(async () => (await CountAsync(connectionString)).Entries == 1);
            await WaitForAsync(async () => await ScalarAsync(connectionString, "SELECT coalesce((SELECT last_seq_id FROM ledger.mt_event_progression WHERE name LIKE 'notification-relay%'), 0)") >= 1);
            Assert.Equal((1L, 2L), await CountAsync(connectionString));
            var entries = new List<(string, long?)>();
            await foreach (var n in feed.ReadAsync())
            {
                entries.Add((n.Id, n.Position));
            }

            Assert.Equal([("event:1", (long?)1)], entries);
        }
        finally
        {
            await host.StopAsync();
        }
    }

    private static EventToAppend Promise(string id)
    {
        var source = new Source("https://example.org/" + id, null, null, null, null, null);
        var promise = new DisclosurePromised(id, "acme/x", Now.AddDays(-1), Now, "spec", null, source, "Quote.", Hashing.Sha256Hex("Quote."),
            new PromiseTerms("p-1", "a report", new DateOnly(2099, 1, 1), null));
        return EventEnvelope.ToAppend(promise, "Acme");
    }

    private static async Task WaitForAsync(Func<Task<bool>> condition)
    {
        using var patience = new CancellationTokenSource(Patience);
        while (!await condition())
        {
            await Task.Delay(TimeSpan.FromMilliseconds(100), patience.Token);
        }
    }

    /// <summary>Feed entries, and the messages Wolverine stored (its scheduled ones are incoming envelopes).</summary>
    private static async Task<(long Entries, long Messages)> CountAsync(string connectionString) => (
        await ScalarAsync(connectionString, "SELECT count(*) FROM ledger.notifications"),
        await ScalarAsync(connectionString,
            "SELECT (SELECT count(*) FROM ledger_messages.wolverine_incoming_envelopes) + (SELECT count(*) FROM ledger_messages.wolverine_outgoing_envelopes)"));

    private static async Task<long> ScalarAsync(string connectionString, string sql)
    {
        await using var connection = new NpgsqlConnection(connectionString);
        await connection.OpenAsync();
        await using var command = new NpgsqlCommand(sql, connection);
        return Convert.ToInt64(await command.ExecuteScalarAsync(), System.Globalization.CultureInfo.InvariantCulture);
    }

    private static async Task ExecuteAsync(string connectionString, string sql)
    {
        await using var connection = new NpgsqlConnection(connectionString);
        await connection.OpenAsync();
        await using var command = new NpgsqlCommand(sql, connection);
        await command.ExecuteNonQueryAsync();
    }
}
