using System.ComponentModel;
using System.Diagnostics;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using EntropyLong.Bench;
using EntropyLong.Core;
using EntropyLong.Data;
using EntropyLong.Llm;
using EntropyLong.Pipeline;
using Spectre.Console.Cli;

namespace EntropyLong.Cli.Commands;

/// <summary>Raw llama.cpp decode vs the scorer on the same batches, alternated in one run, plus the entropy cost per
/// token at large vocabularies and the default mode's largest deviation from exact mode.</summary>
public sealed class BenchScoreCommand : Command<BenchScoreCommand.Settings>
{
    public sealed class Settings : EngineSettings
    {
        [CommandOption("--input <FILES>"), Description("Text to score (default: the sample corpus)")]
        public string[] Input { get; init; } = [];

        [CommandOption("--tokens <N>"), Description("Tokens per round (default 16384)")]
        [OptionRange(1, 1_000_000_000)]
        public int Tokens { get; init; } = 16384;

        [CommandOption("--rounds <N>"), Description("Alternating raw/scorer rounds (default 3)")]
        [OptionRange(1, 1000)]
        public int Rounds { get; init; } = 3;

        [CommandOption("--random"), Description("Bench a random Llama instead of --model (dim 512, 6 layers: about 30M parameters at the full vocabulary), its byte-level vocabulary of up to 8,192 tokens (vocab_size says how many) learned from the input's first 3,000 documents")]
        public bool Random { get; init; }

        [CommandOption("--json"), Description("Print one JSON object")]
        public bool Json { get; init; }
    }

    public override int Execute(CommandContext context, Settings s, CancellationToken ct)
    {
        string[] inputs = s.Input.Length > 0 ? s.Input : [Defaults.SampleCorpus];
        var docs = new CorpusReader(inputs).Read().Select(r => r.Document.Text);
        string modelPath = s.Random ? RandomModel(docs) : Defaults.ModelOrDefault(s.Model);
        using var engine = LlamaEngine.Load(modelPath, s.ToLlama());

        // Base passes over whole documents (every position wants an entropy), as stage 1 makes them.
        var sequences = new List<int[]>();
        long total = 0;
        foreach (var text in docs)
        {
            var t = engine.TokenizeWithBos(text);
            if (t.Length < 2) continue;
            if (t.Length > engine.Info.ContextLength) t = t[..engine.Info.ContextLength];
            sequences.Add(t);
            if ((total += t.Length) >= s.Tokens) break;
        }
        if (sequences.Count == 0)
            throw new UserInputException($"{string.Join(", ", inputs)}: no document of 2 tokens or more to score; nothing to time");
        var groups = sequences.Select(t => new ScoreGroup(ReadOnlyMemory<int>.Empty, [new ScoreSequence(t, Enumerable.Range(1, t.Length - 1).ToArray())])).ToList();
        var timing = ScoreBenchmark.Compare(engine, groups, s.Rounds, () => engine.Score(groups, ct), ct);
        double rawRate = total * s.Rounds / timing.RawSeconds, scorerRate = total * s.Rounds / timing.MeasuredSeconds;

        double deviation = DefaultVsExact(modelPath, s, groups.Take(8).ToList(), ct);
        var result = new Dictionary<string, object>
        {
            ["model"] = engine.Info.Name,
            ["parameters"] = engine.Info.Parameters,
            ["vocab_size"] = engine.Info.VocabSize,
            ["threads"] = engine.Settings.Threads,
            ["exact"] = s.Exact,
            ["tokens_per_round"] = total,
            ["rounds"] = s.Rounds,
            ["raw_tokens_per_s"] = Math.Round(rawRate, 1),
            ["scorer_tokens_per_s"] = Math.Round(scorerRate, 1),
            ["ratio"] = Math.Round(scorerRate / rawRate, 4),
            ["entropy_us_per_token_vocab_32k"] = Math.Round(EntropyMicroseconds(32768), 2),
            ["entropy_us_per_token_vocab_128k"] = Math.Round(EntropyMicroseconds(131072), 2),
            ["max_default_vs_exact_nats"] = Math.Round(deviation, 6),
        };
        if (s.Json) Console.WriteLine(JsonSerializer.Serialize(result));
        else foreach (var (k, v) in result) Console.WriteLine($"{k,-34} {v}");
        return 0;
    }

    private static double EntropyMicroseconds(int vocab)
    {
        var rng = new Random(7);
        var rows = Enumerable.Range(0, 8).Select(_ => Enumerable.Range(0, vocab).Select(_ => (float)(rng.NextDouble() * 20 - 10)).ToArray()).ToArray();
        var scratch = new float[2 * vocab];
        int n = Math.Max(64, 50_000_000 / vocab);
        float sink = 0;
        var clock = Stopwatch.StartNew();
        for (int i = 0; i < n; i++) sink += Entropy.FromLogits(rows[i % rows.Length], scratch);
        GC.KeepAlive(sink);
        return clock.Elapsed.TotalMicroseconds / n;
    }

    // The same documents under F16 KV + llama.cpp's flash-attention choice and under exact mode.
    private static double DefaultVsExact(string modelPath, Settings s, List<ScoreGroup> groups, CancellationToken ct)
    {
        using var exact = LlamaEngine.Load(modelPath, s.ToLlama() with { Exact = true });
        using var fast = LlamaEngine.Load(modelPath, s.ToLlama() with { Exact = false });
        var a = exact.Score(groups, ct);
        var b = fast.Score(groups, ct);
        return a.Zip(b).SelectMany(p => p.First.Zip(p.Second, (x, y) => (double)Math.Abs(x - y))).DefaultIfEmpty(0).Max();
    }

    // Cached under a name that hashes the texts its vocabulary is learned from, so another input gets its own model,
    // and written atomically, so a killed run leaves no half-written model to be reused.
    private static string RandomModel(IEnumerable<string> texts)
    {
        var sample = texts.Take(3000).ToList();
        using var hash = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        foreach (string text in sample)
        {
            hash.AppendData(BitConverter.GetBytes(text.Length));
            hash.AppendData(Encoding.UTF8.GetBytes(text));
        }
        string key = Convert.ToHexStringLower(hash.GetCurrentHash())[..16];
        string path = Path.Combine(Path.GetTempPath(), $"entropylong-bench-random-30m-{key}.gguf");
        if (File.Exists(path)) return path;
        var vocab = ByteLevelBpe.Train(sample, 8192);
        var config = new LlamaConfig(vocab.Tokens.Length, 512, 6, 8, 8, 1408, 1024);
        AtomicFile.WriteThrough(path, temp => LlamaModel.Random(config, vocab, seed: 1).SaveGguf(temp, GgmlType.F16));
        return path;
    }
}
