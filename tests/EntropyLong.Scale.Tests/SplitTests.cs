using System.Text;
using System.Text.Json;
using EntropyLong.Llm.Training;
using EntropyLong.TestSupport;

namespace EntropyLong.Scale.Tests;

/// <summary>`build --split train` keeps the held-out documents out of its contexts as well as its roots, so a model
/// trained on the build never sees the text it is evaluated on, and its dataset card says so; `--split all` retrieves
/// from them.</summary>
[Collection("cli")]
public class SplitTests(CliFixture cli)
{
    [Fact]
    public void ATrainingSplitBuildRetrievesNoChunkOfAHeldOutDocument()
    {
        // 24 documents, 6 of them with ids the held-out rule takes (SHA-256 bucket 0 of 20), over the same few texts so
        // that retrieval finds held-out chunks for training roots whenever it may.
        var heldOut = Enumerable.Range(0, 400).Select(i => $"doc{i}").Where(id => TrainingData.IsHeldOut(id)).Take(6).ToList();
        var training = Enumerable.Range(0, 400).Select(i => $"doc{i}").Where(id => !TrainingData.IsHeldOut(id)).Take(18).ToList();
        var texts = TinyModels.Texts;
        var lines = new StringBuilder();
        foreach (var (id, i) in training.Concat(heldOut).Select((id, i) => (id, i)))
            lines.Append(JsonSerializer.Serialize(new { id, text = texts[i % texts.Length] + " " + texts[(i * 3 + 1) % texts.Length] + $" Item {i}." })).Append('\n');
        string dir = Path.Combine(cli.Root, "split"), corpus = Path.Combine(dir, "corpus.jsonl"), index = Path.Combine(dir, "idx");
        Directory.CreateDirectory(dir);
        File.WriteAllText(corpus, lines.ToString());
        cli.Run(["index", "--corpus", corpus, "--out", index, "--max-chars", "120"]).Check();

        var sources = new Dictionary<string, HashSet<string>>();
        foreach (string split in new[] { "train", "all", "held-out" })
        {
            string output = Path.Combine(dir, split);
            cli.Run(["build", "--corpus", corpus, "--index", index, "--out", output, "--split", split, .. cli.BuildOptions]).Check();
            sources[split] = File.ReadLines(Path.Combine(output, "details.jsonl"))
                .SelectMany(line => JsonDocument.Parse(line).RootElement.GetProperty("anchors").EnumerateArray())
                .SelectMany(anchor => anchor.GetProperty("candidates").EnumerateArray())
                .Select(c => c.GetProperty("source_document_id").GetString()!).ToHashSet();
        }
        Assert.Contains("| root documents | those `entropylong train` trains on; no context from a held-out document |",
            File.ReadAllText(Path.Combine(dir, "train", "README.md")));
        Assert.DoesNotContain("| root documents |", File.ReadAllText(Path.Combine(dir, "all", "README.md")));
        Assert.Contains("| root documents | only those `entropylong train` holds out |", File.ReadAllText(Path.Combine(dir, "held-out", "README.md")));
        Assert.Contains(sources["all"], heldOut.Contains);
        Assert.NotEmpty(sources["train"]);
        Assert.DoesNotContain(sources["train"], heldOut.Contains);
    }
}
