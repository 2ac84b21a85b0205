using System.Globalization;
using System.Text;

namespace Ledger.Diffing;

public static class WordDiff
{
    public static IReadOnlyList<DiffSegment> Compare(string before, string after)
    {
        ArgumentNullException.ThrowIfNull(before);
        ArgumentNullException.ThrowIfNull(after);

        var oldTokens = Tokenize(before);
        var newTokens = Tokenize(after);
        var ids = new Dictionary<string, int>(StringComparer.Ordinal);
        int Intern(string token) => ids.TryGetValue(token, out var id) ? id : ids[token] = ids.Count;
        var (deleted, inserted) = TokenDiff.Compute([.. oldTokens.Select(Intern)], [.. newTokens.Select(Intern)]);

        var script = Script.From(oldTokens, deleted, newTokens, inserted);
        script.SlideToNaturalBoundaries();
        return script.ToSegments();
    }

    public static string Render(IReadOnlyList<DiffSegment> segments)
    {
        ArgumentNullException.ThrowIfNull(segments);
        var text = new StringBuilder();
        foreach (var segment in segments)
        {
            _ = segment.Op switch
            {
                DiffOp.Delete => text.Append("[-").Append(segment.Text).Append("-]"),
                DiffOp.Insert => text.Append("{+").Append(segment.Text).Append("+}"),
                _ => text.Append(segment.Text),
            };
        }

        return text.ToString();
    }

    internal static List<string> Tokenize(string text)
    {
        var tokens = new List<string>();
        var i = 0;
        while (i < text.Length)
        {
            var start = i;
            if (char.IsWhiteSpace(text[i]))
            {
                while (i < text.Length && char.IsWhiteSpace(text[i]))
                {
                    i++;
                }
            }
            else if (WordUnitLength(text, i) is var first and > 0)
            {
                i += first;
                while (i < text.Length)
                {
                    if (WordUnitLength(text, i) is var next and > 0)
                    {
                        i += next;
                    }
                    else if (IsJoiner(text[i]) && WordUnitLength(text, i + 1) > 0)
                    {
                        i++;
                    }
                    else
                    {
                        break;
                    }
                }
            }
            else
            {
                // A surrogate pair stays whole so a segment never splits a character.
                i += char.IsSurrogatePair(text, i) ? 2 : 1;
            }

            tokens.Add(text[start..i]);
        }

        return tokens;
    }

    private static bool IsJoiner(char c) => c is '\'' or '\u2019' or '-' or '\u2010' or '\u2011';

    private static int WordUnitLength(string text, int index)
    {
        if (index >= text.Length || Rune.DecodeFromUtf16(text.AsSpan(index), out var rune, out var length) != System.Buffers.OperationStatus.Done)
        {
            return 0;
        }

        var isWord = Rune.IsLetterOrDigit(rune) || Rune.GetUnicodeCategory(rune) is UnicodeCategory.NonSpacingMark
            or UnicodeCategory.SpacingCombiningMark or UnicodeCategory.EnclosingMark;
        return isWord ? length : 0;
    }

    private static bool IsBlank(string token) => char.IsWhiteSpace(token[0]);

    // Alternates equal runs and change groups: Equal[0], Change[0], Equal[1], ..., Equal[n], any of them possibly empty.
    private sealed class Script
    {
        private readonly List<List<string>> equal = [[]];
        private readonly List<(List<string> Deleted, List<string> Inserted)> changes = [];

        public static Script From(List<string> oldTokens, bool[] deleted, List<string> newTokens, bool[] inserted)
        {
            var script = new Script();
            int i = 0, j = 0;
            while (i < oldTokens.Count || j < newTokens.Count)
            {
                if (i < oldTokens.Count && deleted[i])
                {
                    script.CurrentChange().Deleted.Add(oldTokens[i++]);
                }
                else if (j < newTokens.Count && inserted[j])
                {
                    script.CurrentChange().Inserted.Add(newTokens[j++]);
                }
                else
                {
                    if (script.changes.Count == script.equal.Count)
                    {
                        script.equal.Add([]);
                    }

                    script.equal[^1].Add(oldTokens[i++]);
                    j++;
                }
            }

            if (script.changes.Count == script.equal.Count)
            {
                script.equal.Add([]);
            }

            return script;
        }

        private (List<string> Deleted, List<string> Inserted) CurrentChange()
        {
            if (changes.Count < equal.Count)
            {
                changes.Add(([], []));
            }

            return changes[^1];
        }

        // A pure insertion or deletion can often sit at several equivalent places ("x[- no-] y" or "x [-no -]y"):
        // take the one whose edges fall where a reader would put them, as diff-match-patch's semantic cleanup does.
        public void SlideToNaturalBoundaries()
        {
            for (var i = 0; i < changes.Count; i++)
            {
                var (deletedTokens, insertedTokens) = changes[i];
                if ((deletedTokens.Count == 0) == (insertedTokens.Count == 0))
                {
                    continue;
                }

                var moved = deletedTokens.Count > 0 ? deletedTokens : insertedTokens;
                var before = equal[i];
                var after = equal[i + 1];

                // Positions index the text before + moved + after; the change may start wherever the text stays the same.
                string At(int position) =>
                    position < before.Count ? before[position]
                    : position < before.Count + moved.Count ? moved[position - before.Count]
                    : after[position - before.Count - moved.Count];

                var length = moved.Count;
                var total = before.Count + length + after.Count;
                var leftmost = before.Count;
                while (leftmost > 0 && At(leftmost - 1) == At(leftmost - 1 + length))
                {
                    leftmost--;
                }

                var start = leftmost;
                var bestScore = -1;
                for (var candidate = leftmost; ; candidate++)
                {
                    var score = BoundaryScore(candidate == 0 ? null : At(candidate - 1), At(candidate))
                        + BoundaryScore(At(candidate + length - 1), candidate + length == total ? null : At(candidate + length));
                    if (score > bestScore)
                    {
                        (start, bestScore) = (candidate, score);
                    }

                    if (candidate + length == total || At(candidate) != At(candidate + length))
                    {
                        break;
                    }
                }

                if (start == before.Count)
                {
                    continue;
                }

                var sequence = Enumerable.Range(0, total).Select(At).ToList();
                before.Clear();
                before.AddRange(sequence.Take(start));
                moved.Clear();
                moved.AddRange(sequence.Skip(start).Take(length));
                after.Clear();
                after.AddRange(sequence.Skip(start + length));
            }
        }

        // Text edges beat line edges, which beat word starts, which beat word ends; between two non-blank tokens is worst.
        private static int BoundaryScore(string? left, string? right) => (left, right) switch
        {
            (null, _) or (_, null) => 6,
            _ when IsBlank(left) => left.Contains('\n', StringComparison.Ordinal) ? 4 : 2,
            _ when IsBlank(right) => right.Contains('\n', StringComparison.Ordinal) ? 3 : 1,
            _ => 0,
        };

        // Whitespace alone between two changes joins them, so a rewritten phrase reads as one deletion and one insertion.
        public List<DiffSegment> ToSegments()
        {
            var segments = new List<DiffSegment>();
            var deleted = new StringBuilder();
            var inserted = new StringBuilder();
            AddSegment(segments, DiffOp.Equal, string.Concat(equal[0]));
            for (var i = 0; i < changes.Count; i++)
            {
                deleted.AppendJoin("", changes[i].Deleted);
                inserted.AppendJoin("", changes[i].Inserted);
                var next = equal[i + 1];
                var joinsNextChange = i + 1 < changes.Count && next.All(IsBlank);
                if (joinsNextChange)
                {
                    deleted.AppendJoin("", next);
                    inserted.AppendJoin("", next);
                    continue;
                }

                AddSegment(segments, DiffOp.Delete, deleted.ToString());
                AddSegment(segments, DiffOp.Insert, inserted.ToString());
                AddSegment(segments, DiffOp.Equal, string.Concat(next));
                deleted.Clear();
                inserted.Clear();
            }

            return segments;
        }

        private static void AddSegment(List<DiffSegment> segments, DiffOp op, string text)
        {
            if (text.Length == 0)
            {
                return;
            }

            if (segments.Count > 0 && segments[^1].Op == op)
            {
                segments[^1] = new DiffSegment(op, segments[^1].Text + text);
            }
            else
            {
                segments.Add(new DiffSegment(op, text));
            }
        }
    }
}
