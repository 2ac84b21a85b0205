namespace Ledger.Server.Hosting;

/// <summary>The server's own settings, from the "Ledger" configuration section (command line --Ledger:Store=..., or LEDGER__STORE).</summary>
public sealed record ServerSettings(string? Store, bool LoadSample)
{
    public static ServerSettings From(IConfiguration configuration)
    {
        var section = configuration.GetSection("Ledger");
        return new ServerSettings(section["Store"], section.GetValue("LoadSample", true));
    }
}
