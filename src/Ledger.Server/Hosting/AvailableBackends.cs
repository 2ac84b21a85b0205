using Ledger.Messaging.Hosting;
using Ledger.Store.EventStoreDb;
using Ledger.Store.Marten;
using Ledger.Store.Sqlite;

namespace Ledger.Server.Hosting;

/// <summary>The backends this build has: each module adds itself; a store location picks one.</summary>
public static class AvailableBackends
{
    public static LedgerBackends All { get; } = new LedgerBackends().AddLedgerSqlite().AddLedgerPostgres().AddLedgerEventStoreDb();
}
