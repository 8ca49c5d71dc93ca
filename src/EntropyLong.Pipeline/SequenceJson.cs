using System.Text.Encodings.Web;
using System.Text.Json;
using EntropyLong.Core;
using EntropyLong.Data;

namespace EntropyLong.Pipeline;

/// <summary>The sequences.jsonl record: one line per packed sequence, with every dependency it holds.</summary>
public static class SequenceJson
{
    public static readonly JsonSerializerOptions Options = new()
    {
        PropertyNamingPolicy = JsonNamingPolicy.SnakeCaseLower,
        Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping,
        WriteIndented = true,
    };

    public static void Write(JsonlWriter writer, PackedSequence seq) => writer.Write(w =>
    {
        w.WriteStartObject();
        w.WriteNumber("index", seq.Index);
        w.WriteNumber("num_tokens", seq.Tokens.Length);
        w.WriteString("text", seq.Text);
        w.WriteStartArray("samples");
        int charAt = 0;
        for (int i = 0; i < seq.Samples.Count; i++)
        {
            var s = seq.Samples[i];
            w.WriteStartObject();
            w.WriteString("document_id", s.DocumentId);
            w.WriteNumber("start_token", seq.Boundaries[i].Start);
            w.WriteNumber("end_token", seq.Boundaries[i].End);
            w.WriteNumber("start_char", charAt);
            w.WriteNumber("end_char", charAt + s.Text.Length);
            w.WriteNumber("contexts_dropped", s.ContextsDropped);
            w.WriteStartArray("contexts");
            int contextChar = charAt, sampleStart = seq.Boundaries[i].Start;
            for (int j = 0; j < s.Contexts.Count; j++)
            {
                var c = s.Contexts[j];
                w.WriteStartObject();
                w.WriteString("chunk_id", c.ChunkId);
                w.WriteString("source_document_id", c.SourceDocumentId);
                w.WriteNumber("start_char", contextChar);
                w.WriteNumber("end_char", contextChar + c.Text.Length);
                if (j < s.Spans.Count)
                {
                    w.WriteNumber("start_token", sampleStart + s.Spans[j].Start);
                    w.WriteNumber("end_token", sampleStart + s.Spans[j].End);
                    w.WriteNumber("anchor_token", sampleStart + s.Spans[j].Anchor);
                }
                w.WriteNumber("anchor_position", c.AnchorPosition);
                w.WriteString("anchor_text", c.AnchorText);
                w.WriteNumber("h", Math.Round(c.H, 6));
                w.WriteNumber("h_prime", Math.Round(c.HPrime, 6));
                w.WriteNumber("delta", Math.Round(c.Delta, 6));
                w.WriteEndObject();
                contextChar += c.Text.Length + s.Separator.Length;
            }
            w.WriteEndArray();
            w.WriteEndObject();
            charAt += s.Text.Length;
        }
        w.WriteEndArray();
        w.WriteEndObject();
    });
}
