using Ledger.Messaging.Verifying;
using Ledger.Verification;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.Logging;

namespace Ledger.Cli.Commands;

/// <summary>The witnesses a CLI command sends the checkpoint it signs to: named with --witness, else those of the environment.</summary>
internal static class CheckpointWitnesses
{
    /// <exception cref="UsageException">A --witness is not &lt;url&gt;=&lt;vkey&gt;.</exception>
    /// <exception cref="FormatException">A witness or the quorum is malformed.</exception>
    public static (IReadOnlyList<WitnessEndpoint> Witnesses, WitnessPolicy Policy) Resolve(string[] given, int? quorum)
    {
        var configured = LogOptions.From(new ConfigurationBuilder().Build());
        var endpoints = given.Length == 0 ? configured.Witnesses : given.Select(w =>
        {
            var equals = w.IndexOf('=', StringComparison.Ordinal);
            return equals < 0 ? throw new UsageException($"--witness \"{w}\": give <url>=<witness verifier key>") : WitnessEndpoint.Parse(w[..equals], w[(equals + 1)..], "--witness");
        }).ToList();
        var policy = quorum is null && given.Length == 0 ? configured.Policy : WitnessEndpoint.Policy(endpoints, quorum, "--quorum");
        return (endpoints, policy);
    }

    /// <summary>Signs a checkpoint of the tree now and, when it is new, has the witnesses cosign it; their complaints go to standard error.</summary>
    public static async Task<SignCheckpointResult> SignAsync(IMerkleLog log, NoteSigner signer, TimeProvider clock, IReadOnlyList<WitnessEndpoint> witnesses, CancellationToken cancellationToken)
    {
        if (witnesses.Count == 0)
        {
            return await SignCheckpoint.RunAsync(log, signer, clock, cancellationToken);
        }

        using var http = new HttpClient { Timeout = TimeSpan.FromSeconds(30) };
        // Standard error: --json output stays clean.
        using var logging = LoggerFactory.Create(b => b.AddSimpleConsole(o => o.SingleLine = true).AddConsole(o => o.LogToStandardErrorThreshold = LogLevel.Trace).SetMinimumLevel(LogLevel.Warning));
        return await SignCheckpoint.RunAsync(log, signer, clock, new WitnessCosigning(witnesses, http, logging.CreateLogger("ledger")), cancellationToken);
    }
}
