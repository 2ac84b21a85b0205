namespace Ledger.Bench.Scenarios;

/// <summary>One measurement of the report. New scenarios (Merkle tree, HTTP) implement this and join the list in Program.</summary>
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

/// <summary>What a scenario measured; Skipped gives the reason when it could not run here (then it has no figures or checks).</summary>
internal sealed record ScenarioResult(string Name, string Measures, IReadOnlyList<Figure> Figures, IReadOnlyList<Check> Checks, string? Skipped = null)
{
    public static ScenarioResult Skip(string name, string reason) => new(name, string.Empty, [], [], reason);
}
