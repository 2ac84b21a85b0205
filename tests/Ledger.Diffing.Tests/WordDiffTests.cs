using CsCheck;
using Xunit;

namespace Ledger.Diffing.Tests;

public sealed class WordDiffTests
{
    private static readonly Gen<string> GenText = Gen.Char["ab c-'.\n"].Array[0, 40].Select(chars => new string(chars));

    private static readonly Gen<(string Before, string After)> GenPair = Gen.OneOf(
        Gen.Select(GenText, GenText),
        Gen.Select(GenText, Gen.Int[0, 40], Gen.Int[0, 6], GenText, (text, at, cut, insert) =>
        {
            var start = Math.Min(at, text.Length);
            var end = Math.Min(start + cut, text.Length);
            return (text, string.Concat(text.AsSpan(0, start), insert.AsSpan(0, Math.Min(insert.Length, 5)), text.AsSpan(end)));
        }));

    [Fact]
    public void Rewritten_phrase_reads_as_one_deletion_and_one_insertion()
    {
        var segments = WordDiff.Compare(
            "Microsoft found no evidence to date that its technologies were used",
            "Microsoft found evidence that supports elements of the reporting");

        Assert.Equal(
            "Microsoft found [-no -]evidence [-to date -]that [-its technologies were used-]{+supports elements of the reporting+}",
            WordDiff.Render(segments));
        Assert.Equal(
            [
                new DiffSegment(DiffOp.Equal, "Microsoft found "),
                new DiffSegment(DiffOp.Delete, "no "),
                new DiffSegment(DiffOp.Equal, "evidence "),
                new DiffSegment(DiffOp.Delete, "to date "),
                new DiffSegment(DiffOp.Equal, "that "),
                new DiffSegment(DiffOp.Delete, "its technologies were used"),
                new DiffSegment(DiffOp.Insert, "supports elements of the reporting"),
            ],
            segments);
    }

    [Theory]
    [InlineData("a c", "a b c", "a {+b +}c")]
    [InlineData("a b c", "a c", "a [-b -]c")]
    [InlineData("a b", "a b c", "a b{+ c+}")]
    [InlineData("b c", "a b c", "{+a +}b c")]
    [InlineData("The cat sat.", "The dog sat.", "The [-cat-]{+dog+} sat.")]
    [InlineData("It isn't well-known, sadly", "It is well-known, sadly", "It [-isn't-]{+is+} well-known, sadly")]
    [InlineData("one two", "one  two", "one[- -]{+  +}two")]
    [InlineData("x", "x", "x")]
    [InlineData("the the the", "the the the the", "{+the +}the the the")]
    [InlineData("the the the", "the the", "[-the -]the the")]
    [InlineData("a\nc", "a\nb\nc", "a\n{+b\n+}c")]
    [InlineData("Hello world. Bye.", "Hello world. Foo. Bye.", "Hello world. {+Foo. +}Bye.")]
    [InlineData("", "new text", "{+new text+}")]
    [InlineData("old text", "", "[-old text-]")]
    [InlineData("emoji 😀 here", "emoji 😁 here", "emoji [-😀-]{+😁+} here")]
    public void Renders_in_git_word_diff_plain_style(string before, string after, string rendered) =>
        Assert.Equal(rendered, WordDiff.Render(WordDiff.Compare(before, after)));

    [Fact]
    public void Compare_of_empty_texts_is_empty() => Assert.Empty(WordDiff.Compare("", ""));

    [Theory]
    [InlineData("don't stop", new[] { "don't", " ", "stop" })]
    [InlineData("well-known 'quoted' end-", new[] { "well-known", " ", "'", "quoted", "'", " ", "end", "-" })]
    [InlineData("a,b\t\n c", new[] { "a", ",", "b", "\t\n ", "c" })]
    [InlineData("naïve café 42x", new[] { "naïve", " ", "café", " ", "42x" })]
    [InlineData("it’s", new[] { "it’s" })]
    public void Tokenizes_words_whitespace_runs_and_punctuation(string text, string[] tokens) =>
        Assert.Equal(tokens, WordDiff.Tokenize(text));

    [Fact]
    public void Segments_reconstruct_both_texts()
    {
        GenPair.Sample(
            pair =>
            {
                var segments = WordDiff.Compare(pair.Before, pair.After);
                Assert.Equal(pair.Before, string.Concat(segments.Where(s => s.Op != DiffOp.Insert).Select(s => s.Text)));
                Assert.Equal(pair.After, string.Concat(segments.Where(s => s.Op != DiffOp.Delete).Select(s => s.Text)));
                Assert.All(segments, s => Assert.NotEmpty(s.Text));
                for (var i = 1; i < segments.Count; i++)
                {
                    Assert.NotEqual(segments[i - 1].Op, segments[i].Op);
                    Assert.False(segments[i - 1].Op == DiffOp.Insert && segments[i].Op == DiffOp.Delete, "insert before delete");
                }

                for (var i = 1; i < segments.Count - 1; i++)
                {
                    var between = segments[i].Op == DiffOp.Equal && segments[i - 1].Op != DiffOp.Equal && segments[i + 1].Op != DiffOp.Equal;
                    Assert.False(between && string.IsNullOrWhiteSpace(segments[i].Text), "whitespace left equal between two changes");
                }
            },
            iter: 3000,
            print: pair => $"before = \"{pair.Before}\", after = \"{pair.After}\"");
    }

    [Fact]
    public void Identical_texts_are_one_equal_segment()
    {
        GenText.Where(t => t.Length > 0).Sample(text =>
            Assert.Equal([new DiffSegment(DiffOp.Equal, text)], WordDiff.Compare(text, text)));
    }

    [Fact]
    public void Five_thousand_word_texts_diff_quickly()
    {
        var random = new Random(20240601);
        var vocabulary = Enumerable.Range(0, 1500).Select(i => $"word{i}").ToArray();
        var words = Enumerable.Range(0, 5000).Select(_ => vocabulary[random.Next(vocabulary.Length)]).ToList();
        var before = string.Join(" ", words);
        for (var i = 0; i < 250; i++)
        {
            var at = random.Next(words.Count);
            if (i % 2 == 0)
            {
                words[at] = $"changed{i}";
            }
            else
            {
                words.Insert(at, $"added{i}");
            }
        }

        var after = string.Join(" ", words);
        var section = Enumerable.Range(0, 1500).Select(_ => $"new{random.Next(500)}");
        var rewritten = string.Join(" ", words.Take(2000).Concat(section).Concat(words.Skip(3500)));

        var edited = WordDiff.Compare(before, after);
        var sectionRewrite = WordDiff.Compare(after, rewritten);

        Assert.Equal(before, string.Concat(edited.Where(s => s.Op != DiffOp.Insert).Select(s => s.Text)));
        Assert.Equal(after, string.Concat(edited.Where(s => s.Op != DiffOp.Delete).Select(s => s.Text)));
        Assert.Equal(rewritten, string.Concat(sectionRewrite.Where(s => s.Op != DiffOp.Delete).Select(s => s.Text)));
        Assert.Equal([DiffOp.Equal, DiffOp.Delete, DiffOp.Insert, DiffOp.Equal], sectionRewrite.Select(s => s.Op));
        Assert.Equal(1500, sectionRewrite[1].Text.Split(' ', StringSplitOptions.RemoveEmptyEntries).Length);
        Assert.Equal(1500, sectionRewrite[2].Text.Split(' ', StringSplitOptions.RemoveEmptyEntries).Length);
        Assert.InRange(edited.Count(s => s.Op == DiffOp.Insert), 200, 250);
        Assert.InRange(edited.Count(s => s.Op == DiffOp.Delete), 100, 125);
    }
}
