using System.Text.Json.Nodes;
using EntropyLong.TestSupport;

namespace EntropyLong.Cli.Tests;

[Collection(CliRunner.Name)]
public class EvalCommandTests
{
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
    public void BadArgumentsAreOneLineErrors()
    {
        var (code, _, err) = CliRunner.Run("eval", "ruler", "--model", TinyModels.Get().Path, "--out", CliRunner.TempDir(), "--tasks", "niah_single_9");
        Assert.Equal(3, code);
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
}
