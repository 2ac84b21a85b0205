using System.Globalization;
using Microsoft.Extensions.Configuration;

namespace Ledger.Messaging.Verifying;

/// <summary>
/// Settings of the verifiable log (<c>Ledger:Log:*</c>): the private key file that signs checkpoints, and how often
/// the host signs one while the tree grows. With no key file, a SQLite ledger's key is looked for beside its file.
/// </summary>
public sealed record LogOptions(string? KeyFile = null, double CheckpointSeconds = LogOptions.DefaultCheckpointSeconds)
{
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

        return new LogOptions(string.IsNullOrWhiteSpace(keyFile) ? null : keyFile, seconds);
    }

    // The CLI's hosts read no environment into their configuration; the same variables then still apply.
    private static string? Setting(IConfiguration configuration, string name) =>
        configuration[$"{Section}:{name}"] ?? Environment.GetEnvironmentVariable($"{Section}:{name}".Replace(":", "__", StringComparison.Ordinal));
}
