using System.Text;
using System.Text.Json.Nodes;
using EntropyLong.Core;
using EntropyLong.Eval.LongBench;

namespace EntropyLong.Eval.Tests;

public class LongBenchTests
{
    private static readonly List<LongBenchItem> Data = LongBenchV2.Load(Fixtures.Path("longbench-v2-mini.json"));

    [Fact]
    public void LoadsThePublishedLayout()
    {
        Assert.Equal(8, Data.Count);
        Assert.Equal("66f36490821e116aacb20001", Data[0].Id);
        Assert.Equal(("easy", "short", "A"), (Data[0].Difficulty, Data[0].Length, Data[0].Answer));
        // JSON lines work too
        using var dir = new TempDir();
        var arr = JsonNode.Parse(File.ReadAllText(Fixtures.Path("longbench-v2-mini.json")))!.AsArray();
        File.WriteAllLines(dir.File("lb.jsonl"), arr.Select(n => n!.ToJsonString()));
        Assert.Equal(Data, LongBenchV2.Load(dir.File("lb.jsonl")));
    }

    [Fact]
    public void BadRecordsNameTheirPlace()
    {
        using var dir = new TempDir();
        File.WriteAllText(dir.File("bad.jsonl"), Data.Count > 0 ? "{\"_id\": \"x\"}\n" : "");
        var ex = Assert.Throws<UserInputException>(() => LongBenchV2.Load(dir.File("bad.jsonl")));
        Assert.Contains("bad.jsonl:1", ex.Message);
        Assert.Contains("domain", ex.Message);
        var arr = JsonNode.Parse(File.ReadAllText(Fixtures.Path("longbench-v2-mini.json")))!.AsArray();
        arr[1]!["answer"] = "E";
        File.WriteAllText(dir.File("bad.json"), arr.ToJsonString());
        Assert.Contains("record 2", Assert.Throws<UserInputException>(() => LongBenchV2.Load(dir.File("bad.json"))).Message);
    }

    [Fact]
    public void ZeroShotPromptIsTheReferenceTextWithStrippedFields()
    {
        var item = Data[0] with { Context = "\n  The text.  \n" };
        Assert.Equal(
            "Please read the following text and answer the question below.\n\n<text>\nThe text.\n</text>\n\n" +
            "What is the correct answer to this question: Which statement about item 1 is right?\nChoices:\n" +
            "(A) Item 1 is red\n(B) Item 1 is blue\n(C) Item 1 is green\n(D) Item 1 is white\n\n" +
            "Format your response as follows: \"The correct answer is (insert answer here)\".",
            LongBenchPrompts.Fill(LongBenchPrompts.ZeroShot, item));
        Assert.EndsWith("(D) Item 1 is white\n\nLet\u2019s think step by step:", LongBenchPrompts.Fill(LongBenchPrompts.ZeroShotCot, item));
        string ans = LongBenchPrompts.Fill(LongBenchPrompts.ZeroShotCotAnswer, item, "Because red.");
        Assert.Contains("The text is too long and omitted here.", ans);
        Assert.Contains("Let\u2019s think step by step: Because red.\n\nBased on the above, what is the single, most likely answer choice?", ans);
    }

    [Theory]
    [InlineData("0123456789", 7, "0126789")]   // ids[:3] + ids[-4:] (Python: -7//2 = -4)
    [InlineData("0123456789", 6, "012789")]
    [InlineData("0123456789", 10, "0123456789")]
    public void OverLongPromptsKeepTheHeadAndTheTail(string prompt, int budget, string expected) =>
        Assert.Equal(expected, LongBenchV2.Truncate(prompt, new CharTokenizer(), budget));

    [Theory]
    [InlineData("The correct answer is (B)", "B")]
    [InlineData("**The correct answer is (C)**", "C")]
    [InlineData("The correct answer is D.", "D")]
    [InlineData("Reasoning... The correct answer is (A). The correct answer is (B)", "A")]
    [InlineData("The correct answer is A. No: The correct answer is (C)", "C")] // the parenthesized form wins
    [InlineData("the correct answer is (A)", null)]
    [InlineData("The correct answer is (E)", null)]
    [InlineData("", null)]
    public void AnswerExtractionFollowsTheReference(string response, string? expected) =>
        Assert.Equal(expected, LongBenchV2.ExtractAnswer(response));

    [Fact]
    public void TableGroupsAsResultPy()
    {
        // judged right: 1 (easy short), 4 (hard short), 6 (easy long), 8 (hard long)
        var results = Data.Select((d, i) => new LongBenchResult(d.Id, d.Difficulty, d.Length, "A", d.Answer == "A")).ToList();
        var t = LongBenchTable.From(results);
        Assert.Equal((50.0, 66.7, 40.0), (t.Overall, t.Easy!.Value, t.Hard!.Value));
        Assert.Equal((66.7, 0.0, 66.7), (t.Short!.Value, t.Medium!.Value, t.Long!.Value));
        Assert.Equal("Model\tOverall\tEasy\tHard\tShort\tMedium\tLong\nm\t50.0\t66.7\t40.0\t66.7\t0.0\t66.7\n(8 questions)\n", t.ToText("m"));
        var onlyEasy = LongBenchTable.From(results.Where(r => r.Difficulty == "easy").ToList());
        Assert.Null(onlyEasy.Hard);
    }

    [Fact]
    public async Task RunnerAnswersScoresAndResumes()
    {
        using var dir = new TempDir();
        var model = new FakeModel(_ => "  **The correct answer is (A)**\n", new CharTokenizer());
        var options = new LongBenchOptions { OutFile = dir.File("results/m.jsonl"), MaxPromptTokens = 400 };
        var table = await new LongBenchRunner(model).RunAsync(Data, options, default);
        Assert.Equal(8, model.Calls);
        Assert.Equal((50.0, 66.7, 40.0, 66.7, 0.0, 66.7), (table.Overall, table.Easy, table.Hard, table.Short, table.Medium, table.Long));
        Assert.All(model.Requests, r => Assert.True(r.Prompt.Length <= 400));
        Assert.All(model.Requests, r => Assert.Equal((128, 0.1), (r.MaxNewTokens, r.Temperature)));
        Assert.All(model.Requests, r => Assert.EndsWith("Format your response as follows: \"The correct answer is (insert answer here)\".", r.Prompt));

        var line = JsonNode.Parse(File.ReadLines(options.OutFile).First())!;
        Assert.Equal("The correct answer is (A)", line["response"]!.GetValue<string>().Replace("*", ""));
        Assert.Equal("A", line["pred"]!.GetValue<string>());
        Assert.True(line["judge"]!.GetValue<bool>());
        Assert.True(line["context"]!.GetValue<string>().Length <= 1000);

        var again = new FakeModel(_ => "x", new CharTokenizer());
        var same = await new LongBenchRunner(again).RunAsync(Data, options, default);
        Assert.Equal(0, again.Calls);
        Assert.Equal(table, same);
        Assert.Equal(table, LongBenchTable.From(LongBenchRunner.ReadResults(options.OutFile)));
    }

    [Fact]
    public async Task ChainOfThoughtAsksTwice()
    {
        using var dir = new TempDir();
        var model = new FakeModel(r => r.Prompt.Contains("Based on the above") ? "The correct answer is (B)" : " I reason that blue. ", new CharTokenizer());
        var table = await new LongBenchRunner(model).RunAsync(Data, new LongBenchOptions { OutFile = dir.File("cot.jsonl"), ChainOfThought = true, Limit = 2 }, default);
        Assert.Equal(4, model.Calls);
        Assert.Equal(2, table.Count);
        Assert.Equal(50.0, table.Overall); // item 2's answer is B
        var first = model.Requests.Where(r => r.MaxNewTokens == 1024).ToList();
        Assert.Equal(2, first.Count);
        Assert.All(model.Requests.Where(r => r.MaxNewTokens == 128), r => Assert.Contains("Let\u2019s think step by step: I reason that blue.\n\nBased on the above", r.Prompt));
        var line = JsonNode.Parse(File.ReadLines(dir.File("cot.jsonl")).First())!;
        Assert.Equal("I reason that blue.", line["response_cot"]!.GetValue<string>());
    }

    [Fact]
    public void ReadsTheReferencesResultFiles()
    {
        using var dir = new TempDir();
        File.WriteAllText(dir.File("GLM.jsonl"),
            """
            {"_id": "1", "difficulty": "easy", "length": "short", "pred": "A", "judge": true, "response": "The correct answer is (A)"}
            {"_id": "2", "difficulty": "hard", "length": "long", "pred": null, "judge": false, "response": "?"}
            """);
        var t = LongBenchTable.From(LongBenchRunner.ReadResults(dir.File("GLM.jsonl")));
        Assert.Equal((50.0, 100.0, 0.0, 100.0, null, 0.0), (t.Overall, t.Easy, t.Hard, t.Short, t.Medium, t.Long));
    }

    [Fact]
    public async Task RefusesToAppendToAJsonArrayOfResults()
    {
        using var dir = new TempDir();
        string file = dir.File("r.json");
        string array = "\n [{\"_id\": \"x\", \"difficulty\": \"easy\", \"length\": \"short\", \"judge\": true}]";
        File.WriteAllText(file, array);
        var model = new FakeModel(_ => "The correct answer is (A)", new CharTokenizer());
        var ex = await Assert.ThrowsAsync<UserInputException>(() => new LongBenchRunner(model).RunAsync(Data, new LongBenchOptions { OutFile = file }, default));
        Assert.Contains("JSON array", ex.Message);
        Assert.Equal(array, File.ReadAllText(file));
        Assert.Equal(0, model.Calls);
    }

    [Fact]
    public void AResultThatIsNoObjectIsNamedByFileAndPlace()
    {
        using var dir = new TempDir();
        File.WriteAllText(dir.File("r.jsonl"), "{\"_id\": \"1\", \"difficulty\": \"easy\", \"length\": \"short\", \"judge\": true}\n[1]\n");
        Assert.Equal("r.jsonl:2: not a JSON object", Path.GetFileName(Assert.Throws<UserInputException>(() => LongBenchRunner.ReadResults(dir.File("r.jsonl"))).Message));
        File.WriteAllText(dir.File("r.json"), "[\"x\"]");
        Assert.Equal("r.json: record 1: not a JSON object", Path.GetFileName(Assert.Throws<UserInputException>(() => LongBenchRunner.ReadResults(dir.File("r.json"))).Message));
    }

    [Fact]
    public void DataOrResultsHoldingBytesThatAreNotUtf8AreRefusedAtTheirLine()
    {
        using var dir = new TempDir();
        string data = dir.File("lb.jsonl"), array = dir.File("lb.json"), results = dir.File("r.jsonl");
        string line = JsonNode.Parse(File.ReadAllText(Fixtures.Path("longbench-v2-mini.json")))!.AsArray()[0]!.ToJsonString();
        static byte[] Cut(string text) => [.. Encoding.UTF8.GetBytes(text[..^2]), 0xFF, .. Encoding.UTF8.GetBytes(text[^2..])];
        File.WriteAllBytes(data, [.. Encoding.UTF8.GetBytes(line + "\n"), .. Cut(line), (byte)'\n']);
        Assert.Equal($"{data}:2: not valid UTF-8", Assert.Throws<UserInputException>(() => LongBenchV2.Load(data)).Message);
        File.WriteAllBytes(array, [.. "[\n"u8.ToArray(), .. Cut(line), .. "\n]\n"u8.ToArray()]);
        Assert.Equal($"{array}:2: not valid UTF-8", Assert.Throws<UserInputException>(() => LongBenchV2.Load(array)).Message);

        const string result = "{\"_id\": \"1\", \"difficulty\": \"easy\", \"length\": \"short\", \"judge\": true, \"pred\": \"A\"}";
        File.WriteAllBytes(results, [.. Cut(result), (byte)'\n']);
        Assert.Equal($"{results}:1: not valid UTF-8", Assert.Throws<UserInputException>(() => LongBenchRunner.ReadResults(results)).Message);
        Assert.Equal($"{results}:1: not valid UTF-8", Assert.Throws<UserInputException>(() => LongBenchRunner.CheckOutFile(results)).Message);
        // A last line cut short by a crash, inside a character, is dropped by a run, not refused.
        File.WriteAllBytes(results, [.. Encoding.UTF8.GetBytes(result + "\n{\"_id\": \"2\", \"question\": \"é")[..^1]]);
        LongBenchRunner.CheckOutFile(results);
    }
}
