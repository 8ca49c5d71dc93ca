using EntropyLong.Data;

namespace EntropyLong.Pipeline;

/// <summary>The details.jsonl record: one line per document read by the method (used or not), with what the report
/// shows: per-token text and entropy, the threshold, and for each anchor its query and every candidate retrieved,
/// with the judgement when it was judged.</summary>
public static class DetailsJson
{
    public const string File = "details.jsonl";

    public static void Write(JsonlWriter writer, DocumentOutcome doc) => writer.Write(w =>
    {
        var detail = doc.Detail;
        w.WriteStartObject();
        w.WriteString("document_id", doc.Document.Id);
        if (doc.SkipReason is null) w.WriteNull("skip_reason"); else w.WriteString("skip_reason", doc.SkipReason);
        w.WriteStartArray("tokens");
        foreach (var piece in detail.Pieces) w.WriteStringValue(piece);
        w.WriteEndArray();
        w.WriteStartArray("entropy");
        foreach (var h in detail.Entropy)
            if (float.IsNaN(h)) w.WriteNullValue(); else w.WriteNumberValue(Math.Round(h, 4));
        w.WriteEndArray();
        if (double.IsNaN(doc.Threshold)) w.WriteNull("threshold"); else w.WriteNumber("threshold", Math.Round(doc.Threshold, 6));
        // Verdicts by (anchor, chunk): a candidate without one was not judged (its chunk fills the scorer's context).
        var verdicts = new Dictionary<(int, long), Core.Verdict>();
        foreach (var v in doc.Verdicts) verdicts[(v.Anchor, v.Chunk)] = v;
        w.WriteStartArray("anchors");
        for (int a = 0; a < doc.Anchors.Length; a++)
        {
            w.WriteStartObject();
            w.WriteNumber("position", doc.Anchors[a].Position);
            w.WriteNumber("entropy", Math.Round(doc.Anchors[a].Entropy, 6));
            w.WriteString("query", detail.Queries[a]);
            w.WriteStartArray("candidates");
            foreach (var hit in detail.Hits[a] ?? [])
            {
                w.WriteStartObject();
                w.WriteString("chunk_id", hit.ChunkId);
                w.WriteString("source_document_id", hit.DocumentId);
                w.WriteNumber("score", Math.Round(hit.Score, 6));
                if (verdicts.TryGetValue((a, hit.Key), out var v))
                {
                    w.WriteNumber("h", Math.Round(v.H, 6));
                    w.WriteNumber("h_prime", Math.Round(v.HPrime, 6));
                    w.WriteNumber("delta", Math.Round(v.Delta, 6));
                    w.WriteBoolean("kept", v.Kept);
                }
                else
                {
                    w.WriteNull("h");
                    w.WriteNull("h_prime");
                    w.WriteNull("delta");
                    w.WriteBoolean("kept", false);
                }
                w.WriteEndObject();
            }
            w.WriteEndArray();
            w.WriteEndObject();
        }
        w.WriteEndArray();
        w.WriteEndObject();
    });
}
