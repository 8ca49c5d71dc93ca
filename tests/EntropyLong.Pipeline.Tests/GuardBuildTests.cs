using System.Text.Json;
using EntropyLong.Core;
using EntropyLong.Data;
using EntropyLong.TestSupport;

namespace EntropyLong.Pipeline.Tests;

/// <summary>The steps beyond the paper on real text (the sample corpus), scored by <see cref="CopyingModel"/>, which
/// rewards copying as an induction head does: the near-duplicate guard, hard negatives and decontamination.</summary>
public class GuardBuildTests
{
    private static readonly EntropyLongOptions Options = new() { TopK = 6, SeqLen = 1 << 20, MaxAnchorsPerDocument = 6 };
    private static readonly IReadOnlyList<Document> Pool = GoldenBuildTests.SampleCorpus(200);
    private static readonly IReadOnlyList<Document> Roots = Pool.Take(40).ToList();

    private static (IReadOnlyList<BuildDocument> Documents, BuildStats Stats) Process(IRetriever retriever, EntropyLongOptions options,
        IEnumerable<Document> documents, NGramSet? evaluationData = null)
    {
        using var model = new CopyingModel();
        var block = new BuildBlock(documents.Select(d => new BuildDocument(d)).ToList(), new BuildStats());
        foreach (var step in BuildSteps.EntropyLong(model, retriever, model, options, evaluationData: evaluationData)) step.Run(block, default);
        return (block.Documents, block.Stats);
    }

    /// <summary>Puts a planted chunk first among each anchor's candidates for its document, as an index ranks a mirror.</summary>
    private sealed class PlantingRetriever(IRetriever inner, IReadOnlyDictionary<string, RetrievedChunk> planted) : IRetriever
    {
        public IReadOnlyList<IReadOnlyList<RetrievedChunk>> Retrieve(IReadOnlyList<RetrievalQuery> queries, int k, CancellationToken cancellationToken = default) =>
            inner.Retrieve(queries, k, cancellationToken).Select((hits, q) => planted.TryGetValue(queries[q].DocumentId, out var chunk)
                ? [chunk, .. hits.Take(k - 1)] : hits).ToList();
    }

    [Fact]
    public void PlantedNearCopiesAreNotJudgedButCounted()
    {
        // Mirrors of short documents: one line, two words changed.
        var mirrored = Roots.Where(d => d.Text.Length is > 150 and < 400 && WordNGrams.Words(d.Text).Length >= 25).Take(6).ToList();
        Assert.True(mirrored.Count >= 4, $"{mirrored.Count} documents to mirror");
        var planted = mirrored.Select((d, i) =>
        {
            var words = d.Text.Replace('\n', ' ').Split(' ');
            words[3] = "changed";
            words[^4] = "edited";
            return (d.Id, Chunk: new RetrievedChunk(1_000_000 + i, $"mirror{i}#0", $"mirror{i}", string.Join(' ', words), 0.99f));
        }).ToDictionary(p => p.Id, p => p.Chunk);
        var retriever = new PlantingRetriever(new LexicalRetriever(Pool), planted);
        bool IsMirror(long key) => key >= 1_000_000;

        var off = Process(retriever, Options with { NearDuplicate = 0 }, Roots);
        var on = Process(retriever, Options, Roots);

        // Unguarded, every mirror is judged and verified: copying lowers the entropy.
        var mirrorVerdicts = off.Documents.SelectMany(d => d.Verdicts).Where(v => IsMirror(v.Chunk)).ToList();
        var withAnchors = off.Documents.Where(d => planted.ContainsKey(d.Id) && d.Anchors.Length > 0).ToList();
        Assert.True(withAnchors.Count >= 3, $"{withAnchors.Count} mirrored documents with anchors");
        Assert.All(withAnchors, d => Assert.Contains(d.Verdicts, v => IsMirror(v.Chunk) && v.Kept));
        // Guarded, none is judged, each is counted once per anchor, and every other judgement stands.
        Assert.Equal(mirrorVerdicts.Count, on.Stats.CandidatesNearDuplicate);
        Assert.DoesNotContain(on.Documents.SelectMany(d => d.Verdicts), v => IsMirror(v.Chunk));
        Assert.Equal(off.Documents.SelectMany(d => d.Verdicts).Where(v => !IsMirror(v.Chunk)), on.Documents.SelectMany(d => d.Verdicts));
        Assert.Equal(on.Stats.CandidatesJudged + on.Stats.CandidatesUnfit + on.Stats.CandidatesNearDuplicate + on.Stats.CandidatesRepeatedText,
            on.Documents.Sum(d => d.CandidatesRetrieved));
        Assert.All(on.Documents.Where(d => !d.Skipped), d => Assert.DoesNotContain(d.Sample!.Contexts, c => c.ChunkId.StartsWith("mirror")));

        // details.jsonl shows them as not judged, and why.
        var record = BuildRunner.DetailsOf(on.Documents.First(d => planted.ContainsKey(d.Id)));
        var mirror = record.Anchors.SelectMany(a => a.Candidates).First(c => c.ChunkId.StartsWith("mirror"));
        Assert.Equal((NearDuplicateStep.Reason, null, false), (mirror.Excluded, mirror.Delta, mirror.Kept));
        Assert.Contains("\"excluded\":\"near_duplicate\"", JsonSerializer.Serialize(mirror, JsonlWriter.DefaultOptions));
        Assert.DoesNotContain("excluded", JsonSerializer.Serialize(record.Anchors[0].Candidates.Last(), JsonlWriter.DefaultOptions));
    }

    private static string Build(EntropyLongOptions options)
    {
        using var model = new CopyingModel();
        string dir = Scratch.NewPath("guards");
        var stats = new BuildRunner(BuildSteps.EntropyLong(model, new LexicalRetriever(Pool), model, options), options.SeqLen,
            new BuildOutput(dir) { BlockSize = 16 }).Run(Roots);
        BuildRunner.WriteStats(dir, stats);
        return dir;
    }

    private static JsonElement Stats(string dir) => JsonDocument.Parse(File.ReadAllBytes(Path.Combine(dir, BuildFolder.Stats))).RootElement;

    [Fact]
    public void HardNegativesAreFailedChunksPlacedAmongTheVerifiedAndNeverCountedAsVerified()
    {
        string plain = Build(Options), mixed = Build(Options with { HardNegatives = 2 });
        var samples = BuildRecords.Read<SequenceRecord>(Path.Combine(plain, BuildFolder.Sequences)).SelectMany(r => r.Record.Samples).ToDictionary(s => s.DocumentId);
        var withNegatives = BuildRecords.Read<SequenceRecord>(Path.Combine(mixed, BuildFolder.Sequences)).SelectMany(r => r.Record.Samples).ToList();
        var details = BuildRecords.Read<DetailsRecord>(Path.Combine(mixed, BuildFolder.Details)).ToDictionary(r => r.Record.DocumentId, r => r.Record);

        Assert.Equal(samples.Keys, withNegatives.Select(s => s.DocumentId));
        int negatives = 0, between = 0;
        foreach (var sample in withNegatives)
        {
            // The verified contexts are the same; up to two negatives join them, shuffled in.
            var verified = sample.Contexts.Where(c => c.Kind == ContextRecord.Verified).Select(c => c.ChunkId).Order().ToList();
            Assert.Equal(samples[sample.DocumentId].Contexts.Select(c => c.ChunkId).Order(), verified);
            var kinds = sample.Contexts.Select(c => c.Kind).ToList();
            Assert.All(kinds, k => Assert.Contains(k, new[] { ContextRecord.Verified, ContextRecord.Negative }));
            int mine = kinds.Count(k => k == ContextRecord.Negative);
            Assert.InRange(mine, 0, 2);
            negatives += mine;
            if (kinds.IndexOf(ContextRecord.Negative) is > 0 and var at && at < kinds.Count - 1) between++;

            // Each negative was judged for this document and kept at none of its anchors; it carries its best verdict,
            // and no failed chunk left out was closer to its query.
            var candidates = details[sample.DocumentId].Anchors.SelectMany(a => a.Candidates).ToList();
            var failed = candidates.Where(c => c.Delta is not null).GroupBy(c => c.ChunkId).Where(g => !g.Any(c => c.Kept)).ToList();
            foreach (var negative in sample.Contexts.Where(c => c.Kind == ContextRecord.Negative))
            {
                var judged = failed.Single(g => g.Key == negative.ChunkId);
                Assert.Equal(judged.Max(c => c.Delta!.Value), negative.Delta!.Value, 6);
                Assert.True(negative.Delta <= Options.Epsilon);
            }
            var chosen = sample.Contexts.Where(c => c.Kind == ContextRecord.Negative).Select(c => c.ChunkId).ToHashSet();
            if (chosen.Count > 0)
                Assert.True(failed.Where(g => !chosen.Contains(g.Key)).All(g => g.Max(c => c.Score) <= failed.Where(f => chosen.Contains(f.Key)).Min(f => f.Max(c => c.Score))));
            else Assert.Empty(failed);
        }
        Assert.True(negatives > 20 && between > 5, $"{negatives} negatives, {between} between verified contexts");

        // Counted apart: what is verified does not change.
        var (a, b) = (Stats(plain), Stats(mixed));
        foreach (var key in new[] { "documents_used", "chunks_verified", "mean_delta", "candidates_judged" })
            Assert.Equal(a.GetProperty(key).GetRawText(), b.GetProperty(key).GetRawText());
        Assert.Equal(0, a.GetProperty("contexts_negative").GetInt64());
        Assert.Equal(negatives, b.GetProperty("contexts_negative").GetInt64());
        Assert.Equal(File.ReadAllBytes(Path.Combine(mixed, BuildFolder.Sequences)), File.ReadAllBytes(Path.Combine(Build(Options with { HardNegatives = 2 }), BuildFolder.Sequences)));
    }

    [Fact]
    public void PerAnchorCapKeepsTheBestRankedVerifiedChunksAndMarksTheRestCapped()
    {
        var retriever = new LexicalRetriever(Pool);
        var all = Process(retriever, Options, Roots);
        var capped = Process(retriever, Options with { MaxChunksPerAnchor = 1 }, Roots);

        // The paper's rule keeps several chunks for some anchors, so the cap has something to do.
        Assert.Contains(all.Documents.SelectMany(d => d.Verdicts.Where(v => v.Kept).GroupBy(v => v.Anchor)), g => g.Count() > 1);
        long expectedCapped = 0;
        for (int i = 0; i < all.Documents.Count; i++)
        {
            var (before, after) = (all.Documents[i], capped.Documents[i]);
            // Every judgement stands; only which passing pairs are kept changes.
            Assert.Equal(before.Verdicts.Select(v => v with { Kept = false }), after.Verdicts.Select(v => v with { Kept = false, Capped = false }));
            for (int a = 0; a < before.Anchors.Length; a++)
            {
                int Rank(Verdict v) => before.Candidates[a].ToList().FindIndex(h => h.Key == v.Chunk);
                var passing = before.Verdicts.Where(v => v.Anchor == a && v.Kept).OrderBy(Rank).Select(v => v.Chunk).ToList();
                var mine = after.Verdicts.Where(v => v.Anchor == a).ToList();
                Assert.Equal(passing.Take(1), mine.Where(v => v.Kept).Select(v => v.Chunk));
                Assert.Equal(passing.Skip(1).Order(), mine.Where(v => v.Capped).Select(v => v.Chunk).Order());
                Assert.All(mine.Where(v => v.Capped), v => Assert.True(v.Delta > Options.Epsilon && !v.Kept));
                expectedCapped += Math.Max(0, passing.Count - 1);
            }
            // A document keeps at least one chunk whenever it had one, and places only kept chunks.
            Assert.Equal(before.Skipped, after.Skipped);
            if (after.Sample is { } sample)
                Assert.Equal(after.Verdicts.Where(v => v.Kept).Select(v => v.Chunk).Distinct().Count(), sample.Contexts.Count + sample.ContextsDropped);
        }
        Assert.True(expectedCapped > 0);
        Assert.Equal(expectedCapped, capped.Stats.CandidatesCapped);
        Assert.Equal(0, all.Stats.CandidatesCapped);

        // A capped chunk passed verification, so it is never placed as a hard negative; the negatives are the uncapped
        // build's, chunks that failed at every anchor.
        var withNegatives = Process(retriever, Options with { MaxChunksPerAnchor = 1, HardNegatives = 32 }, Roots);
        for (int i = 0; i < all.Documents.Count; i++)
        {
            var passed = all.Documents[i].Verdicts.Where(v => v.Kept).Select(v => v.Chunk).ToHashSet();
            var negatives = withNegatives.Documents[i].Sample?.Contexts.Where(c => c.Kind == ContextKind.Negative).Select(c => c.ChunkId).ToList() ?? [];
            Assert.DoesNotContain(negatives, id => all.Documents[i].Candidates.SelectMany(h => h).Any(h => h.ChunkId == id && passed.Contains(h.Key)));
        }
        Assert.Contains(withNegatives.Documents, d => d.Verdicts.Any(v => v.Capped) && d.Sample!.Contexts.Any(c => c.Kind == ContextKind.Negative));

        // details.jsonl marks them, and writes the field only then.
        var record = BuildRunner.DetailsOf(capped.Documents.First(d => d.Verdicts.Any(v => v.Capped)));
        var marked = record.Anchors.SelectMany(a => a.Candidates).First(c => c.Capped);
        Assert.False(marked.Kept);
        Assert.Contains("\"capped\":true", JsonSerializer.Serialize(marked, JsonlWriter.DefaultOptions));
        Assert.DoesNotContain("capped", JsonSerializer.Serialize(record.Anchors.SelectMany(a => a.Candidates).First(c => c.Kept), JsonlWriter.DefaultOptions));
    }

    [Fact]
    public void DecontaminationDropsDocumentsAndChunksThatShareAThirteenGramWithEvaluationData()
    {
        var retriever = new LexicalRetriever(Pool);
        var clean = Process(retriever, Options, Roots);
        // Evaluation data quoting 13 words of three root documents and of two chunks they retrieved, with other
        // spacing and case.
        static string Quote(string text) =>
            string.Join(" ,  ", System.Text.RegularExpressions.Regex.Matches(text, @"[\p{L}\p{N}]+").Take(13).Select(m => m.Value)).ToUpperInvariant();
        static NGramSet Of(string text)
        {
            var set = new NGramSet();
            set.Add(Quote(text));
            return set;
        }
        var quotedRoots = Roots.Where(d => WordNGrams.Words(d.Text).Length > 30).Take(3).Select(d => d.Id).ToHashSet();
        // Chunks whose quotation is in no root document.
        var quotedChunks = clean.Documents.Where(d => !quotedRoots.Contains(d.Id)).SelectMany(d => d.Candidates.SelectMany(h => h))
            .Where(c => WordNGrams.Words(c.Text).Length >= 13 && !Roots.Any(r => Of(c.Text).SharesAny(r.Text))).DistinctBy(c => c.Key).Take(2).ToList();
        Assert.Equal(2, quotedChunks.Count);
        var evaluation = new NGramSet();
        foreach (var text in Roots.Where(d => quotedRoots.Contains(d.Id)).Select(d => d.Text).Concat(quotedChunks.Select(c => c.Text))) evaluation.Add(Quote(text));

        var decontaminated = Process(retriever, Options, Roots, evaluation);

        var skipped = decontaminated.Documents.Where(d => d.SkipReason == DecontaminateDocumentsStep.Reason).ToList();
        Assert.Equal(quotedRoots, skipped.Select(d => d.Id).ToHashSet());
        Assert.All(skipped, d => Assert.Empty(d.Tokens)); // dropped before scoring
        Assert.True(decontaminated.Stats.ScoringForwardTokens < clean.Stats.ScoringForwardTokens);
        // Every pair with a contaminated chunk is counted and not judged; every other judgement stands.
        var contaminated = clean.Documents.SelectMany(d => d.Candidates.SelectMany(h => h)).Where(c => evaluation.SharesAny(c.Text)).Select(c => c.Key).ToHashSet();
        Assert.Superset(contaminated, quotedChunks.Select(c => c.Key).ToHashSet());
        var kept = clean.Documents.Where(d => !quotedRoots.Contains(d.Id)).ToList();
        long pairs = kept.Sum(d => d.Candidates.Sum(h => h.Select(c => c.Key).Distinct().Count(contaminated.Contains)));
        Assert.Equal(pairs, decontaminated.Stats.CandidatesContaminated);
        Assert.True(pairs > 0);
        Assert.Equal(kept.SelectMany(d => d.Verdicts).Where(v => !contaminated.Contains(v.Chunk)), decontaminated.Documents.SelectMany(d => d.Verdicts));
        Assert.Equal(DecontaminateCandidatesStep.Reason, BuildRunner.DetailsOf(decontaminated.Documents.First(d => d.Excluded.Count > 0))
            .Anchors.SelectMany(a => a.Candidates).First(c => c.Excluded is not null).Excluded);
    }

    [Fact]
    public void TheDocumentGainKeepsTheChunksThatExplainMoreOfTheDocumentAndMarksTheOthers()
    {
        var retriever = new LexicalRetriever(Pool);
        var plain = Process(retriever, Options, Roots);
        // Measured at 0 first (kept when the chunk lowers the rest of the document at all), for a threshold between gains.
        var measured = Process(retriever, Options with { MinDocumentGain = 0 }, Roots);
        var gains = measured.Documents.SelectMany(d => d.Verdicts).Where(v => v.DocumentGain is not null).Select(v => v.DocumentGain!.Value).Order().ToList();
        Assert.True(gains.Count >= 10, $"{gains.Count} kept pairs");
        double min = gains[gains.Count / 2];
        var filtered = Process(retriever, Options with { MinDocumentGain = min }, Roots);

        using var model = new CopyingModel();
        int[] separator = model.Tokenize(Options.Separator);
        long below = 0;
        foreach (var (before, after) in plain.Documents.Zip(filtered.Documents))
        {
            Assert.Equal(before.Verdicts.Count, after.Verdicts.Count);
            foreach (var (v, w) in before.Verdicts.Zip(after.Verdicts))
            {
                Assert.Equal((v.Anchor, v.Chunk, v.Delta), (w.Anchor, w.Chunk, w.Delta));
                if (!v.Kept) { Assert.Equal(v, w); continue; }
                // The gain, from the definition: [BOS; chunk; separator; document] scored at every document token, and
                // the entropy removed outside the anchors as a share of stage 1's there.
                string text = before.Candidates.SelectMany(h => h).First(c => c.Key == v.Chunk).Text;
                int[] prefix = [model.Info.BosToken!.Value, .. model.Tokenize(text), .. separator];
                int length = Math.Min(before.Tokens.Length - 1, model.Info.ContextLength - prefix.Length);
                float[] withChunk = model.Score([new ScoreGroup(prefix, [new ScoreSequence(before.Tokens.AsMemory(1, length), Enumerable.Range(prefix.Length, length).ToArray())])])[0];
                var anchorTokens = before.Anchors.SelectMany(a => Enumerable.Range(a.Start, a.Position - a.Start + 1)).ToHashSet();
                var outside = Enumerable.Range(1, length).Where(t => !anchorTokens.Contains(t)).ToList();
                double h = outside.Sum(t => (double)before.Entropy[t]), hPrime = outside.Sum(t => (double)withChunk[t - 1]);
                Assert.Equal((h - hPrime) / h, w.DocumentGain!.Value, 9);
                Assert.Equal(w.DocumentGain > min, w.Kept);
                Assert.Equal(!w.Kept, w.BelowDocumentGain);
                Assert.True(w.Passed);
                if (w.BelowDocumentGain) below++;
            }
        }
        Assert.InRange(below, 1, gains.Count - 1);
        Assert.Equal(below, filtered.Stats.CandidatesBelowDocumentGain);
        Assert.True(filtered.Stats.DocumentGainForwardTokens > 0);
        Assert.Equal(0, plain.Stats.DocumentGainForwardTokens);
        var record = filtered.Documents.Select(BuildRunner.DetailsOf).SelectMany(d => d.Anchors).SelectMany(a => a.Candidates).First(c => c.BelowDocumentGain);
        Assert.False(record.Kept);
        Assert.NotNull(record.DocumentGain);
    }
}
