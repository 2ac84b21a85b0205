using Ledger.Events;
using Ledger.Importing;
using Ledger.Matters;
using Ledger.Storage;

namespace Ledger.Archiving;

/// <summary>What archiving did: the event appended or found (null when refused), whether it was there already, or the errors.</summary>
public sealed record ArchiveOutcome(SourceArchived? Archived, bool AlreadyPresent, IReadOnlyList<InputError> Errors);

/// <summary>
/// Loads the statement and its matter's state, decides, keeps the bytes and appends the event with the version the state
/// was folded at. The quote checked is the statement's as corrected so far. Bytes are kept before the append: bytes
/// whose append then failed are unreferenced but harmless, since they are addressed by their hash.
/// </summary>
public sealed class ArchiveSourceHandler(IEventStore store, ISourceArchive archive, TimeProvider clock)
{
    public async Task<ArchiveOutcome> HandleAsync(ArchiveSource command, ReadOnlyMemory<byte> bytes, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(command);
        var found = await store.FindStatementsAsync([command.StatementId], cancellationToken);
        if (!found.TryGetValue(command.StatementId, out var stored))
        {
            var refused = ArchiveSource.Decide(command, MatterState.Initial(string.Empty), null, clock.GetUtcNow());
            return new ArchiveOutcome(null, false, refused.Errors);
        }

        var state = MatterState.Initial(stored.Stream);
        var statement = (Statement)EventEnvelope.ToEvent(stored);
        SourceArchived? existing = null;
        await foreach (var e in store.ReadStreamAsync(stored.Stream, 1, cancellationToken))
        {
            var recorded = EventEnvelope.ToEvent(e);
            state = MatterState.Evolve(state, recorded);
            switch (recorded)
            {
                case EntryCorrected c when c.Corrects == statement.StatementId:
                    statement = StatementCorrections.Apply(statement, c.Changes, (_, _) => { }) ?? statement;
                    break;
                case SourceArchived a when a.SourceOf == statement.StatementId:
                    existing = a;
                    break;
            }
        }

        var decision = ArchiveSource.Decide(command, state, statement, clock.GetUtcNow());
        if (decision.Errors.Count > 0)
        {
            return new ArchiveOutcome(null, false, decision.Errors);
        }

        if (decision.AlreadyPresent)
        {
            return new ArchiveOutcome(existing, true, []);
        }

        await archive.PutAsync(bytes, command.File.MediaType, cancellationToken);
        var rows = decision.Events.Select(e => EventEnvelope.ToAppend(e, state.Organization!)).ToList();
        await store.AppendAsync(state.Matter, state.Version, rows, cancellationToken);
        return new ArchiveOutcome(decision.Events[0], false, []);
    }
}
