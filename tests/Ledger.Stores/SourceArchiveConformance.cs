using System.Text;
using Ledger.Archiving;
using Ledger.Events;
using Ledger.Importing;
using Ledger.Messaging.Hosting;
using Ledger.Messaging.Sources;
using Ledger.Querying;
using Ledger.Storage;
using Ledger.Store.EventStoreDb;
using Ledger.Store.Marten;
using Ledger.Store.Sqlite;
using Ledger.Stores.Postgres;

namespace Ledger.Stores;

/// <summary>What every backend's archive of sources must do: keep bytes by their SHA-256 with their media type, once, durably.</summary>
public abstract class SourceArchiveConformance
{
    protected abstract Task<LedgerBackend> FreshBackendAsync();

    [Fact]
    public async Task Bytes_round_trip_by_their_sha256_with_their_media_type()
    {
        var backend = await FreshBackendAsync();
        await using var archive = await backend.OpenSourceArchiveAsync(CancellationToken.None);
        var bytes = Encoding.UTF8.GetBytes("<html><body><p>Quote.</p></body></html>");

        var sha256 = await archive.PutAsync(bytes, "text/html");

        Assert.Equal(Hashing.Sha256Hex(bytes), sha256);
        var stored = await archive.GetAsync(sha256);
        Assert.Equal((sha256, "text/html"), (stored!.Sha256, stored.MediaType));
        Assert.Equal(bytes, stored.Bytes);
        Assert.Null(await archive.GetAsync(Hashing.Sha256Hex("never archived")));
    }

    [Fact]
    public async Task Putting_bytes_again_keeps_the_first_copy_and_another_opening_reads_it()
    {
        var backend = await FreshBackendAsync();
        var bytes = new byte[3 * 1024 * 1024];
        new Random(16).NextBytes(bytes);
        string sha256;
        await using (var archive = await backend.OpenSourceArchiveAsync(CancellationToken.None))
        {
            sha256 = await archive.PutAsync(bytes, "application/pdf");
            Assert.Equal(sha256, await archive.PutAsync(bytes, "text/plain"));
        }

        await using var reopened = await backend.OpenSourceArchiveAsync(CancellationToken.None);
        var stored = await reopened.GetAsync(sha256);

        Assert.Equal("application/pdf", stored!.MediaType);
        Assert.Equal(bytes, stored.Bytes);
    }
}

/// <summary>Archiving through a backend's event store: the event is appended, the stored read model shows it, and a refusal appends nothing.</summary>
public abstract class ArchivingConformance
{
    private const string Matter = "microsoft/imod-azure";
    private static readonly DateTimeOffset Now = new(2026, 1, 10, 12, 0, 0, TimeSpan.Zero);

    protected abstract Task<LedgerBackend> FreshBackendAsync();

    [Fact]
    public async Task Archiving_a_sample_source_appends_SourceArchived_and_the_stored_status_says_the_quote_was_found()
    {
        var backend = await FreshBackendAsync();
        await using var store = await backend.OpenStoreAsync(CancellationToken.None);
        await using var archive = await backend.OpenSourceArchiveAsync(CancellationToken.None);
        Assert.Empty((await new ImportPipeline(store, new FixedClock(Now)).HandleAsync(Sample.Documents())).Errors);
        var (file, bytes) = SampleSource("msft-2025-09-25-update.html");
        var handler = new ArchiveSourceHandler(store, archive, new FixedClock(Now.AddHours(1)));

        var outcome = await handler.HandleAsync(new ArchiveSource(new InputLocation(file.Name), "msft-2025-09-25-termination", file, "curator"), bytes);
        var again = await handler.HandleAsync(new ArchiveSource(new InputLocation(file.Name), "msft-2025-09-25-termination", file, "curator"), bytes);
        var status = await new LedgerQueries(store).StatusAsync(Matter, new ReadTime(Now.AddDays(1), null, Now.AddDays(1)), CancellationToken.None);

        Assert.Empty(outcome.Errors);
        Assert.Equal((true, false), (outcome.Archived!.QuoteFound, outcome.AlreadyPresent));
        Assert.Equal((true, outcome.Archived), (again.AlreadyPresent, again.Archived));
        Assert.True(status.Stored);
        var shown = Assert.Single(status.Value.ArchivedSources!);
        Assert.Equal(("msft-2025-09-25-termination", file.Sha256, true), (shown.StatementId, shown.Sha256, shown.QuoteFound));
        Assert.Equal(bytes, (await archive.GetAsync(file.Sha256))!.Bytes);
        var last = (await ReadAsync(store))[^1];
        Assert.Equal((EventTypes.SourceArchived, (string?)null), (last.Type, last.StatementId));
    }

    [Fact]
    public async Task Other_bytes_for_an_archived_statement_and_unknown_statements_append_nothing()
    {
        var backend = await FreshBackendAsync();
        await using var store = await backend.OpenStoreAsync(CancellationToken.None);
        await using var archive = await backend.OpenSourceArchiveAsync(CancellationToken.None);
        await new ImportPipeline(store, new FixedClock(Now)).HandleAsync(Sample.Documents());
        var (file, bytes) = SampleSource("msft-2025-09-25-update.html");
        var handler = new ArchiveSourceHandler(store, archive, new FixedClock(Now.AddHours(1)));
        await handler.HandleAsync(new ArchiveSource(new InputLocation(file.Name), "msft-2025-09-25-findings", file, "curator"), bytes);
        var position = await store.LastPositionAsync();
        var otherBytes = Encoding.UTF8.GetBytes("<p>While our review is ongoing.</p>");
        var (other, _) = SourceFiles.Read("other.html", otherBytes);

        var refused = await handler.HandleAsync(new ArchiveSource(new InputLocation("other.html"), "msft-2025-09-25-findings", other!, "curator"), otherBytes);
        var unknown = await handler.HandleAsync(new ArchiveSource(new InputLocation("other.html"), "no-such-statement", other!, "curator"), otherBytes);

        Assert.Contains("already has an archived source", Assert.Single(refused.Errors).Message, StringComparison.Ordinal);
        Assert.Equal("statement \"no-such-statement\" is not recorded in the ledger", Assert.Single(unknown.Errors).Message);
        Assert.Equal(position, await store.LastPositionAsync());
        Assert.Null(await archive.GetAsync(other!.Sha256));
    }

    [Fact]
    public async Task An_imported_document_with_a_source_file_keeps_its_bytes_with_the_statement()
    {
        var backend = await FreshBackendAsync();
        await using var store = await backend.OpenStoreAsync(CancellationToken.None);
        await using var archive = await backend.OpenSourceArchiveAsync(CancellationToken.None);
        var (file, bytes) = SampleSource("msft-2025-08-15-review.html");
        var documents = Sample.Documents();
        var index = documents[0].Statements.ToList().FindIndex(s => s.StatementId == "msft-2025-08-15-review");
        documents[0] = documents[0] with { ArchivedFiles = [new ArchivedFile(index, "msft-2025-08-15-review", file, bytes)] };

        var result = await new ImportPipeline(store, new FixedClock(Now), archive).HandleAsync(documents);

        Assert.Equal((0, null, null), (result.Errors.Count, result.Failure, result.Conflict));
        Assert.Equal(bytes, (await archive.GetAsync(file.Sha256))!.Bytes);
        var archived = (SourceArchived)EventEnvelope.ToEvent(Assert.Single(await ReadAsync(store), e => e.Type == EventTypes.SourceArchived));
        Assert.Equal(("msft-2025-08-15-review", true), (archived.SourceOf, archived.QuoteFound));
    }

    private static async Task<List<StoredEvent>> ReadAsync(IEventStore store)
    {
        var events = new List<StoredEvent>();
        await foreach (var e in store.ReadStreamAsync(Matter))
        {
            events.Add(e);
        }

        return events;
    }

    private static (SourceFile File, byte[] Bytes) SampleSource(string name)
    {
        var bytes = File.ReadAllBytes(Path.Combine(Ledger.Testing.Checkout.Root, "samples", "sources", name));
        var (file, error) = SourceFiles.Read(name, bytes);
        Assert.Null(error);
        return (file!, bytes);
    }
}

public sealed class SqliteSourceArchiveTests : SourceArchiveConformance, IDisposable
{
    private readonly string directory = Directory.CreateTempSubdirectory("ledger-sources-").FullName;

    public void Dispose() => Directory.Delete(directory, recursive: true);

    protected override Task<LedgerBackend> FreshBackendAsync() => Task.FromResult<LedgerBackend>(new SqliteBackend(Path.Combine(directory, $"{Guid.NewGuid():N}.db")));
}

[Collection(PostgresCollection.Name)]
public sealed class PostgresSourceArchiveTests(PostgresCluster cluster) : SourceArchiveConformance
{
    protected override async Task<LedgerBackend> FreshBackendAsync() => new PostgresBackend(await cluster.CreateDatabaseAsync());
}

/// <summary>An EventStoreDB ledger keeps its sources in its state store; no node is needed to reach them.</summary>
public sealed class EventStoreDbSourceArchiveTests : SourceArchiveConformance, IDisposable
{
    private readonly string directory = Directory.CreateTempSubdirectory("ledger-esdb-sources-").FullName;

    public void Dispose() => Directory.Delete(directory, recursive: true);

    protected override Task<LedgerBackend> FreshBackendAsync() =>
        Task.FromResult<LedgerBackend>(new EventStoreDbBackend("esdb://127.0.0.1:2113?tls=false", new SqliteBackend(Path.Combine(directory, $"{Guid.NewGuid():N}.db"))));
}

public sealed class SqliteArchivingTests : ArchivingConformance, IDisposable
{
    private readonly string directory = Directory.CreateTempSubdirectory("ledger-archiving-").FullName;

    public void Dispose() => Directory.Delete(directory, recursive: true);

    protected override Task<LedgerBackend> FreshBackendAsync() => Task.FromResult<LedgerBackend>(new SqliteBackend(Path.Combine(directory, $"{Guid.NewGuid():N}.db")));
}

[Collection(PostgresCollection.Name)]
public sealed class PostgresArchivingTests(PostgresCluster cluster) : ArchivingConformance
{
    protected override async Task<LedgerBackend> FreshBackendAsync() => new PostgresBackend(await cluster.CreateDatabaseAsync());
}
