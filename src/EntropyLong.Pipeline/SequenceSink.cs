using EntropyLong.Core;
using EntropyLong.Data;

namespace EntropyLong.Pipeline;

/// <summary>Packs samples into sequences (<see cref="Packer"/>) and writes each to sequences.jsonl and the MDS shards,
/// counting them in the build's stats.</summary>
public sealed class SequenceSink : IDisposable
{
    private readonly BuildStats _stats;
    private readonly Packer _packer;
    private readonly JsonlWriter _jsonl;
    private readonly MdsWriter _mds;

    public SequenceSink(BuildOutput output, BuildStats stats, int seqLen)
    {
        _stats = stats;
        _packer = new Packer(seqLen);
        _jsonl = new JsonlWriter(Path.Combine(output.Directory, output.SequencesFile));
        _mds = new MdsWriter(Path.Combine(output.Directory, BuildFolder.Mds), new MdsOptions { SizeLimit = output.MdsShardSizeLimit, Overwrite = true });
    }

    public void Add(Sample sample)
    {
        _stats.DocumentsUsed++;
        _stats.Samples++;
        static bool Verified(SampleContext c) => c.Kind == ContextKind.Verified;
        _stats.ChunksVerified += sample.Contexts.Count(Verified) + sample.Dropped.Count(Verified);
        _stats.DeltaSum += sample.Contexts.Where(Verified).Sum(c => c.Delta);
        _stats.ContextsNegative += sample.Contexts.Count(c => !Verified(c));
        _stats.ContextsDroppedForLength += sample.ContextsDropped;
        Emit(_packer.Add(sample));
    }

    public void Complete()
    {
        Emit(_packer.Flush());
        _jsonl.Complete();
        _mds.Complete();
    }

    private void Emit(PackedSequence? seq)
    {
        if (seq is null) return;
        _jsonl.Write(RecordOf(seq));
        _mds.Write(System.Runtime.InteropServices.MemoryMarshal.Cast<int, uint>(seq.Tokens), seq.Boundaries);
        _stats.Sequences++;
        _stats.TokensOut += seq.Tokens.Length;
    }

    /// <summary>The sequences.jsonl record of a packed sequence: character and token ranges of every sample and context.</summary>
    public static SequenceRecord RecordOf(PackedSequence seq)
    {
        var samples = new SampleRecord[seq.Samples.Count];
        int charAt = 0;
        for (int i = 0; i < samples.Length; i++)
        {
            var s = seq.Samples[i];
            int contextChar = charAt, sampleStart = seq.Boundaries[i].Start;
            var contexts = new ContextRecord[s.Contexts.Count];
            for (int j = 0; j < contexts.Length; j++)
            {
                var c = s.Contexts[j];
                ContextSpan? span = j < s.Spans.Count ? s.Spans[j] : null;
                contexts[j] = new ContextRecord(c.ChunkId, c.SourceDocumentId, contextChar, contextChar + c.Text.Length,
                    sampleStart + span?.Start, sampleStart + span?.End, sampleStart + span?.Anchor,
                    c.AnchorPosition, c.AnchorText, Math.Round(c.H, 6), Math.Round(c.HPrime, 6), Math.Round(c.Delta, 6),
                    c.Kind == ContextKind.Negative ? ContextRecord.Negative : ContextRecord.Verified);
                contextChar += c.Text.Length + s.Separator.Length;
            }
            samples[i] = new SampleRecord(s.DocumentId, seq.Boundaries[i].Start, seq.Boundaries[i].End, charAt, charAt + s.Text.Length, s.ContextsDropped, contexts);
            charAt += s.Text.Length;
        }
        return new SequenceRecord(seq.Index, seq.Tokens.Length, seq.Text, samples);
    }

    public void Dispose()
    {
        _jsonl.Dispose();
        _mds.Dispose();
    }
}
