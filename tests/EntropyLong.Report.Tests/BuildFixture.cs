using System.Text.Json;
using EntropyLong.Core;
using EntropyLong.Data;
using EntropyLong.Llm;
using EntropyLong.Pipeline;
using EntropyLong.TestSupport;

namespace EntropyLong.Report.Tests;

/// <summary>A small build made in-process (tiny random model, lexical retriever) with a hostile document in its
/// corpus, and its report. Shared by the tests of a class.</summary>
public sealed class BuildFixture : IDisposable
{
    // Each payload bumps window.__pwned when it runs.
    public const string Script = "<script>window.__pwned=(window.__pwned||0)+1</script>";
    public const string OnError = "<img src=x onerror=\"window.__pwned=(window.__pwned||0)+1\">";
    public const string Breakout = "</script><script>window.__pwned=(window.__pwned||0)+1</script>";
    public const string HostileId = "evil<img src=x onerror=window.__pwned=1>";
    public static readonly string HostileText =
        $"The library opened at nine {Script} and the fox {OnError} runs into the forest.\nRivers carry sediment {Breakout} to the sea.";

    public static readonly Document[] Corpus = TinyModels.Texts
        .Select((t, i) => new Document($"doc{i}", t + "\n" + TinyModels.Texts[(i + 3) % TinyModels.Texts.Length], $"test:{i + 1}"))
        .Append(new Document(HostileId, HostileText, "test:hostile"))
        .ToArray();

    public static readonly EntropyLongOptions Options = new() { Alpha = 0.5, Epsilon = 0.0, TopK = 4, SeqLen = 512, Window = 4, DropUnverified = false };

    public string Root { get; } = Path.Combine(Path.GetTempPath(), "entropylong-report-" + Guid.NewGuid().ToString("N"));
    public string BuildDir => Path.Combine(Root, "build");
    public string NoDetailsDir => Path.Combine(Root, "build-nodetails");
    public ReportResult Report { get; }

    public BuildFixture()
    {
        using var engine = LlamaEngine.Load(TinyModels.Get().Path, new LlamaSettings { Exact = true, Threads = 2, MaxSequences = 8 });
        Build(engine, BuildDir, details: true);
        Build(engine, NoDetailsDir, details: false);
        Report = ReportWriter.Write(BuildDir, Path.Combine(BuildDir, "report"), new ReportOptions());
    }

    private static void Build(LlamaEngine engine, string dir, bool details)
    {
        var stats = new BuildRunner(BuildSteps.EntropyLong(engine, new LexicalRetriever(Corpus), engine.Vocabulary, Options), Options.SeqLen,
            new BuildOutput(dir) { BlockSize = 4, Details = details }).Run(Corpus);
        // What BuildCommand writes, in the same shape.
        var config = new Dictionary<string, object?> { ["options"] = Options, ["model_info"] = engine.Info, ["corpus"] = new[] { "in-memory" }, ["details"] = details };
        BuildFolder.WriteJson(Path.Combine(dir, BuildFolder.Config), config);
        BuildRunner.WriteStats(dir, stats);
    }

    public void Dispose()
    {
        try { Directory.Delete(Root, recursive: true); }
        catch (IOException) { /* temp folder: best effort */ }
    }
}
