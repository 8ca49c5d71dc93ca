using EntropyLong.Core;
using EntropyLong.Data;

namespace EntropyLong.Pipeline;

/// <summary>Packs samples into sequences (<see cref="Packer"/>) and writes each to sequences.jsonl and the token formats
/// (<see cref="TrainerFiles"/>), counting them in the build's stats.</summary>
public sealed class SequenceSink : IDisposable
{
    private readonly BuildStats _stats;
    private readonly Packer _packer;
    private readonly JsonlWriter _jsonl;
    private readonly TrainerFiles _tokens;
    private readonly bool _positionWeights;

    public SequenceSink(BuildOutput output, BuildStats stats, int seqLen)
    {
        _stats = stats;
        _packer = new Packer(seqLen, oneSpan: output.OneSpanPerSequence);
        _jsonl = new JsonlWriter(Path.Combine(output.Directory, output.SequencesFile));
        _tokens = new TrainerFiles(output);
        _positionWeights = output.PositionWeights;
    }

    public void Add(Sample sample)
    {
        _stats.DocumentsUsed++;
        _stats.Samples++;
        static bool Verified(SampleContext c) => c.Kind == ContextKind.Verified;
        _stats.ChunksVerified += sample.Contexts.Count(Verified) + sample.Dropped.Count(Verified);
        // Over the same chunks as ChunksVerified, so that mean_delta is theirs.
        _stats.DeltaSum += sample.Contexts.Concat(sample.Dropped).Where(Verified).Sum(c => c.Delta);
        _stats.ContextsNegative += sample.Contexts.Count(c => c.Kind == ContextKind.Negative);
        _stats.ContextsUnjudged += sample.Contexts.Count(c => c.Kind is ContextKind.Retrieved or ContextKind.Distractor);
        _stats.ContextsDroppedForLength += sample.ContextsDropped;
        Emit(_packer.Add(sample));
    }

    public void Complete()
    {
        Emit(_packer.Flush());
        _jsonl.Complete();
        _tokens.Complete();
    }

    private void Emit(PackedSequence? seq)
    {
        if (seq is null) return;
        _jsonl.Write(RecordOf(seq));
        _tokens.Write(seq.Tokens, seq.Spans, _positionWeights ? PositionWeights(seq) : []);
        _stats.Sequences++;
        _stats.TokensOut += seq.Tokens.Length;
    }

    /// <summary>The position_weighted column of a packed sequence: 1 at the anchor token of every context kept in it (the
    /// token whose entropy the context lowered, anchor_token in sequences.jsonl), 0 elsewhere.</summary>
    public static byte[] PositionWeights(PackedSequence seq)
    {
        var weights = new byte[seq.Tokens.Length];
        for (int i = 0; i < seq.Samples.Count; i++)
            foreach (var span in seq.Samples[i].Spans)
                // An anchor past the sample's tokens (a tokenizer whose pieces do not add up to the text) marks nothing
                // rather than another sample's token.
                if (span.Anchor >= 0 && span.Anchor < seq.Samples[i].Tokens.Length) weights[seq.Boundaries[i].Start + span.Anchor] = 1;
        return weights;
    }

    // An unjudged context (a baseline's) has no H' and no dI: null, not NaN, which JSON cannot hold.
    private static double? Judged(double x) => double.IsNaN(x) ? null : Math.Round(x, 6);

    public static string KindName(ContextKind kind) => kind switch
    {
        ContextKind.Verified => ContextRecord.Verified,
        ContextKind.Negative => ContextRecord.Negative,
        ContextKind.Retrieved => ContextRecord.Retrieved,
        _ => ContextRecord.Distractor,
    };

    /// <summary>The sequences.jsonl record of a packed sequence: character and token ranges of every sample and context.</summary>
    public static SequenceRecord RecordOf(PackedSequence seq)
    {
        var samples = new SampleRecord[seq.Samples.Count];
        int charAt = 0;
        for (int i = 0; i < samples.Length; i++)
        {
            var s = seq.Samples[i];
            int sampleStart = seq.Boundaries[i].Start;
            var contexts = new ContextRecord[s.Contexts.Count];
            for (int j = 0; j < contexts.Length; j++)
            {
                var c = s.Contexts[j];
                int contextChar = charAt + s.ContextStarts[j];
                ContextSpan? span = j < s.Spans.Count ? s.Spans[j] : null;
                bool anchored = c.AnchorPosition >= 0;
                contexts[j] = new ContextRecord(c.ChunkId, c.SourceDocumentId, contextChar, contextChar + c.Text.Length,
                    sampleStart + span?.Start, sampleStart + span?.End, anchored ? sampleStart + span?.Anchor : null,
                    anchored ? c.AnchorPosition : null, anchored ? c.AnchorText : null, Judged(c.H), Judged(c.HPrime), Judged(c.Delta), KindName(c.Kind));
            }
            samples[i] = new SampleRecord(s.DocumentId, seq.Boundaries[i].Start, seq.Boundaries[i].End, charAt, charAt + s.Text.Length, s.ContextsDropped, contexts);
            charAt += s.Text.Length;
        }
        return new SequenceRecord(seq.Index, seq.Tokens.Length, seq.Text, samples);
    }

    public void Dispose()
    {
        _jsonl.Dispose();
        _tokens.Dispose();
    }
}
