using System.Diagnostics;
using System.Text.Json;
using EntropyLong.TestSupport;

namespace EntropyLong.Scale.Tests;

/// <summary>`experiment ablation --quick` end to end with a tiny random scorer (one that holds the 1,024 tokens of --quick):
/// every stage runs as a child process, a run killed mid-way goes on where it stopped, and a finished run is not redone.</summary>
[Collection("cli")]
public class ExperimentTests(CliFixture cli)
{
    private static readonly string[] Arms = ["entropylong", "retrieval", "random", "nextlong"];

    private string[] Ablation(string dir, string? corpus = null, int threads = 1)
    {
        // The fixture's loose settings, so the random scorer still verifies chunks and the entropylong arm is not empty.
        string config = Path.Combine(cli.Root, "loose.json");
        File.WriteAllText(config, """{"alpha": 0.5, "epsilon": 0, "top_k": 4, "window": 4, "max_anchors_per_document": 3}""");
        return ["experiment", "ablation", "--quick", "--out", dir, "--model", TinyModels.Get(context: 1024).Path, "--corpus", corpus ?? Corpus(), "--build-config", config, "--threads", $"{threads}"];
    }

    /// <summary>40 documents of the fixture's texts; "doc3" and "doc22" fall in the held-out split (SHA-256 bucket 0 of 20),
    /// which the experiment evaluates on.</summary>
    private string Corpus()
    {
        string path = Path.Combine(cli.Root, "ablation-corpus.jsonl");
        var texts = TinyModels.Texts;
        File.WriteAllLines(path, Enumerable.Range(0, 40).Select(i => JsonSerializer.Serialize(new
        {
            id = $"doc{i}", text = $"{texts[i % texts.Length]} {texts[(i * 3 + 1) % texts.Length]} Item {i}.",
        })));
        return path;
    }

    [Fact]
    public void ACorpusWithoutHeldOutDocumentsIsRefusedBeforeAnyStage()
    {
        string dir = Path.Combine(cli.Root, "no-held-out");
        var r = cli.Run(Ablation(dir, cli.CorpusFiles[0]));
        Assert.Equal(3, r.Code);
        Assert.Contains($"{cli.CorpusFiles[0]}: no held-out document", r.Stderr);
        Assert.False(Directory.Exists(Path.Combine(dir, "stages")));
    }

    [Fact]
    public void KilledMidwayItGoesOnAndAFinishedRunIsNotRedone()
    {
        string dir = Path.Combine(cli.Root, "ablation");
        string firstBuild = Path.Combine(dir, "stages", "build-entropylong.done");
        using (var p = Process.Start(cli.StartInfo(Ablation(dir)))!)
        {
            p.StandardOutput.ReadToEndAsync();
            p.StandardError.ReadToEndAsync();
            var clock = Stopwatch.StartNew();
            while (!File.Exists(firstBuild) && !p.HasExited && clock.Elapsed < TimeSpan.FromMinutes(3)) Thread.Sleep(50);
            Assert.True(File.Exists(firstBuild), $"the first build never finished (exit {(p.HasExited ? p.ExitCode : "none yet")})");
            p.Kill(entireProcessTree: true);
            p.WaitForExit();
        }
        Assert.False(File.Exists(Path.Combine(dir, "ablation.json")));

        var resumed = cli.Run(Ablation(dir)).Check();
        Assert.Contains("index: done earlier", resumed.Stderr);
        Assert.Contains("build-entropylong: done earlier", resumed.Stderr);

        using var json = JsonDocument.Parse(File.ReadAllBytes(Path.Combine(dir, "ablation.json")));
        var root = json.RootElement;
        Assert.Equal(["none", .. Arms], root.GetProperty("arms").EnumerateArray().Select(a => a.GetString()!));
        // It records what a merge with another run must agree on: the batch, learning rate, corpus and build settings.
        Assert.Equal(2, root.GetProperty("batch").GetInt32());
        Assert.Equal(5e-4, root.GetProperty("lr").GetDouble());
        Assert.Equal([Path.Combine(cli.Root, "ablation-corpus.jsonl")], root.GetProperty("corpus").EnumerateArray().Select(f => f.GetString()!));
        Assert.Equal(3, root.GetProperty("build_config").GetProperty("max_anchors_per_document").GetInt32());
        var cells = root.GetProperty("cells").EnumerateArray().ToList();
        foreach (string arm in Arms.Prepend("none"))
        {
            var mine = cells.Where(c => c.GetProperty("arm").GetString() == arm).ToList();
            Assert.Contains(mine, c => c.GetProperty("task").GetString() == "heldout_loss" && c.GetProperty("mean").GetDouble() > 0);
            var accuracies = mine.Where(c => c.GetProperty("task").GetString() != "heldout_loss").Select(c => c.GetProperty("mean").GetDouble()).ToList();
            Assert.NotEmpty(accuracies);
            Assert.All(accuracies, a => Assert.InRange(a, 0, 100));
        }
        foreach (string arm in Arms)
        {
            Assert.True(File.Exists(Path.Combine(dir, "models", $"{arm}-s1.gguf")), $"{arm}: no trained model");
            Assert.True(File.Exists(Path.Combine(dir, "builds", arm, "stats.json")), $"{arm}: no build");
        }
        // Every baseline is matched to the entropylong build: retrieval and nextlong in chunks per document, random in tokens.
        foreach (string arm in Arms.Skip(1))
        {
            using var config = JsonDocument.Parse(File.ReadAllBytes(Path.Combine(dir, "builds", arm, "config.json")));
            Assert.Equal(Path.Combine(dir, "builds", "entropylong"), config.RootElement.GetProperty("match").GetString());
        }
        Assert.Contains("| none |", File.ReadAllText(Path.Combine(dir, "ablation.md")));
        // The folder keeps the build settings every arm shared.
        Assert.Equal(File.ReadAllText(Path.Combine(cli.Root, "loose.json")), File.ReadAllText(Path.Combine(dir, "build-config.json")));
        Assert.True(new FileInfo(Path.Combine(dir, "ablation.png")).Length > 0);

        // Run again, with other threads (which change no result): every stage is found done and the table is rewritten
        // with the same numbers.
        byte[] before = File.ReadAllBytes(Path.Combine(dir, "ablation.json"));
        var again = cli.Run(Ablation(dir, threads: 2)).Check();
        Assert.DoesNotContain("train-entropylong-s1: train", again.Stderr);
        Assert.Contains("train-entropylong-s1: done earlier", again.Stderr);
        Assert.Equal(before, File.ReadAllBytes(Path.Combine(dir, "ablation.json")));

        // A training cut after its last checkpoint and before its marker resumes into the file the whole run wrote
        // (the same format too: --f16 reaches the resumed stage).
        string model = Path.Combine(dir, "models", "retrieval-s1.gguf");
        byte[] trained = File.ReadAllBytes(model);
        File.Delete(model);
        File.Delete(Path.Combine(dir, "stages", "train-retrieval-s1.done"));
        var resumedTraining = cli.Run(Ablation(dir)).Check();
        Assert.Contains("train-retrieval-s1: train", resumedTraining.Stderr);
        Assert.Contains("--resume", resumedTraining.Stderr);
        Assert.Equal(trained, File.ReadAllBytes(model));
    }
}
