using Ledger.Server;

var app = await LedgerServer.BuildAsync(args);
await app.RunAsync();

/// <summary>The entry point, public so that tests can host the server with WebApplicationFactory.</summary>
public partial class Program;
