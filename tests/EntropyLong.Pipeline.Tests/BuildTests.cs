using System.Text.Json;
using EntropyLong.Core;
using EntropyLong.Llm;
using EntropyLong.TestSupport;

namespace EntropyLong.Pipeline.Tests;

public class BuildTests
{
    internal static readonly Document[] Corpus = TinyModels.Texts
        .Select((t, i) => new Document($"doc{i}", t + "\n" + TinyModels.Texts[(i + 3) % TinyModels.Texts.Length], $"test:{i + 1}"))
        .ToArray();

    /// <summary>Every step of the method over one block, as the runner applies them.</summary>
    private static (IReadOnlyList<BuildDocument> Documents, BuildStats Stats) Process(LlamaEngine engine, IRetriever retriever,
        EntropyLongOptions options, IEnumerable<Document> documents, bool naive = false)
    {
        var block = new BuildBlock(documents.Select(d => new BuildDocument(d)).ToList(), new BuildStats());
        foreach (var step in BuildSteps.EntropyLong(engine, retriever, engine.Vocabulary, options, naive)) step.Run(block, default);
        return (block.Documents, block.Stats);
    }

    internal static BuildRunner Runner(LlamaEngine engine, IRetriever retriever, EntropyLongOptions options, BuildOutput output) =>
        new(BuildSteps.EntropyLong(engine, retriever, engine.Vocabulary, options), options.SeqLen, output);

    internal static LlamaEngine Engine() =>
        LlamaEngine.Load(TinyModels.Get().Path, new LlamaSettings { Exact = true, Threads = 2, MaxSequences = 8 });

    // Random weights give flat entropies; a low alpha and epsilon make sure anchors and verified chunks exist.
    internal static readonly EntropyLongOptions Loose = new() { Alpha = 0.5, Epsilon = 0.0, TopK = 4, SeqLen = 512, Window = 4 };

    // The naive oracle decodes every pair on its own: keep its workload small.
    private static readonly Document[] Few = Corpus[..4];
    private static readonly EntropyLongOptions Strict = Loose with { Alpha = 1.0, TopK = 3 };

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void GroupedAndNaiveVerificationMakeTheSameDecisions(bool wordEntropy)
    {
        using var engine = Engine();
        var retriever = new LexicalRetriever(Corpus);
        var strict = Strict with { WordEntropy = wordEntropy };
        // A real threshold, one that keeps some pairs and rejects others: near the median of the positive dI, midway
        // across the widest of the nearby gaps between them, since grouped and naive dI agree to 1e-4, not to the bit
        // (a threshold equal to one pair's dI could keep it one way and not the other).
        var positive = Process(engine, retriever, strict, Few).Documents.SelectMany(d => d.Verdicts).Select(v => v.Delta).Where(d => d > 0).Order().ToList();
        int gap = Enumerable.Range(positive.Count / 2 - 3, 7).MaxBy(i => positive[i + 1] - positive[i]);
        var options = strict with { Epsilon = (positive[gap] + positive[gap + 1]) / 2 };
        var grouped = Process(engine, retriever, options, Few);
        // Word anchors include words of several tokens, each judged at all of them.
        Assert.Equal(wordEntropy, grouped.Documents.SelectMany(d => d.Anchors).Any(x => x.Start < x.Position));
        // A placed context names its word anchor's whole text and where it starts. (A token anchor can be the head of a
        // character split across tokens, whose own text is a replacement character.)
        var placed = grouped.Documents.Where(d => d.Sample is not null).SelectMany(d => d.Sample!.Contexts.Select(c => (d.Source.Text, c))).ToList();
        Assert.NotEmpty(placed);
        if (wordEntropy) Assert.All(placed, p => Assert.StartsWith(p.c.AnchorText, p.Text[p.c.AnchorChar..], StringComparison.Ordinal));
        var naive = Process(engine, retriever, options, Few, naive: true);
        var a = grouped.Documents.SelectMany(d => d.Verdicts).ToList();
        var b = naive.Documents.SelectMany(d => d.Verdicts).ToList();
        Assert.True(a.Count > 10, $"only {a.Count} pairs judged");
        Assert.InRange(options.Epsilon, 0.001, 0.99);
        Assert.Equal(a.Count, b.Count);
        for (int i = 0; i < a.Count; i++)
        {
            Assert.Equal((a[i].Document, a[i].Anchor, a[i].Chunk, a[i].Kept), (b[i].Document, b[i].Anchor, b[i].Chunk, b[i].Kept));
            Assert.True(Math.Abs(a[i].HPrime - b[i].HPrime) < 1e-4);
        }
        Assert.Contains(a, v => v.Kept);
        Assert.Contains(a, v => !v.Kept && v.Delta > 0);
        Assert.True(grouped.Stats.ForwardTokens < naive.Stats.ForwardTokens, $"{grouped.Stats.ForwardTokens} vs {naive.Stats.ForwardTokens}");
        Assert.Equal(naive.Stats.ForwardTokens, grouped.Stats.NaiveForwardTokens);
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void CutPrefixesAgreeBetweenGroupedAndNaive(bool wordEntropy)
    {
        // A context of 96 tokens forces [chunk; document prefix] past it, so documents are cut from the left.
        using var engine = LlamaEngine.Load(TinyModels.Get().Path, new LlamaSettings { Exact = true, Threads = 2, ContextLength = 96, MaxSequences = 8 });
        var retriever = new LexicalRetriever(Corpus);
        var strict = Strict with { WordEntropy = wordEntropy };
        var grouped = Process(engine, retriever, strict, Few);
        var naive = Process(engine, retriever, strict, Few, naive: true);
        var a = grouped.Documents.SelectMany(d => d.Verdicts).ToList();
        var b = naive.Documents.SelectMany(d => d.Verdicts).ToList();
        Assert.NotEmpty(a);
        Assert.Equal(a.Select(v => (v.Document, v.Anchor, v.Chunk, v.Kept)), b.Select(v => (v.Document, v.Anchor, v.Chunk, v.Kept)));
        Assert.True(a.Zip(b).All(p => Math.Abs(p.First.H - p.Second.H) < 1e-4 && Math.Abs(p.First.HPrime - p.Second.HPrime) < 1e-4));
    }

    [Fact]
    public void ADocumentLongerThanTheTargetIsRuledOutBeforeItIsScored()
    {
        using var engine = Engine();
        ITrainingTokenizer tokenizer = engine.Vocabulary;
        int[] lengths = Few.Select(d => tokenizer.Encode(d.Text).Length).ToArray();
        int longest = Array.IndexOf(lengths, lengths.Max());
        var options = Loose with { SeqLen = lengths.Max() - 1 };
        var (docs, stats) = Process(engine, new LexicalRetriever(Corpus), options, Few);
        // Assembly dropped it anyway, after scoring, retrieval and verification had been spent on it.
        Assert.Equal(DocumentLengthStep.Reason, docs[longest].SkipReason);
        Assert.Empty(docs[longest].Tokens);
        Assert.Empty(docs[longest].Anchors);
        Assert.Equal(docs.Where((_, i) => i != longest).Sum(d => (long)d.Tokens.Length), stats.ScoringForwardTokens);
        Assert.All(docs.Where((_, i) => i != longest), d => Assert.NotEmpty(d.Tokens));
    }

    [Fact]
    public void LargerEpsilonNeverVerifiesMore()
    {
        using var engine = Engine();
        var retriever = new LexicalRetriever(Corpus);
        // One scoring pass; the rule is applied at several epsilons to the same verdicts' dI.
        var verdicts = Process(engine, retriever, Loose, Few).Documents.SelectMany(d => d.Verdicts).ToList();
        Assert.NotEmpty(verdicts);
        int previous = int.MaxValue;
        foreach (var eps in new[] { 0.0, 0.05, 0.2, 0.4, 0.8 })
        {
            var r = Process(engine, retriever, Loose with { Epsilon = eps }, Few);
            int kept = r.Documents.Sum(d => d.Verdicts.Count(v => v.Kept));
            Assert.Equal(verdicts.Count(v => v.Delta > eps), kept);
            Assert.True(kept <= previous, $"epsilon {eps} kept {kept} > {previous}");
            previous = kept;
        }
    }

    [Fact]
    public void LargerAlphaNeverGivesMoreAnchors()
    {
        using var engine = Engine();
        var retriever = new LexicalRetriever(Corpus);
        var low = Process(engine, retriever, Loose with { Alpha = 0.5 }, Corpus);
        var high = Process(engine, retriever, Loose with { Alpha = 2.0 }, Corpus);
        Assert.True(high.Documents.Sum(d => d.Anchors.Length) < low.Documents.Sum(d => d.Anchors.Length));
    }

    [Fact]
    public void EndToEndBuildIsDeterministicAndConsistent()
    {
        using var engine = Engine();
        var retriever = new LexicalRetriever(Corpus);
        string Run(string name)
        {
            string dir = Path.Combine(Scratch.NewPath("build"), name);
            var stats = Runner(engine, retriever, Loose, new BuildOutput(dir) { BlockSize = 3 }).Run(Corpus);
            BuildRunner.WriteStats(dir, stats);
            return dir;
        }
        string first = Run("a"), second = Run("b");
        foreach (var file in new[] { "sequences.jsonl", "stats.json", "mds/index.json", "mds/shard.00000.mds" })
            Assert.True(File.Exists(Path.Combine(first, file)), file);
        Assert.Equal(File.ReadAllBytes(Path.Combine(first, "sequences.jsonl")), File.ReadAllBytes(Path.Combine(second, "sequences.jsonl")));
        Assert.Equal(File.ReadAllBytes(Path.Combine(first, "mds/shard.00000.mds")), File.ReadAllBytes(Path.Combine(second, "mds/shard.00000.mds")));

        var stats = JsonDocument.Parse(File.ReadAllText(Path.Combine(first, "stats.json"))).RootElement;
        foreach (var key in new[] { "documents_read", "documents_used", "anchors", "candidates_judged", "chunks_verified", "mean_delta", "sequences", "tokens_out", "forward_tokens", "naive_forward_tokens" })
            Assert.True(stats.TryGetProperty(key, out _), key);
        Assert.Equal(Corpus.Length, stats.GetProperty("documents_read").GetInt64());

        // Every sample's tokens are its text re-tokenized, and every context sits before its document.
        var lines = File.ReadAllLines(Path.Combine(first, "sequences.jsonl"));
        Assert.Equal(stats.GetProperty("sequences").GetInt64(), lines.Length);
        long tokens = 0;
        foreach (var line in lines)
        {
            var seq = JsonDocument.Parse(line).RootElement;
            string text = seq.GetProperty("text").GetString()!;
            tokens += seq.GetProperty("num_tokens").GetInt64();
            Assert.True(seq.GetProperty("num_tokens").GetInt32() <= Loose.SeqLen);
            foreach (var sample in seq.GetProperty("samples").EnumerateArray())
            {
                string sampleText = text[sample.GetProperty("start_char").GetInt32()..sample.GetProperty("end_char").GetInt32()];
                string id = sample.GetProperty("document_id").GetString()!;
                Assert.EndsWith(Corpus.Single(d => d.Id == id).Text, sampleText);
                Assert.Equal(sample.GetProperty("end_token").GetInt32() - sample.GetProperty("start_token").GetInt32(), engine.TokenizeWithBos(sampleText).Length);
                var sampleTokens = engine.TokenizeWithBos(sampleText);
                int at = sample.GetProperty("start_token").GetInt32();
                foreach (var c in sample.GetProperty("contexts").EnumerateArray())
                {
                    Assert.NotEqual(id, c.GetProperty("source_document_id").GetString());
                    Assert.True(c.GetProperty("delta").GetDouble() > Loose.Epsilon);
                    string ctx = text[c.GetProperty("start_char").GetInt32()..c.GetProperty("end_char").GetInt32()];
                    Assert.Contains(ctx, Corpus.Single(d => d.Id == c.GetProperty("source_document_id").GetString()).Text);
                    // Token spans: the context's tokens decode to its text, and the anchor token to the anchor's text.
                    int start = c.GetProperty("start_token").GetInt32() - at, end = c.GetProperty("end_token").GetInt32() - at;
                    int anchor = c.GetProperty("anchor_token").GetInt32() - at;
                    Assert.Equal(ctx, engine.Detokenize(sampleTokens.AsSpan(start, end - start)));
                    Assert.True(anchor >= end && anchor < sampleTokens.Length, $"anchor {anchor}, context end {end}");
                    // (A byte token of a character split across tokens has no text of its own to compare.)
                    string anchorText = c.GetProperty("anchor_text").GetString()!;
                    if (!anchorText.Contains('\uFFFD')) Assert.Equal(anchorText, engine.Detokenize(sampleTokens.AsSpan(anchor, 1)));
                }
            }
        }
        Assert.Equal(stats.GetProperty("tokens_out").GetInt64(), tokens);

        // details.jsonl: one line per document in input order; pieces rebuild the text; judgements match the stats.
        var details = File.ReadAllLines(Path.Combine(first, "details.jsonl")).Select(l => JsonDocument.Parse(l).RootElement).ToList();
        Assert.Equal(Corpus.Select(d => d.Id), details.Select(d => d.GetProperty("document_id").GetString()));
        long anchors = 0, judged = 0, kept = 0;
        foreach (var (d, doc) in details.Zip(Corpus))
        {
            var pieces = d.GetProperty("tokens").EnumerateArray().Select(p => p.GetString()).ToList();
            Assert.Equal(doc.Text, string.Concat(pieces));
            Assert.Equal(pieces.Count, d.GetProperty("entropy").GetArrayLength());
            double tau = d.GetProperty("threshold").GetDouble();
            foreach (var a in d.GetProperty("anchors").EnumerateArray())
            {
                anchors++;
                Assert.True(a.GetProperty("entropy").GetDouble() > tau);
                Assert.Equal(a.GetProperty("entropy").GetDouble(), d.GetProperty("entropy")[a.GetProperty("position").GetInt32()].GetDouble(), 1e-4);
                Assert.False(string.IsNullOrEmpty(a.GetProperty("query").GetString()));
                foreach (var c in a.GetProperty("candidates").EnumerateArray())
                {
                    if (c.GetProperty("h").ValueKind == JsonValueKind.Null) continue;
                    judged++;
                    bool k = c.GetProperty("kept").GetBoolean();
                    if (k) kept++;
                    Assert.Equal(c.GetProperty("delta").GetDouble() > Loose.Epsilon, k);
                }
            }
        }
        Assert.Equal(stats.GetProperty("anchors").GetInt64(), anchors);
        Assert.Equal(stats.GetProperty("candidates_judged").GetInt64(), judged);
        Assert.True(kept >= stats.GetProperty("chunks_verified").GetInt64());
    }

    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public void TheNumberOfThreadsChangesNoByte(bool exact)
    {
        var retriever = new LexicalRetriever(Corpus);
        string Run(int threads)
        {
            using var engine = LlamaEngine.Load(TinyModels.Get().Path, new LlamaSettings { Exact = exact, Threads = threads, MaxSequences = 8 });
            string dir = Scratch.NewPath("build");
            var stats = Runner(engine, retriever, Loose, new BuildOutput(dir) { BlockSize = 4 }).Run(Corpus);
            Assert.True(stats.ChunksVerified > 0);
            return dir;
        }
        string one = Run(1), two = Run(2), three = Run(3);
        foreach (var file in new[] { "sequences.jsonl", "details.jsonl", "mds/shard.00000.mds" })
        {
            Assert.Equal(File.ReadAllBytes(Path.Combine(one, file)), File.ReadAllBytes(Path.Combine(two, file)));
            Assert.Equal(File.ReadAllBytes(Path.Combine(one, file)), File.ReadAllBytes(Path.Combine(three, file)));
        }
    }

    [Fact]
    public void ProgressMovesWithinABlockAndChangesNoOutput()
    {
        using var engine = Engine();
        var retriever = new LexicalRetriever(Corpus);
        var reports = new List<BuildProgress>();
        string Run(bool watch)
        {
            string dir = Scratch.NewPath("build");
            int read = 0;
            var docs = Corpus.Select(d => { read++; return d; });
            Runner(engine, retriever, Loose, new BuildOutput(dir) { BlockSize = Corpus.Length })
                .Run(docs, () => (double)read / Corpus.Length, watch ? reports.Add : null);
            return dir;
        }
        string quiet = Run(watch: false), watched = Run(watch: true);
        // One block: each step, and the verification slices inside it, move the bar before the block ends.
        var fractions = reports.Select(r => r.FractionOfInput).ToList();
        Assert.True(fractions.Zip(fractions.Skip(1)).All(p => p.First <= p.Second), string.Join(", ", fractions));
        Assert.Equal(["ids", "length", "entropy", "anchors", "retrieval", "repeated_text", "near_duplicate", "verification", "assembly"], reports.Select(r => r.Stage).Where(s => s != "").Distinct());
        Assert.True(fractions.Count(f => f > 0 && f < 1) > 4, string.Join(", ", fractions));
        Assert.Equal(0, reports[^3].DocumentsRead); // counted as done only once the block is (then the final report)
        Assert.Equal(1.0, fractions[^1]);
        Assert.Equal(Corpus.Length, reports[^1].DocumentsRead);
        // The last sequence is packed after the last block: the final report counts it.
        Assert.Equal(File.ReadAllLines(Path.Combine(watched, "sequences.jsonl")).Length, reports[^1].Sequences);
        Assert.Equal(File.ReadAllBytes(Path.Combine(quiet, "sequences.jsonl")), File.ReadAllBytes(Path.Combine(watched, "sequences.jsonl")));
    }

    [Fact]
    public void SequencesUnderAnotherNameReplaceTheEarlierOnes()
    {
        // The report reads the first sequences file it finds: an earlier build's sequences.jsonl beside the new
        // sequences.jsonl.gz was read instead of it.
        using var engine = Engine();
        string dir = Scratch.NewPath("build");
        Directory.CreateDirectory(dir);
        File.WriteAllText(Path.Combine(dir, "sequences.jsonl"), "{}\n");
        Runner(engine, new LexicalRetriever(Few), Loose, new BuildOutput(dir) { SequencesFile = "sequences.jsonl.gz" }).Run(Few);
        Assert.False(File.Exists(Path.Combine(dir, "sequences.jsonl")));
        Assert.True(File.Exists(Path.Combine(dir, "sequences.jsonl.gz")));
    }

    [Fact]
    public void NoDetailsRemovesAStaleFile()
    {
        using var engine = Engine();
        string dir = Scratch.NewPath("build");
        Directory.CreateDirectory(dir);
        File.WriteAllText(Path.Combine(dir, "details.jsonl"), "{}\n");
        Runner(engine, new LexicalRetriever(Few), Loose, new BuildOutput(dir) { Details = false }).Run(Few);
        Assert.False(File.Exists(Path.Combine(dir, "details.jsonl")));
        Assert.True(File.Exists(Path.Combine(dir, "sequences.jsonl")));
    }

    [Fact]
    public void ChunksDroppedForLengthCountInTheMeanDeltaAndADocumentLeftWithoutAnyIsNotUsed()
    {
        // A target length a little over the longest document: every document fits alone, few fit with their chunks.
        using var engine = Engine();
        int longest = Corpus.Max(d => ((ITrainingTokenizer)engine.Vocabulary).Encode(d.Text).Length);
        var options = Loose with { SeqLen = longest + 40 };
        var (documents, stats) = Process(engine, new LexicalRetriever(Corpus), options, Corpus);
        string dir = Scratch.NewPath("build");
        Directory.CreateDirectory(dir);
        using (var sink = new SequenceSink(new BuildOutput(dir), stats, options.SeqLen))
        {
            foreach (var d in documents.Where(d => !d.Skipped)) sink.Add(d.Sample!);
            sink.Complete();
        }
        var used = documents.Where(d => !d.Skipped).Select(d => d.Sample!).ToList();
        Assert.Contains(used, s => s.ContextsDropped > 0);
        Assert.Contains(documents, d => d.SkipReason == AssemblyStep.NoVerifiedChunkFits);
        Assert.All(used, s => Assert.Contains(s.Contexts, c => c.Kind == ContextKind.Verified));
        var verified = used.SelectMany(s => s.Contexts.Concat(s.Dropped)).Where(c => c.Kind == ContextKind.Verified).ToList();
        Assert.Equal(verified.Count, stats.ChunksVerified);
        Assert.Equal(verified.Average(c => c.Delta), stats.MeanDelta, 9);
    }
}
