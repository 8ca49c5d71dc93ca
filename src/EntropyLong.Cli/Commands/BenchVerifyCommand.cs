using System.ComponentModel;
using System.Text.Json;
using EntropyLong.Bench;
using EntropyLong.Core;
using EntropyLong.Data;
using EntropyLong.Llm;
using EntropyLong.Retrieval;
using Spectre.Console.Cli;

namespace EntropyLong.Cli.Commands;

/// <summary>LM tokens verification costs, grouped by (document, chunk) with chunk prefixes shared within a block,
/// against judging every (anchor, candidate) pair alone, for several block sizes, from one run of stages 1-3. The
/// plans make the same decisions (tests check it); this measures only what they cost. Then the stage's speed on the
/// first block of --block documents against raw llama.cpp decoding of the same batches, alternated in one run.</summary>
public sealed class BenchVerifyCommand : Command<BenchVerifyCommand.Settings>
{
    public sealed class Settings : EngineSettings
    {
        [CommandOption("--corpus <FILES>"), Description("Root documents (default: the sample corpus)")]
        public string[] Corpus { get; init; } = [];
        [CommandOption("--index <DIR>"), Description("Retrieval index made by `entropylong index`")]
        public string Index { get; init; } = "";
        [CommandOption("--docs <N>"), Description("Root documents to plan for (default 1024)")]
        [OptionRange(1, 1_000_000_000)]
        public int Docs { get; init; } = 1024;
        [CommandOption("--blocks <LIST>"), Description("Block sizes (default 1,16,64,256,1024)")]
        [OptionRange(1, 1_000_000)]
        public string Blocks { get; init; } = "1,16,64,256,1024";
        [CommandOption("--alpha <A>")]
        [OptionRange(0, 100)]
        public double Alpha { get; init; } = 2.0;
        [CommandOption("--top-k <K>")]
        [OptionRange(1, OptionLimits.Candidates)]
        public int TopK { get; init; } = 32;
        [CommandOption("--block <N>"), Description("Documents in the block whose verification is timed (default 256, build's default)")]
        [OptionRange(1, 1_000_000)]
        public int Block { get; init; } = 256;
        [CommandOption("--epsilon <E>")]
        [OptionRange(0.0, 1.0, MaxExclusive = true)]
        public double Epsilon { get; init; } = 0.4;
        [CommandOption("--rounds <N>"), Description("Alternating raw/verification rounds (default 3)")]
        [OptionRange(1, 1000)]
        public int Rounds { get; init; } = 3;
        [CommandOption("--json")]
        public bool Json { get; init; }
    }

    public override int Execute(CommandContext context, Settings s, CancellationToken ct)
    {
        if (!Directory.Exists(s.Index))
            throw File.Exists(s.Index) ? UserInputException.FolderNotFound(s.Index, "index folder")
                : new UserInputException($"{s.Index}: index folder not found (make one with `entropylong index`)");
        var blocks = OptionRangeAttribute.WholeNumbers(s.Blocks);
        var corpus = new CorpusReader(s.Corpus.Length > 0 ? s.Corpus : [Defaults.SampleCorpus]);
        var docs = corpus.Read().Select(r => r.Document).Take(s.Docs).ToList();
        // Named here, before the models load: with no document the timing below would blame --alpha.
        if (docs.Count == 0) throw corpus.NoDocument();
        using var embedder = OnnxEmbedder.Open(new EmbeddingModelOptions { Threads = s.Threads ?? 0 });
        using var sharded = ShardedIndex.IsSharded(s.Index) ? ShardedIndex.Open(s.Index, embedder) : null;
        using var plain = sharded is null ? ChunkIndex.Open(s.Index, embedder) : null;
        IRetriever retriever = sharded is not null ? new ShardedRetriever(sharded, embedder) : new IndexRetriever(plain!, embedder);
        using var scorer = LlamaEngine.Load(Defaults.ModelOrDefault(s.Model), s.ToLlama());
        // The shipped scorer is read by words, as build reads it: its token entropies have no tail for alpha 2 to find.
        var options = new EntropyLongOptions { Alpha = s.Alpha, TopK = s.TopK, Epsilon = s.Epsilon, WordEntropy = s.DefaultScorer && Defaults.ScorerOptions.WordEntropy };
        // Stages 1-3 once over every document; then stage 4 planned (not run) at each block size.
        var prepared = new BuildBlock(docs.Select(d => new BuildDocument(d)).ToList(), new BuildStats());
        IBuildStep[] upToRetrieval = [new EntropyStep(scorer), new AnchorStep(options), new RetrievalStep(retriever, scorer, options)];
        foreach (var step in upToRetrieval) step.Run(prepared, ct);
        var verification = new VerificationStep(scorer, options);

        var rows = new List<Dictionary<string, object>>();
        foreach (int block in blocks)
        {
            long grouped = 0, naive = 0, pairs = 0, uniquePairs = 0;
            foreach (var part in prepared.Documents.Chunk(block))
            {
                var plan = verification.Plan(part);
                grouped += plan.ForwardTokens;
                naive += plan.NaiveForwardTokens;
                pairs += plan.PairsJudged;
                uniquePairs += plan.Groups.Sum(g => g.Prefix.Length > 1 ? g.Sequences.Count : 0);
            }
            rows.Add(new()
            {
                ["block"] = block,
                ["pairs_judged"] = pairs,
                ["document_chunk_passes"] = uniquePairs,
                ["forward_tokens"] = grouped,
                ["naive_forward_tokens"] = naive,
                ["ratio"] = grouped == 0 ? 0 : Math.Round((double)naive / grouped, 2),
            });
        }
        var timed = prepared.Documents.Take(s.Block).ToList();
        var timing = VerifyBenchmark.Compare(scorer, verification, timed, s.Rounds, ct);
        var result = new Dictionary<string, object>
        {
            ["model"] = scorer.Info.Name,
            ["documents"] = docs.Count,
            ["anchors"] = prepared.Documents.Sum(d => d.Anchors.Length),
            ["word_entropy"] = options.WordEntropy,
            ["alpha"] = s.Alpha,
            ["top_k"] = s.TopK,
            ["blocks"] = rows,
            ["threads"] = scorer.Settings.Threads,
            ["load_average"] = BenchEmbedCommand.LoadAverage(),
            ["timed_block_documents"] = timed.Count,
            ["timed_pairs_judged"] = timing.PairsJudged,
            ["timed_forward_tokens"] = timing.ForwardTokens,
            ["rounds"] = s.Rounds,
            ["raw_tokens_per_s"] = Math.Round(timing.RawTokensPerSecond, 1),
            ["verify_tokens_per_s"] = Math.Round(timing.VerifyTokensPerSecond, 1),
            ["ratio"] = Math.Round(timing.Ratio, 4),
        };
        if (s.Json) Console.WriteLine(JsonSerializer.Serialize(result));
        else
        {
            Console.WriteLine($"{docs.Count} documents, {result["anchors"]} anchors, alpha {s.Alpha}, top-k {s.TopK}, model {scorer.Info.Name}");
            Console.WriteLine($"{"block",6} {"pairs",10} {"passes",10} {"grouped tokens",16} {"naive tokens",16} {"naive/grouped",14}");
            foreach (var r in rows)
                Console.WriteLine($"{r["block"],6} {r["pairs_judged"],10} {r["document_chunk_passes"],10} {r["forward_tokens"],16:N0} {r["naive_forward_tokens"],16:N0} {r["ratio"],14}");
            Console.WriteLine();
            string first = timed.Count == 1 ? "the first document" : $"the first {timed.Count} documents";
            Console.WriteLine($"verification of {first} ({timing.PairsJudged:N0} pairs, {timing.ForwardTokens:N0} LM tokens), {s.Rounds} alternating round{(s.Rounds == 1 ? "" : "s")}, load average {result["load_average"]}:");
            Console.WriteLine($"  raw llama.cpp decode of the plan's batches  {timing.RawTokensPerSecond,12:N0} tokens/s");
            Console.WriteLine($"  verification stage end to end               {timing.VerifyTokensPerSecond,12:N0} tokens/s");
            Console.WriteLine($"  ratio                                       {timing.Ratio,12:F3}");
        }
        return 0;
    }
}
