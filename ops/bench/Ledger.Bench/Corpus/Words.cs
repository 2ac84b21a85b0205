using System.Text;

namespace Ledger.Bench.Corpus;

/// <summary>Plausible corporate-disclosure prose, so quotes and summaries have realistic length and shape.</summary>
internal sealed class Words(Random random)
{
    private static readonly string[] Vocabulary =
    [
        "we", "our", "the", "company", "review", "external", "counsel", "customer", "contract", "services", "cloud",
        "storage", "data", "records", "reporting", "allegations", "evidence", "findings", "have", "found", "no",
        "indication", "that", "technology", "was", "used", "to", "support", "operations", "in", "the", "region",
        "and", "further", "steps", "will", "be", "taken", "as", "appropriate", "after", "consultation", "with",
        "independent", "auditors", "regarding", "terms", "of", "service", "acceptable", "use", "policy", "human",
        "rights", "commitments", "including", "privacy", "protections", "for", "civilians", "employees", "partners",
        "suppliers", "government", "agency", "ministry", "subscriptions", "accounts", "were", "suspended", "pending",
        "an", "assessment", "by", "third-party", "experts", "who", "examined", "internal", "communications",
        "financial", "documents", "engineering", "logs", "where", "available", "this", "is", "consistent", "standards",
        "applied", "across", "all", "markets", "not", "limited", "disclosed", "publicly", "coming", "weeks", "months",
        "lessons", "learned", "improvements", "controls", "oversight", "board", "committee", "transparency", "report",
        "scope", "limited", "visibility", "into", "how", "customers", "deploy", "software", "on", "their", "own",
        "servers", "other", "providers", "remain", "committed", "principles", "responsible", "artificial", "intelligence",
    ];

    /// <summary>Sentences until the text is at least <paramref name="minimum"/> characters long.</summary>
    public string Text(int minimum, int maximum)
    {
        var target = random.Next(minimum, maximum + 1);
        var text = new StringBuilder(target + 80);
        while (text.Length < target)
        {
            if (text.Length > 0)
            {
                text.Append(' ');
            }

            Sentence(text);
        }

        return text.ToString();
    }

    private void Sentence(StringBuilder text)
    {
        var count = random.Next(8, 22);
        for (var i = 0; i < count; i++)
        {
            var word = Vocabulary[random.Next(Vocabulary.Length)];
            if (i == 0)
            {
                text.Append(char.ToUpperInvariant(word[0])).Append(word.AsSpan(1));
            }
            else
            {
                text.Append(random.Next(12) == 0 ? ", " : " ").Append(word);
            }
        }

        text.Append('.');
    }
}
