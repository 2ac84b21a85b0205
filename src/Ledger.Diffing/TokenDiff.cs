namespace Ledger.Diffing;

// Myers' O((N+M)D) shortest edit script in linear space: bisect on the middle snake, as in diff-match-patch.
internal static class TokenDiff
{
    public static (bool[] Deleted, bool[] Inserted) Compute(int[] a, int[] b)
    {
        var deleted = new bool[a.Length];
        var inserted = new bool[b.Length];
        var size = a.Length + b.Length + 4;
        var forward = new int[size];
        var reverse = new int[size];
        var pending = new Stack<(int ALo, int AHi, int BLo, int BHi)>();
        pending.Push((0, a.Length, 0, b.Length));
        while (pending.Count > 0)
        {
            var (aLo, aHi, bLo, bHi) = pending.Pop();
            while (aLo < aHi && bLo < bHi && a[aLo] == b[bLo])
            {
                aLo++;
                bLo++;
            }

            while (aLo < aHi && bLo < bHi && a[aHi - 1] == b[bHi - 1])
            {
                aHi--;
                bHi--;
            }

            if (aLo == aHi || bLo == bHi)
            {
                Array.Fill(deleted, true, aLo, aHi - aLo);
                Array.Fill(inserted, true, bLo, bHi - bLo);
            }
            else if (TryBisect(a, aLo, aHi, b, bLo, bHi, forward, reverse, out var splitA, out var splitB)
                && (splitA, splitB) != (aLo, bLo) && (splitA, splitB) != (aHi, bHi))
            {
                pending.Push((splitA, aHi, splitB, bHi));
                pending.Push((aLo, splitA, bLo, splitB));
            }
            else
            {
                Array.Fill(deleted, true, aLo, aHi - aLo);
                Array.Fill(inserted, true, bLo, bHi - bLo);
            }
        }

        return (deleted, inserted);
    }

    private static bool TryBisect(
        int[] a, int aLo, int aHi, int[] b, int bLo, int bHi, int[] v1, int[] v2, out int splitA, out int splitB)
    {
        var n = aHi - aLo;
        var m = bHi - bLo;
        var x = a.AsSpan(aLo, n);
        var y = b.AsSpan(bLo, m);
        var maxD = (n + m + 1) / 2;
        var offset = maxD;
        var length = (2 * maxD) + 2;
        Array.Fill(v1, -1, 0, length);
        Array.Fill(v2, -1, 0, length);
        v1[offset + 1] = 0;
        v2[offset + 1] = 0;
        var delta = n - m;
        var front = (delta & 1) != 0;
        int k1Start = 0, k1End = 0, k2Start = 0, k2End = 0;
        for (var d = 0; d < maxD; d++)
        {
            for (var k1 = -d + k1Start; k1 <= d - k1End; k1 += 2)
            {
                var k1Offset = offset + k1;
                var x1 = k1 == -d || (k1 != d && v1[k1Offset - 1] < v1[k1Offset + 1]) ? v1[k1Offset + 1] : v1[k1Offset - 1] + 1;
                var y1 = x1 - k1;
                while (x1 < n && y1 < m && x[x1] == y[y1])
                {
                    x1++;
                    y1++;
                }

                v1[k1Offset] = x1;
                if (x1 > n)
                {
                    k1End += 2;
                }
                else if (y1 > m)
                {
                    k1Start += 2;
                }
                else if (front)
                {
                    var k2Offset = offset + delta - k1;
                    if (k2Offset >= 0 && k2Offset < length && v2[k2Offset] != -1 && x1 >= n - v2[k2Offset])
                    {
                        (splitA, splitB) = (aLo + x1, bLo + y1);
                        return true;
                    }
                }
            }

            for (var k2 = -d + k2Start; k2 <= d - k2End; k2 += 2)
            {
                var k2Offset = offset + k2;
                var x2 = k2 == -d || (k2 != d && v2[k2Offset - 1] < v2[k2Offset + 1]) ? v2[k2Offset + 1] : v2[k2Offset - 1] + 1;
                var y2 = x2 - k2;
                while (x2 < n && y2 < m && x[n - x2 - 1] == y[m - y2 - 1])
                {
                    x2++;
                    y2++;
                }

                v2[k2Offset] = x2;
                if (x2 > n)
                {
                    k2End += 2;
                }
                else if (y2 > m)
                {
                    k2Start += 2;
                }
                else if (!front)
                {
                    var k1Offset = offset + delta - k2;
                    if (k1Offset >= 0 && k1Offset < length && v1[k1Offset] != -1)
                    {
                        var x1 = v1[k1Offset];
                        var y1 = offset + x1 - k1Offset;
                        if (x1 >= n - x2)
                        {
                            (splitA, splitB) = (aLo + x1, bLo + y1);
                            return true;
                        }
                    }
                }
            }
        }

        (splitA, splitB) = (0, 0);
        return false;
    }
}
