using System.Text;
using EntropyLong.Core;
using Parquet.Schema;

namespace EntropyLong.Data.Tests;

/// <summary>Evaluation data for `build --decontaminate`, in the layouts `eval` reads and writes.</summary>
public class EvaluationTextTests
{
    // Thirteen words apiece, and no 13 words in common.
    private const string Haystack = "one two three four five six seven eight nine ten eleven twelve thirteen";
    private const string Question = "alpha beta gamma delta epsilon zeta eta theta iota kappa lambda mu nu";
    private const string Context = "red orange yellow green blue indigo violet black white grey pink brown gold";
    private const string Essay = "north south east west up down left right in out over under through";

    [Fact]
    public void RulerAndLongBenchFilesAndPlainTextGiveTheirTexts()
    {
        using var dir = new TempDir();
        // RULER's layout: OUT/LENGTH/data/TASK/validation.jsonl (input), pred/TASK.jsonl, and JSON files without text.
        dir.Write("ruler/4096/data/niah_single_1/validation.jsonl", $$"""{"index": 0, "input": "{{Haystack}}", "outputs": ["7"], "length": 4096}""" + "\n");
        dir.Write("ruler/4096/pred/niah_single_1.jsonl", $$"""{"index": 0, "input": "{{Haystack}}", "outputs": ["7"], "pred": "7"}""" + "\n");
        dir.Write("ruler/4096/loglik/niah_single_1.jsonl", """{"index": 0, "answers": [{"answer": "7", "gold": true}]}""" + "\n");
        dir.Write("ruler/run.json", """{"model": "m.gguf"}""");
        // LongBench-v2 as published: a JSON array of records with "context".
        string longBench = dir.Write("longbench_v2.json", $$"""[{"_id": "a", "question": "q", "context": "{{Context}}"}, {"_id": "b", "context": "x"}]""");
        string essay = dir.WriteBytes("essays.txt.gz", TempDir.Gzip(Essay.ToUpperInvariant()));
        string questions = dir.WriteBytes("q.jsonl.zst", TempDir.Zstd($$"""{"text": "{{Question}}"}""" + "\n"));

        var data = EvaluationText.Read([dir["ruler"], longBench, essay, questions]);

        Assert.Equal([dir["ruler/4096/data/niah_single_1/validation.jsonl"], dir["ruler/4096/pred/niah_single_1.jsonl"], longBench, essay, questions], data.Files);
        Assert.Equal(6, data.Texts);
        Assert.Equal(4, data.NGrams.Count); // each of the four texts once, the RULER input twice
        foreach (var text in new[] { Haystack, Question, Context, Essay }) Assert.True(data.NGrams.SharesAny("See: " + text + "."), text);
        Assert.False(data.NGrams.SharesAny(Haystack.Replace("seven", "7")));
    }

    [Fact]
    public void TruncatedGzipIsRefusedNamingTheFile()
    {
        // A whole text has no line to name: the error says how much data was read.
        using var dir = new TempDir();
        string essay = dir.WriteBytes("essays.txt.gz", TempDir.GzipCut(Essay + "\n", Essay));
        var e = Assert.Throws<UserInputException>(() => EvaluationText.Read([essay]));
        Assert.Equal($"{essay}: the gzip stream is truncated (it ends after {Essay.Length + 1} bytes of data); re-download or re-compress the file", e.Message);
        string records = dir.WriteBytes("q.jsonl.gz", TempDir.GzipCut($$"""{"text": "{{Question}}"}""" + "\n", $$"""{"text": "{{Context}}"}""" + "\n"));
        e = Assert.Throws<UserInputException>(() => EvaluationText.Read([records]));
        Assert.Equal($"{records}: the gzip stream is truncated (it ends after line 1); re-download or re-compress the file", e.Message);
    }

    [Fact]
    public void ParquetGivesTheValuesOfItsStringColumnsAsJsonRecordsGiveTheirFields()
    {
        using var dir = new TempDir();
        // LongBench-v2's columns, two row groups; "input" is not a string column here, and a null context gives nothing.
        var schema = new ParquetSchema(new DataField<string>("_id"), new DataField<string>("question"), new DataField<string>("context", true), new DataField<int>("input"));
        string longBench = dir["lb/longbench_v2.parquet"];
        Directory.CreateDirectory(dir["lb"]);
        CorpusReaderTests.WriteRows(longBench, schema,
            async rg =>
            {
                await rg.WriteAsync(schema.DataFields[0], new[] { "a", "b" });
                await rg.WriteAsync(schema.DataFields[1], new[] { Question, "q" });
                await rg.WriteAsync(schema.DataFields[2], new[] { Context, null });
                await rg.WriteAsync<int>(schema.DataFields[3], new[] { 1, 2 });
            },
            async rg =>
            {
                await rg.WriteAsync(schema.DataFields[0], new[] { "c" });
                await rg.WriteAsync(schema.DataFields[1], new[] { "q" });
                await rg.WriteAsync(schema.DataFields[2], new string?[] { Essay });
                await rg.WriteAsync<int>(schema.DataFields[3], new[] { 3 });
            });

        foreach (string path in new[] { longBench, dir["lb"] })
        {
            var data = EvaluationText.Read([path]);
            Assert.Equal([longBench], data.Files);
            Assert.Equal(2, data.Texts);
            Assert.True(data.NGrams.SharesAny(Context) && data.NGrams.SharesAny(Essay));
            Assert.False(data.NGrams.SharesAny(Question));
        }

        string noText = dir["ids.parquet"];
        var ids = new ParquetSchema(new DataField<string>("_id"));
        CorpusReaderTests.WriteRows(noText, ids, async rg => await rg.WriteAsync(ids.DataFields[0], new[] { "a" }));
        Assert.Equal($"{noText}: no evaluation text (no string column \"text\", \"input\" or \"context\" with a value)",
            Assert.Throws<UserInputException>(() => EvaluationText.Read([noText])).Message);
        string junk = dir.Write("junk.parquet", "not parquet");
        Assert.StartsWith($"{junk}: not a readable Parquet file", Assert.Throws<UserInputException>(() => EvaluationText.Read([junk])).Message);
    }

    [Fact]
    public void AFileThatIsNotUtf8TextIsRefusedAtTheLineOfItsFirstBadByte()
    {
        using var dir = new TempDir();
        string binary = dir.WriteBytes("weights.bin", [.. Encoding.UTF8.GetBytes(Essay + "\n"), 0x50, 0x4b, 0x00, 0x01, 0xff]);
        string latin1 = dir.WriteBytes("essay.txt.gz", TempDir.Gzip([.. Encoding.UTF8.GetBytes(Essay + "\n" + Essay + "\n"), .. Encoding.Latin1.GetBytes("caf\u00e9\n")]));
        string nulInFolder = dir.WriteBytes("texts/b.txt", Encoding.UTF8.GetBytes("\uFEFF" + Essay + "\0"));
        const string Formats = "; evaluation data is JSON lines, JSON, Parquet or UTF-8 text";
        Assert.Equal($"{binary}:2: not a text file (a NUL byte){Formats}", Assert.Throws<UserInputException>(() => EvaluationText.Read([binary])).Message);
        Assert.Equal($"{latin1}:3: not a text file (a byte that is not UTF-8){Formats}", Assert.Throws<UserInputException>(() => EvaluationText.Read([latin1])).Message);
        Assert.Equal($"{nulInFolder}:1: not a text file (a NUL byte){Formats}", Assert.Throws<UserInputException>(() => EvaluationText.Read([dir["texts"]])).Message);
        // Text in UTF-8, with or without a byte-order mark, is read.
        string bom = dir.WriteBytes("bom.txt", Encoding.UTF8.GetBytes("\uFEFF" + Essay));
        Assert.True(EvaluationText.Read([bom]).NGrams.SharesAny(Essay));
    }

    [Theory]
    [InlineData("bad.jsonl", "{\"input\": \"a\"}\n{\"input\": \n", "bad.jsonl:2: not valid JSON")]
    [InlineData("list.jsonl", "[\"a\"]\n", "list.jsonl:1: not a JSON object")]
    [InlineData("bad.json", "[{\"context\": \"a\"},\n {\"context\": }]", "bad.json:2: not valid JSON")]
    [InlineData("none.jsonl", "{\"index\": 0}\n", "none.jsonl: no evaluation text (no record has \"text\", \"input\" or \"context\")")]
    public void BadInputNamesTheFileAndLine(string name, string content, string message)
    {
        using var dir = new TempDir();
        var e = Assert.Throws<UserInputException>(() => EvaluationText.Read([dir.Write(name, content)]));
        Assert.StartsWith(dir[message.Split(':')[0]] + message[message.IndexOf(':')..], e.Message);
    }

    [Fact]
    public void AFolderWithoutTextAndAMissingPathAreErrors()
    {
        using var dir = new TempDir();
        dir.Write("runs/scores.json", "{\"score\": 1}");
        Assert.Contains("no evaluation text below this folder", Assert.Throws<UserInputException>(() => EvaluationText.Read([dir["runs"]])).Message);
        Assert.Equal($"{dir["nope"]}: no such file or folder", Assert.Throws<UserInputException>(() => EvaluationText.Read([dir["nope"]])).Message);
    }
}
