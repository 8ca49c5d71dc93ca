using System.Text;
using EntropyLong.Core;

namespace EntropyLong.Retrieval;

/// <summary>What a query made for document D must never return (METHOD.md stage 3): chunks of D itself, and chunks
/// whose text equals one of D's chunks (the same passage copied into another document). Build it once per
/// document and reuse it for all of that document's queries.</summary>
public sealed class Exclusion
{
    private readonly byte[] _documentId;
    private readonly ulong _documentHash;
    private readonly Dictionary<ulong, List<byte[]>> _texts = new();

    private Exclusion(string documentId, IEnumerable<string> chunkTexts)
    {
        _documentId = Encoding.UTF8.GetBytes(documentId);
        _documentHash = ChunkFiles.Hash(_documentId);
        foreach (string text in chunkTexts)
        {
            byte[] bytes = Encoding.UTF8.GetBytes(text);
            ulong h = ChunkFiles.Hash(bytes);
            if (!_texts.TryGetValue(h, out var list)) _texts[h] = list = [];
            list.Add(bytes);
        }
    }

    /// <summary>D's id and its chunks, cut with the same rule and size as the index's.</summary>
    public static Exclusion ForDocument(Document document, int maxChars) =>
        new(document.Id, TextChunker.Chunk(document, maxChars).Select(c => c.Text));

    /// <summary>D's id and its chunks' texts as an index holds them (<see cref="ChunkIndex.DocumentChunkTexts"/>), when its
    /// text is not at hand.</summary>
    public static Exclusion ForChunks(string documentId, IEnumerable<string> chunkTexts) => new(documentId, chunkTexts);

    internal bool Excludes(ChunkStoreReader store, in ChunkRecord r)
    {
        if (r.DocumentHash == _documentHash && store.DocumentIdUtf8(r).SequenceEqual(_documentId)) return true;
        if (!_texts.TryGetValue(r.TextHash, out var candidates)) return false;
        var text = store.TextUtf8(r);
        foreach (var c in candidates)
            if (text.SequenceEqual(c)) return true;
        return false;
    }
}
