using System.ComponentModel;
using System.Text.Json;
using EntropyLong.Core;
using EntropyLong.Data;
using EntropyLong.Retrieval;
using Spectre.Console;
using Spectre.Console.Cli;

namespace EntropyLong.Cli.Commands;

/// <summary>The cost model's inputs, measured on a finished build and its index (docs/cost.md), and what they make
/// at a target scale: LM tokens, embeddings, index bytes and hours.</summary>
public sealed class BenchCostCommand : Command<BenchCostCommand.Settings>
{
    public sealed class Settings : CommandSettings
    {
        [CommandOption("--build <DIR>"), Description("A finished build's output folder (its stats.json)")]
        public string Build { get; init; } = "";

        [CommandOption("--index <DIR>"), Description("The index that build retrieved from (plain or sharded)")]
        public string Index { get; init; } = "";

        [CommandOption("--output-tokens <N>"), Description("Tokens to build at the target scale (default 4e9, the paper's)")]
        [OptionRange(1.0, 1e15)]
        public double OutputTokens { get; init; } = 4e9;

        [CommandOption("--pool-documents <N>"), Description("Documents in the retrieval pool at the target scale (default 1e9, the paper's)")]
        [OptionRange(1.0, 1e15)]
        public double PoolDocuments { get; init; } = 1e9;

        [CommandOption("--lm-tokens-per-s <R>"), Description("Scorer prompt-processing speed at the target (default 5700: llama.cpp, 8B model on one RTX 4090; docs/cost.md)")]
        [OptionRange(0.0, 1e9, MinExclusive = true)]
        public double LmTokensPerSecond { get; init; } = 5700;

        [CommandOption("--embed-chunks-per-s <R>"), Description("Embedding speed at the target, in chunks/s (default 50; measure yours with bench embed)")]
        [OptionRange(0.0, 1e9, MinExclusive = true)]
        public double EmbedChunksPerSecond { get; init; } = 50;

        [CommandOption("--json"), Description("Print one JSON object")]
        public bool Json { get; init; }

        public override ValidationResult Validate()
        {
            if (string.IsNullOrWhiteSpace(Build)) return ValidationResult.Error("--build is required");
            if (string.IsNullOrWhiteSpace(Index)) return ValidationResult.Error("--index is required");
            return ValidationResult.Success();
        }
    }

    /// <summary>The pool's figures must come from the index the build retrieved from: config.json records its size
    /// (builds before that record only its path, which is then compared, as a note: folders may have moved).</summary>
    private static void CheckIndexIsTheBuilds(Settings s, long chunks)
    {
        if (BuildFolder.ReadConfig(s.Build) is not { } config) return;
        string? recorded = config.TryGetProperty("index", out var p) && p.ValueKind == JsonValueKind.String ? p.GetString() : null;
        if (config.TryGetProperty("index_chunks", out var n) && n.TryGetInt64(out long built))
        {
            if (built != chunks)
                throw new UserInputException($"{s.Index}: holds {chunks:N0} chunks, but the build retrieved from an index of {built:N0}" +
                                             (recorded is null ? "" : $" ({recorded})") + "; give --index the index the build used");
        }
        else if (recorded is not null && recorded != Path.GetFullPath(s.Index))
            Progress.Say($"note: {Path.Combine(s.Build, BuildFolder.Config)} names the index {recorded}, not {Path.GetFullPath(s.Index)}; this build does not record its index's size, so the two are not compared");
    }

    public override int Execute(CommandContext context, Settings s, CancellationToken cancellationToken)
    {
        var stats = BuildFolder.ReadStats(s.Build);
        var shards = IndexFolders(s.Index);
        var manifests = shards.Select(f => IndexManifest.TryRead(f)
            ?? throw new UserInputException($"{f}: not an index folder (no {IndexManifest.FileName})")).ToList();
        if (stats.TokensOut == 0) throw new UserInputException($"{Path.Combine(s.Build, BuildFolder.Stats)}: the build wrote no tokens; nothing to scale");
        long chunks = manifests.Sum(m => m.Chunks), documents = manifests.Sum(m => m.Documents);
        if (chunks == 0) throw new UserInputException($"{s.Index}: the index holds no chunks");
        CheckIndexIsTheBuilds(s, chunks);
        long graphBytes = manifests.Sum(m => m.Hnsw?.FileBytes ?? 0), graphVectors = manifests.Sum(m => m.Hnsw?.Vectors ?? 0);
        // Everything but the graph: chunk records, texts, float32 vectors (rescoring, exact search) and the manifest.
        long storeBytes = shards.Sum(f => new DirectoryInfo(f).EnumerateFiles().Where(x => x.Name != HnswFileInfo.FileName).Sum(x => x.Length));

        double tokensOut = stats.TokensOut;
        double scoringPerToken = stats.ScoringForwardTokens / tokensOut;
        double verificationPerToken = stats.ForwardTokens / tokensOut;
        double queriesPerToken = stats.Anchors / tokensOut;
        double chunksPerDocument = (double)chunks / Math.Max(1, documents);
        double graphPerVector = graphVectors == 0 ? 0 : (double)graphBytes / graphVectors;
        double storePerChunk = (double)storeBytes / chunks;

        // At the target: every output token costs its share of scoring and verification; the pool is embedded once
        // and each anchor's query once.
        double lmTokens = (scoringPerToken + verificationPerToken) * s.OutputTokens;
        double poolChunks = chunksPerDocument * s.PoolDocuments;
        double embeddings = poolChunks + queriesPerToken * s.OutputTokens;
        var result = new Dictionary<string, object>
        {
            ["documents_read"] = stats.DocumentsRead,
            ["tokens_out"] = stats.TokensOut,
            ["scoring_lm_tokens_per_output_token"] = Math.Round(scoringPerToken, 4),
            ["verification_lm_tokens_per_output_token"] = Math.Round(verificationPerToken, 4),
            ["queries_per_output_token"] = Math.Round(queriesPerToken, 6),
            ["measured_scoring_tokens_per_s"] = Math.Round(Rate(stats.ScoringForwardTokens, stats, "entropy"), 1),
            ["measured_verification_tokens_per_s"] = Math.Round(Rate(stats.ForwardTokens, stats, "verification"), 1),
            ["index_documents"] = documents,
            ["index_chunks"] = chunks,
            ["chunks_per_document"] = Math.Round(chunksPerDocument, 4),
            ["dimension"] = manifests[0].Dimension,
            ["quantization"] = manifests[0].Hnsw?.Quantization ?? "none",
            ["graph_bytes_per_vector"] = Math.Round(graphPerVector, 1),
            ["store_bytes_per_chunk"] = Math.Round(storePerChunk, 1),
            ["target_output_tokens"] = s.OutputTokens,
            ["target_pool_documents"] = s.PoolDocuments,
            ["target_lm_tokens"] = Math.Round(lmTokens),
            ["target_lm_hours"] = Math.Round(lmTokens / s.LmTokensPerSecond / 3600, 1),
            ["target_embeddings"] = Math.Round(embeddings),
            ["target_embedding_hours"] = Math.Round(embeddings / s.EmbedChunksPerSecond / 3600, 1),
            ["target_graph_bytes"] = Math.Round(poolChunks * graphPerVector),
            ["target_store_bytes"] = Math.Round(poolChunks * storePerChunk),
            ["lm_tokens_per_s"] = s.LmTokensPerSecond,
            ["embed_chunks_per_s"] = s.EmbedChunksPerSecond,
        };
        if (s.Json)
        {
            Console.WriteLine(JsonSerializer.Serialize(result));
            return 0;
        }
        var table = new Table().AddColumn("").AddColumn(new TableColumn("").RightAligned());
        table.AddRow("[bold]measured on this build[/]", "");
        table.AddRow("documents read / output tokens", $"{stats.DocumentsRead:N0} / {stats.TokensOut:N0}");
        table.AddRow("scoring LM tokens per output token", $"{scoringPerToken:F3}");
        table.AddRow("verification LM tokens per output token", $"{verificationPerToken:F3}");
        table.AddRow("queries embedded per output token", $"{queriesPerToken:F5}");
        table.AddRow("index chunks per document", $"{chunksPerDocument:F3} ({chunks:N0} / {documents:N0})");
        table.AddRow($"graph bytes per vector ({manifests[0].Hnsw?.Quantization ?? "no graph"})", $"{graphPerVector:N0}");
        table.AddRow("chunk store bytes per chunk (records, text, float32 vectors)", $"{storePerChunk:N0}");
        table.AddRow("[bold]at the target[/]", $"{s.OutputTokens:N0} output tokens, {s.PoolDocuments:N0} pool documents");
        table.AddRow("LM tokens", $"{lmTokens:N0} ({lmTokens / s.LmTokensPerSecond / 3600:N0} h at {s.LmTokensPerSecond:N0} tokens/s)");
        table.AddRow("embeddings", $"{embeddings:N0} ({embeddings / s.EmbedChunksPerSecond / 3600:N0} h at {s.EmbedChunksPerSecond:N0} chunks/s)");
        table.AddRow("graph / chunk store", $"{Bytes(poolChunks * graphPerVector)} / {Bytes(poolChunks * storePerChunk)}");
        AnsiConsole.Write(table);
        return 0;
    }

    private static List<string> IndexFolders(string folder)
    {
        if (!Directory.Exists(folder)) throw UserInputException.FolderNotFound(folder, "index folder");
        return ShardedIndex.ReadShardCount(folder) is { } count
            ? Enumerable.Range(0, count).Select(i => ShardedIndex.ShardFolder(folder, i)).ToList()
            : [folder];
    }

    private static double Rate(long tokens, BuildStats stats, string stage) =>
        stats.Seconds.GetValueOrDefault(stage) is > 0 and var seconds ? tokens / seconds : 0;

    private static string Bytes(double b) => b >= 1e12 ? $"{b / 1e12:F2} TB" : b >= 1e9 ? $"{b / 1e9:F2} GB" : $"{b / 1e6:F1} MB";
}
