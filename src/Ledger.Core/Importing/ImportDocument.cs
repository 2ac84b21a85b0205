using System.Text.Json;
using System.Threading.Channels;
using Ledger.Events;
using Ledger.Matters;
using Ledger.Storage;

namespace Ledger.Importing;

/// <summary>Record the statements of one disclosure document about one matter. All or nothing.</summary>
public sealed record ImportDocument(
    InputLocation Location,
    string Matter,
    string? Organization,
    string? Title,
    IReadOnlyList<Statement> Statements,
    string RecordedBy)
{
    /// <summary>The ids the decision needs to look up: the document's own and those it references.</summary>
    public IEnumerable<string> ReferencedIds() =>
        Statements.Select(s => s.StatementId)
            .Concat(Statements.OfType<StatementWithdrawn>().Select(w => w.Withdraws))
            .Concat(Statements.OfType<EntryCorrected>().Select(c => c.Corrects))
            .Distinct(StringComparer.Ordinal);

    /// <summary>Validates a document's shape and fields. Every problem is reported; null when there is any.</summary>
    public static ImportDocument? Read(RawDocument raw, string recordedBy, List<InputError> errors)
    {
        var before = errors.Count;
        void Report(string field, string message) => errors.Add(new InputError(raw.Location, field, message));

        if (raw.Json.ValueKind != JsonValueKind.Object)
        {
            errors.Add(new InputError(raw.Location, null, "a disclosure document must be a JSON object with matter and statements"));
            return null;
        }

        var f = new JsonFields(raw.Json, string.Empty, Report);
        var matter = f.Text("matter", required: true);
        if (matter is not null && !MatterIds.IsValid(matter))
        {
            f.Error("matter", $"\"{matter}\" is not a valid matter id (lower-case words of a-z, 0-9, '.', '_' or '-', separated by '/', e.g. microsoft/imod-azure)");
            matter = null;
        }

        var organization = f.Text("organization");
        var title = f.Text("title");
        var statements = new List<Statement>();
        if (f.Raw("statements", required: true) is { } array)
        {
            if (array.ValueKind != JsonValueKind.Array || array.GetArrayLength() == 0)
            {
                f.Error("statements", "must be a non-empty array of statements");
            }
            else
            {
                var index = 0;
                foreach (var item in array.EnumerateArray())
                {
                    var id = item.ValueKind == JsonValueKind.Object && item.TryGetProperty("id", out var idValue) && idValue.ValueKind == JsonValueKind.String
                        ? idValue.GetString()
                        : null;
                    var location = raw.Location.ForStatement(index, id);
                    var statement = StatementParser.Parse(item, matter ?? string.Empty, (field, message) => errors.Add(new InputError(location, field, message)));
                    if (statement is not null)
                    {
                        statements.Add(statement);
                    }

                    index++;
                }
            }
        }

        f.RefuseUnknown();
        return errors.Count == before && matter is not null
            ? new ImportDocument(raw.Location, matter, organization, title, statements, recordedBy)
            : null;
    }

    /// <summary>
    /// Validates documents lazily, yielding them in input order until the first invalid one. The rest are still
    /// validated so that every error is reported, but none of them is yielded. <paramref name="adapt"/> may complete a
    /// document with outside facts (e.g. archive hashes), reporting into the list it gets.
    /// </summary>
    public static IEnumerable<ImportDocument> ReadValid(IReadOnlyList<RawDocument> raws, string recordedBy, List<InputError> errors,
        Func<ImportDocument, List<InputError>, ImportDocument>? adapt = null)
    {
        var valid = true;
        foreach (var raw in raws)
        {
            var own = new List<InputError>();
            var document = Read(raw, recordedBy, own);
            if (document is not null && adapt is not null)
            {
                document = adapt(document, own);
            }

            lock (errors)
            {
                errors.AddRange(own);
            }

            valid = valid && own.Count == 0 && document is not null;
            if (valid)
            {
                yield return document!;
            }
        }
    }

    /// <summary>
    /// Pure decision: the events to append, the statements already present, or the errors (then no events).
    /// <paramref name="state"/> holds the matter's state and every recorded statement the document names.
    /// </summary>
    public static ImportDecision Decide(ImportDocument command, ImportState state, DateTimeOffset now)
    {
        var errors = new List<InputError>();
        var events = new List<ILedgerEvent>();
        var alreadyPresent = new List<string>();
        var matter = state.Matter;
        void DocumentError(string field, string message) => errors.Add(new InputError(command.Location, field, message));

        if (!matter.IsOpen)
        {
            if (command.Organization is null)
            {
                DocumentError("organization", $"matter {command.Matter} is new, so the document must give its organization");
            }

            if (command.Title is null)
            {
                DocumentError("title", $"matter {command.Matter} is new, so the document must give its title");
            }

            if (command.Organization is not null && command.Title is not null)
            {
                events.Add(new MatterOpened(command.Matter, command.Organization, command.Title, now, command.RecordedBy));
            }
        }
        else
        {
            if (command.Organization is not null && command.Organization != matter.Organization)
            {
                DocumentError("organization", $"\"{command.Organization}\" differs from the matter's organization \"{matter.Organization}\"");
            }

            if (command.Title is not null && command.Title != matter.Title)
            {
                DocumentError("title", $"\"{command.Title}\" differs from the matter's title \"{matter.Title}\"");
            }
        }

        var fresh = new Dictionary<string, Statement>(StringComparer.Ordinal);
        var seen = new HashSet<string>(StringComparer.Ordinal);
        var promises = new HashSet<string>(matter.PromiseStatements.Keys, StringComparer.Ordinal);
        var withdrawn = new HashSet<string>(matter.Withdrawn, StringComparer.Ordinal);
        var allegations = AllegationsKnown(matter, command.Statements);

        Statement? Resolve(string id) =>
            fresh.TryGetValue(id, out var inDocument) ? inDocument
            : state.Known.TryGetValue(id, out var recorded) && recorded.Matter == command.Matter ? recorded
            : null;

        for (var index = 0; index < command.Statements.Count; index++)
        {
            var draft = command.Statements[index];
            var location = command.Location.ForStatement(index, draft.StatementId);
            var before = errors.Count;
            void Error(string field, string message) => errors.Add(new InputError(location, field, message));

            var statement = draft with
            {
                RecordedAt = now,
                RecordedBy = command.RecordedBy,
                PublishedAt = draft is EntryCorrected && draft.PublishedAt == default ? now : draft.PublishedAt,
            };

            if (!seen.Add(draft.StatementId))
            {
                Error("id", $"\"{draft.StatementId}\" appears more than once in this document");
                continue;
            }

            if (state.Known.TryGetValue(draft.StatementId, out var existing))
            {
                if (existing.Matter != command.Matter)
                {
                    Error("id", $"\"{draft.StatementId}\" is already recorded in matter {existing.Matter}; statement ids are unique in the ledger");
                }
                else if (StatementContent.Fingerprint(existing) == StatementContent.Fingerprint(SameStamps(draft, existing)))
                {
                    alreadyPresent.Add(draft.StatementId);
                }
                else
                {
                    Error("id", $"\"{draft.StatementId}\" is already recorded with different content; record a correction (EntryCorrected) instead");
                }

                continue;
            }

            if (statement.PublishedAt > now)
            {
                Error("publishedAt", $"{Timestamps.Format(statement.PublishedAt)} is later than the time of recording {Timestamps.Format(now)}");
            }

            switch (statement)
            {
                case DisclosurePromised p when promises.Contains(p.Promise.Id):
                    Error("promise.id", $"promise \"{p.Promise.Id}\" is already recorded in matter {command.Matter}");
                    break;
                case DisclosurePromised p:
                    promises.Add(p.Promise.Id);
                    break;
                case DisclosureDelivered d when !promises.Contains(d.Promise):
                    Error("promise", $"no promise \"{d.Promise}\" is recorded in matter {command.Matter} or earlier in this document");
                    break;
                case FindingsDisclosed f:
                    CheckFindings(f, allegations, string.Empty, Error);
                    break;
                case StatementWithdrawn w:
                    CheckWithdrawal(w, Resolve(w.Withdraws), withdrawn, Error);
                    break;
                case EntryCorrected c:
                    CheckCorrection(c, Resolve(c.Corrects), now, allegations, Error);
                    break;
            }

            if (errors.Count == before)
            {
                fresh[statement.StatementId] = statement;
                events.Add(statement);
            }
        }

        return errors.Count > 0
            ? new ImportDecision([], alreadyPresent, errors)
            : new ImportDecision(events, alreadyPresent, []);
    }

    /// <summary>
    /// The allegations a finding may assess: those the matter has heard of, and those this document reports or declares
    /// new, wherever in it (all or nothing, so the order within the document does not matter).
    /// </summary>
    private static HashSet<string> AllegationsKnown(MatterState matter, IEnumerable<Statement> statements)
    {
        var known = new HashSet<string>(matter.Allegations, StringComparer.Ordinal);
        foreach (var statement in statements)
        {
            switch (statement)
            {
                case AllegationReported r:
                    known.Add(r.Allegation.Id);
                    break;
                case FindingsDisclosed f:
                    known.UnionWith(f.Findings.Where(x => x.NewAllegation).Select(x => x.Allegation));
                    break;
            }
        }

        return known;
    }

    /// <summary>A finding about an allegation nobody reported is most likely a typo, which would leave the real one unassessed.</summary>
    private static void CheckFindings(FindingsDisclosed f, HashSet<string> allegations, string prefix, Action<string, string> error)
    {
        for (var i = 0; i < f.Findings.Count; i++)
        {
            var finding = f.Findings[i];
            if (!finding.NewAllegation && !allegations.Contains(finding.Allegation))
            {
                var reported = allegations.Count == 0 ? "none" : string.Join(", ", allegations.Order(StringComparer.Ordinal));
                error($"{prefix}findings[{i}].allegation",
                    $"\"{finding.Allegation}\" is not an allegation of matter {f.Matter} (reported: {reported}); "
                    + "if this finding introduces a new allegation, add \"newAllegation\": true to it");
            }
        }
    }

    private static Statement SameStamps(Statement draft, Statement existing) =>
        draft is EntryCorrected && draft.PublishedAt == default ? draft with { PublishedAt = existing.PublishedAt } : draft;

    private static void CheckWithdrawal(StatementWithdrawn w, Statement? target, HashSet<string> withdrawn, Action<string, string> error)
    {
        if (target is null)
        {
            error("withdraws", $"no statement \"{w.Withdraws}\" is recorded in matter {w.Matter} or earlier in this document");
        }
        else if (target is StatementWithdrawn or EntryCorrected)
        {
            error("withdraws", $"\"{w.Withdraws}\" is a {target.Type}, which cannot be withdrawn");
        }
        else if (!withdrawn.Add(w.Withdraws))
        {
            error("withdraws", $"\"{w.Withdraws}\" is already withdrawn");
        }
        else if (w.PublishedAt < target.PublishedAt)
        {
            error("publishedAt", $"the withdrawal is dated before the statement it withdraws ({Timestamps.Format(target.PublishedAt)})");
        }
    }

    private static void CheckCorrection(EntryCorrected c, Statement? target, DateTimeOffset now, HashSet<string> allegations, Action<string, string> error)
    {
        if (target is null)
        {
            error("corrects", $"no statement \"{c.Corrects}\" is recorded in matter {c.Matter} or earlier in this document");
            return;
        }

        if (target is EntryCorrected)
        {
            error("corrects", $"\"{c.Corrects}\" is itself a correction; correct the original statement instead");
            return;
        }

        var corrected = StatementCorrections.Apply(target, c.Changes, error);
        if (corrected is not null && corrected.PublishedAt > now)
        {
            error("changes.publishedAt", $"{Timestamps.Format(corrected.PublishedAt)} is later than the time of recording");
        }

        if (corrected is FindingsDisclosed findings && c.Changes.Keys.Any(k => k == "findings" || k.StartsWith("findings.", StringComparison.Ordinal)))
        {
            CheckFindings(findings, allegations, "changes.", error);
        }
    }
}

/// <summary>What the import decision sees: the matter's state and the recorded statements the document names.</summary>
public sealed record ImportState(MatterState Matter, IReadOnlyDictionary<string, Statement> Known);

public sealed record ImportDecision(IReadOnlyList<ILedgerEvent> Events, IReadOnlyList<string> AlreadyPresent, IReadOnlyList<InputError> Errors);

public sealed record DocumentOutcome(InputLocation Location, string Matter, int Appended, IReadOnlyList<string> AlreadyPresent);

/// <summary>
/// Documents lists those appended (or already present), in order. Errors, Conflict or Failure (the store itself
/// failed) say why the import stopped: the documents before were appended, the failing one and those after were not.
/// </summary>
public sealed record ImportResult(IReadOnlyList<DocumentOutcome> Documents, IReadOnlyList<InputError> Errors, string? Conflict = null, string? Failure = null)
{
    public int Appended => Documents.Sum(d => d.Appended);

    public int AlreadyPresent => Documents.Sum(d => d.AlreadyPresent.Count);
}

/// <summary>
/// Loads state, decides and appends, one document at a time in input order, each atomically with its expected version.
/// Work overlaps: documents are validated ahead on other threads, and the next one is decided while the store waits
/// for the disk on the current one. The first invalid document stops the import: those before it are appended,
/// it and those after are not.
/// </summary>
public sealed class ImportPipeline(IEventStore store, TimeProvider clock)
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

                var append = rows.Count > 0
                    ? Task.Run(() => store.AppendAsync(document.Matter, before.Version, rows, cancellationToken), cancellationToken)
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

public static partial class MatterIds
{
    [System.Text.RegularExpressions.GeneratedRegex("^[a-z0-9][a-z0-9._-]*(/[a-z0-9][a-z0-9._-]*)*$")]
    private static partial System.Text.RegularExpressions.Regex Pattern();

    public static bool IsValid(string matter) => matter.Length <= 200 && Pattern().IsMatch(matter);
}
