using System.Globalization;
using Ledger.Verification;
using Microsoft.Extensions.Configuration;

namespace Ledger.Messaging.Verifying;

/// <summary>
/// Settings of the verifiable log (<c>Ledger:Log:*</c>): the private key file that signs checkpoints, and how often
/// the host signs one while the tree grows. With no key file, a SQLite ledger's key is looked for beside its file.
/// </summary>
public sealed record LogOptions(string? KeyFile = null, double CheckpointSeconds = LogOptions.DefaultCheckpointSeconds)
{
    /// <summary>The witnesses each new checkpoint is sent to (<c>Ledger:Log:Witnesses:&lt;i&gt;:Url</c> and <c>:Key</c>).</summary>
    public IReadOnlyList<WitnessEndpoint> Witnesses { get; init; } = [];

    /// <summary>How many witnesses must cosign a checkpoint for it to count as witnessed (<c>Ledger:Log:Quorum</c>; default: all of them).</summary>
    public WitnessPolicy Policy { get; init; } = WitnessPolicy.None;

    public const string Section = "Ledger:Log";
    public const double DefaultCheckpointSeconds = 10;

    /// <summary>The same setting as <c>Ledger:Log:KeyFile</c>, for commands that read no configuration.</summary>
    public const string KeyFileVariable = "Ledger__Log__KeyFile";

    /// <exception cref="FormatException">Ledger:Log:CheckpointSeconds is not a positive number.</exception>
    public static LogOptions From(IConfiguration configuration)
    {
        ArgumentNullException.ThrowIfNull(configuration);
        var keyFile = Setting(configuration, "KeyFile");
        var seconds = DefaultCheckpointSeconds;
        if (Setting(configuration, "CheckpointSeconds") is { Length: > 0 } text
            && (!double.TryParse(text, NumberStyles.Float, CultureInfo.InvariantCulture, out seconds) || !(seconds > 0)))
        {
            throw new FormatException($"{Section}:CheckpointSeconds: \"{text}\" is not a positive number of seconds");
        }

        var witnesses = new List<WitnessEndpoint>();
        for (var i = 0; Setting(configuration, $"Witnesses:{i}:Url") is { Length: > 0 } url; i++)
        {
            witnesses.Add(WitnessEndpoint.Parse(url, Setting(configuration, $"Witnesses:{i}:Key") ?? "", $"{Section}:Witnesses:{i}"));
        }

        int? quorum = null;
        if (Setting(configuration, "Quorum") is { Length: > 0 } q)
        {
            quorum = int.TryParse(q, NumberStyles.None, CultureInfo.InvariantCulture, out var k) ? k : throw new FormatException($"{Section}:Quorum: \"{q}\" is not a number of witnesses");
        }

        return new LogOptions(string.IsNullOrWhiteSpace(keyFile) ? null : keyFile, seconds) { Witnesses = witnesses, Policy = WitnessEndpoint.Policy(witnesses, quorum, $"{Section}:Quorum") };
    }

    // The CLI's hosts read no environment into their configuration; the same variables then still apply.
    private static string? Setting(IConfiguration configuration, string name) =>
        configuration[$"{Section}:{name}"] ?? Environment.GetEnvironmentVariable($"{Section}:{name}".Replace(":", "__", StringComparison.Ordinal));
}
