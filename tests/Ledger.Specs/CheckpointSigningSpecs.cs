using Ledger.Messaging.Hosting;
using Ledger.Messaging.Verifying;
using Ledger.Storage;
using Ledger.Verification;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.Logging.Abstractions;
using Ledger.Store.Marten;
using Ledger.Store.Sqlite;

namespace Ledger.Specs;

public sealed class CheckpointSigningSpecs : IDisposable
{
    private const string Origin = "ledger.example.org/disclosures";
    private readonly string folder = Directory.CreateTempSubdirectory("ledger-specs-").FullName;

    public void Dispose() => Directory.Delete(folder, recursive: true);

    [Fact]
    public void The_key_file_sits_beside_a_sqlite_ledger_is_owner_only_and_is_not_overwritten_without_force()
    {
        var backend = new SqliteBackend(Path.Combine(folder, "ledger.db"));
        var path = LogKeyFile.Locate(backend, null);
        using var signer = NoteSigner.Generate(Origin);
        using var other = NoteSigner.Generate(Origin);

        LogKeyFile.Write(path, signer, force: false);
        var refused = Assert.Throws<LogKeyException>(() => LogKeyFile.Write(path, other, force: false));
        using var kept = LogKeyFile.Load(path);
        LogKeyFile.Write(path, other, force: true);
        using var replaced = LogKeyFile.Load(path);

        Assert.Equal(Path.Combine(folder, "ledger.log.key"), path);
        Assert.Contains(path, refused.Message, StringComparison.Ordinal);
        Assert.Equal(signer.Verifier.ToString(), kept.Verifier.ToString());
        Assert.Equal(other.Verifier.ToString(), replaced.Verifier.ToString());
        if (!OperatingSystem.IsWindows())
        {
            Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite, File.GetUnixFileMode(path));
        }

        Assert.Single(Directory.GetFiles(folder));
    }

    [Fact]
    public void A_postgres_ledger_has_no_default_key_file_and_a_bad_key_file_is_named()
    {
        var missing = Assert.Throws<LogKeyException>(() => LogKeyFile.Locate(new PostgresBackend("Host=localhost"), null));
        var bad = Path.Combine(folder, "bad.key");
        File.WriteAllText(bad, "not a key\n");

        Assert.Contains("--key-file", missing.Message, StringComparison.Ordinal);
        Assert.StartsWith(bad, Assert.Throws<LogKeyException>(() => LogKeyFile.Load(bad)).Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("0")]
    [InlineData("soon")]
    public void Checkpoint_seconds_must_be_a_positive_number(string seconds)
    {
        var configuration = new ConfigurationBuilder().AddInMemoryCollection([new("Ledger:Log:CheckpointSeconds", seconds)]).Build();

        Assert.Contains("Ledger:Log:CheckpointSeconds", Assert.Throws<FormatException>(() => LogOptions.From(configuration)).Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task The_hosted_service_signs_when_the_tree_grows()
    {
        var backend = new SqliteBackend(Path.Combine(folder, "ledger.db"));
        using (var signer = NoteSigner.Generate(Origin))
        {
            LogKeyFile.Write(LogKeyFile.Locate(backend, null), signer, force: false);
        }

        var log = MemoryMerkleLog.From([Event(1), Event(2)]);
        await using var store = new VerifiableStore(log);
        using var service = new CheckpointSigning(store, backend, backend.LeaderLock(CheckpointSigning.LockName), LedgerClock.Unshifted, new LogOptions(CheckpointSeconds: 0.05), NullLogger<CheckpointSigning>.Instance);
        await service.StartAsync(CancellationToken.None);
        try
        {
            await WaitForAsync(log, 2);
            log.Append(Event(3));
            await WaitForAsync(log, 3);
        }
        finally
        {
            await service.StopAsync(CancellationToken.None);
        }

        Assert.Equal([2L, 3L], (await log.ListCheckpointsAsync()).Select(c => c.TreeSize));
    }

    private static async Task WaitForAsync(MemoryMerkleLog log, long size)
    {
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(20);
        while ((await log.LatestCheckpointAsync())?.TreeSize != size)
        {
            Assert.True(DateTime.UtcNow < deadline, $"no checkpoint of size {size} was signed");
            await Task.Delay(20);
        }
    }

    private static StoredEvent Event(int i) =>
        new(i, "acme/m", i, "PositionStated", $"s-{i}", "Acme", null, DateTimeOffset.UnixEpoch.AddDays(i), "spec", $$"""{"n":{{i}}}""");

    /// <summary>Only the Merkle log matters to the signer; the event store itself is never read.</summary>
    private sealed class VerifiableStore(IMerkleLog log) : IEventStore, IVerifiableStore
    {
        public IMerkleLog Merkle => log;

        public Task<AppendResult> AppendAsync(string stream, long expectedVersion, IReadOnlyList<EventToAppend> events, CancellationToken cancellationToken = default) => throw new NotSupportedException();

        public IAsyncEnumerable<StoredEvent> ReadStreamAsync(string stream, long fromVersion = 1, CancellationToken cancellationToken = default) => throw new NotSupportedException();

        public IAsyncEnumerable<StoredEvent> ReadAllAsync(long fromPosition = 1, EventFilter? filter = null, CancellationToken cancellationToken = default) => throw new NotSupportedException();

        public IAsyncEnumerable<StoredEvent> SubscribeAsync(long fromPosition = 1, EventFilter? filter = null, CancellationToken cancellationToken = default) => throw new NotSupportedException();

        public Task<IReadOnlyList<StreamInfo>> ListStreamsAsync(CancellationToken cancellationToken = default) => throw new NotSupportedException();

        public Task<IReadOnlyDictionary<string, StoredEvent>> FindStatementsAsync(IReadOnlyCollection<string> statementIds, CancellationToken cancellationToken = default) => throw new NotSupportedException();

        public ValueTask DisposeAsync() => ValueTask.CompletedTask;
    }
}
