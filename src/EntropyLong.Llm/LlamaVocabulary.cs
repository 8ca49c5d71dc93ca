using System.Text;
using LLama.Native;

namespace EntropyLong.Llm;

/// <summary>A GGUF model's own tokenizer, as llama.cpp applies it.</summary>
public sealed class LlamaVocabulary(SafeLlamaModelHandle model) : IDisposable
{
    public int Count => model.Vocab.Count;
    public int? Bos => model.Vocab.BOS is { } bos ? (int)bos : null;
    public bool AddsBos => model.Vocab.ShouldAddBOS && model.Vocab.BOS is not null;

    public int[] Tokenize(string text)
    {
        var tokens = model.Tokenize(text, false, false, Encoding.UTF8);
        var result = new int[tokens.Length];
        for (int i = 0; i < tokens.Length; i++) result[i] = (int)tokens[i];
        return result;
    }

    /// <summary>BOS (when the model adds one) followed by the text's tokens.</summary>
    public int[] TokenizeWithBos(string text) => AddsBos ? [Bos!.Value, .. Tokenize(text)] : Tokenize(text);

    public string Detokenize(ReadOnlySpan<int> tokens)
    {
        // Pieces are bytes: a character can span tokens, so decode once at the end.
        var bytes = new List<byte>(tokens.Length * 4);
        Span<byte> piece = stackalloc byte[256];
        foreach (int t in tokens)
        {
            uint n = Math.Min(model.TokenToSpan(t, piece, 0, false), (uint)piece.Length);
            for (int i = 0; i < n; i++) bytes.Add(piece[i]);
        }
        return Encoding.UTF8.GetString(bytes.ToArray());
    }

    public void Dispose() => model.Dispose();
}
