using CsCheck;
using Xunit;

namespace Ledger.Diffing.Tests;

public sealed class TokenDiffTests
{
    private static readonly Gen<int[]> GenTokens = Gen.Int[0, 4].Array[0, 30];

    [Fact]
    public void Edit_script_is_valid_and_as_short_as_the_longest_common_subsequence_allows()
    {
        Gen.Select(GenTokens, GenTokens).Sample(
            pair =>
            {
                var (a, b) = pair;
                var (deleted, inserted) = TokenDiff.Compute(a, b);

                var keptA = a.Where((_, i) => !deleted[i]).ToArray();
                var keptB = b.Where((_, j) => !inserted[j]).ToArray();
                Assert.Equal(keptA, keptB);
                Assert.Equal(LongestCommonSubsequence(a, b), keptA.Length);
            },
            iter: 3000,
            print: pair => $"[{string.Join(",", pair.Item1)}] vs [{string.Join(",", pair.Item2)}]");
    }

    private static int LongestCommonSubsequence(int[] a, int[] b)
    {
        var table = new int[a.Length + 1, b.Length + 1];
        for (var i = a.Length - 1; i >= 0; i--)
        {
            for (var j = b.Length - 1; j >= 0; j--)
            {
                table[i, j] = a[i] == b[j] ? table[i + 1, j + 1] + 1 : Math.Max(table[i + 1, j], table[i, j + 1]);
            }
        }

        return table[0, 0];
    }
}
