using System.Numerics;

namespace Ledger.Verification;

/// <summary>Index arithmetic of RFC 9162 trees.</summary>
internal static class MerkleMath
{
    /// <summary>The largest power of two smaller than n (n ≥ 2): where MTH splits a range of n leaves.</summary>
    public static long SplitPoint(long n) => 1L << (63 - BitOperations.LeadingZeroCount((ulong)(n - 1)));

    /// <summary>
    /// The complete subtrees whose hashes, folded right to left, give the MTH of leaves [start, end): the binary
    /// decomposition of the range's size, largest first. Proofs only ask for ranges whose start is aligned to the
    /// largest power of two not above their size, which makes every part a stored complete node.
    /// </summary>
    public static void Decompose(long start, long end, List<MerkleNodeId> output)
    {
        while (start < end)
        {
            var level = 63 - BitOperations.LeadingZeroCount((ulong)(end - start));
            if ((start & ((1L << level) - 1)) != 0)
            {
                throw new InvalidOperationException($"the range [{start}, {end}) is not aligned to complete subtrees");
            }

            output.Add(new MerkleNodeId(level, start >> level));
            start += 1L << level;
        }
    }

    /// <summary>The ranges whose hashes make the inclusion path of leaf m (RFC 9162 section 2.1.3.1), lowest first.</summary>
    public static void InclusionRanges(long m, long start, long end, List<(long Start, long End)> output)
    {
        if (end - start <= 1)
        {
            return;
        }

        var k = SplitPoint(end - start);
        if (m < start + k)
        {
            InclusionRanges(m, start, start + k, output);
            output.Add((start + k, end));
        }
        else
        {
            InclusionRanges(m, start + k, end, output);
            output.Add((start, start + k));
        }
    }

    /// <summary>The ranges whose hashes make the consistency proof from size m (RFC 9162 section 2.1.4.1 SUBPROOF), lowest first.</summary>
    public static void ConsistencyRanges(long m, long start, long end, bool whole, List<(long Start, long End)> output)
    {
        if (m == end)
        {
            if (!whole)
            {
                output.Add((start, end));
            }

            return;
        }

        var k = SplitPoint(end - start);
        if (m <= start + k)
        {
            ConsistencyRanges(m, start, start + k, whole, output);
            output.Add((start + k, end));
        }
        else
        {
            ConsistencyRanges(m, start + k, end, whole: false, output);
            output.Add((start, start + k));
        }
    }
}
