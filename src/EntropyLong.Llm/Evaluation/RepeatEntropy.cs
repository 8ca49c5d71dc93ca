using System.Text;
using System.Text.RegularExpressions;
using EntropyLong.Core;

namespace EntropyLong.Llm.Evaluation;

/// <summary>Mean entropy of the tokens of one kind of word occurrence.</summary>
public sealed record OccurrenceStats(int Occurrences, long Tokens, double MeanEntropy, long InnerTokens, double InnerMeanEntropy);

/// <summary>Does a model use its context? On each document, rare words (in few documents of the corpus) that occur
/// more than once: the entropy of the model at the tokens of their first occurrence against their later ones.
/// A model that reads its context predicts a repeated rare word better the second time. "Inner" tokens exclude each
/// occurrence's first token, which no context can announce.</summary>
public sealed record RepeatEntropyReport(int Documents, int RareWords, OccurrenceStats First, OccurrenceStats Repeat, double AllTokensMeanEntropy);

public static partial class RepeatEntropy
{
    [GeneratedRegex(@"\p{L}[\p{L}\p{N}]{3,}")]
    private static partial Regex Word();

    /// <summary>Document frequency of every word (4+ characters starting with a letter) in <paramref name="corpus"/>.</summary>
    public static Dictionary<string, int> DocumentFrequencies(IEnumerable<Document> corpus)
    {
        var df = new Dictionary<string, int>(StringComparer.Ordinal);
        foreach (var d in corpus)
            foreach (var w in Word().Matches(d.Text).Select(m => m.Value).Distinct())
                df[w] = df.GetValueOrDefault(w) + 1;
        return df;
    }

    /// <summary>Scores <paramref name="documents"/> (each cut to the model's context) and compares first and later
    /// occurrences of words whose document frequency is at most <paramref name="maxDocuments"/>.</summary>
    public static RepeatEntropyReport Measure(LlamaEngine engine, IEnumerable<Document> documents, IReadOnlyDictionary<string, int> documentFrequency,
        int maxDocuments, Action<int>? progress = null)
    {
        double firstSum = 0, repeatSum = 0, firstInner = 0, repeatInner = 0, allSum = 0;
        long firstN = 0, repeatN = 0, firstInnerN = 0, repeatInnerN = 0, allN = 0;
        int docs = 0, words = 0, firstOcc = 0, repeatOcc = 0;
        var pieces = new Dictionary<int, int>();
        foreach (var doc in documents)
        {
            var tokens = engine.TokenizeWithBos(doc.Text);
            if (tokens.Length > engine.Info.ContextLength) tokens = tokens[..engine.Info.ContextLength];
            if (tokens.Length < 2) continue;
            var entropy = engine.Score([new ScoreGroup(ReadOnlyMemory<int>.Empty,
                [new ScoreSequence(tokens, Enumerable.Range(1, tokens.Length - 1).ToArray())])])[0]; // entropy[p-1]: predicting token p
            // Byte offset where each token starts in the document's UTF-8 (BOS adds none).
            var start = new long[tokens.Length + 1];
            bool bos = engine.Info.AddsBos;
            for (int i = 0; i < tokens.Length; i++)
            {
                int length = bos && i == 0 ? 0 : pieces.TryGetValue(tokens[i], out var n) ? n : pieces[tokens[i]] = engine.TokenBytes(tokens[i]).Length;
                start[i + 1] = start[i] + length;
            }
            for (int p = 1; p < tokens.Length; p++) { allSum += entropy[p - 1]; allN++; }
            docs++;
            progress?.Invoke(docs);

            var seen = new HashSet<string>(StringComparer.Ordinal);
            var repeated = Word().Matches(doc.Text).GroupBy(m => m.Value)
                .Where(g => g.Count() > 1 && documentFrequency.GetValueOrDefault(g.Key, 1) <= maxDocuments);
            foreach (var group in repeated)
            {
                bool counted = false;
                int k = 0;
                foreach (Match m in group)
                {
                    long w0 = Encoding.UTF8.GetByteCount(doc.Text.AsSpan(0, m.Index)), w1 = w0 + Encoding.UTF8.GetByteCount(m.Value);
                    var covering = Enumerable.Range(1, tokens.Length - 1).Where(p => start[p] < w1 && start[p + 1] > w0).ToArray();
                    if (covering.Length == 0) break; // past the context
                    if (!counted) { words++; counted = true; }
                    for (int j = 0; j < covering.Length; j++)
                    {
                        double e = entropy[covering[j] - 1];
                        if (k == 0) { firstSum += e; firstN++; if (j > 0) { firstInner += e; firstInnerN++; } }
                        else { repeatSum += e; repeatN++; if (j > 0) { repeatInner += e; repeatInnerN++; } }
                    }
                    if (k == 0) firstOcc++; else repeatOcc++;
                    k++;
                }
            }
        }
        return new RepeatEntropyReport(docs, words,
            new OccurrenceStats(firstOcc, firstN, firstSum / Math.Max(1, firstN), firstInnerN, firstInner / Math.Max(1, firstInnerN)),
            new OccurrenceStats(repeatOcc, repeatN, repeatSum / Math.Max(1, repeatN), repeatInnerN, repeatInner / Math.Max(1, repeatInnerN)),
            allSum / Math.Max(1, allN));
    }
}
