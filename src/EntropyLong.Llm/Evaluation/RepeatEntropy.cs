using System.Text;
using System.Text.RegularExpressions;
using EntropyLong.Core;

namespace EntropyLong.Llm.Evaluation;

/// <summary>Mean entropy of the tokens of one kind of word occurrence (NaN where there are no such tokens).</summary>
public sealed record OccurrenceStats(int Occurrences, long Tokens, double MeanEntropy, long InnerTokens, double InnerMeanEntropy);

/// <summary>Does a model use its context? On each document, rare words (in few documents of the corpus) that occur
/// more than once: the entropy of the model at the tokens of their first occurrence against their later ones.
/// A model that reads its context predicts a repeated rare word better the second time. "Inner" tokens exclude each
/// occurrence's first token, which no context can announce.</summary>
public sealed record RepeatEntropyReport(int Documents, int RareWords, OccurrenceStats First, OccurrenceStats Repeat, double AllTokensMeanEntropy);

/// <summary>The bluntest test of context use: each document followed by a copy of itself. A model that copies from its
/// context is far less uncertain over the second copy.</summary>
public sealed record CopyEntropyReport(int Documents, long TokensPerCopy, double FirstCopyMeanEntropy, double SecondCopyMeanEntropy);

public static partial class RepeatEntropy
{
    /// <summary>Scores [BOS] d [separator] d for each document d (cut so both copies fit the context) and averages the
    /// entropy predicting the tokens of each copy.</summary>
    public static CopyEntropyReport MeasureCopy(LlamaEngine engine, IEnumerable<Document> documents, string separator = "\n\n")
    {
        var sep = engine.Tokenize(separator);
        int[] bos = engine.Info.AddsBos && engine.Info.BosToken is int b ? [b] : [];
        double first = 0, second = 0;
        long n = 0;
        int docs = 0;
        foreach (var doc in documents)
        {
            var body = engine.Tokenize(doc.Text);
            int room = (engine.Info.ContextLength - bos.Length - sep.Length) / 2;
            if (body.Length > room) body = body[..room];
            if (body.Length < 2) continue;
            int[] tokens = [.. bos, .. body, .. sep, .. body];
            // Position p holds the entropy predicting token p. Without BOS nothing predicts the first token, so each
            // copy's first token is left out of both means alike.
            int skip = bos.Length == 0 ? 1 : 0, count = body.Length - skip;
            int firstStart = bos.Length + skip, secondStart = bos.Length + body.Length + sep.Length + skip;
            int[] positions = [.. Enumerable.Range(firstStart, count), .. Enumerable.Range(secondStart, count)];
            var entropy = engine.Score([new ScoreGroup(ReadOnlyMemory<int>.Empty, [new ScoreSequence(tokens, positions)])])[0];
            for (int i = 0; i < count; i++) { first += entropy[i]; second += entropy[count + i]; }
            n += count;
            docs++;
        }
        return new CopyEntropyReport(docs, n, Mean(first, n), Mean(second, n));
    }

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
            new OccurrenceStats(firstOcc, firstN, Mean(firstSum, firstN), firstInnerN, Mean(firstInner, firstInnerN)),
            new OccurrenceStats(repeatOcc, repeatN, Mean(repeatSum, repeatN), repeatInnerN, Mean(repeatInner, repeatInnerN)),
            Mean(allSum, allN));
    }

    // A mean of no tokens is undefined, not 0 nats.
    private static double Mean(double sum, long n) => n > 0 ? sum / n : double.NaN;
}
