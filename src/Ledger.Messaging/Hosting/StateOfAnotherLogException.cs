namespace Ledger.Messaging.Hosting;

/// <summary>A state store opened against an EventStoreDB log it does not belong to (a store failure, never tampering).</summary>
public sealed class StateOfAnotherLogException : Exception
{
    public StateOfAnotherLogException()
    {
    }

    public StateOfAnotherLogException(string message)
        : base(message)
    {
    }

    public StateOfAnotherLogException(string message, Exception innerException)
        : base(message, innerException)
    {
    }
}
