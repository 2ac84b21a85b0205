namespace Ledger.Bench.Scenarios;

/// <summary>
/// What keeping the read models costs the embedded ledger's import, alone: the same documents imported into fresh
/// files with and without them, round by round, the first variant alternating. The read-side scenario runs the same.
/// </summary>
internal sealed class ReadModelAppendScenario : IScenario
{
    public string Name => "read-models-append";

    public async Task<ScenarioResult> RunAsync(BenchContext context, CancellationToken cancellationToken)
    {
        var cost = await ReadSideScenario.AppendCostAsync(context, context.Options.Quick, Math.Max(context.Options.Runs, context.Options.Quick ? 1 : 5), cancellationToken);
        return new ScenarioResult(
            Name,
            $"{cost.Statements:N0} statements in {cost.Matters:N0} matters imported into fresh SQLite files with and without the read models, {cost.Ratios.Count} rounds, the first variant alternating.",
            [
                new Figure("import with the read models", cost.With, "statements/s", "best round"),
                new Figure("import without the read models", cost.Without, "statements/s", "best round"),
                new Figure("with / without (median of rounds)", cost.Median, "x", "rounds: " + ReadSideScenario.Join(cost.Ratios)),
            ],
            [new Check("import with the read models / without (median of rounds)", cost.Median, ReadSideScenario.AppendTarget)]);
    }
}
