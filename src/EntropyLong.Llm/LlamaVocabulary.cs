using System.Text;
using EntropyLong.Core;
using LLama.Native;

namespace EntropyLong.Llm;

/// <summary>A GGUF model's own tokenizer, as llama.cpp applies it.</summary>
public sealed class LlamaVocabulary : ITrainingTokenizer, IDisposable
{
    private readonly SafeLlamaModelHandle _model;
    private readonly bool _ownsModel;
    // Each token's bytes, read from llama.cpp once (filled as tokens are first seen; a race only repeats a lookup).
    private readonly byte[]?[] _bytes;

    public LlamaVocabulary(SafeLlamaModelHandle model, bool ownsModel)
    {
        _model = model;
        _ownsModel = ownsModel;
        _bytes = new byte[]?[model.Vocab.Count];
    }

    /// <summary>Loads only the tokenizer of a GGUF file (no weights, no context).</summary>
    public static LlamaVocabulary Load(string path)
    {
        return new LlamaVocabulary(LlamaRuntime.LoadModel(path, vocabularyOnly: true), ownsModel: true);
    }

    /// <summary>llama.cpp's tokenizer for a vocabulary made here (written to a minimal GGUF and loaded vocabulary-only):
    /// the trainer tokenizes its data with it, so the model learns exactly the token sequences llama.cpp will feed it.</summary>
    public static LlamaVocabulary For(BpeVocabulary vocabulary)
    {
        var config = new LlamaConfig(vocabulary.Tokens.Length, 2, 1, 1, 1, 2, 8);
        string path = Path.Combine(Path.GetTempPath(), $"entropylong-vocab-{Environment.ProcessId}-{Guid.NewGuid():N}.gguf");
        try
        {
            LlamaModel.Random(config, vocabulary, 0).SaveGguf(path);
            return Load(path);
        }
        finally { File.Delete(path); }
    }


    public int Count => _model.Vocab.Count;
    public int? Bos => _model.Vocab.BOS is { } bos ? (int)bos : null;
    public bool AddsBos => _model.Vocab.ShouldAddBOS && _model.Vocab.BOS is not null;
    public bool IsEndOfGeneration(int token) => ((LLamaToken)token).IsEndOfGeneration(_model.Vocab);

    public int[] Tokenize(string text)
    {
        if (text.Length == 0) return [];
        var tokens = _model.Tokenize(text, false, false, Encoding.UTF8);
        var result = new int[tokens.Length];
        for (int i = 0; i < tokens.Length; i++) result[i] = (int)tokens[i];
        return result;
    }

    /// <summary>BOS (when the model adds one) followed by the text's tokens.</summary>
    public int[] TokenizeWithBos(string text) => AddsBos ? [Bos!.Value, .. Tokenize(text)] : Tokenize(text);

    /// <summary>The UTF-8 bytes a token stands for (a piece may end inside a character). Not to be modified.</summary>
    public byte[] TokenBytes(int token)
    {
        if ((uint)token < (uint)_bytes.Length && _bytes[token] is { } cached) return cached;
        var bytes = new List<byte>();
        AppendPiece(token, bytes);
        var result = bytes.ToArray();
        if ((uint)token < (uint)_bytes.Length) _bytes[token] = result;
        return result;
    }

    int[] ITrainingTokenizer.Encode(string text) => TokenizeWithBos(text);

    int ITrainingTokenizer.ByteCount(int token) => TokenBytes(token).Length;

    public string Detokenize(ReadOnlySpan<int> tokens)
    {
        // Pieces are bytes: a character can span tokens, so decode once at the end.
        var bytes = new List<byte>(tokens.Length * 4);
        foreach (int t in tokens) AppendPiece(t, bytes);
        return Encoding.UTF8.GetString(bytes.ToArray());
    }

    /// <summary>Appends the bytes of one token's text.</summary>
    public void AppendPiece(int token, List<byte> into)
    {
        Span<byte> piece = stackalloc byte[256];
        int n = (int)_model.TokenToSpan(token, piece, 0, false);
        if (n <= piece.Length) { into.AddRange(piece[..n]); return; }
        var big = new byte[n];
        _model.TokenToSpan(token, big, 0, false);
        into.AddRange(big);
    }

    public void Dispose()
    {
        if (_ownsModel) _model.Dispose();
    }
}
