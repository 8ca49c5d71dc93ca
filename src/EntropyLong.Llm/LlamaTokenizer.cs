using System.Text;
using LLama.Native;

namespace EntropyLong.Llm;

/// <summary>llama.cpp's own tokenizer for a vocabulary (a vocab-only model load): the trainer tokenizes its data with
/// it so the model learns exactly the token sequences llama.cpp will feed it at inference.</summary>
public sealed class LlamaTokenizer : IDisposable
{
    private readonly SafeLlamaModelHandle _model;

    private LlamaTokenizer(SafeLlamaModelHandle model) => _model = model;

    /// <summary>Writes <paramref name="vocabulary"/> into a minimal GGUF and loads only its vocabulary.</summary>
    public static LlamaTokenizer For(BpeVocabulary vocabulary)
    {
        LlamaRuntime.EnsureLoaded();
        var config = new LlamaConfig(vocabulary.Tokens.Length, 2, 1, 1, 1, 2, 8);
        string path = Path.Combine(Path.GetTempPath(), $"entropylong-vocab-{Environment.ProcessId}-{Guid.NewGuid():N}.gguf");
        try
        {
            LlamaModel.Random(config, vocabulary, 0).SaveGguf(path);
            var p = LLamaModelParams.Default();
            p.vocab_only = true;
            p.n_gpu_layers = 0;
            return new LlamaTokenizer(SafeLlamaModelHandle.LoadFromFile(path, p));
        }
        finally { File.Delete(path); }
    }

    public int Bos => _model.Vocab.BOS is { } bos ? (int)bos : throw new InvalidOperationException("the vocabulary has no BOS token");

    public int[] Tokenize(string text)
    {
        var tokens = _model.Tokenize(text, false, false, Encoding.UTF8);
        var result = new int[tokens.Length];
        for (int i = 0; i < tokens.Length; i++) result[i] = (int)tokens[i];
        return result;
    }

    public string Detokenize(ReadOnlySpan<int> tokens)
    {
        var bytes = new List<byte>(tokens.Length * 4);
        Span<byte> piece = stackalloc byte[256];
        foreach (int t in tokens)
        {
            uint n = _model.TokenToSpan(t, piece, 0, false);
            if (n > piece.Length) throw new InvalidOperationException($"token {t} is longer than {piece.Length} bytes");
            bytes.AddRange(piece[..(int)n]);
        }
        return Encoding.UTF8.GetString(bytes.ToArray());
    }

    public void Dispose() => _model.Dispose();
}
