namespace EntropyLong.Retrieval;

/// <summary>A piece of a corpus document: <c>Text == document.Text[Start..End]</c>.</summary>
/// <param name="DocumentId">The source document's id.</param>
/// <param name="Ordinal">0-based position of the chunk within its document.</param>
/// <param name="Start">Offset of the first character in the document text (UTF-16 code units).</param>
/// <param name="End">Offset one past the last character.</param>
public sealed record Chunk(string DocumentId, int Ordinal, int Start, int End, string Text)
{
    /// <summary>Stable id: the same document text always yields the same ids.</summary>
    public string Id => $"{DocumentId}#{Ordinal}";
}
