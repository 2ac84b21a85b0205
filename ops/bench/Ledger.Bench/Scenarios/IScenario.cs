namespace Ledger.Bench.Scenarios;

/// <summary>One measurement of the report. New scenarios (Marten, Merkle tree, HTTP) implement this and join the list in Program.</summary>
internal interface IScenario
{
    string Name { get; }

    Task<ScenarioResult> RunAsync(BenchContext context, CancellationToken cancellationToken);
}

/// <summary>A measured value; Detail says how it was obtained when the name alone does not.</summary>
internal sealed record Figure(string Name, double Value, string Unit, string? Detail = null);

/// <summary>A ratio held against its target: passes when at least the target.</summary>
internal sealed record Check(string Name, double Value, double Target)
{
    public bool Pass => Value >= Target;
}

internal sealed record ScenarioResult(string Name, string Measures, IReadOnlyList<Figure> Figures, IReadOnlyList<Check> Checks);
