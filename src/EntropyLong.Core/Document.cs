namespace EntropyLong.Core;

/// <summary>A corpus document as read from a JSONL or Parquet file.</summary>
/// <param name="Id">Stable identifier: the record's <c>id</c>, else "file:line".</param>
/// <param name="Text">The document text.</param>
/// <param name="Source">Where it came from ("path:line"), for messages and provenance.</param>
public sealed record Document(string Id, string Text, string Source);
