using System.Text;
using System.Text.RegularExpressions;
using System.Text.Json.Nodes;
using EntropyLong.Core;
using EntropyLong.Eval.Models;
using EntropyLong.Eval.Ruler;

namespace EntropyLong.Eval.Tests;

public class RulerRunnerTests
{
    private static readonly RulerInputs Inputs = new(EssayHaystack.Default());

    private static RulerRunOptions Options(string dir, params string[] tasks) => new()
    {
        Lengths = [1024, 2048],
        Tasks = tasks.Select(t => RulerTasks.Find(t)!).ToList(),
        Samples = 3,
        OutDir = dir,
    };

    /// <summary>Answers with the references of whatever sample it is asked about: a perfect model.</summary>
    private static FakeModel Oracle(Dictionary<string, IReadOnlyList<string>> answers) =>
        new(r => answers.TryGetValue(r.Prompt, out var a) ? "  " + string.Join(", ", a).ToUpperInvariant() + "\x01 junk" : "");

    [Fact]
    public async Task RunsScoresAndResumesWithoutRepeatingPredictions()
    {
        using var dir = new TempDir();
        var notices = new List<string>();
        var echo = new FakeModel(r => r.Prompt); // the prompt holds every answer: all tasks score 100
        var report = await new RulerRunner(echo, Inputs, notices.Add).RunAsync(Options(dir.Path, "niah_single_1", "vt", "qa_1"), default);

        Assert.Equal(2 * 2 * 3, echo.Calls); // qa_1 skipped: no SQuAD file
        Assert.Contains(notices, n => n.Contains("skipping qa_1") && n.Contains("--squad"));
        Assert.Equal(["1024", "2048"], report.Lengths.Select(l => l.Label));
        Assert.All(report.Lengths, l => Assert.Equal([100.0, 100.0], l.Tasks.Select(t => t.Score)));
        Assert.Equal(100.0, report.Average);
        Assert.All(echo.Requests.Where(r => r.Prompt.StartsWith("Memorize")), r => Assert.Equal(30, r.MaxNewTokens));
        Assert.All(echo.Requests.Where(r => r.Prompt.StartsWith("A special")), r => Assert.Equal(128, r.MaxNewTokens));
        Assert.All(echo.Requests, r => Assert.Equal(0, r.Temperature));

        // reference layout
        string pred = RulerRunner.PredPath(dir.Path, 1024, "vt");
        var line = JsonNode.Parse(File.ReadLines(pred).First())!.AsObject();
        Assert.Equal(["index", "input", "outputs", "length", "answer_prefix", "pred", "others", "truncation"], line.Select(kv => kv.Key));
        Assert.Equal(line["input"]!.GetValue<string>() + line["answer_prefix"]!.GetValue<string>(), line["pred"]!.GetValue<string>());
        Assert.True(File.Exists(RulerRunner.DataPath(dir.Path, 2048, "niah_single_1")));
        Assert.Equal("0,1,2\nTasks,niah_single_1,vt\nScore,100,100\nNulls,0/3,0/3\n", File.ReadAllText(Path.Combine(dir.Path, "1024", "pred", "summary.csv")));
        Assert.True(File.Exists(Path.Combine(dir.Path, "scores.json")));

        // a re-run predicts nothing again
        var again = new FakeModel(r => r.Prompt);
        await new RulerRunner(again, Inputs, notices.Add).RunAsync(Options(dir.Path, "niah_single_1", "vt"), default);
        Assert.Equal(0, again.Calls);

        // a crash mid-write: one line lost and the last one torn; only those two are predicted again
        var lines = File.ReadAllLines(pred);
        File.WriteAllText(pred, lines[0] + "\n" + lines[1][..20]);
        var third = new FakeModel(r => r.Prompt);
        await new RulerRunner(third, Inputs, notices.Add).RunAsync(Options(dir.Path, "vt"), default);
        Assert.Equal(2, third.Calls);
        Assert.Equal(3, RulerFiles.ReadPredictions(pred).Count);
    }

    [Fact]
    public async Task AnotherModelInTheSameFolderIsRefused()
    {
        using var dir = new TempDir();
        await new RulerRunner(new FakeModel(_ => "x"), Inputs, _ => { }).RunAsync(Options(dir.Path, "fwe"), default);
        var other = new FakeModel(_ => "x", new CharTokenizer());
        var ex = await Assert.ThrowsAsync<UserInputException>(() => new RulerRunner(other, Inputs, _ => { }).RunAsync(Options(dir.Path, "fwe"), default));
        Assert.Contains("tokenizer", ex.Message);
        Assert.Contains("run.json", ex.Message);
    }

    [Fact]
    public async Task ScoreCommandReadsThisToolsFolderAndTheReferenceLayout()
    {
        using var dir = new TempDir();
        var answers = new Dictionary<string, IReadOnlyList<string>>();
        foreach (var t in new[] { "niah_multivalue", "cwe" })
            foreach (var s in RulerGenerator.Generate(RulerTasks.Find(t)!, 1024, 3, 42, new WordTokenizer(), Inputs)) answers[s.Prompt] = s.Outputs;
        var run = await new RulerRunner(Oracle(answers), Inputs, _ => { }).RunAsync(Options(dir.Path, "niah_multivalue", "cwe") with { Lengths = [1024] }, default);
        Assert.Equal([100.0, 100.0], run.Lengths[0].Tasks.Select(t => t.Score));

        var scored = RulerDirectoryScorer.Score(dir.Path);
        var untimed = run with { Lengths = run.Lengths.Select(l => l with { SecondsPerSample = null }).ToList() };
        Assert.Equal(untimed.ToJson().ToJsonString(), scored.ToJson().ToJsonString());
        Assert.Contains("devils-dictionary.txt", scored.Haystack);

        // the reference's own files: input with the prefix, no answer_prefix, ids under "others"
        var refDir = Path.Combine(dir.Path, "ref", "mymodel", "synthetic", "4096", "pred");
        Directory.CreateDirectory(refDir);
        File.WriteAllText(Path.Combine(refDir, "niah_single_1.jsonl"),
            """
            {"index": 0, "pred": " 1234567.", "input": "... are", "outputs": ["1234567"], "others": {}, "truncation": -1, "length": 4000}
            {"index": 1, "pred": "", "input": "... are", "outputs": ["7654321"], "others": {"id": 1}, "truncation": -1, "length": 4000}
            """);
        File.WriteAllText(Path.Combine(refDir, "qa_2.jsonl"),
            """
            {"index": 0, "pred": "The Danube", "input": "q", "outputs": ["the Danube", "Danube"], "others": {}, "truncation": -1, "length": 4000}
            {"index": 1, "pred": "the rhine", "input": "q", "outputs": ["Switzerland"], "others": {}, "truncation": -1, "length": 4000}
            {"index": 2, "pred": "", "input": "q", "outputs": ["x"], "others": {}, "truncation": -1, "length": 4000}
            """);
        var r = RulerDirectoryScorer.Score(Path.Combine(dir.Path, "ref"));
        var l = Assert.Single(r.Lengths);
        Assert.Equal(4096, l.Length);
        Assert.Equal([("niah_single_1", 50.0, 1), ("qa_2", 33.33, 1)], l.Tasks.Select(t => (t.Task, t.Score, t.Nulls)));
        Assert.Equal(41.66, l.Average); // (50 + 33.33) / 2 = 41.665, stored as 41.66499.., and Python rounds it down
        var text = r.ToText();
        Assert.Contains("| Model | 4096 | Avg |\n|---|---|---|\n| unknown | 41.66 | 41.66 |", text);
        Assert.Contains("averages 2 of the 13 tasks", text);
    }

    [Fact]
    public void ScoreRefusesTwoFoldersOfOneLength()
    {
        // benchmark_root/MODEL/synthetic/LENGTH/pred of two models: their 4096 rows are not one model's lengths
        using var dir = new TempDir();
        foreach (var (model, pred) in new[] { ("a", "1"), ("b", "2") })
        {
            string pd = Path.Combine(dir.Path, model, "synthetic", "4096", "pred");
            Directory.CreateDirectory(pd);
            File.WriteAllText(Path.Combine(pd, "vt.jsonl"), $"{{\"index\": 0, \"input\": \"x\", \"outputs\": [\"1\"], \"pred\": \"{pred}\"}}\n");
        }
        var ex = Assert.Throws<UserInputException>(() => RulerDirectoryScorer.Score(dir.Path));
        Assert.Contains("both hold length 4096", ex.Message);
        Assert.Contains(Path.Combine("a", "synthetic", "4096", "pred"), ex.Message);
        Assert.Equal(100.0, RulerDirectoryScorer.Score(Path.Combine(dir.Path, "a")).Average);

        // log-likelihood files likewise
        string line = """{"index": 0, "answers": [{"answer": "1", "gold": {"text": " 1", "logprob": -1, "tokens": 1}, "distractors": [{"text": " 2", "logprob": -2, "tokens": 1}]}]}""";
        foreach (var run in new[] { "r1", "r2" })
        {
            string f = RulerLoglikFiles.Path(Path.Combine(dir.Path, "ll", run), 1024, "vt");
            Directory.CreateDirectory(Path.GetDirectoryName(f)!);
            File.WriteAllText(f, line + "\n");
        }
        Assert.Contains("both hold length 1024", Assert.Throws<UserInputException>(() => RulerDirectoryScorer.ScoreAny(Path.Combine(dir.Path, "ll"))).Message);
    }

    [Fact]
    public void BadPredictionLinesAreNamedByFileAndLine()
    {
        using var dir = new TempDir();
        string f = dir.File("vt.jsonl");
        File.WriteAllText(f, "{\"index\": 0, \"input\": \"x\", \"outputs\": [\"a\"], \"pred\": \"a\"}\n{\"index\": 1, \"input\": \"x\", \"outputs\": [\"a\"]}\n");
        var ex = Assert.Throws<UserInputException>(() => RulerFiles.ReadPredictions(f));
        Assert.Contains("vt.jsonl:2", ex.Message);
        Assert.Contains("pred", ex.Message);
        File.WriteAllText(f, "{\"index\": 0, \"input\": \"x\", \"outputs\": [\"a\"], \"pred\": \"a\"}\nnot json\n");
        Assert.Contains("vt.jsonl:2", Assert.Throws<UserInputException>(() => RulerFiles.ReadPredictions(f)).Message);
    }

    [Fact]
    public async Task ATaskWithNoSampleAtTheShortestLengthIsRefusedBeforeAnythingIsAskedOrWritten()
    {
        // It stopped the run where the task came, after the model had answered the tasks before it.
        using var dir = new TempDir();
        string outDir = Path.Combine(dir.Path, "run");
        var model = new FakeModel(r => r.Prompt);
        var options = Options(outDir, "niah_single_1", "niah_single_2", "niah_single_3") with { Lengths = [2048, 512] };
        var e = await Assert.ThrowsAsync<UserInputException>(() => new RulerRunner(model, Inputs, _ => { }).RunAsync(options, default));
        var m = Regex.Match(e.Message, @"^niah_single_2: no sample fits in 512 tokens even with the smallest haystack \((\d+) tokens with this tokenizer\); " +
                                       @"niah_single_3: no sample fits in 512 tokens even with the smallest haystack \((\d+) tokens with this tokenizer\); " +
                                       @"nothing was run: leave them out of --tasks, or give --lengths of at least (\d+)$");
        Assert.True(m.Success, e.Message);
        Assert.Equal(Math.Max(int.Parse(m.Groups[1].Value), int.Parse(m.Groups[2].Value)), int.Parse(m.Groups[3].Value));
        Assert.Equal(0, model.Calls);
        Assert.False(Directory.Exists(outDir));

        // At the length it names, the tasks run.
        var report = await new RulerRunner(model, Inputs, _ => { }).RunAsync(options with { Lengths = [int.Parse(m.Groups[3].Value)], Samples = 1 }, default);
        Assert.Equal(3, report.Lengths[0].Tasks.Count);

        // `--tasks all` asks for the tasks that can run: those that cannot are left out at every length, with a notice.
        var notices = new List<string>();
        report = await new RulerRunner(model, Inputs, notices.Add).RunAsync(options with { Samples = 1, LeaveOutTasksThatDoNotFit = true }, default);
        Assert.All(report.Lengths, l => Assert.Equal(["niah_single_1"], l.Tasks.Select(t => t.Task)));
        Assert.Contains(notices, n => n.StartsWith("leaving out niah_single_2 at every length: niah_single_2: no sample fits in 512 tokens") &&
                                      n.EndsWith($"the averages cover fewer tasks (it needs --lengths of at least {m.Groups[1].Value})"));
        Assert.Equal(2, notices.Count(n => n.StartsWith("leaving out")));
    }

    [Fact]
    public void ALineHoldingBytesThatAreNotUtf8IsRefusedNotScored()
    {
        // Read leniently, the byte became U+FFFD and the line was scored.
        using var dir = new TempDir();
        string f = dir.File("vt.jsonl");
        byte[] good = "{\"index\": 0, \"input\": \"x\", \"outputs\": [\"a\"], \"pred\": \"a\"}\r\n"u8.ToArray();
        File.WriteAllBytes(f, [.. Encoding.UTF8.Preamble, .. good, .. "{\"index\": 1, \"input\": \"x"u8.ToArray(), 0xFF, .. "\", \"outputs\": [\"a\"], \"pred\": \"a\"}\n"u8.ToArray()]);
        Assert.Equal($"{f}:2: not valid UTF-8", Assert.Throws<UserInputException>(() => RulerFiles.ReadPredictions(f)).Message);
        Assert.Equal($"{f}:2: not valid UTF-8", Assert.Throws<UserInputException>(() => RulerFiles.ReadSamples(f)).Message);
        string loglik = dir.File("loglik.jsonl");
        File.WriteAllBytes(loglik, [.. "{\"index\": 0, \"answers\": [{\"answer\": \""u8.ToArray(), 0xFF, .. "\"}]}\n"u8.ToArray()]);
        Assert.Equal($"{loglik}:1: not valid UTF-8", Assert.Throws<UserInputException>(() => RulerLoglikFiles.Read(loglik)).Message);
        // A byte-order mark and \r\n line ends are read as the lenient reader read them; a last line needs no \n.
        File.WriteAllBytes(f, [.. Encoding.UTF8.Preamble, .. good, .. good[..^2]]);
        Assert.Equal([0, 0], RulerFiles.ReadPredictions(f).Select(p => p.Sample.Index));
        Assert.Equal("x", RulerFiles.ReadPredictions(f)[1].Sample.Input);
    }

    [Fact]
    public async Task HttpBackendRespectsTheConcurrencyBound()
    {
        int inFlight = 0, peak = 0;
        using var server = new FakeOpenAiServer(async (path, body) =>
        {
            if (!path.EndsWith("/completions")) return null;
            int now = Interlocked.Increment(ref inFlight);
            InterlockedMax(ref peak, now);
            await Task.Delay(30);
            Interlocked.Decrement(ref inFlight);
            return new JsonObject { ["choices"] = new JsonArray(new JsonObject { ["text"] = "ok" }) };
        });
        using var model = await OpenAiCompatibleModel.ConnectAsync(new HttpModelOptions { BaseUrl = server.BaseUrl, Concurrency = 3 }, new WordTokenizer(), default);
        using var dir = new TempDir();
        await new RulerRunner(model, Inputs, _ => { }).RunAsync(Options(dir.Path, "niah_single_1") with { Samples = 12, Lengths = [1024] }, default);
        Assert.Equal(12, RulerFiles.ReadPredictions(RulerRunner.PredPath(dir.Path, 1024, "niah_single_1")).Count);
        Assert.InRange(peak, 2, 3);
    }

    private static void InterlockedMax(ref int target, int value)
    {
        int seen;
        while ((seen = Volatile.Read(ref target)) < value && Interlocked.CompareExchange(ref target, value, seen) != seen) { }
    }
}
