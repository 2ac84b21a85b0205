namespace Ledger.Server.Hosting;

/// <summary>The server's own settings, from the "Ledger" configuration section (command line --Ledger:Store=..., or LEDGER__STORE).</summary>
/// <remarks>
/// Ledger:State names the store of what an EventStoreDB ledger's server keeps beside its events (else LEDGER_STATE).
/// Ledger:Worker=false serves without the embedded worker, where a `ledger worker` process runs beside the server.
/// </remarks>
public sealed record ServerSettings(string? Store, bool LoadSample, string? State = null, bool Worker = true)
{
    public static ServerSettings From(IConfiguration configuration)
    {
        var section = configuration.GetSection("Ledger");
        return new ServerSettings(section["Store"], section.GetValue("LoadSample", true), section["State"], section.GetValue("Worker", true));
    }

    public Ledger.Messaging.Hosting.LedgerBackend Backend() =>
        AvailableBackends.All.Parse(Ledger.Messaging.Hosting.LedgerBackends.Locate(Store), State);
}
