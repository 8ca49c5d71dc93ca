using System.Text;
using System.Text.Json;
using System.Text.RegularExpressions;
using EntropyLong.Core;

namespace EntropyLong.Llm;

/// <summary>A Hugging Face tokenizer.json of the byte-level BPE family (GPT-2, Llama 3, Qwen2, ...): the training
/// model's tokenizer for counting sequence lengths, without loading its weights. The pre-tokenizer's split regex,
/// the byte-to-unicode map and the ranked merges are applied as the tokenizers library does. SentencePiece-style
/// files (Metaspace pre-tokenizer) are refused with a message: load that model's GGUF vocabulary instead.</summary>
public sealed class HfTokenizer : ITrainingTokenizer
{
    private static readonly string Gpt2Split = @"'s|'t|'re|'ve|'m|'ll|'d| ?\p{L}+| ?\p{N}+| ?[^\s\p{L}\p{N}]+|\s+(?!\S)|\s+";
    private readonly Dictionary<string, int> _vocab;
    private readonly Dictionary<(string, string), int> _ranks;
    private readonly List<Regex> _splits;
    private readonly Dictionary<string, int[]> _cache = new();
    private static readonly Dictionary<char, byte> CharToByte = Enumerable.Range(0, 256).ToDictionary(b => ByteLevelBpe.ByteToChar[b], b => (byte)b);

    /// <summary>BOS added by the file's post-processor, if any.</summary>
    public int? Bos { get; }

    private HfTokenizer(Dictionary<string, int> vocab, Dictionary<(string, string), int> ranks, List<Regex> splits, int? bos)
    {
        _vocab = vocab;
        _ranks = ranks;
        _splits = splits;
        Bos = bos;
    }

    public static HfTokenizer Load(string path)
    {
        if (!File.Exists(path)) throw UserInputException.FileNotFound(path, "tokenizer file");
        JsonDocument doc;
        try { doc = JsonDocument.Parse(File.ReadAllBytes(path)); }
        catch (JsonException e) { throw new UserInputException($"{JsonErrors.Where(path, e)}: not valid JSON ({JsonErrors.Message(e)})", e); }
        using (doc)
        {
            try
            {
                return Read(path, doc.RootElement);
            }
            catch (Exception e) when (e is KeyNotFoundException or InvalidOperationException or IndexOutOfRangeException or FormatException)
            {
                throw new UserInputException($"{path}: not a tokenizer.json this reader understands ({e.Message})", e);
            }
        }
    }

    private static HfTokenizer Read(string path, JsonElement root)
    {
        if (!root.TryGetProperty("model", out var model) || model.GetProperty("type").GetString() != "BPE")
            throw new UserInputException($"{path}: only BPE tokenizer.json files are supported");
        var vocab = model.GetProperty("vocab").EnumerateObject().ToDictionary(p => p.Name, p => p.Value.GetInt32());
        var ranks = new Dictionary<(string, string), int>();
        int rank = 0;
        foreach (var m in model.GetProperty("merges").EnumerateArray())
        {
            string[] pair = m.ValueKind == JsonValueKind.Array ? [m[0].GetString()!, m[1].GetString()!] : m.GetString()!.Split(' ', 2);
            ranks.TryAdd((pair[0], pair[1]), rank++);
        }
        if (root.TryGetProperty("added_tokens", out var added))
            foreach (var t in added.EnumerateArray()) vocab.TryAdd(t.GetProperty("content").GetString()!, t.GetProperty("id").GetInt32());

        var splits = new List<Regex>();
        bool byteLevel = false;
        void Walk(JsonElement pre)
        {
            switch (pre.GetProperty("type").GetString())
            {
                case "Sequence": foreach (var p in pre.GetProperty("pretokenizers").EnumerateArray()) Walk(p); break;
                case "Split":
                    var pattern = pre.GetProperty("pattern");
                    string regex = pattern.TryGetProperty("Regex", out var r) ? r.GetString()! : Regex.Escape(pattern.GetProperty("String").GetString()!);
                    try { splits.Add(new Regex(regex, RegexOptions.Compiled)); }
                    catch (ArgumentException e) { throw new UserInputException($"{path}: the split pattern is not supported here ({e.Message})", e); }
                    break;
                case "ByteLevel":
                    byteLevel = true;
                    if (!pre.TryGetProperty("use_regex", out var use) || use.GetBoolean()) splits.Add(new Regex(Gpt2Split, RegexOptions.Compiled));
                    break;
                case var other: throw new UserInputException($"{path}: pre-tokenizer '{other}' is not supported (byte-level BPE only; use the model's GGUF with --tokenizer)");
            }
        }
        if (root.TryGetProperty("pre_tokenizer", out var preTokenizer) && preTokenizer.ValueKind == JsonValueKind.Object) Walk(preTokenizer);
        if (!byteLevel) throw new UserInputException($"{path}: not a byte-level BPE tokenizer (use the model's GGUF with --tokenizer)");
        // Every text starts as byte symbols: one missing would fail on the first document that has that byte.
        if (Enumerable.Range(0, 256).FirstOrDefault(b => !vocab.ContainsKey(ByteLevelBpe.ByteToChar[b].ToString()), -1) is int missing and >= 0)
            throw new UserInputException($"{path}: the vocabulary lacks the symbol of byte 0x{missing:X2}; a byte-level BPE vocabulary holds all 256");

        int? bos = null;
        if (root.TryGetProperty("post_processor", out var post) && post.ValueKind == JsonValueKind.Object)
            bos = FindBos(post, vocab);
        return new HfTokenizer(vocab, ranks, splits, bos);
    }

    // TemplateProcessing puts special tokens before "$A" in its "single" template: the first one is BOS.
    private static int? FindBos(JsonElement post, Dictionary<string, int> vocab)
    {
        if (post.GetProperty("type").GetString() == "Sequence")
            return post.GetProperty("processors").EnumerateArray().Select(p => FindBos(p, vocab)).FirstOrDefault(b => b is not null);
        if (post.GetProperty("type").GetString() != "TemplateProcessing") return null;
        foreach (var item in post.GetProperty("single").EnumerateArray())
        {
            if (item.TryGetProperty("Sequence", out _)) return null;
            if (item.TryGetProperty("SpecialToken", out var special) && vocab.TryGetValue(special.GetProperty("id").GetString()!, out int id)) return id;
        }
        return null;
    }

    /// <summary>Token ids of <paramref name="text"/>, BOS first when the file's post-processor adds one.</summary>
    public int[] EncodeWithBos(string text)
    {
        var ids = new List<int>();
        if (Bos is int b) ids.Add(b);
        IEnumerable<string> pieces = [text];
        foreach (var split in _splits) pieces = pieces.SelectMany(p => Isolate(split, p));
        foreach (var piece in pieces)
        {
            if (!_cache.TryGetValue(piece, out var encoded)) _cache[piece] = encoded = EncodePiece(piece);
            ids.AddRange(encoded);
        }
        return ids.ToArray();
    }

    int[] ITrainingTokenizer.Encode(string text) => EncodeWithBos(text);

    /// <summary>Bytes of text a token stands for: one per character of its byte-level form; 0 for special tokens.</summary>
    public int ByteCount(int token)
    {
        _byteCounts ??= _vocab.ToDictionary(kv => kv.Value, kv => kv.Key.All(CharToByte.ContainsKey) ? kv.Key.Length : 0);
        return token == Bos ? 0 : _byteCounts.GetValueOrDefault(token);
    }
    private Dictionary<int, int>? _byteCounts;

    /// <summary>Decodes ids back to text (for tests and inspection).</summary>
    public string Decode(IEnumerable<int> ids)
    {
        var byId = _vocab.ToDictionary(kv => kv.Value, kv => kv.Key);
        var bytes = new List<byte>();
        foreach (var id in ids)
            foreach (char c in byId[id]) if (CharToByte.TryGetValue(c, out byte x)) bytes.Add(x);
        return Encoding.UTF8.GetString(bytes.ToArray());
    }

    // "Isolated" behaviour: matches become pieces and so does the text between them.
    private static IEnumerable<string> Isolate(Regex split, string text)
    {
        int at = 0;
        foreach (Match m in split.Matches(text))
        {
            if (m.Index > at) yield return text[at..m.Index];
            if (m.Length > 0) yield return m.Value;
            at = m.Index + m.Length;
        }
        if (at < text.Length) yield return text[at..];
    }

    private int[] EncodePiece(string piece)
    {
        var symbols = Encoding.UTF8.GetBytes(piece).Select(b => ByteLevelBpe.ByteToChar[b].ToString()).ToList();
        while (symbols.Count > 1)
        {
            int best = -1, bestRank = int.MaxValue;
            for (int i = 0; i + 1 < symbols.Count; i++)
                if (_ranks.TryGetValue((symbols[i], symbols[i + 1]), out int r) && r < bestRank) { bestRank = r; best = i; }
            if (best < 0) break;
            symbols[best] += symbols[best + 1];
            symbols.RemoveAt(best + 1);
        }
        var ids = new int[symbols.Count];
        for (int i = 0; i < ids.Length; i++)
            ids[i] = _vocab.TryGetValue(symbols[i], out int id) ? id : throw new InvalidOperationException($"token '{symbols[i]}' is not in the vocabulary");
        return ids;
    }
}
