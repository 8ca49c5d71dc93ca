using System.ComponentModel;
using System.Text.Json;
using EntropyLong.Bench;
using EntropyLong.Retrieval;
using Spectre.Console;
using Spectre.Console.Cli;

namespace EntropyLong.Cli.Commands;

public sealed class BenchIndexCommand : Command<BenchIndexCommand.Settings>
{
    public sealed class Settings : CommandSettings
    {
        [CommandOption("--vectors <N>")]
        [DefaultValue(100_000L)] // of the property's type: Spectre cannot convert an int default to long
        [OptionRange(1, int.MaxValue)]
        public long Vectors { get; init; } = 100_000;

        [CommandOption("--dim <D>")]
        [DefaultValue(384)]
        [OptionRange(1, 65_536)]
        public int Dimension { get; init; } = 384;

        [CommandOption("--queries <Q>")]
        [DefaultValue(200)]
        [OptionRange(1, 1_000_000)]
        public int Queries { get; init; } = 200;

        [CommandOption("-k <K>")]
        [DefaultValue(32)]
        [OptionRange(1, OptionLimits.Candidates)]
        public int K { get; init; } = 32;

        [CommandOption("--connectivity <M>")]
        [Description("HNSW links per graph node (M).")]
        [DefaultValue(HnswSettings.DefaultConnectivity)]
        [OptionRange(2, 1024)]
        public int Connectivity { get; init; } = HnswSettings.DefaultConnectivity;

        [CommandOption("--expansion-add <EF>")]
        [Description("Search beam while inserting into the graph (ef_construction).")]
        [DefaultValue(HnswSettings.DefaultExpansion)]
        [OptionRange(1, OptionLimits.Candidates)]
        public int ExpansionAdd { get; init; } = HnswSettings.DefaultExpansion;

        [CommandOption("--expansion-search <EF>")]
        [Description("Search beam of the measured queries (ef).")]
        [DefaultValue(HnswSettings.DefaultExpansion)]
        [OptionRange(1, OptionLimits.Candidates)]
        public int ExpansionSearch { get; init; } = HnswSettings.DefaultExpansion;

        [CommandOption("--quantize <KINDS>")]
        [Description("Graph scalar types to measure, comma-separated (f32, f16, i8), each on the same vectors and queries.")]
        [DefaultValue("f32")]
        public string Quantize { get; init; } = "f32";

        [CommandOption("--threads <N>")]
        [Description("Threads for building the graph; 0 = one per core.")]
        [DefaultValue(0)]
        [OptionRange(0, OptionLimits.Threads)]
        public int Threads { get; init; }

        [CommandOption("--work-dir <DIR>")]
        [Description("Where the graph file is written (and deleted afterwards).")]
        public string? WorkDir { get; init; }

        [CommandOption("--json")]
        public bool Json { get; init; }

        public override ValidationResult Validate()
        {
            if (Quantize.Split(',').FirstOrDefault(q => !Quantizations.ByName.ContainsKey(q.Trim())) is { } bad)
                return ValidationResult.Error($"--quantize must be f32, f16 or i8 (comma-separated), not '{bad}'");
            if (Vectors < K || Vectors * Dimension > Array.MaxLength)
                return ValidationResult.Error($"--vectors must be between -k ({K}) and {Array.MaxLength / Math.Max(1, Dimension):N0} at {Dimension} dimensions; {Vectors:N0} is not");
            return ValidationResult.Success();
        }
    }

    public override int Execute(CommandContext context, Settings s, CancellationToken cancellationToken)
    {
        var settings = new HnswSettings { Connectivity = s.Connectivity, ExpansionAdd = s.ExpansionAdd, ExpansionSearch = s.ExpansionSearch };
        int threads = s.Threads > 0 ? s.Threads : Environment.ProcessorCount;
        var kinds = s.Quantize.Split(',').Select(q => Quantizations.ByName[q.Trim()]).Distinct().ToList();
        var results = RetrievalBenchmarks.Index(s.Vectors, s.Dimension, s.Queries, s.K, settings, kinds, threads,
            s.WorkDir ?? Path.GetTempPath(), Progress.Say);
        if (s.Json)
        {
            // One object per quantization, one per line.
            foreach (var r in results)
                Console.WriteLine(JsonSerializer.Serialize(new Dictionary<string, object>
                {
                    ["vectors"] = r.Vectors, ["dim"] = r.Dimension, ["queries"] = r.Queries, ["k"] = r.K,
                    ["connectivity"] = settings.Connectivity, ["expansion_add"] = settings.ExpansionAdd, ["expansion_search"] = settings.ExpansionSearch,
                    ["quantize"] = Quantizations.Name(r.Settings.Quantization),
                    ["build_threads"] = threads,
                    ["build_s"] = Math.Round(r.BuildSeconds, 2),
                    ["build_vectors_per_s"] = Math.Round(r.BuildVectorsPerSecond, 1),
                    ["index_bytes"] = r.IndexBytes,
                    ["bytes_per_vector"] = Math.Round(r.BytesPerVector, 1),
                    ["mapped_resident_bytes"] = r.MappedResidentBytes,
                    [$"recall_at_{r.K}"] = Math.Round(r.RecallAtK, 4),
                    ["exact_ms_per_query"] = Math.Round(r.ExactMsPerQuery, 3),
                    ["hnsw_ms_per_query_p50"] = Math.Round(r.HnswMsP50, 3),
                    ["hnsw_ms_per_query_p99"] = Math.Round(r.HnswMsP99, 3),
                    ["speedup"] = Math.Round(r.Speedup, 1),
                }));
            return 0;
        }
        var table = new Table().AddColumn("");
        foreach (var r in results) table.AddColumn(new TableColumn(Quantizations.Name(r.Settings.Quantization)).RightAligned());
        void Row(string label, Func<IndexBenchmarkResult, string> cell) => table.AddRow([label, .. results.Select(cell)]);
        Row("vectors x dim", r => $"{r.Vectors:N0} x {r.Dimension}");
        Row($"build ({threads} threads)", r => $"{r.BuildSeconds:F1} s, {r.BuildVectorsPerSecond:N0} vectors/s");
        Row("index file", r => $"{r.IndexBytes / 1048576.0:N1} MiB");
        Row("bytes per vector (file / vectors)", r => $"{r.BytesPerVector:N0}");
        Row("resident after the queries (memory-mapped)", r => $"{r.MappedResidentBytes / 1048576.0:N1} MiB");
        Row($"recall@{s.K} vs exact", r => r.RecallAtK.ToString("F4"));
        Row("exact ms/query (1 thread, float32)", r => r.ExactMsPerQuery.ToString("F3"));
        Row("HNSW ms/query p50 / p99 (memory-mapped, 1 thread)", r => $"{r.HnswMsP50:F3} / {r.HnswMsP99:F3}");
        Row("[bold]speedup (exact / HNSW p50)[/]", r => $"{r.Speedup:F1}x");
        AnsiConsole.Write(table);
        return 0;
    }
}
