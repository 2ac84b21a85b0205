using System.Globalization;
using Microsoft.Extensions.Configuration;

namespace Ledger.Messaging.Deadlines;

/// <summary>Ledger:Deadlines:ReminderDays: how long before its deadline a promise is announced as due soon (7 days).</summary>
public sealed record DeadlineSettings(double ReminderDays = DeadlineSettings.DefaultReminderDays)
{
    public const string Section = "Ledger:Deadlines";
    public const double DefaultReminderDays = 7;

    public TimeSpan ReminderWindow => TimeSpan.FromDays(ReminderDays);

    /// <exception cref="FormatException">ReminderDays is not a number of days, zero or more.</exception>
    public static DeadlineSettings From(IConfiguration configuration)
    {
        ArgumentNullException.ThrowIfNull(configuration);
        // The CLI's hosts read no environment into their configuration; the variable then still applies.
        var text = configuration[$"{Section}:ReminderDays"] ?? Environment.GetEnvironmentVariable("Ledger__Deadlines__ReminderDays");
        if (string.IsNullOrWhiteSpace(text))
        {
            return new DeadlineSettings();
        }

        return double.TryParse(text, NumberStyles.Float, CultureInfo.InvariantCulture, out var days) && days >= 0
            ? new DeadlineSettings(days)
            : throw new FormatException($"{Section}:ReminderDays: \"{text}\" is not a number of days (0 or more)");
    }
}
