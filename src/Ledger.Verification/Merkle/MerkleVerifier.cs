namespace Ledger.Verification;

/// <summary>
/// Verification of RFC 9162 inclusion (section 2.1.3.2) and consistency (section 2.1.4.2) proofs. Every hash
/// taking part in a computation must be 32 bytes; anything malformed is rejected, never repaired.
/// </summary>
public static class MerkleVerifier
{
    /// <summary>Whether <paramref name="proof"/> shows the leaf hash at <paramref name="leafIndex"/> in the tree of <paramref name="treeSize"/> leaves with root <paramref name="root"/>.</summary>
    public static bool VerifyInclusion(long leafIndex, long treeSize, ReadOnlySpan<byte> leafHash, IReadOnlyList<byte[]> proof, ReadOnlySpan<byte> root)
    {
        ArgumentNullException.ThrowIfNull(proof);
        if (leafIndex < 0 || leafIndex >= treeSize || leafHash.Length != MerkleHashes.Size || root.Length != MerkleHashes.Size || !AllHashes(proof))
        {
            return false;
        }

        var fn = leafIndex;
        var sn = treeSize - 1;
        var r = leafHash.ToArray();
        foreach (var p in proof)
        {
            if (sn == 0)
            {
                return false;
            }

            if ((fn & 1) == 1 || fn == sn)
            {
                r = MerkleHashes.Node(p, r);
                if ((fn & 1) == 0)
                {
                    while ((fn & 1) == 0 && fn != 0)
                    {
                        fn >>= 1;
                        sn >>= 1;
                    }
                }
            }
            else
            {
                r = MerkleHashes.Node(r, p);
            }

            fn >>= 1;
            sn >>= 1;
        }

        return sn == 0 && root.SequenceEqual(r);
    }

    /// <summary>
    /// Whether <paramref name="proof"/> shows the tree of <paramref name="newSize"/> leaves with root
    /// <paramref name="newRoot"/> extends the tree of <paramref name="oldSize"/> with root <paramref name="oldRoot"/>.
    /// Equal sizes need an empty proof and equal roots (the empty tree's root for size 0); a proof from the empty
    /// tree proves nothing and is refused, as is a shrinking tree.
    /// </summary>
    public static bool VerifyConsistency(long oldSize, long newSize, ReadOnlySpan<byte> oldRoot, ReadOnlySpan<byte> newRoot, IReadOnlyList<byte[]> proof)
    {
        ArgumentNullException.ThrowIfNull(proof);
        if (oldSize < 0 || newSize < oldSize)
        {
            return false;
        }

        if (oldSize == newSize)
        {
            return proof.Count == 0 && oldRoot.SequenceEqual(newRoot) && (oldSize > 0 || oldRoot.SequenceEqual(MerkleHashes.Empty()));
        }

        if (oldSize == 0 || proof.Count == 0 || oldRoot.Length != MerkleHashes.Size || newRoot.Length != MerkleHashes.Size || !AllHashes(proof))
        {
            return false;
        }

        return Roots(oldSize, newSize, oldRoot, proof) is var (fr, sr) && oldRoot.SequenceEqual(fr) && newRoot.SequenceEqual(sr);
    }

    /// <summary>
    /// Whether a consistency proof shows that two signed roots cannot belong to one append-only log: the proof leads to
    /// the new root, and the root it implies at the old size is another. Only an old size that is not a power of two
    /// lets a proof imply its old root (for a power of two the proof starts from the old root it is given).
    /// </summary>
    public static bool ProvesFork(long oldSize, long newSize, ReadOnlySpan<byte> oldRoot, ReadOnlySpan<byte> newRoot, IReadOnlyList<byte[]> proof)
    {
        ArgumentNullException.ThrowIfNull(proof);
        if (oldSize <= 0 || newSize <= oldSize || (oldSize & (oldSize - 1)) == 0 || proof.Count == 0 || !AllHashes(proof)
            || oldRoot.Length != MerkleHashes.Size || newRoot.Length != MerkleHashes.Size)
        {
            return false;
        }

        return Roots(oldSize, newSize, oldRoot, proof) is var (fr, sr) && newRoot.SequenceEqual(sr) && !oldRoot.SequenceEqual(fr);
    }

    /// <summary>RFC 9162 section 2.1.4.2: the old and new roots a consistency proof leads to; null when its shape is wrong.</summary>
    private static (byte[] Old, byte[] New)? Roots(long oldSize, long newSize, ReadOnlySpan<byte> oldRoot, IReadOnlyList<byte[]> proof)
    {
        var path = new List<byte[]>(proof.Count + 1);
        if ((oldSize & (oldSize - 1)) == 0)
        {
            path.Add(oldRoot.ToArray());
        }

        path.AddRange(proof);
        var fn = oldSize - 1;
        var sn = newSize - 1;
        while ((fn & 1) == 1)
        {
            fn >>= 1;
            sn >>= 1;
        }

        var fr = path[0];
        var sr = path[0];
        for (var i = 1; i < path.Count; i++)
        {
            var c = path[i];
            if (sn == 0)
            {
                return null;
            }

            if ((fn & 1) == 1 || fn == sn)
            {
                fr = MerkleHashes.Node(c, fr);
                sr = MerkleHashes.Node(c, sr);
                if ((fn & 1) == 0)
                {
                    while ((fn & 1) == 0 && fn != 0)
                    {
                        fn >>= 1;
                        sn >>= 1;
                    }
                }
            }
            else
            {
                sr = MerkleHashes.Node(sr, c);
            }

            fn >>= 1;
            sn >>= 1;
        }

        return sn == 0 ? (fr, sr) : null;
    }

    private static bool AllHashes(IReadOnlyList<byte[]> proof)
    {
        foreach (var hash in proof)
        {
            if (hash is null || hash.Length != MerkleHashes.Size)
            {
                return false;
            }
        }

        return true;
    }
}
