namespace Ledger;

/// <summary>What an exception says to a person: its own words, without the runtime's additions.</summary>
public static class UserMessages
{
    /// <summary>An argument exception's message without the " (Parameter 'name')" the runtime appends to it.</summary>
    public static string Of(Exception exception) =>
        exception is ArgumentException { ParamName: { } name } argument
            ? argument.Message.Replace($" (Parameter '{name}')", string.Empty, StringComparison.Ordinal)
            : exception.Message;
}
