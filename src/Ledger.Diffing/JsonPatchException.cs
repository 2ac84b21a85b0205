namespace Ledger.Diffing;

public sealed class JsonPatchException : Exception
{
    public JsonPatchException()
    {
    }

    public JsonPatchException(string message)
        : base(message)
    {
    }

    public JsonPatchException(string message, Exception inner)
        : base(message, inner)
    {
    }
}
