namespace Ledger.Diffing;

public enum DiffOp
{
    Equal,
    Delete,
    Insert,
}
