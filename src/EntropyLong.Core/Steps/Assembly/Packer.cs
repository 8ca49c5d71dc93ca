namespace EntropyLong.Core;

/// <summary>Packs samples in order, several to a sequence while they fit the target length (like ProLong's packer).</summary>
/// <param name="oneSpan">Give each sequence one attention span over all its samples (plain concatenation).</param>
public sealed class Packer(int seqLen, long firstIndex = 0, bool oneSpan = false)
{
    private readonly List<Sample> _pending = new();
    private int _tokens;
    private long _next = firstIndex;

    /// <summary>Adds a sample; returns the sequence it closed, if it did not fit the open one.</summary>
    public PackedSequence? Add(Sample sample)
    {
        PackedSequence? closed = null;
        if (_tokens + sample.Tokens.Length > seqLen && _pending.Count > 0) closed = Flush();
        _pending.Add(sample);
        _tokens += sample.Tokens.Length;
        return closed;
    }

    /// <summary>The open sequence, if any (at the end of the stream).</summary>
    public PackedSequence? Flush()
    {
        if (_pending.Count == 0) return null;
        var tokens = new int[_tokens];
        var bounds = new (int, int)[_pending.Count];
        int at = 0;
        for (int i = 0; i < _pending.Count; i++)
        {
            _pending[i].Tokens.CopyTo(tokens, at);
            bounds[i] = (at, at + _pending[i].Tokens.Length);
            at += _pending[i].Tokens.Length;
        }
        var seq = new PackedSequence(_next++, _pending.ToArray(), tokens, bounds) { Spans = oneSpan ? [(0, tokens.Length)] : bounds };
        _pending.Clear();
        _tokens = 0;
        return seq;
    }
}
