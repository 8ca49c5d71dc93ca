using System.Diagnostics;
using System.Text.Json;
using EntropyLong.Core;
using EntropyLong.Data;

namespace EntropyLong.Pipeline;

/// <summary>Where a build stands. DocumentsDone counts the finished documents plus the verified share of the block in
/// hand (for a rate); the other counters move when a block finishes.</summary>
public sealed record BuildProgress(long DocumentsRead, long DocumentsUsed, long ChunksVerified, long Sequences, double FractionOfInput, double DocumentsDone);

/// <summary>Where and how a build writes.</summary>
public sealed record BuildOutput(string Directory)
{
    /// <summary>sequences.jsonl, .jsonl.gz or .jsonl.zst.</summary>
    public string SequencesFile { get; init; } = "sequences.jsonl";
    public long MdsShardSizeLimit { get; init; } = 1 << 26;
    /// <summary>Documents per block: the unit in which (document, chunk) pairs are grouped.</summary>
    public int BlockSize { get; init; } = 256;
    public bool Naive { get; init; }
    /// <summary>Write details.jsonl (per-token entropy, anchors, every candidate judged) for `entropylong report`.</summary>
    public bool Details { get; init; } = true;
}

/// <summary>Runs stages 1-5 over a document stream and writes sequences.jsonl, mds/, details.jsonl (optional) and stats.json. Every file is
/// written under a temporary name and renamed into place when complete; stats.json comes last and marks a finished
/// build. Output order follows input order, so the same inputs, configuration and seed give the same bytes.</summary>
public sealed class BuildRunner(IEntropyModel scorer, IRetriever retriever, Func<string, int[]> trainingTokenize, EntropyLongOptions options, BuildOutput output)
{
    public const string StatsFile = "stats.json";

    public BuildStats Run(IEnumerable<Document> documents, Func<double>? inputFraction = null, Action<BuildProgress>? progress = null,
        CancellationToken ct = default)
    {
        var stats = new BuildStats();
        var times = new StageTimes();
        var total = Stopwatch.StartNew();
        Directory.CreateDirectory(output.Directory);
        File.Delete(Path.Combine(output.Directory, StatsFile)); // a stale marker must not vouch for new output
        var builder = new BlockBuilder(scorer, retriever, trainingTokenize, options, output.Naive);
        var packer = new SequenceAssembly.Packer(options.SeqLen);
        using var jsonl = new JsonlWriter(Path.Combine(output.Directory, output.SequencesFile));
        using var details = output.Details ? new JsonlWriter(Path.Combine(output.Directory, DetailsJson.File)) : null;
        if (!output.Details) File.Delete(Path.Combine(output.Directory, DetailsJson.File)); // never pair old details with new sequences
        using var mds = new MdsWriter(Path.Combine(output.Directory, "mds"), new MdsOptions { SizeLimit = output.MdsShardSizeLimit, Overwrite = true });

        void Emit(PackedSequence? seq)
        {
            if (seq is null) return;
            var clock = Stopwatch.StartNew();
            SequenceJson.Write(jsonl, seq);
            mds.Write(System.Runtime.InteropServices.MemoryMarshal.Cast<int, uint>(seq.Tokens), seq.Boundaries);
            stats.Sequences++;
            stats.TokensOut += seq.Tokens.Length;
            times.Writing += clock.Elapsed.TotalSeconds;
        }

        double reportedFraction = 0;
        foreach (var block in documents.Chunk(output.BlockSize))
        {
            ct.ThrowIfCancellationRequested();
            // The reader is already past the block: move the bar from where it was towards there as verification goes.
            double before = reportedFraction, after = inputFraction?.Invoke() ?? double.NaN;
            var result = builder.Process(block, ct, progress is null ? null : done =>
                progress(new BuildProgress(stats.DocumentsRead, stats.DocumentsUsed, stats.ChunksVerified, stats.Sequences,
                    before + (after - before) * done, stats.DocumentsRead + done * block.Length)));
            times.Add(result.Times);
            stats.DocumentsRead += block.Length;
            stats.ScoringForwardTokens += result.ScoringTokens;
            stats.ForwardTokens += result.ForwardTokens;
            stats.NaiveForwardTokens += result.NaiveForwardTokens;
            stats.CandidatesJudged += result.PairsJudged;
            stats.CandidatesUnfit += result.PairsUnfit;
            foreach (var doc in result.Documents)
            {
                if (details is not null)
                {
                    var clock = Stopwatch.StartNew();
                    DetailsJson.Write(details, doc);
                    times.Writing += clock.Elapsed.TotalSeconds;
                }
                stats.TokensIn += doc.Tokens;
                stats.Anchors += doc.Anchors.Length;
                stats.CandidatesRetrieved += doc.CandidatesRetrieved;
                if (doc.SkipReason is { } reason) { stats.Skip(reason); continue; }
                var sample = doc.Sample!;
                stats.DocumentsUsed++;
                stats.Samples++;
                stats.ChunksVerified += sample.Contexts.Count + sample.ContextsDropped;
                stats.DeltaSum += sample.Contexts.Sum(c => c.Delta);
                stats.ContextsDroppedForLength += sample.ContextsDropped;
                Emit(packer.Add(sample));
            }
            reportedFraction = after;
            progress?.Invoke(new BuildProgress(stats.DocumentsRead, stats.DocumentsUsed, stats.ChunksVerified, stats.Sequences, after, stats.DocumentsRead));
        }
        Emit(packer.Flush());
        var finish = Stopwatch.StartNew();
        jsonl.Complete();
        details?.Complete();
        mds.Complete();
        times.Writing += finish.Elapsed.TotalSeconds;
        stats.Seconds["entropy"] = times.Entropy;
        stats.Seconds["retrieval"] = times.Retrieval;
        stats.Seconds["verification"] = times.Verification;
        stats.Seconds["assembly"] = times.Assembly;
        stats.Seconds["writing"] = times.Writing;
        stats.Seconds["total"] = total.Elapsed.TotalSeconds;
        return stats;
    }

    /// <summary>Writes stats.json last, atomically: its presence marks a complete build.</summary>
    public static void WriteStats(string directory, BuildStats stats)
    {
        using var file = new AtomicFile(Path.Combine(directory, StatsFile));
        JsonSerializer.Serialize(file.Stream, stats, SequenceJson.Options);
        file.Commit();
    }
}
