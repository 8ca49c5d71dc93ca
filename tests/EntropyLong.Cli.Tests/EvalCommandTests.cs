using System.Text.Json.Nodes;
using EntropyLong.TestSupport;

namespace EntropyLong.Cli.Tests;

[Collection(CliRunner.Name)]
public class EvalCommandTests
{
    [Fact]
    public void RulerHelpSaysTasksAllLeavesOutWhatCannotFit()
    {
        // docs/eval.md said so ("Tasks that cannot fit"); --help did not.
        var help = new StringWriter();
        var app = Program.Create([]);
        app.Configure(config => config.Settings.Console = Spectre.Console.AnsiConsole.Create(new() { Out = new Spectre.Console.AnsiConsoleOutput(help) }));
        int code = app.Run(["eval", "ruler", "run", "--help"]);
        Assert.Equal(0, code);
        // The help wraps descriptions in a column: compared with the spaces between words made one.
        Assert.Contains("`all` leaves out, at every length and with a note, a task with no sample that fits the shortest of --lengths",
            System.Text.RegularExpressions.Regex.Replace(help.ToString(), @"\s+", " "));
    }

    [Fact]
    public void RulerRunsResumesAndScoresFromTheCommandLine()
    {
        string dir = CliRunner.TempDir();
        string[] run = ["eval", "ruler", "--model", TinyModels.Get().Path, "--lengths", "1024", "--samples", "2",
                        "--tasks", "niah_single_1,fwe", "--out", dir, "--threads", "2"];
        var (code, stdout, err) = CliRunner.Run(run);
        Assert.True(code == 0, err);
        Assert.Contains("| Model | 1024 | Avg |", stdout);
        Assert.Contains("essay haystack: devils-dictionary.txt (built in)", stdout);
        Assert.Contains("fwe: 2/2", err); // plain progress lines when stderr is not a terminal
        Assert.Contains("tokens counted by gguf", err);

        var (code2, json, _) = CliRunner.Run([.. run, "--json"]);
        Assert.Equal(0, code2);
        var scores = JsonNode.Parse(json)!;
        Assert.Equal(2, scores["lengths"]!["1024"]!["tasks"]!.AsObject().Count);
        var (code3, scored, _) = CliRunner.Run("eval", "ruler", "score", dir, "--json");
        Assert.Equal(0, code3);
        Assert.Equal(scores["lengths"]!["1024"]!["average"]!.GetValue<double>(), JsonNode.Parse(scored)!["lengths"]!["1024"]!["average"]!.GetValue<double>());
    }

    [Fact]
    public void RulerByLogLikelihoodRunsAtTheLengthsTheModelHoldsAndScores()
    {
        string model = TinyModels.Get(context: 1024).Path, dir = CliRunner.TempDir();
        string[] run = ["eval", "ruler", "--scoring", "loglik", "--model", model, "--samples", "2", "--tasks", "niah_single_1,fwe,qa_1", "--out", dir, "--threads", "2"];
        var (code, stdout, err) = CliRunner.Run(run);
        Assert.True(code == 0, err);
        Assert.Contains("skipping qa_1: log-likelihood scoring covers", err);
        Assert.Contains("chance 20.00", stdout);
        Assert.Matches(@"
niah_single_1 +\d+\.\d\d
", stdout); // 1024 only: 2048 and 4096 exceed the model's context
        Assert.Matches(@"
fwe +-\d+\.\d{3}
", stdout);
        Assert.True(File.Exists(Path.Combine(dir, "1024", "loglik", "fwe.jsonl")));
        Assert.False(Directory.Exists(Path.Combine(dir, "2048")));

        var (code2, json, _) = CliRunner.Run([.. run, "--json", "--distractors", "3"]);
        Assert.Equal(0, code2);
        Assert.Equal(25.0, JsonNode.Parse(json)!["chance"]!.GetValue<double>());
        var (code3, scored, _) = CliRunner.Run("eval", "ruler", "score", dir);
        Assert.Equal(0, code3);
        Assert.Contains("above all 3 distractors of its kind (chance 25.00)", scored);

        (code, _, err) = CliRunner.Run("eval", "ruler", "--scoring", "loglik", "--model", model, "--lengths", "2048", "--out", dir);
        Assert.Equal(3, code);
        Assert.Contains("length 2048 exceeds the model's context of 1024 tokens", err);
        (code, _, err) = CliRunner.Run("eval", "ruler", "--scoring", "loglik", "--model", TinyModels.Get().Path, "--out", dir);
        Assert.Equal(3, code);
        Assert.Contains("none of the lengths 1024,2048,4096 fits the model's context of 256 tokens", err);
        (code, _, err) = CliRunner.Run("eval", "ruler", "--scoring", "loglik", "--model", model, "--out", dir, "--distractors", "0");
        Assert.Equal(2, code);
        Assert.Contains("--distractors must be between 1 and 100", err);
        (code, _, err) = CliRunner.Run("eval", "ruler", "--scoring", "logprob", "--model", model, "--out", dir);
        Assert.Equal(2, code);
        Assert.Contains("--scoring must be generate or loglik", err);
        (code, _, err) = CliRunner.Run("eval", "ruler", "--scoring", "loglik", "--model", "http://127.0.0.1:9/v1", "--out", dir);
        Assert.Equal(2, code);
        Assert.Contains("runs a GGUF model in-process", err);
    }

    [Fact]
    public void BadArgumentsAreOneLineErrors()
    {
        var (code, _, err) = CliRunner.Run("eval", "ruler", "--model", TinyModels.Get().Path, "--out", CliRunner.TempDir(), "--tasks", "niah_single_9");
        Assert.Equal(2, code);
        Assert.Contains("unknown task \"niah_single_9\"", err);
        (code, _, err) = CliRunner.Run("eval", "ruler", "--model", TinyModels.Get().Path);
        Assert.Equal(2, code);
        Assert.Contains("--out", err);
        (code, _, err) = CliRunner.Run("eval", "ruler", "score", Path.Combine(CliRunner.TempDir(), "none"));
        Assert.Equal(3, code);
        Assert.Contains("folder not found", err);
        (code, _, err) = CliRunner.Run("eval", "longbench-v2", "--model", "http://127.0.0.1:9/v1", "--data", "/nonexistent.json");
        Assert.Equal(3, code);
        Assert.Contains("/nonexistent.json", err);
    }

    [Fact]
    public void LongBenchScoresAResultsFile()
    {
        string file = Path.Combine(CliRunner.TempDir(), "m.jsonl");
        File.WriteAllLines(file,
        [
            """{"_id": "1", "difficulty": "easy", "length": "short", "pred": "A", "judge": true}""",
            """{"_id": "2", "difficulty": "hard", "length": "medium", "pred": "B", "judge": false}""",
            """{"_id": "3", "difficulty": "hard", "length": "long", "pred": "C", "judge": true}""",
        ]);
        var (code, stdout, _) = CliRunner.Run("eval", "longbench-v2", "score", file);
        Assert.Equal(0, code);
        Assert.Contains("m\t66.7\t100.0\t50.0\t100.0\t0.0\t100.0", stdout);
    }

    [Fact]
    public void LongBenchScoreNamesAnEmptyResultsFile()
    {
        string file = Path.Combine(CliRunner.TempDir(), "empty.jsonl");
        File.WriteAllText(file, "\n");
        var (code, _, err) = CliRunner.Run("eval", "longbench-v2", "score", file);
        Assert.Equal(3, code);
        Assert.Equal($"error: {file}: no LongBench-v2 results to score", err.Trim());
    }

    [Fact]
    public void LongBenchRefusesAResultsFileItCannotAppendToBeforeLoadingTheModel()
    {
        string dir = CliRunner.TempDir(), data = Path.Combine(dir, "lb.jsonl"), model = Path.Combine(dir, "m.gguf"), results = Path.Combine(dir, "r.json");
        File.WriteAllText(data, """{"_id": "1", "domain": "d", "sub_domain": "s", "difficulty": "easy", "length": "short", "question": "q", "choice_A": "a", "choice_B": "b", "choice_C": "c", "choice_D": "d", "answer": "A", "context": "x"}""" + "\n");
        File.WriteAllText(model, "not a model"); // loading it would fail: a refusal must come first
        string[] run = ["eval", "longbench-v2", "--model", model, "--data", data, "--out", results];

        File.WriteAllText(results, "[]\n");
        var (code, _, err) = CliRunner.Run(run);
        Assert.Equal((3, $"error: {results}: holds a JSON array, and results are appended as JSON lines; give another --out " +
                         "(`eval longbench-v2 score` reads this file as it is)"), (code, err.Trim()));
        File.WriteAllText(results, "{\"_id\": \"1\"}\n");
        (code, _, err) = CliRunner.Run(run);
        Assert.Equal((3, $"error: {results}:1: field \"judge\" missing or not true/false"), (code, err.Trim()));
        Assert.Equal("{\"_id\": \"1\"}\n", File.ReadAllText(results));

        // A last line cut short by a crash is no refusal: the run drops it and goes on, here to the model.
        File.WriteAllText(results, "{\"_id\": ");
        (code, _, err) = CliRunner.Run(run);
        Assert.Equal(3, code);
        Assert.DoesNotContain(results, err);
        Assert.Contains(model, err);
    }

    [Fact]
    public void RulerScoreRefusesAPredictionLineThatIsNotUtf8()
    {
        string dir = CliRunner.TempDir(), predictions = Path.Combine(dir, "vt.jsonl");
        File.WriteAllBytes(predictions, [.. "{\"index\":0,\"input\":\"x"u8.ToArray(), 0xFF, .. "\",\"outputs\":[\"a\"],\"pred\":\"a\"}\n"u8.ToArray()]);
        var (code, stdout, err) = CliRunner.Run("eval", "ruler", "score", dir);
        Assert.Equal((3, $"error: {predictions}:1: not valid UTF-8", ""), (code, err.Trim(), stdout));
    }

    [Fact]
    public void RulerRefusesATaskThatCannotFitBeforeAnyModelWorkInEitherScoring()
    {
        // Generating stopped midway (exit 3, after niah_single_1 was answered); log-likelihood scoring skipped the task.
        string model = TinyModels.Get(context: 1024).Path;
        foreach (string scoring in new[] { "generate", "loglik" })
        {
            string dir = Path.Combine(CliRunner.TempDir(), "out");
            var (code, stdout, err) = CliRunner.Run("eval", "ruler", "--scoring", scoring, "--model", model, "--lengths", "1024",
                "--tasks", "niah_single_1,niah_single_2", "--samples", "1", "--out", dir, "--threads", "2");
            Assert.Equal(3, code);
            Assert.Matches(@"\nerror: niah_single_2: no sample fits in 1024 tokens even with the smallest haystack \((\d+) tokens with this tokenizer\); " +
                           @"nothing was run: leave it out of --tasks, or give --lengths of at least \1\n$", err.ReplaceLineEndings("\n"));
            Assert.Equal("", stdout);
            Assert.False(Directory.Exists(dir));
        }
    }

    [Fact]
    public void SkipUnfitTasksLeavesANamedTaskThatCannotFitOutInsteadOfRefusing()
    {
        // experiment ablation names its tasks and passes the flag: a scorer whose tokenizer cuts text fine gets the others.
        string model = TinyModels.Get(context: 1024).Path, dir = Path.Combine(CliRunner.TempDir(), "out");
        var (code, stdout, err) = CliRunner.Run("eval", "ruler", "--scoring", "loglik", "--model", model, "--lengths", "1024",
            "--tasks", "niah_single_1,niah_single_2", "--skip-unfit-tasks", "--samples", "1", "--out", dir, "--threads", "2", "--json");
        Assert.True(code == 0, err);
        Assert.Contains("leaving out niah_single_2 at every length: niah_single_2: no sample fits in 1024 tokens", err);
        var tasks = System.Text.Json.JsonDocument.Parse(stdout).RootElement.GetProperty("lengths").GetProperty("1024").GetProperty("tasks");
        Assert.Equal(["niah_single_1"], tasks.EnumerateObject().Select(t => t.Name));
    }
}
