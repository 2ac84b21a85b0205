namespace Ledger.Verification;

/// <summary>The log does not agree with what was signed or stored before; nothing was signed or proved from it.</summary>
public sealed class LogIntegrityException : Exception
{
    public LogIntegrityException()
    {
    }

    public LogIntegrityException(string message)
        : base(message)
    {
    }

    public LogIntegrityException(string message, Exception innerException)
        : base(message, innerException)
    {
    }
}
