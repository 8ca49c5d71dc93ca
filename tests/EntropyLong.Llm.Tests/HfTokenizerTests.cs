using System.Text.Json;
using EntropyLong.Core;
using EntropyLong.TestSupport;

namespace EntropyLong.Llm.Tests;

public class HfTokenizerTests
{
    // The tiny model's vocabulary written as a Hugging Face tokenizer.json (GPT-2 layout).
    private static string WriteTokenizerJson(BpeVocabulary v)
    {
        var json = new
        {
            version = "1.0",
            added_tokens = new[] { new { id = v.Bos, content = "<s>", special = true }, new { id = v.Eos, content = "</s>", special = true } },
            pre_tokenizer = new { type = "ByteLevel", add_prefix_space = false, trim_offsets = true, use_regex = true },
            post_processor = new
            {
                type = "TemplateProcessing",
                single = new object[] { new { SpecialToken = new { id = "<s>", type_id = 0 } }, new { Sequence = new { id = "A", type_id = 0 } } },
            },
            model = new
            {
                type = "BPE",
                vocab = v.Tokens.Select((t, i) => (t, i)).Where(x => x.i < v.Bos).ToDictionary(x => x.t, x => x.i),
                merges = v.Merges,
            },
        };
        string path = Scratch.NewPath("tokenizer", ".json");
        File.WriteAllText(path, JsonSerializer.Serialize(json));
        return path;
    }

    [Fact]
    public void MatchesLlamaCppOnTheSameVocabulary()
    {
        var (path, model) = TinyModels.Get();
        using var engine = LlamaEngine.Load(path);
        var hf = HfTokenizer.Load(WriteTokenizerJson(model.Vocabulary));
        Assert.Equal(model.Vocabulary.Bos, hf.Bos);
        foreach (var text in TinyModels.Texts.Append("  leading spaces, tabs\t\tand\n\nnewlines; it's 'quoted' — 123456 ünïcödé 🦙"))
        {
            Assert.Equal(engine.TokenizeWithBos(text), hf.EncodeWithBos(text));
            Assert.Equal(text, hf.Decode(hf.EncodeWithBos(text).Skip(1)));
        }
    }

    [Fact]
    public void RefusesWhatItCannotTokenizeFaithfully()
    {
        string sp = Scratch.NewPath("sp", ".json");
        File.WriteAllText(sp, """{"model": {"type": "BPE", "vocab": {}, "merges": []}, "pre_tokenizer": {"type": "Metaspace"}}""");
        Assert.Contains("Metaspace", Assert.Throws<UserInputException>(() => HfTokenizer.Load(sp)).Message);
        string broken = Scratch.NewPath("broken", ".json");
        File.WriteAllText(broken, "{\n  \"model\": ");
        Assert.Contains(broken, Assert.Throws<UserInputException>(() => HfTokenizer.Load(broken)).Message);
    }

    [Theory]
    [InlineData("""{"model": {"type": "BPE"}}""", "not a tokenizer.json this reader understands")]
    [InlineData("""[1, 2]""", "not a tokenizer.json this reader understands")]
    [InlineData("""{"model": {"type": "BPE", "vocab": {"a": 0}, "merges": ["a"]}, "pre_tokenizer": {"type": "ByteLevel"}}""", "not a tokenizer.json this reader understands")]
    [InlineData("""{"model": {"type": "BPE", "vocab": {"a": 0, "b": 1}, "merges": []}, "pre_tokenizer": {"type": "ByteLevel"}}""", "the vocabulary lacks the symbol of byte 0x00")]
    public void AMalformedFileIsAnInputErrorNamingIt(string json, string message)
    {
        // These gave KeyNotFoundException, InvalidOperationException, IndexOutOfRangeException, or (a vocabulary without
        // every byte) an InvalidOperationException on the first document holding the missing byte.
        string path = Scratch.NewPath("malformed", ".json");
        File.WriteAllText(path, json);
        var e = Assert.Throws<UserInputException>(() => HfTokenizer.Load(path));
        Assert.StartsWith($"{path}: {message}", e.Message);
    }
}
