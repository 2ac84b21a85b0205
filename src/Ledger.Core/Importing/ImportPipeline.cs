using System.Threading.Channels;
using Ledger.Archiving;
using Ledger.Events;
using Ledger.Matters;
using Ledger.Storage;

namespace Ledger.Importing;

/// <summary>
/// Loads state, decides and appends, one document at a time in input order, each atomically with its expected version.
/// Work overlaps: documents are validated ahead on other threads, and the next one is decided while the store waits
/// for the disk on the current one. The first invalid document stops the import: those before it are appended,
/// it and those after are not.
/// The source files documents name are kept in <paramref name="sources"/> just before their document is appended.
/// </summary>
public sealed class ImportPipeline(IEventStore store, TimeProvider clock, ISourceArchive? sources = null)
{
    private readonly Dictionary<string, MatterState> matters = new(StringComparer.Ordinal);

    public Task<ImportResult> HandleAsync(IReadOnlyList<ImportDocument> documents, IProgress<int>? progress = null, CancellationToken cancellationToken = default) =>
        HandleAsync(documents.AsEnumerable(), progress, cancellationToken);

    /// <summary>Imports documents as the source yields them; progress counts documents appended.</summary>
    public async Task<ImportResult> HandleAsync(IEnumerable<ImportDocument> documents, IProgress<int>? progress, CancellationToken cancellationToken)
    {
        using var stop = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        var channel = Channel.CreateBounded<ImportDocument>(new BoundedChannelOptions(64) { SingleReader = true, SingleWriter = true });
        // Validation runs on its own thread, so that it neither waits for nor starves the thread pool that appends.
        var producer = Task.Factory.StartNew(
            () =>
            {
                try
                {
                    foreach (var document in documents)
                    {
                        while (!channel.Writer.TryWrite(document))
                        {
                            channel.Writer.WaitToWriteAsync(stop.Token).AsTask().GetAwaiter().GetResult();
                        }
                    }

                    channel.Writer.Complete();
                }
                catch (Exception ex)
                {
                    channel.Writer.Complete(ex);
                }
            },
            CancellationToken.None,
            TaskCreationOptions.LongRunning,
            TaskScheduler.Default);

        var outcomes = new List<DocumentOutcome>();
        var errors = new List<InputError>();
        var pending = new Dictionary<string, Statement>(StringComparer.Ordinal);
        (Task Append, DocumentOutcome Outcome)? inFlight = null;
        string? conflict = null;
        string? failure = null;

        async Task<bool> SettleAsync()
        {
            if (inFlight is not { } flight)
            {
                return true;
            }

            inFlight = null;
            try
            {
                await flight.Append;

                // Appended statements are found in the store from now on; keeping only the in-flight ones bounds memory.
                pending.Clear();
                outcomes.Add(flight.Outcome);
                progress?.Report(outcomes.Count);
                return true;
            }
            catch (ConcurrencyConflictException ex)
            {
                conflict = $"{flight.Outcome.Location}: {ex.Message}";
                return false;
            }
            catch (Exception ex) when (ex is not OperationCanceledException and not StoreTamperedException)
            {
                failure = StoreFailure(ex);
                return false;
            }
        }

        try
        {
            await foreach (var document in channel.Reader.ReadAllAsync(stop.Token))
            {
                var before = await LoadAsync(document.Matter, cancellationToken);
                var known = await KnownAsync(document, pending, cancellationToken);
                var decision = ImportDocument.Decide(document, new ImportState(before, known), clock.GetUtcNow());
                if (decision.Errors.Count > 0)
                {
                    errors.AddRange(decision.Errors);
                    break;
                }

                var after = decision.Events.Aggregate(before, MatterState.Evolve);
                var rows = decision.Events.Select(e => EventEnvelope.ToAppend(e, after.Organization!)).ToList();
                if (rows.Count > 0 && store is IPreparesAppends preparing)
                {
                    preparing.PrepareAppend(document.Matter, before.Version, rows);
                }

                if (!await SettleAsync())
                {
                    break;
                }

                matters[document.Matter] = after;
                foreach (var statement in decision.Events.OfType<Statement>())
                {
                    pending[statement.StatementId] = statement;
                }

                var archived = decision.Events.OfType<SourceArchived>().Select(a => document.ArchivedFiles.First(f => f.StatementId == a.SourceOf)).ToList();
                var append = rows.Count > 0
                    ? Task.Run(
                        async () =>
                        {
                            await KeepSourcesAsync(archived, cancellationToken);
                            await store.AppendAsync(document.Matter, before.Version, rows, cancellationToken);
                        },
                        cancellationToken)
                    : Task.CompletedTask;
                inFlight = (append, new DocumentOutcome(document.Location, document.Matter, decision.Events.Count(e => e is Statement), decision.AlreadyPresent));
            }

            await SettleAsync();
        }
        catch (Exception ex) when (ex is not OperationCanceledException and not ChannelClosedException and not StoreTamperedException)
        {
            // The store failed while deciding (reads): what was appended before stays, the rest is not attempted.
            failure = StoreFailure(ex);
            await SettleAsync();
        }
        finally
        {
            await stop.CancelAsync();
            if (inFlight is { } flight)
            {
                await flight.Append.ContinueWith(_ => { }, TaskScheduler.Default);
            }

            await producer;
        }

        if (errors.Count > 0 || conflict is not null || failure is not null)
        {
            // What this handler believed about the matters may be ahead of the store now.
            matters.Clear();
        }

        return new ImportResult(outcomes, errors, conflict, failure);
    }

    /// <summary>Bytes kept before their append; should the append fail they stay unreferenced, harmless as they are addressed by their hash.</summary>
    private async Task KeepSourcesAsync(List<ArchivedFile> files, CancellationToken cancellationToken)
    {
        if (files.Count == 0)
        {
            return;
        }

        var archive = sources ?? throw new InvalidOperationException("this import keeps no archived sources, but a document names source files");
        foreach (var file in files)
        {
            await archive.PutAsync(file.Bytes, file.File.MediaType, cancellationToken);
        }
    }

    private static string StoreFailure(Exception ex)
    {
        var innermost = ex;
        while (innermost.InnerException is not null)
        {
            innermost = innermost.InnerException;
        }

        return innermost == ex ? $"{ex.GetType().Name}: {ex.Message}" : $"{ex.GetType().Name}: {ex.Message} ({innermost.GetType().Name}: {innermost.Message})";
    }

    private async Task<Dictionary<string, Statement>> KnownAsync(ImportDocument document, Dictionary<string, Statement> pending, CancellationToken cancellationToken)
    {
        var known = new Dictionary<string, Statement>(StringComparer.Ordinal);
        var ids = document.ReferencedIds().ToList();
        foreach (var (id, stored) in await store.FindStatementsAsync(ids, cancellationToken))
        {
            known[id] = (Statement)EventEnvelope.ToEvent(stored);
        }

        foreach (var id in ids)
        {
            if (pending.TryGetValue(id, out var inBatch))
            {
                known[id] = inBatch;
            }
        }

        return known;
    }

    private async Task<MatterState> LoadAsync(string matter, CancellationToken cancellationToken)
    {
        var state = matters.TryGetValue(matter, out var cached) ? cached : MatterState.Initial(matter);
        await foreach (var stored in store.ReadStreamAsync(matter, state.Version + 1, cancellationToken))
        {
            state = MatterState.Evolve(state, EventEnvelope.ToEvent(stored));
        }

        matters[matter] = state;
        return state;
    }
}
