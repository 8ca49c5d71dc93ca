using EntropyLong.Core;
using EntropyLong.Data;
using EntropyLong.TestSupport;

namespace EntropyLong.Pipeline.Tests;

/// <summary>The baselines of the ablation through the same runner and outputs as the method: what each places.</summary>
public class BaselineBuildTests
{
    private static readonly EntropyLongOptions Options = new() { Alpha = 1.0, TopK = 4, SeqLen = 2048 };
    private static readonly IReadOnlyList<Document> Pool = GoldenBuildTests.SampleCorpus(200);
    private static readonly IReadOnlyList<Document> Roots = Pool.Take(30).ToList();

    private static string Build(IReadOnlyList<IBuildStep> steps, bool oneSpan = false)
    {
        string dir = Scratch.NewPath("baseline");
        var stats = new BuildRunner(steps, Options.SeqLen, new BuildOutput(dir) { BlockSize = 8, OneSpanPerSequence = oneSpan }).Run(Roots);
        BuildRunner.WriteStats(dir, stats);
        return dir;
    }

    private static List<SequenceRecord> Sequences(string dir) => BuildRecords.Read<SequenceRecord>(Path.Combine(dir, BuildFolder.Sequences)).Select(r => r.Record).ToList();

    private static Dictionary<string, DetailsRecord> Details(string dir) =>
        BuildRecords.Read<DetailsRecord>(Path.Combine(dir, BuildFolder.Details)).ToDictionary(r => r.Record.DocumentId, r => r.Record);

    [Fact]
    public void RetrievalPlacesTheTopRetrievedChunksUnjudgedAsManyAsMatched()
    {
        using var model = new CopyingModel();
        var matched = Roots.Where((_, i) => i % 3 != 0).ToDictionary(d => d.Id, d => d.Id.Length % 3 + 1); // a third not matched
        string dir = Build(BuildSteps.Retrieval(model, new LexicalRetriever(Pool), model, Options, matched));
        var details = Details(dir);
        var stats = System.Text.Json.JsonDocument.Parse(File.ReadAllBytes(Path.Combine(dir, BuildFolder.Stats))).RootElement;
        Assert.Equal(0, stats.GetProperty("forward_tokens").GetInt64()); // nothing judged
        Assert.Equal(0, stats.GetProperty("chunks_verified").GetInt64());
        var placed = new Dictionary<string, int>();
        foreach (var sample in Sequences(dir).SelectMany(s => s.Samples))
        {
            placed[sample.DocumentId] = sample.Contexts.Count;
            Assert.All(sample.Contexts, c => Assert.Equal((ContextRecord.Retrieved, (double?)null, (double?)null), (c.Kind, c.HPrime, c.Delta)));
            // Each anchor's best-ranked chunks come first: the first context chunks are among the anchors' top hits.
            var top = details[sample.DocumentId].Anchors.Select(a => a.Candidates[0].ChunkId).ToHashSet();
            Assert.Contains(sample.Contexts, c => top.Contains(c.ChunkId));
            Assert.DoesNotContain(sample.Contexts, c => c.SourceDocumentId == sample.DocumentId);
        }
        Assert.NotEmpty(placed);
        Assert.All(placed, p => Assert.Equal(matched[p.Key], p.Value));
        Assert.DoesNotContain(placed.Keys, id => !matched.ContainsKey(id));
        Assert.Equal(placed.Values.Sum(), stats.GetProperty("contexts_unjudged").GetInt64());
    }

    [Fact]
    public void RandomConcatenatesDocumentsInASeededOrderUnderOneSpan()
    {
        using var model = new CopyingModel();
        string a = Build(BuildSteps.Random(model, Options), oneSpan: true), b = Build(BuildSteps.Random(model, Options), oneSpan: true);
        Assert.Equal(File.ReadAllBytes(Path.Combine(a, BuildFolder.Sequences)), File.ReadAllBytes(Path.Combine(b, BuildFolder.Sequences)));
        var samples = Sequences(a).SelectMany(s => s.Samples).ToList();
        // Every document that fits the target length alone (a token per byte, and BOS).
        Assert.Equal(Roots.Where(d => System.Text.Encoding.UTF8.GetByteCount(d.Text) + 1 <= Options.SeqLen).Select(d => d.Id).Order(), samples.Select(s => s.DocumentId).Order());
        Assert.NotEqual(Roots.Select(d => d.Id), samples.Select(s => s.DocumentId)); // shuffled, within blocks of 8
        Assert.All(samples, s => Assert.Empty(s.Contexts));
        var mds = MdsReader.Read(Path.Combine(a, BuildFolder.Mds)).ToList();
        Assert.True(mds.Count > 1);
        Assert.All(mds, m => Assert.Equal([(0, m.InputIds.Length)], m.Indices!));
        Assert.Contains(Sequences(a), s => s.Samples.Count > 1); // one span over several documents
    }

    [Fact]
    public void RandomWithATokenBudgetTakesDocumentsInOrderUntilTheyHoldIt()
    {
        using var model = new CopyingModel();
        var fits = Roots.Where(d => System.Text.Encoding.UTF8.GetByteCount(d.Text) + 1 <= Options.SeqLen).ToList();
        long Tokens(Document d) => System.Text.Encoding.UTF8.GetByteCount(d.Text) + 1; // a token per byte, and BOS
        long budget = fits.Take(11).Sum(Tokens) - 1; // the eleventh document passes it
        string dir = Build(BuildSteps.Random(model, Options, budget), oneSpan: true);
        var samples = Sequences(dir).SelectMany(s => s.Samples).Select(s => s.DocumentId).Order().ToList();
        Assert.Equal(fits.Take(11).Select(d => d.Id).Order(), samples);
        var stats = System.Text.Json.JsonDocument.Parse(File.ReadAllBytes(Path.Combine(dir, BuildFolder.Stats))).RootElement;
        Assert.Equal(fits.Take(11).Sum(Tokens), stats.GetProperty("tokens_out").GetInt64());
        Assert.Equal(Roots.Count, stats.GetProperty("documents_read").GetInt64());
        Assert.True(stats.GetProperty("documents_skipped").GetProperty("over_token_budget").GetInt64() > 0);
    }

    [Fact]
    public void NextLongInterleavesDistractorsWithTheDocumentsPiecesInOrder()
    {
        using var model = new CopyingModel();
        string dir = Build(BuildSteps.NextLong(new LexicalRetriever(Pool), model, Options with { Separator = "\n\n" }, matched: null));
        int interleaved = 0;
        foreach (var seq in Sequences(dir))
            foreach (var sample in seq.Samples)
            {
                string text = seq.Text[sample.StartChar..sample.EndChar];
                Assert.NotEmpty(sample.Contexts);
                Assert.All(sample.Contexts, c => Assert.Equal(ContextRecord.Distractor, c.Kind));
                // Taking the distractors (and the separator before each) out gives back the document.
                string rest = text;
                foreach (var c in sample.Contexts.OrderByDescending(c => c.StartChar))
                {
                    int start = c.StartChar - sample.StartChar;
                    Assert.Equal(c.ChunkId.Split('#')[0] == sample.DocumentId ? "" : c.SourceDocumentId, c.SourceDocumentId); // never the document's own
                    Assert.Equal("\n\n", rest[(start - 2)..start]);
                    int end = start + (c.EndChar - c.StartChar);
                    bool last = end == rest.Length;
                    rest = rest[..(start - 2)] + rest[(last ? end : end + 2)..];
                }
                Assert.Equal(Roots.Single(d => d.Id == sample.DocumentId).Text, rest);
                if (sample.Contexts.Any(c => c.EndChar < sample.EndChar)) interleaved++;
            }
        Assert.True(interleaved > 0, "no distractor sits between pieces of its document");
    }

    [Fact]
    public void NextLongPlacesNoDistractorThatSharesAnNGramWithEvaluationData()
    {
        using var model = new CopyingModel();
        var distractors = (string dir) => Sequences(dir).SelectMany(seq => seq.Samples.SelectMany(sample => sample.Contexts
            .Select(c => seq.Text[c.StartChar..c.EndChar]))).ToList();
        var clean = distractors(Build(BuildSteps.NextLong(new LexicalRetriever(Pool), model, Options, matched: null)));
        // Evaluation data quoting 4 words (the test's lines are short; `build` uses 13) of five placed distractors, each
        // quotation in no root document, so that no root is dropped.
        static string Quote(string text) => string.Join(' ', System.Text.RegularExpressions.Regex.Matches(text, @"[\p{L}\p{N}]+").Take(4).Select(m => m.Value));
        var evaluation = new NGramSet(4);
        foreach (string quote in clean.Select(Quote).Where(q => q.Count(c => c == ' ') == 3).Distinct()
                     .Where(q => { var one = new NGramSet(4); one.Add(q); return !Roots.Any(r => one.SharesAny(r.Text)); }).Take(5))
            evaluation.Add(quote);
        Assert.Equal(5, evaluation.Count);
        Assert.Contains(clean, evaluation.SharesAny);

        string guardedDir = Build(BuildSteps.NextLong(new LexicalRetriever(Pool), model, Options, matched: null, evaluation));
        var guarded = distractors(guardedDir);
        Assert.NotEmpty(guarded);
        Assert.DoesNotContain(guarded, evaluation.SharesAny);
        // Counted: at least the five quoted chunks, each passed over where it had been placed.
        long Contaminated(string dir) => System.Text.Json.JsonDocument.Parse(File.ReadAllBytes(Path.Combine(dir, BuildFolder.Stats)))
            .RootElement.GetProperty("candidates_contaminated").GetInt64();
        Assert.InRange(Contaminated(guardedDir), 5, long.MaxValue);
    }
}
