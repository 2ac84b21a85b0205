using Ledger.Archiving;
using Ledger.Events;
using Ledger.Matters;

namespace Ledger.Importing;

public sealed partial record ImportDocument
{
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

        if (errors.Count == 0)
        {
            ArchiveSources(command, state, events, now, errors);
        }

        return errors.Count > 0
            ? new ImportDecision([], alreadyPresent, errors)
            : new ImportDecision(events, alreadyPresent, []);
    }

    /// <summary>A SourceArchived event per source file the document names, decided over the matter as the document leaves it.</summary>
    private static void ArchiveSources(ImportDocument command, ImportState state, List<ILedgerEvent> events, DateTimeOffset now, List<InputError> errors)
    {
        if (command.ArchivedFiles.Count == 0)
        {
            return;
        }

        var after = events.Aggregate(state.Matter, MatterState.Evolve);
        var decided = events.OfType<Statement>().ToDictionary(s => s.StatementId, StringComparer.Ordinal);
        foreach (var file in command.ArchivedFiles)
        {
            var statement = decided.TryGetValue(file.StatementId, out var fresh) ? fresh
                : state.Known.TryGetValue(file.StatementId, out var recorded) && recorded.Matter == command.Matter ? recorded
                : null;
            var archive = new ArchiveSource(command.Location.ForStatement(file.StatementIndex, file.StatementId), file.StatementId, file.File, command.RecordedBy);
            var decision = ArchiveSource.Decide(archive, after, statement, now);
            errors.AddRange(decision.Errors);
            events.AddRange(decision.Events);
            after = decision.Events.Aggregate(after, MatterState.Evolve);
        }
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
