namespace Ledger.Server.Api;

/// <summary>The API's limits, from the configuration section "Ledger:Api".</summary>
public sealed class ApiSettings
{
    public const string Section = "Ledger:Api";

    /// <summary>The largest request body accepted on writes (413 above it).</summary>
    public long MaxRequestBytes { get; set; } = 4 * 1024 * 1024;

    /// <summary>Writes each API key (else each client address) may make per minute (429 above it).</summary>
    public int WritesPerMinute { get; set; } = 60;

    /// <summary>The most events one page of /api/events returns.</summary>
    public int MaxEventsPerPage { get; set; } = 1000;
}
