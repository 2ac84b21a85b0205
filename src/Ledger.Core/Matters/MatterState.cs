using System.Collections.Immutable;
using Ledger.Events;

namespace Ledger.Matters;

/// <summary>
/// What decisions about a matter need to know, folded from its stream: whether it is open,
/// its organization and title, its version, its promises, the allegations it has heard of, which statements were
/// withdrawn and which have an archived source.
/// </summary>
public sealed record MatterState(
    string Matter,
    string? Organization,
    string? Title,
    long Version,
    ImmutableDictionary<string, string> PromiseStatements,
    ImmutableHashSet<string> Withdrawn,
    ImmutableHashSet<string> Allegations)
{
    public static MatterState Initial(string matter) =>
        new(matter, null, null, 0, ImmutableDictionary<string, string>.Empty.WithComparers(StringComparer.Ordinal), ImmutableHashSet.Create<string>(StringComparer.Ordinal),
            ImmutableHashSet.Create<string>(StringComparer.Ordinal));

    /// <summary>The SHA-256 of the archived source of each statement that has one.</summary>
    public ImmutableDictionary<string, string> ArchivedSources { get; init; } = ImmutableDictionary<string, string>.Empty.WithComparers(StringComparer.Ordinal);

    public bool IsOpen => Organization is not null;

    /// <summary>Closed lifecycle: not opened, then open. Statements before the opening are a corrupt stream.</summary>
    public static MatterState Evolve(MatterState state, ILedgerEvent e)
    {
        if (e is MatterOpened opened)
        {
            return state.IsOpen
                ? throw new InvalidOperationException($"matter {state.Matter} is opened twice (version {state.Version + 1})")
                : state with { Organization = opened.Organization, Title = opened.Title, Version = state.Version + 1 };
        }

        if (!state.IsOpen)
        {
            throw new InvalidOperationException($"matter {state.Matter} has a {e.GetType().Name} before it was opened");
        }

        var next = state with { Version = state.Version + 1 };
        return e switch
        {
            DisclosurePromised p => next with { PromiseStatements = next.PromiseStatements.SetItem(p.Promise.Id, p.StatementId) },
            StatementWithdrawn w => next with { Withdrawn = next.Withdrawn.Add(w.Withdraws) },
            AllegationReported r => next with { Allegations = next.Allegations.Add(r.Allegation.Id) },
            FindingsDisclosed f => next with { Allegations = next.Allegations.Union(f.Findings.Where(x => x.NewAllegation).Select(x => x.Allegation)) },
            SourceArchived a => next with { ArchivedSources = next.ArchivedSources.SetItem(a.SourceOf, a.Sha256) },
            ReviewLaunched or ActionTaken or DisclosureDelivered
                or ReviewConcluded or PositionStated or EntryCorrected => next,
            _ => throw new InvalidOperationException($"matter {state.Matter}: no rule for event {e.GetType().Name}"),
        };
    }
}
