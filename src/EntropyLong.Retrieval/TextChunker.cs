using EntropyLong.Core;

namespace EntropyLong.Retrieval;

/// <summary>NExtLong's chunking rule (METHOD.md stage 3): split on newlines, greedily group whole lines while
/// the chunk stays within <c>maxChars</c>; a single longer line is cut at whitespace (hard cut when a stretch
/// of maxChars has none). A chunk is a verbatim span of the document, line breaks included; spans holding
/// only whitespace are dropped. Lengths count UTF-16 code units; a surrogate pair is never split.</summary>
public static class TextChunker
{
    public const int DefaultMaxChars = 2048;

    public static IReadOnlyList<Chunk> Chunk(Document document, int maxChars = DefaultMaxChars) =>
        Chunk(document.Id, document.Text, maxChars);

    public static IReadOnlyList<Chunk> Chunk(string documentId, string text, int maxChars = DefaultMaxChars)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(maxChars, 2);
        var chunks = new List<Chunk>();
        int chunkStart = -1, chunkEnd = -1;
        foreach (var (start, end) in Segments(text, maxChars))
        {
            if (chunkStart >= 0 && end - chunkStart > maxChars)
            {
                chunks.Add(new Chunk(documentId, chunks.Count, chunkStart, chunkEnd, text[chunkStart..chunkEnd]));
                chunkStart = -1;
            }
            if (chunkStart < 0) chunkStart = start;
            chunkEnd = end;
        }
        if (chunkStart >= 0)
            chunks.Add(new Chunk(documentId, chunks.Count, chunkStart, chunkEnd, text[chunkStart..chunkEnd]));
        return chunks;
    }

    /// <summary>Non-blank lines (without their terminator, trailing whitespace trimmed), each at most
    /// maxChars long: longer lines come out as several whitespace-separated pieces.</summary>
    private static IEnumerable<(int Start, int End)> Segments(string text, int maxChars)
    {
        int pos = 0;
        while (pos < text.Length)
        {
            int nl = text.AsSpan(pos).IndexOfAny('\n', '\r');
            int lineEnd = nl < 0 ? text.Length : pos + nl;
            int next = lineEnd;
            if (next < text.Length) next += text[next] == '\r' && next + 1 < text.Length && text[next + 1] == '\n' ? 2 : 1;

            int s = pos, e = lineEnd;
            while (s < e && char.IsWhiteSpace(text[s])) s++;
            while (e > s && char.IsWhiteSpace(text[e - 1])) e--;
            // Leading indentation belongs to the line; only an all-blank line is skipped.
            if (e > s)
            {
                s = pos;
                while (e - s > maxChars)
                {
                    int cut = CutPoint(text, s, maxChars);
                    int pieceEnd = cut;
                    while (pieceEnd > s && char.IsWhiteSpace(text[pieceEnd - 1])) pieceEnd--;
                    if (pieceEnd > s) yield return (s, pieceEnd);
                    s = cut;
                    while (s < e && char.IsWhiteSpace(text[s])) s++;
                }
                if (e > s) yield return (s, e);
            }
            pos = next;
        }
    }

    /// <summary>Where to end a piece that starts at <paramref name="start"/>: at the last whitespace within
    /// maxChars + 1 (the piece stays within maxChars), else exactly at maxChars (moved back one if that would
    /// split a surrogate pair).</summary>
    private static int CutPoint(string text, int start, int maxChars)
    {
        int limit = start + maxChars;
        for (int w = limit; w > start; w--)
            if (char.IsWhiteSpace(text[w])) return w;
        return char.IsHighSurrogate(text[limit - 1]) ? limit - 1 : limit;
    }
}
