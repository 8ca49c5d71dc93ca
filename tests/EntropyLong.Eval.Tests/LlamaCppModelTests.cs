using EntropyLong.Core;
using EntropyLong.Eval.Models;
using EntropyLong.Eval.Ruler;
using EntropyLong.TestSupport;

namespace EntropyLong.Eval.Tests;

/// <summary>The in-process backend end to end on a tiny random Llama model written on the spot.</summary>
public class LlamaCppModelTests
{
    private static readonly (string Path, EntropyLong.Llm.LlamaModel Model) Tiny = TinyModels.Get();

    [Fact]
    public void TokenizerCountsWithoutSpecialTokensAndRoundTrips()
    {
        using var tok = GgufTokenizer.LoadVocabulary(Tiny.Path);
        string text = TinyModels.Texts[0];
        var ids = tok.Tokenize(text);
        Assert.Equal(ids.Length, tok.CountTokens(text));
        Assert.DoesNotContain(Tiny.Model.Vocabulary.Bos, ids);
        Assert.Equal(text, tok.Detokenize(ids));
        Assert.Equal(0, tok.CountTokens(""));
    }

    [Fact]
    public async Task GreedyDecodingIsArgmaxOfTheModel()
    {
        using var model = new LlamaCppModel(Tiny.Path, 256, threads: 2);
        string prompt = TinyModels.Texts[3];
        string got = await model.GenerateAsync(new GenerationRequest(prompt, 8), default);
        Assert.Equal(got, await model.GenerateAsync(new GenerationRequest(prompt, 8), default));

        // the same continuation from an independent float64 forward pass, token by token
        var tokens = new List<int> { Tiny.Model.Vocabulary.Bos };
        tokens.AddRange(model.Tokenizer.Tokenize(prompt));
        var generated = new List<int>();
        for (int i = 0; i < 8; i++)
        {
            var last = ReferenceForward.Logits(Tiny.Model, tokens)[^1];
            int next = Array.IndexOf(last, last.Max());
            if (next == Tiny.Model.Vocabulary.Eos) break;
            generated.Add(next);
            tokens.Add(next);
        }
        Assert.Equal(model.Tokenizer.Detokenize(generated.ToArray()), got);
    }

    [Theory]
    [InlineData("The quick brown fox jumps over the", new[] { " lazy dog", " forest", " lazy", "x" })]
    [InlineData("The quick brown fox jumps over the ", new[] { "lazy dog", "forest." })] // the prompt's last space joins the continuation
    public void ContinuationLogProbsAreThoseOfTheFloat64Reference(string prompt, string[] continuations)
    {
        using var model = new LlamaCppModel(Tiny.Path, 256, threads: 2);
        var got = model.ContinuationLogProbs(prompt, continuations);
        Assert.Equal(continuations.Length, got.Count);
        var vocabulary = Tiny.Model.Vocabulary;
        int[] WithBos(string text) => [vocabulary.Bos, .. model.Tokenizer.Tokenize(text)];
        var promptTokens = WithBos(prompt);
        for (int c = 0; c < continuations.Length; c++)
        {
            // Tokens of prompt + continuation after those it shares with the prompt alone, each scored by the
            // reference forward pass over the whole sequence.
            var full = WithBos(prompt + continuations[c]);
            int first = full.AsSpan().CommonPrefixLength(promptTokens);
            var logits = ReferenceForward.Logits(Tiny.Model, full);
            var want = Enumerable.Range(first, full.Length - first).Select(t =>
            {
                var row = logits[t - 1];
                double max = row.Max();
                return row[full[t]] - max - Math.Log(row.Sum(l => Math.Exp(l - max)));
            }).ToArray();
            Assert.Equal(want.Length, got[c].Length);
            // (the context keeps llama.cpp's default F16 KV cache: errors of about 2e-4)
            for (int t = 0; t < want.Length; t++) Assert.True(Math.Abs(want[t] - got[c][t]) < 2e-3, $"{continuations[c]} token {t}: {got[c][t]}, reference {want[t]}");
        }
        // The shared prompt decode leaves nothing behind: each alone gives the same numbers.
        for (int c = 0; c < continuations.Length; c++)
            Assert.Equal(got[c], model.ContinuationLogProbs(prompt, [continuations[c]])[0]);
    }

    [Fact]
    public async Task SampledDecodingIsReproducibleFromItsSeed()
    {
        using var model = new LlamaCppModel(Tiny.Path, 256, threads: 2);
        var a = await model.GenerateAsync(new GenerationRequest("The library", 12, 1.5, Seed: 3), default);
        var b = await model.GenerateAsync(new GenerationRequest("The library", 12, 1.5, Seed: 3), default);
        Assert.Equal(a, b);
    }

    [Fact]
    public async Task PromptsLongerThanTheContextAreAClearError()
    {
        using var model = new LlamaCppModel(Tiny.Path, 64, threads: 2);
        var ex = await Assert.ThrowsAsync<UserInputException>(() => model.GenerateAsync(new GenerationRequest(string.Join(' ', TinyModels.Texts), 16), default));
        Assert.Contains("context of 64", ex.Message);
    }

    [Fact]
    public void MissingOrBrokenFilesAreClearErrors()
    {
        Assert.Contains("not found", Assert.Throws<UserInputException>(() => new LlamaCppModel("/nonexistent/m.gguf", 256)).Message);
        using var dir = new TempDir();
        File.WriteAllText(dir.File("junk.gguf"), "not a gguf file at all");
        Assert.Contains("junk.gguf: not a GGUF model file", Assert.Throws<UserInputException>(() => new LlamaCppModel(dir.File("junk.gguf"), 256)).Message);
    }

    [Fact]
    public async Task RulerRunsEndToEndWithTheModelsOwnTokenizer()
    {
        using var model = new LlamaCppModel(Tiny.Path, 1024 + 16, threads: 2); // + BOS slack, as the CLI allocates
        using var dir = new TempDir();
        var options = new RulerRunOptions
        {
            Lengths = [1024],
            // (vt and cwe need more than 1024 tokens with this tiny vocabulary: their smallest prompts do not fit)
            Tasks = new[] { "niah_single_1", "niah_multikey_2", "fwe" }.Select(n => RulerTasks.Find(n)!).ToList(),
            Samples = 2,
            OutDir = dir.Path,
        };
        var report = await new RulerRunner(model, new RulerInputs(EssayHaystack.Default()), _ => { }).RunAsync(options, default);
        var l = Assert.Single(report.Lengths);
        Assert.Equal(3, l.Tasks.Count);
        Assert.All(l.Tasks, t => Assert.InRange(t.Score, 0, 100));
        Assert.NotNull(l.SecondsPerSample);
        foreach (var t in options.Tasks)
        {
            var samples = RulerFiles.ReadSamples(RulerRunner.DataPath(dir.Path, 1024, t.Name));
            foreach (var s in samples)
            {
                Assert.Equal(model.Tokenizer.CountTokens(s.Input + s.AnswerPrefix) + t.TokensToGenerate, s.Length);
                Assert.InRange(s.Length, 700, 1024);
            }
            Assert.Equal(2, RulerFiles.ReadPredictions(RulerRunner.PredPath(dir.Path, 1024, t.Name)).Count);
        }
    }
}
