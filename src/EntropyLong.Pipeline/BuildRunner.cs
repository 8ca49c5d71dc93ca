using System.Diagnostics;
using EntropyLong.Core;
using EntropyLong.Data;

namespace EntropyLong.Pipeline;

/// <summary>Where a build stands. <see cref="Stage"/> is the step working on the block in hand and
/// <see cref="BlockFraction"/> how far the block has come through the steps; DocumentsDone counts the finished
/// documents plus that share of the block (for a rate). The other counters move when a block finishes.</summary>
public sealed record BuildProgress(long DocumentsRead, long DocumentsUsed, long ChunksVerified, long Sequences, double FractionOfInput,
    double DocumentsDone, string Stage = "", double BlockFraction = 0);

/// <summary>Where and how a build writes.</summary>
public sealed record BuildOutput(string Directory)
{
    /// <summary>sequences.jsonl, .jsonl.gz or .jsonl.zst.</summary>
    public string SequencesFile { get; init; } = BuildFolder.Sequences;
    public long MdsShardSizeLimit { get; init; } = 1 << 26;
    /// <summary>Documents per block: the unit every step works on together (verification groups its pairs by chunk).</summary>
    public int BlockSize { get; init; } = 256;
    /// <summary>Write details.jsonl (per-token entropy, anchors, every candidate judged) for `entropylong report`.</summary>
    public bool Details { get; init; } = true;
    /// <summary>Write mds/ (MosaicML streaming shards, what ProLong reads).</summary>
    public bool Mds { get; init; } = true;
    /// <summary>Write parquet/ (the same sequences for Hugging Face datasets and other trainers).</summary>
    public bool Parquet { get; init; }
    /// <summary>Add the position_weighted column (1 at each kept context's anchor token) to mds/ and parquet/.</summary>
    public bool PositionWeights { get; init; }
    /// <summary>One attention span per packed sequence instead of one per sample (the `random` baseline: plain
    /// concatenation, trained with attention across documents).</summary>
    public bool OneSpanPerSequence { get; init; }

    /// <summary>The names of the token formats, as --format, config.json and plan.json give them.</summary>
    public static readonly IReadOnlyList<string> FormatNames = ["mds", "parquet"];

    /// <summary>The token formats written, by name (besides sequences.jsonl, always written).</summary>
    public IReadOnlyList<string> Formats => FormatNames.Where(f => f == "mds" ? Mds : Parquet).ToList();

    /// <summary>This output with exactly the formats <paramref name="names"/> (of <see cref="FormatNames"/>).</summary>
    public BuildOutput WithFormats(IEnumerable<string> names) => this with { Mds = names.Contains("mds"), Parquet = names.Contains("parquet") };
}

/// <summary>Runs a build's steps (<see cref="BuildSteps"/>) over a document stream, block by block, packs the samples to
/// <paramref name="seqLen"/> tokens and writes
/// sequences.jsonl, mds/ and details.jsonl (optional); the caller writes stats.json last (<see cref="WriteStats"/>). Every
/// file is written under a temporary name and renamed into place when complete. Output order follows input order, so
/// the same inputs, configuration and seed give the same bytes.</summary>
public sealed class BuildRunner(IReadOnlyList<IBuildStep> steps, int seqLen, BuildOutput output)
{
    public BuildStats Run(IEnumerable<Document> documents, Func<double>? inputFraction = null, Action<BuildProgress>? progress = null,
        CancellationToken ct = default)
    {
        var stats = new BuildStats();
        var total = Stopwatch.StartNew();
        Directory.CreateDirectory(output.Directory);
        // What a killed earlier run was writing (a live writer's files stay). An earlier build's output stays whole until
        // the new one replaces it at the end.
        AtomicFile.RemoveAbandoned(output.Directory);
        AtomicFile.RemoveAbandoned(Path.Combine(output.Directory, BuildFolder.Mds));
        AtomicFile.RemoveAbandoned(Path.Combine(output.Directory, BuildFolder.Parquet));
        using var sink = new SequenceSink(output, stats, seqLen);
        using var details = output.Details ? new JsonlWriter(Path.Combine(output.Directory, BuildFolder.Details)) : null;
        foreach (var step in steps) stats.Seconds[step.Name] = 0;
        stats.Seconds["writing"] = 0;

        double reportedFraction = 0;
        foreach (var chunk in documents.Chunk(output.BlockSize))
        {
            ct.ThrowIfCancellationRequested();
            // The reader is already past the block: move the bar from where it was towards there as the steps go.
            double before = reportedFraction, after = inputFraction?.Invoke() ?? double.NaN;
            var docs = chunk.Select(d => new BuildDocument(d)).ToList();
            for (int s = 0; s < steps.Count; s++)
            {
                var step = steps[s];
                void Report(double withinStep)
                {
                    double done = (s + Math.Clamp(withinStep, 0, 1)) / steps.Count;
                    progress?.Invoke(new BuildProgress(stats.DocumentsRead, stats.DocumentsUsed, stats.ChunksVerified, stats.Sequences,
                        before + (after - before) * done, stats.DocumentsRead + done * docs.Count, step.Name, done));
                }
                Report(0);
                var clock = Stopwatch.StartNew();
                step.Run(new BuildBlock(docs, stats, Report), ct);
                stats.Seconds[step.Name] += clock.Elapsed.TotalSeconds;
            }
            var writing = Stopwatch.StartNew();
            stats.DocumentsRead += docs.Count;
            foreach (var doc in docs)
            {
                details?.Write(DetailsOf(doc));
                stats.TokensIn += doc.Tokens.Length;
                stats.Anchors += doc.Anchors.Length;
                stats.CandidatesRetrieved += doc.CandidatesRetrieved;
                if (doc.SkipReason is { } reason) stats.Skip(reason);
            }
            foreach (var doc in docs.Where(d => !d.Skipped).OrderBy(d => d.PackingKey)) sink.Add(doc.Sample!);
            stats.Seconds["writing"] += writing.Elapsed.TotalSeconds;
            reportedFraction = after;
            progress?.Invoke(new BuildProgress(stats.DocumentsRead, stats.DocumentsUsed, stats.ChunksVerified, stats.Sequences, after, stats.DocumentsRead));
        }
        var finish = Stopwatch.StartNew();
        ReplaceEarlierBuild(output);
        sink.Complete();
        details?.Complete();
        // The last sequence is packed only now: the final line counts it.
        progress?.Invoke(new BuildProgress(stats.DocumentsRead, stats.DocumentsUsed, stats.ChunksVerified, stats.Sequences, reportedFraction, stats.DocumentsRead));
        stats.Seconds["writing"] += finish.Elapsed.TotalSeconds;
        stats.Seconds["total"] = total.Elapsed.TotalSeconds;
        return stats;
    }

    /// <summary>Called when the new output is written, just before it is renamed into place: an earlier build's
    /// stats.json goes first, so that a run killed while renaming leaves a folder no reader takes for a finished build,
    /// and with it the earlier build's files the new one will not replace (details.jsonl when the new build writes
    /// none, sequences under another name), which would otherwise pass for the new build's.</summary>
    public static void ReplaceEarlierBuild(BuildOutput output)
    {
        File.Delete(Path.Combine(output.Directory, BuildFolder.Stats));
        if (!output.Details) File.Delete(Path.Combine(output.Directory, BuildFolder.Details));
        foreach (string name in BuildFolder.SequenceNames.Where(n => n != output.SequencesFile)) File.Delete(Path.Combine(output.Directory, name));
    }

    /// <summary>The lock an unsharded build holds on its folder for its whole run, or null when another process holds
    /// it: two builds writing one folder together would leave a mix of their files that looks finished. The kernel
    /// releases it however the process ends; the hidden file stays (deleting it could let two later builds lock two
    /// different files of the same name).</summary>
    public static IDisposable? TryLockFolder(string directory)
    {
        Directory.CreateDirectory(directory);
        return Tasks.TaskStore.TryLock(Path.Combine(directory, BuildFolder.BuildLock));
    }

    /// <summary>Writes stats.json last, atomically: its presence marks a complete build.</summary>
    public static void WriteStats(string directory, BuildStats stats) => BuildFolder.WriteJson(Path.Combine(directory, BuildFolder.Stats), stats);

    /// <summary>The details.jsonl record of a document: what the report shows of it.</summary>
    public static DetailsRecord DetailsOf(BuildDocument doc)
    {
        // Verdicts by (anchor, chunk): a candidate without one was not judged (a guard excluded it, or its chunk fills
        // the scorer's context).
        var verdicts = new Dictionary<(int, long), Verdict>();
        foreach (var v in doc.Verdicts) verdicts[(v.Anchor, v.Chunk)] = v;
        var anchors = new AnchorRecord[doc.Anchors.Length];
        for (int a = 0; a < anchors.Length; a++)
        {
            var candidates = (doc.Candidates.ElementAtOrDefault(a) ?? []).Select(hit => verdicts.TryGetValue((a, hit.Key), out var v)
                ? new CandidateRecord(hit.ChunkId, hit.DocumentId, Math.Round(hit.Score, 6), Math.Round(v.H, 6), Math.Round(v.HPrime, 6), Math.Round(v.Delta, 6), v.Kept, Capped: v.Capped,
                    DocumentGain: v.DocumentGain is { } gain ? Math.Round(gain, 6) : null, BelowDocumentGain: v.BelowDocumentGain)
                : new CandidateRecord(hit.ChunkId, hit.DocumentId, Math.Round(hit.Score, 6), null, null, null, false, doc.Excluded.GetValueOrDefault(hit.Key))).ToList();
            anchors[a] = new AnchorRecord(doc.Anchors[a].Position, Math.Round(doc.Anchors[a].Entropy, 6), doc.Queries.ElementAtOrDefault(a) ?? "", candidates);
        }
        return new DetailsRecord(doc.Id, doc.SkipReason, doc.Pieces, doc.Entropy.Select(h => float.IsNaN(h) ? (double?)null : Math.Round(h, 4)).ToList(),
            double.IsNaN(doc.Threshold) ? null : Math.Round(doc.Threshold, 6), anchors);
    }
}
