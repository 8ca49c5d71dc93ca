using EntropyLong.Core;
using EntropyLong.Llm;
using EntropyLong.Llm.Evaluation;
using EntropyLong.TestSupport;

namespace EntropyLong.Llm.Tests;

public class RepeatEntropyTests
{
    [Fact]
    public void SplitsRareWordOccurrencesIntoFirstAndRepeatAtTheirTokens()
    {
        var (path, model) = TinyModels.Get();
        using var engine = LlamaEngine.Load(path, new LlamaSettings { Exact = true, Threads = 2 });
        var doc = new Document("d", "Zorblax came first. Then the common word came, and Zorblax again; Zorblax!", "t");
        var df = new Dictionary<string, int> { ["Zorblax"] = 1, ["came"] = 50, ["Then"] = 50, ["common"] = 50, ["word"] = 50, ["again"] = 50, ["first"] = 50 };
        var r = RepeatEntropy.Measure(engine, [doc], df, maxDocuments: 5);

        Assert.Equal(1, r.Documents);
        Assert.Equal(1, r.RareWords);
        Assert.Equal(1, r.First.Occurrences);
        Assert.Equal(2, r.Repeat.Occurrences);
        // Each occurrence counts the tokens overlapping the word (a lone space token before it is not one of them).
        var tokens = engine.TokenizeWithBos(doc.Text);
        var reference = ReferenceForward.Entropies(model, tokens);
        int first = engine.Tokenize("Zorblax").Length, later = engine.Tokenize(" Zorblax").Count(t => engine.Detokenize([t]).Trim().Length > 0);
        Assert.Equal(first, r.First.Tokens);
        Assert.Equal(2 * later, r.Repeat.Tokens);
        Assert.InRange(r.First.MeanEntropy, reference.Skip(1).Take(first).Average() - 1e-4, reference.Skip(1).Take(first).Average() + 1e-4);
        Assert.InRange(r.AllTokensMeanEntropy, reference.Skip(1).Average() - 1e-4, reference.Skip(1).Average() + 1e-4);
    }

    [Fact]
    public void ACopiedDocumentIsScoredCopyByCopy()
    {
        var (path, model) = TinyModels.Get();
        using var engine = LlamaEngine.Load(path, new LlamaSettings { Exact = true, Threads = 2 });
        var doc = new Document("d", "The quick brown fox jumps over the lazy dog.", "t");
        var r = RepeatEntropy.MeasureCopy(engine, [doc]);

        int[] body = engine.Tokenize(doc.Text), sep = engine.Tokenize("\n\n");
        int[] tokens = [engine.Info.BosToken!.Value, .. body, .. sep, .. body];
        var reference = ReferenceForward.Entropies(model, tokens); // reference[p]: predicting token p
        Assert.Equal(1, r.Documents);
        Assert.Equal(body.Length, r.TokensPerCopy);
        double first = reference.Skip(1).Take(body.Length).Average();
        double second = reference.Skip(1 + body.Length + sep.Length).Take(body.Length).Average();
        Assert.InRange(r.FirstCopyMeanEntropy, first - 1e-4, first + 1e-4);
        Assert.InRange(r.SecondCopyMeanEntropy, second - 1e-4, second + 1e-4);
        Assert.NotEqual(first, second, 3);
    }

    [Fact]
    public void CommonWordsAndWordsSeenOnceAreLeftOut()
    {
        using var engine = LlamaEngine.Load(TinyModels.Get().Path, new LlamaSettings { Exact = true, Threads = 2 });
        var doc = new Document("d", "Zorblax once; the fox and the fox again.", "t");
        var r = RepeatEntropy.Measure(engine, [doc], new Dictionary<string, int> { ["Zorblax"] = 1, ["again"] = 1, ["once"] = 1 }, maxDocuments: 5);
        Assert.Equal(0, r.RareWords); // "fox" is under 4 letters, the rare words occur once
        Assert.Equal(0, r.First.Tokens + r.Repeat.Tokens);
    }
}
