using System.ComponentModel;
using System.IO.Compression;
using System.Text.Json;
using EntropyLong.Bench;
using EntropyLong.Core;
using EntropyLong.Data;
using EntropyLong.Pipeline.Tasks;
using Spectre.Console;
using Spectre.Console.Cli;

namespace EntropyLong.Cli.Commands;

public sealed class BenchScaleCommand : Command<BenchScaleCommand.Settings>
{
    public sealed class Settings : CommandSettings
    {
        [CommandOption("--model <GGUF>"), Description("Scoring model (default: data/models/default.gguf)")]
        public string? Model { get; init; }
        [CommandOption("--corpus <FILES>"), Description("Documents to draw from (default: the sample corpus)")]
        public string[] Corpus { get; init; } = [];
        [CommandOption("--docs <N>"), Description("Documents in the 1x corpus; the large one has 10x")]
        [DefaultValue(48)]
        [OptionRange(1, 100_000)]
        public int Docs { get; init; } = 48;
        [CommandOption("--work <DIR>"), Description("Scratch folder (kept, so its logs can be read)")]
        public string Work { get; init; } = "out/bench-scale";
        [CommandOption("--build-arg <ARG>"), Description("Extra argument for every build worker (repeat), e.g. --build-arg=--max-anchors --build-arg=4")]
        public string[] BuildArgs { get; init; } = [];
        [CommandOption("--json")]
        public bool Json { get; init; }
    }

    public override int Execute(CommandContext context, Settings s, CancellationToken ct)
    {
        string model = Path.GetFullPath(Defaults.ModelOrDefault(s.Model));
        var source = new CorpusReader(s.Corpus.Length > 0 ? s.Corpus : [Defaults.SampleCorpus]);
        string work = Path.GetFullPath(s.Work);
        if (Directory.Exists(work)) Directory.Delete(work, true);
        Directory.CreateDirectory(work);
        var docs = source.Read().Select(r => r.Document).Where(d => d.Text.Length is > 200 and < 4000).Take(s.Docs * 10).ToList();
        if (docs.Count < s.Docs * 10) throw new UserInputException($"the corpus has only {docs.Count} documents of 200-4000 characters; need {s.Docs * 10}");
        // Two files per corpus so two shards split by file.
        string[] Write(string name, IReadOnlyList<Document> part) => [WritePart($"{name}-a", part.Take(part.Count / 2)), WritePart($"{name}-b", part.Skip(part.Count / 2))];
        string WritePart(string name, IEnumerable<Document> part)
        {
            string path = Path.Combine(work, name + ".jsonl.gz");
            using var gz = new GZipStream(File.Create(path), CompressionLevel.Fastest);
            foreach (var d in part) { gz.Write(JsonSerializer.SerializeToUtf8Bytes(new { id = d.Id, text = d.Text })); gz.WriteByte((byte)'\n'); }
            return path;
        }
        var small = Write("corpus-1x", docs[..s.Docs]);
        var large = Write("corpus-10x", docs);
        var self = Slurm.SelfCommand();
        string[] Corpus(string[] files) => files.SelectMany(f => new[] { "--corpus", f }).ToArray();
        void Check(WorkerRun r, string what) { if (r.ExitCode != 0) throw new UserInputException($"bench scale: {what} failed (exit {r.ExitCode}): {r.Stderr.Trim()}"); }

        string index = Path.Combine(work, "idx");
        Console.Error.WriteLine($"bench scale: indexing the 1x corpus ({s.Docs} documents) into {index}");
        Check(ScaleBenchmark.Run(self, ["index", .. Corpus(small), "--out", index, "--shards", "2"]), "index");
        string[] common = ["--index", index, "--model", model, "--threads", "1", "--quiet", .. s.BuildArgs];
        string[] Build(string[] corpus, string outDir, params string[] more) => ["build", .. Corpus(corpus), "--out", outDir, .. common, .. more];

        Console.Error.WriteLine("bench scale: 1 worker, then 2 workers, on the 1x corpus in 2 shards");
        string one = Path.Combine(work, "one-worker"), two = Path.Combine(work, "two-workers");
        var freshLaunch = DateTime.UtcNow;
        var w1 = ScaleBenchmark.Run(self, Build(small, one, "--shards", "2"));
        Check(w1, "1-worker build");
        var w2 = ScaleBenchmark.RunAll([.. Enumerable.Range(0, 2).Select(r =>
            ((IReadOnlyList<string>)self, (IEnumerable<string>)Build(small, two, "--shards", "2"), (IDictionary<string, string>?)new Dictionary<string, string> { ["RANK"] = $"{r}", ["WORLD_SIZE"] = "2" }))]);
        foreach (var r in w2) Check(r, "2-worker build");
        double wall2 = w2.Max(r => r.Seconds);
        bool same = File.ReadAllBytes(Path.Combine(one, "sequences.jsonl")).AsSpan().SequenceEqual(File.ReadAllBytes(Path.Combine(two, "sequences.jsonl")));

        Console.Error.WriteLine("bench scale: one worker's memory on the 1x and the 10x corpus");
        var m1 = ScaleBenchmark.Run(self, Build(small, Path.Combine(work, "mem-1x"), "--shards", "1"));
        Check(m1, "1x build");
        var m10 = ScaleBenchmark.Run(self, Build(large, Path.Combine(work, "mem-10x"), "--shards", "1"));
        Check(m10, "10x build");

        Console.Error.WriteLine("bench scale: resume after losing one of two tasks, and a re-run with nothing left");
        var store = new TaskStore(Path.Combine(one, "tasks"));
        var freshStart = ScaleBenchmark.LastStart(store, BuildFolder.BuildTask(0))!.Value;
        Directory.Delete(store.PathOf(BuildFolder.BuildTask(1)), true);
        File.Delete(Path.Combine(one, BuildFolder.Stats));
        var launched = DateTime.UtcNow;
        var resume = ScaleBenchmark.Run(self, Build(small, one, "--shards", "2"));
        Check(resume, "resume");
        double resumeToWork = (ScaleBenchmark.LastStart(store, BuildFolder.BuildTask(1))!.Value - launched).TotalSeconds;
        var noop = ScaleBenchmark.Run(self, Build(small, one, "--shards", "2"));
        Check(noop, "no-op re-run");
        double freshToWork = (freshStart - freshLaunch).TotalSeconds;

        var result = new
        {
            documents_1x = s.Docs, documents_10x = docs.Count, cores = Environment.ProcessorCount,
            one_worker_s = Math.Round(w1.Seconds, 2), two_workers_s = Math.Round(wall2, 2),
            one_worker_docs_per_s = Math.Round(s.Docs / w1.Seconds, 3), two_workers_docs_per_s = Math.Round(s.Docs / wall2, 3),
            speedup = Math.Round(w1.Seconds / wall2, 3), same_output = same,
            one_worker_cpu_s = Math.Round(w1.CpuSeconds, 2), two_workers_cpu_s = Math.Round(w2.Sum(r => r.CpuSeconds), 2),
            cpu_ratio_two_over_one = Math.Round(w2.Sum(r => r.CpuSeconds) / w1.CpuSeconds, 3),
            load_average = File.Exists("/proc/loadavg") ? File.ReadAllText("/proc/loadavg").Split(' ')[0] : "?",
            peak_rss_1x_mib = Mib(m1.PeakRssBytes), peak_rss_10x_mib = Mib(m10.PeakRssBytes),
            peak_anon_1x_mib = Mib(m1.PeakAnonBytes), peak_anon_10x_mib = Mib(m10.PeakAnonBytes),
            peak_file_1x_mib = Mib(m1.PeakFileBytes), peak_file_10x_mib = Mib(m10.PeakFileBytes),
            anon_ratio_10x_over_1x = Math.Round((double)m10.PeakAnonBytes / m1.PeakAnonBytes, 3),
            resume_s_before_new_work = Math.Round(resumeToWork, 2), resume_total_s = Math.Round(resume.Seconds, 2),
            fresh_s_before_first_task = Math.Round(freshToWork, 2), noop_rerun_s = Math.Round(noop.Seconds, 2),
        };
        if (s.Json) { Console.WriteLine(JsonSerializer.Serialize(result)); return 0; }
        var table = new Table().AddColumns("", "value");
        table.AddRow("1 worker, 2 shards: wall s (docs/s)", $"{w1.Seconds:F1} ({result.one_worker_docs_per_s})");
        table.AddRow("2 workers, 2 shards: wall s (docs/s)", $"{wall2:F1} ({result.two_workers_docs_per_s})");
        table.AddRow("[bold]speedup 2 vs 1 workers[/]", $"{result.speedup:F2}x (output identical: {same})");
        table.AddRow("CPU s (user+sys): 1 worker vs 2 workers together", $"{w1.CpuSeconds:F1} vs {result.two_workers_cpu_s:F1} ({result.cpu_ratio_two_over_one:F2}x)");
        table.AddRow($"peak RSS, {s.Docs} vs {docs.Count} docs (MiB)", $"{result.peak_rss_1x_mib} vs {result.peak_rss_10x_mib}");
        table.AddRow("  of which anonymous (heap, native)", $"{result.peak_anon_1x_mib} vs {result.peak_anon_10x_mib} ([bold]{result.anon_ratio_10x_over_1x:F2}x[/])");
        table.AddRow("  of which file-backed (index, model, code)", $"{result.peak_file_1x_mib} vs {result.peak_file_10x_mib}");
        table.AddRow("fresh run: process start -> first task (s)", $"{freshToWork:F2}");
        table.AddRow("resume: process start -> first new task (s)", $"{resumeToWork:F2} ([bold]{ScoreCommand.Signed(resumeToWork - freshToWork)}[/] vs fresh; whole resume {resume.Seconds:F1})");
        table.AddRow("re-run with every task done (s)", $"{noop.Seconds:F2}");
        AnsiConsole.Write(table);
        Stdout.MarkupLine($"[grey]{Environment.ProcessorCount} cores, load average {result.load_average} at the end (other processes share the cores); scratch and logs in {Markup.Escape(work)}[/]");
        return 0;
    }

    private static double Mib(long bytes) => Math.Round(bytes / 1048576.0, 1);
}
