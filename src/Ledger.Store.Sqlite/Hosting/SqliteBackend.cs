using Ledger.Projections.ReadModels;
using Ledger.Storage;
using Ledger.Verification;
using Wolverine;
using Wolverine.Sqlite;

namespace Ledger.Store.Sqlite;

/// <summary>The embedded default: the ledger and all that goes with it in one SQLite file (Wolverine's messages in one beside it).</summary>
public sealed record SqliteBackend(string Path) : LedgerBackend, IStateBackend
{
    public string FullPath => System.IO.Path.GetFullPath(Path);

    /// <summary>Wolverine's tables live in their own file, so that its polling never waits on the ledger's writer.</summary>
    public string MessagesPath => System.IO.Path.ChangeExtension(FullPath, null) + ".messages.db";

    /// <summary>The Merkle tree of a ledger whose events live elsewhere, in a file of its own beside this state's.</summary>
    public string TreePath => System.IO.Path.ChangeExtension(FullPath, null) + ".merkle.db";

    public override bool SharedByWorkers => false;

    public override string Description => $"SQLite {FullPath} (messages in {MessagesPath})";

    public StateLocation Location => new StateFile(FullPath);

    public override async Task<IEventStore> OpenStoreAsync(CancellationToken cancellationToken) =>
        await SqliteEventStore.OpenAsync(Path, cancellationToken);

    public override async Task<INotificationFeed> OpenFeedAsync(CancellationToken cancellationToken) =>
        await SqliteNotificationFeed.OpenAsync(FullPath, cancellationToken);

    public override async Task<IWebhookStore> OpenWebhooksAsync(CancellationToken cancellationToken) =>
        await SqliteWebhookStore.OpenAsync(FullPath, cancellationToken);

    public override IApiKeyStore OpenApiKeys() => new SqliteApiKeyStore(FullPath);

    public override async Task<ISourceArchive> OpenSourceArchiveAsync(CancellationToken cancellationToken) =>
        await SqliteSourceArchive.OpenAsync(FullPath, cancellationToken);

    public override ILeaderLock LeaderLock(string name) => new FileLeaderLock(FileBeside($".{name}.lock"));

    public override void PersistMessages(WolverineOptions options) => options.PersistMessagesWithSqlite($"Data Source={MessagesPath}");

    public void PersistStateMessages(WolverineOptions options) => PersistMessages(options);

    public override string FileBeside(string suffix) => System.IO.Path.ChangeExtension(FullPath, null) + suffix;

    public async Task<IProjectedMerkleTree> OpenTreeAsync(IEventStore events, CancellationToken cancellationToken) =>
        await SqliteMerkleTree.OpenAsync(TreePath, events, cancellationToken);

    public async Task<IReadModelWriter?> OpenReadModelWriterAsync(CancellationToken cancellationToken) =>
        await SqliteReadModelWriter.OpenAsync(FullPath, cancellationToken);
}

/// <summary>sqlite:&lt;path&gt;, or a bare path ending .db or .sqlite.</summary>
public sealed class SqliteBackendKind : ILedgerBackendKind
{
    public string Usage => "sqlite:<path>";

    public LedgerBackend? ByScheme(string location, string? state, LedgerBackends backends) =>
        location.StartsWith("sqlite:", StringComparison.OrdinalIgnoreCase) ? new SqliteBackend(location["sqlite:".Length..]) : null;

    public LedgerBackend? ByShape(string location) =>
        location.EndsWith(".db", StringComparison.OrdinalIgnoreCase) || location.EndsWith(".sqlite", StringComparison.OrdinalIgnoreCase)
            ? new SqliteBackend(location)
            : null;
}

public static class SqliteModule
{
    /// <summary>Adds the embedded SQLite backend to the backends a store location may name.</summary>
    public static LedgerBackends AddLedgerSqlite(this LedgerBackends backends)
    {
        ArgumentNullException.ThrowIfNull(backends);
        return backends.Add(new SqliteBackendKind());
    }
}
