using System.Globalization;

namespace Ledger.Messaging.Hosting;

/// <summary>
/// The ledger's clock: the system clock, shifted by LEDGER_CLOCK_OFFSET when set (for rehearsing deadlines and in
/// tests). Wolverine schedules on the system clock, so scheduled times are translated back.
/// </summary>
public sealed class LedgerClock(TimeSpan offset) : TimeProvider
{
    public const string OffsetVariable = "LEDGER_CLOCK_OFFSET";

    public static LedgerClock Unshifted { get; } = new(TimeSpan.Zero);

    public TimeSpan Offset { get; } = offset;

    /// <summary>Reads LEDGER_CLOCK_OFFSET: seconds, or a .NET time span such as -1.02:00:00.</summary>
    /// <exception cref="FormatException">The variable is set but is not a time span.</exception>
    public static LedgerClock FromEnvironment()
    {
        var text = Environment.GetEnvironmentVariable(OffsetVariable);
        if (string.IsNullOrWhiteSpace(text))
        {
            return Unshifted;
        }

        if (double.TryParse(text, NumberStyles.Float, CultureInfo.InvariantCulture, out var seconds))
        {
            return new LedgerClock(TimeSpan.FromSeconds(seconds));
        }

        return TimeSpan.TryParse(text, CultureInfo.InvariantCulture, out var span)
            ? new LedgerClock(span)
            : throw new FormatException($"{OffsetVariable}=\"{text}\" is neither seconds nor a time span such as 1.02:00:00");
    }

    public override DateTimeOffset GetUtcNow() => base.GetUtcNow() + Offset;

    /// <summary>The system time at which the ledger's clock shows <paramref name="ledgerTime"/>.</summary>
    public DateTimeOffset ToSystemTime(DateTimeOffset ledgerTime) => ledgerTime - Offset;
}
