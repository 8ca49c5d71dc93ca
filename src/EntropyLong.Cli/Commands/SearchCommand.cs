using System.ComponentModel;
using EntropyLong.Core;
using EntropyLong.Retrieval;
using Spectre.Console;
using Spectre.Console.Cli;

namespace EntropyLong.Cli.Commands;

public sealed class SearchCommand : Command<SearchCommand.Settings>
{
    public sealed class Settings : EmbeddingModelSettings
    {
        [CommandOption("--index <DIR>")]
        [Description("Index folder made by `entropylong index`.")]
        public string Index { get; init; } = "";

        [CommandOption("-q|--query <TEXT>")]
        public string Query { get; init; } = "";

        [CommandOption("-k <K>")]
        [DefaultValue(5)]
        [OptionRange(1, OptionLimits.Candidates)]
        public int K { get; init; } = 5;

        [CommandOption("--exact")]
        [Description("Scan every vector instead of the HNSW graph.")]
        public bool Exact { get; init; }

        [CommandOption("--exclude-doc <ID>")]
        [Description("Leave out the chunks of this document, as a query made for it would.")]
        public string? ExcludeDocument { get; init; }

        [CommandOption("--expansion-search <EF>")]
        [Description("HNSW search beam; default: the index's.")]
        [OptionRange(1, OptionLimits.Candidates)]
        public int? ExpansionSearch { get; init; }

        public override ValidationResult Validate()
        {
            if (base.Validate() is { Successful: false } embedding) return embedding;
            if (string.IsNullOrWhiteSpace(Index)) return ValidationResult.Error("--index is required");
            if (string.IsNullOrWhiteSpace(Query)) return ValidationResult.Error("--query is required");
            return ValidationResult.Success();
        }
    }

    public override int Execute(CommandContext context, Settings settings, CancellationToken cancellationToken)
    {
        if (!Directory.Exists(settings.Index)) throw UserInputException.FolderNotFound(settings.Index, "index folder");
        using var embedder = OnnxEmbedder.Open(settings.ToOptions());
        // A sharded index (index --shards) is searched as build reads it: every shard, hits merged by score.
        using var sharded = ShardedIndex.IsSharded(settings.Index) ? ShardedIndex.Open(settings.Index, embedder, settings.ExpansionSearch) : null;
        using var plain = sharded is null ? ChunkIndex.Open(settings.Index, embedder, settings.ExpansionSearch) : null;
        IReadOnlyList<ChunkIndex> indexes = sharded?.Shards ?? [plain!];
        Exclusion? exclusion = null;
        if (settings.ExcludeDocument is { } excluded)
        {
            // Its chunks' texts, so that copies of them elsewhere are left out too, as for a query made for the document.
            var texts = indexes.SelectMany(x => x.DocumentChunkTexts(excluded)).ToList();
            // An id that matches nothing (a typo, a chunk id) would exclude nothing without a word; report refuses one too.
            if (texts.Count == 0) throw new UserInputException($"{settings.Index}: no document '{excluded}' in the index (--exclude-doc takes a document id)");
            exclusion = Exclusion.ForChunks(excluded, texts);
        }
        var query = embedder.Embed([settings.Query], asQuery: true)[0];
        var hits = sharded is not null
            ? sharded.Search(query, settings.K, exclusion, settings.Exact).Select(x => (Chunk: sharded.Shards[x.Shard].GetChunk(x.Hit.Key), x.Hit.Score)).ToArray()
            : plain!.Search(query, settings.K, exclusion, settings.Exact).Select(h => (Chunk: plain.GetChunk(h.Key), h.Score)).ToArray();

        var table = new Table().Border(TableBorder.Rounded)
            .AddColumn("#").AddColumn(new TableColumn("score").RightAligned()).AddColumn("source").AddColumn("text");
        for (int i = 0; i < hits.Length; i++)
        {
            var chunk = hits[i].Chunk;
            string text = chunk.Text.ReplaceLineEndings(" ⏎ ");
            if (text.Length > 240) text = text[..240] + " …";
            table.AddRow((i + 1).ToString(), hits[i].Score.ToString("F4"),
                Markup.Escape($"{chunk.Id}\nchars {chunk.Start}-{chunk.End}"), Markup.Escape(text));
        }
        AnsiConsole.Write(table);
        string shards = sharded is null ? "" : $" in {sharded.Shards.Count} shards";
        Stdout.MarkupLine($"[grey]{hits.Length} of {indexes.Sum(x => x.Count):N0} chunks{shards}, {(settings.Exact || !indexes.All(x => x.HasHnsw) ? "exact" : "HNSW")} search, model {Markup.Escape(embedder.ModelId)}[/]");
        return 0;
    }
}
