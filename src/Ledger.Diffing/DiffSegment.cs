namespace Ledger.Diffing;

public sealed record DiffSegment(DiffOp Op, string Text);
