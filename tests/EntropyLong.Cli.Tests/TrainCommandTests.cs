using System.Globalization;
using System.Text.Json;
using System.Text.RegularExpressions;
using EntropyLong.Data;
using EntropyLong.Llm;
using EntropyLong.Llm.Training;
using EntropyLong.TestSupport;

namespace EntropyLong.Cli.Tests;

[Collection(CliRunner.Name)]
public partial class TrainCommandTests
{
    private static readonly string[] Tiny = ["--dim", "16", "--layers", "1", "--heads", "2", "--threads", "2", "--eval-every", "1000", "--log-every", "1000"];

    /// <summary>A tiny model trained from a corpus of the test texts: its checkpoint.</summary>
    private static string BaseCheckpoint(string dir)
    {
        string corpus = Path.Combine(dir, "corpus.jsonl");
        File.WriteAllLines(corpus, Enumerable.Range(0, 120).Select(i => JsonSerializer.Serialize(new
        {
            id = $"doc-{i}", text = TinyModels.Texts[i % TinyModels.Texts.Length] + " " + TinyModels.Texts[(i * 3 + 1) % TinyModels.Texts.Length],
        })));
        string model = Path.Combine(dir, "base.gguf");
        var (code, _, err) = CliRunner.Run(["train", "--corpus", corpus, "--out", model, "--vocab", "300", "--ctx", "16", "--steps", "2", "--batch", "2", .. Tiny]);
        Assert.True(code == 0, err);
        return model + ".ckpt";
    }

    /// <summary>A finished build folder in miniature: documents packed three to a sequence, tokenized (BOS first) by
    /// <paramref name="vocabulary"/> into mds/ by MdsWriter, their text in sequences.jsonl, and stats.json.</summary>
    private static string Build(string dir, BpeVocabulary vocabulary, Func<int, int[], int[]>? alterTokens = null)
    {
        string build = Path.Combine(dir, "build");
        Directory.CreateDirectory(build);
        using var tokenizer = LlamaVocabulary.For(vocabulary);
        var lines = new List<string>();
        using (var mds = new MdsWriter(Path.Combine(build, "mds"), new MdsOptions { Overwrite = true }))
        {
            for (int seq = 0; seq < 40; seq++)
            {
                var texts = Enumerable.Range(0, 3).Select(k => TinyModels.Texts[(seq * 3 + k) % TinyModels.Texts.Length]).ToArray();
                var tokens = new List<int>();
                var spans = new List<(int, int)>();
                var samples = new List<SampleRecord>();
                int chars = 0;
                foreach (var text in texts)
                {
                    var t = tokenizer.TokenizeWithBos(text);
                    spans.Add((tokens.Count, tokens.Count + t.Length));
                    tokens.AddRange(t);
                    samples.Add(new SampleRecord($"d{seq}-{samples.Count}", spans[^1].Item1, spans[^1].Item2, chars, chars + text.Length, 0, []));
                    chars += text.Length;
                }
                var ids = (alterTokens?.Invoke(seq, tokens.ToArray()) ?? tokens.ToArray()).Select(x => (uint)x).ToArray();
                mds.Write(ids, spans.ToArray());
                lines.Add(JsonSerializer.Serialize(new SequenceRecord(seq, tokens.Count, string.Concat(texts), samples), JsonlWriter.DefaultOptions));
            }
            mds.Complete();
        }
        File.WriteAllLines(Path.Combine(build, "sequences.jsonl"), lines);
        File.WriteAllText(Path.Combine(build, "stats.json"), $$"""{"sequences": {{lines.Count}}}""");
        return build;
    }

    [GeneratedRegex(@"held-out loss over \d+ windows: trainer (\S+), llama\.cpp (\S+) ")]
    private static partial Regex HeldOutLine();

    [Fact]
    public void InitRefusesAShapeOptionThatDiffersFromItsModel()
    {
        // --init keeps its model's shape: --dim 32 on a dim-16 model was ignored without a word.
        string dir = CliRunner.TempDir();
        string checkpoint = BaseCheckpoint(dir);
        string build = Build(dir, TrainingSession.ReadModel(checkpoint).Vocabulary);
        string model = Path.Combine(dir, "wide.gguf");
        var (code, _, err) = CliRunner.Run(["train", "--data", build, "--init", checkpoint, "--out", model, "--steps", "1", "--batch", "2",
            .. Tiny[4..], "--dim", "32", "--layers", "3"]);
        Assert.Equal(2, code);
        Assert.Equal($"error: {checkpoint}: --init starts from this model, which has --dim 16 (given 32), --layers 1 (given 3); leave these options out (only --ctx and --rope-base change with --init)", err.Trim().Split('\n')[^1]);
        Assert.False(File.Exists(model));
    }

    [Fact]
    public void TrainsOnABuildsMdsWithDocumentMaskingAndARaisedRopeBase()
    {
        string dir = CliRunner.TempDir();
        string checkpoint = BaseCheckpoint(dir);
        string build = Build(dir, TrainingSession.ReadModel(checkpoint).Vocabulary);
        string model = Path.Combine(dir, "long.gguf");
        var (code, _, err) = CliRunner.Run(["train", "--data", build, "--init", checkpoint, "--ctx", "32", "--rope-base", "40000",
                                            "--out", model, "--steps", "3", "--batch", "2", .. Tiny]);
        Assert.True(code == 0, err);
        Assert.Contains($"from {Path.Combine(build, "mds")}, in windows of 33 tokens", err);
        Assert.Contains("document masking on", err);
        Assert.DoesNotContain("another tokenizer", err);
        Assert.Contains("ctx 32, rope base 40000,", err);
        var heldOut = HeldOutLine().Match(err);
        Assert.True(heldOut.Success, err);
        double trainer = double.Parse(heldOut.Groups[1].Value, CultureInfo.InvariantCulture), llama = double.Parse(heldOut.Groups[2].Value, CultureInfo.InvariantCulture);
        Assert.True(Math.Abs(trainer - llama) < 1e-4, err);
        Assert.Equal(40000f, TrainingSession.ReadModel(model + ".ckpt").Config.RopeBase);

        // --resume continues it (here: already at its last step) with its own rope base and windows
        (code, _, err) = CliRunner.Run(["train", "--data", build, "--resume", "--out", model, "--steps", "3", "--batch", "2", .. Tiny]);
        Assert.True(code == 0, err);
        Assert.Contains("resuming at step 3", err);
    }

    [System.Runtime.InteropServices.LibraryImport("libc", EntryPoint = "kill")]
    private static partial int SendSignal(int pid, int signal);

    [Fact]
    public void SigtermStopsAfterTheStepInProgressAndCheckpointsIt()
    {
        string dir = CliRunner.TempDir();
        string corpus = Path.Combine(dir, "corpus.jsonl");
        File.WriteAllLines(corpus, Enumerable.Range(0, 120).Select(i => JsonSerializer.Serialize(new { id = $"doc-{i}", text = TinyModels.Texts[i % TinyModels.Texts.Length] })));
        string model = Path.Combine(dir, "m.gguf");
        // Its own process, as Slurm signals it; checkpoints far apart, so only the stop can have written one.
        var start = new System.Diagnostics.ProcessStartInfo("dotnet") { RedirectStandardError = true, RedirectStandardOutput = true };
        foreach (string arg in (string[])[typeof(Commands.TrainCommand).Assembly.Location, "train", "--corpus", corpus, "--out", model, "--vocab", "300",
                     "--ctx", "16", "--steps", "100000", "--batch", "2", "--checkpoint-every", "100000", .. Tiny[..^2], "--log-every", "1"])
            start.ArgumentList.Add(arg);
        using var train = System.Diagnostics.Process.Start(start)!;
        _ = train.StandardOutput.ReadToEndAsync();
        var stderr = new System.Text.StringBuilder();
        for (string? line; (line = train.StandardError.ReadLine()) is not null && !line.StartsWith("step 3/");) stderr.AppendLine(line);
        Assert.Equal(0, SendSignal(train.Id, 15)); // SIGTERM
        stderr.Append(train.StandardError.ReadToEnd());
        Assert.True(train.WaitForExit(60_000), stderr.ToString());
        Assert.True(train.ExitCode == 143, stderr.ToString());
        var stopped = Regex.Match(stderr.ToString(), @"stopped at step (\d+) of 100000; checkpoint (\S+);");
        Assert.True(stopped.Success, stderr.ToString());
        Assert.Equal(model + ".ckpt", stopped.Groups[2].Value);
        Assert.InRange(int.Parse(stopped.Groups[1].Value, CultureInfo.InvariantCulture), 3, 99_999);

        var (code, _, err) = CliRunner.Run(["train", "--corpus", corpus, "--out", model, "--resume", "--stop-after", "1", .. Tiny]);
        Assert.True(code == 0, err);
        Assert.Contains($"resuming at step {stopped.Groups[1].Value} from {model}.ckpt", err);
    }

    [Fact]
    public void ResumeRefusesAChangedShapeOrScheduleNamingTheSavedAndTheGivenValue()
    {
        string dir = CliRunner.TempDir();
        string checkpoint = BaseCheckpoint(dir), corpus = Path.Combine(dir, "corpus.jsonl"), model = Path.Combine(dir, "base.gguf");
        byte[] saved = File.ReadAllBytes(checkpoint);
        string[] resume = ["train", "--corpus", corpus, "--out", model, "--resume", .. Tiny];
        var (code, _, err) = CliRunner.Run([.. resume, "--steps", "30", "--lr", "0.001", "--ctx", "16"]);
        Assert.Equal(2, code);
        Assert.Equal($"error: {checkpoint}: --resume continues the run saved there, which has --steps 2 (given 30), --lr 0.002 (given 0.001); " +
                     "leave these options out or give the saved values", err.Trim());
        Assert.Equal(saved, File.ReadAllBytes(checkpoint));
        // A step the run has passed: the model is written at the saved step, which it said nothing of, as if stopped where asked.
        (code, _, err) = CliRunner.Run([.. resume, "--stop-after", "1"]);
        Assert.True(code == 0, err);
        Assert.Contains("note: the run is at step 2, past --stop-after 1: no step to train; the model is written as the checkpoint holds it", err);
        Assert.Equal(saved, File.ReadAllBytes(checkpoint));
        // The saved values repeated, and options the checkpoint does not keep changed, continue the run.
        (code, _, err) = CliRunner.Run([.. resume[..^2], "--vocab", "300", "--ctx", "16", "--steps", "2", "--batch", "2", "--stop-after", "2", "--log-every", "5"]);
        Assert.True(code == 0, err);
        Assert.Contains("resuming at step 2", err);
    }

    [Fact]
    public void ACheckpointPathThatIsAnInputTheModelOrAFolderIsRefusedBeforeAnyStep()
    {
        // The corpus as --checkpoint was replaced by the checkpoint (exit 0); --out as --checkpoint had the model replace
        // the checkpoint; a folder failed with an IOException once training was done; and `--init X.ckpt --out X` had
        // the default checkpoint X.ckpt overwrite the run it started from.
        string dir = CliRunner.TempDir();
        string checkpoint = BaseCheckpoint(dir), corpus = Path.Combine(dir, "corpus.jsonl"), model = Path.Combine(dir, "next.gguf");
        byte[] corpusBytes = File.ReadAllBytes(corpus), checkpointBytes = File.ReadAllBytes(checkpoint);
        string[] train = ["train", "--corpus", corpus, "--out", model, "--vocab", "300", "--ctx", "16", "--steps", "1", "--batch", "2", .. Tiny];
        var (code, _, err) = CliRunner.Run([.. train, "--checkpoint", corpus]);
        Assert.Equal(2, code);
        Assert.Equal($"error: --checkpoint {corpus} is the input file {corpus}; writing it would overwrite the input", err.Trim());
        (code, _, err) = CliRunner.Run([.. train, "--checkpoint", model]);
        Assert.Equal(2, code);
        Assert.Equal($"error: --checkpoint {model} is the --out model; the model written at the end would replace the checkpoint", err.Trim());
        (code, _, err) = CliRunner.Run([.. train, "--checkpoint", dir]);
        Assert.Equal(3, code);
        Assert.Equal($"error: {dir}: a folder, but --checkpoint names the file to write", err.Trim());
        (code, _, err) = CliRunner.Run(["train", "--corpus", corpus, "--init", checkpoint, "--out", checkpoint[..^".ckpt".Length], "--steps", "1", "--batch", "2", .. Tiny[6..]]);
        Assert.Equal(2, code);
        Assert.Equal($"error: the checkpoint (<out>.ckpt) {checkpoint} is the input file {checkpoint}; writing it would overwrite the input", err.Trim());
        Assert.Equal(corpusBytes, File.ReadAllBytes(corpus));
        Assert.Equal(checkpointBytes, File.ReadAllBytes(checkpoint));
        Assert.False(File.Exists(model));
    }

    [Fact]
    public void ACheckpointCutInsideItsWeightsIsAnInputError()
    {
        // It gave "EndOfStreamException: checkpoint ends early", exit 1.
        string dir = CliRunner.TempDir();
        string checkpoint = BaseCheckpoint(dir), corpus = Path.Combine(dir, "corpus.jsonl"), cut = Path.Combine(dir, "cut.ckpt");
        byte[] bytes = File.ReadAllBytes(checkpoint);
        File.WriteAllBytes(cut, bytes[..(bytes.Length - 100)]);
        var (code, _, err) = CliRunner.Run(["train", "--corpus", corpus, "--init", cut, "--out", Path.Combine(dir, "next.gguf"), "--ctx", "16", "--steps", "1", "--batch", "2", .. Tiny[6..]]);
        Assert.Equal(3, code);
        Assert.Equal($"error: {cut}: the checkpoint ends inside its weights (cut short); use an earlier or complete checkpoint", err.Trim().Split('\n')[^1]);
    }

    [Fact]
    public void ResumeTakesTheVocabularySizeTheRunAskedForWhenItsCorpusRanOutOfMerges()
    {
        string dir = CliRunner.TempDir();
        string corpus = Path.Combine(dir, "corpus.jsonl"), model = Path.Combine(dir, "small.gguf");
        File.WriteAllLines(corpus, Enumerable.Range(0, 200).Select(i => JsonSerializer.Serialize(new { id = $"doc-{i}", text = string.Concat(Enumerable.Repeat($"ab ba {i % 7} ", 10)) })));
        string[] Train(string vocab) => ["train", "--corpus", corpus, "--out", model, "--vocab", vocab, "--ctx", "16", "--steps", "2", "--batch", "2", .. Tiny];
        var (code, _, err) = CliRunner.Run(Train("1000"));
        Assert.True(code == 0, err);
        int learned = TrainingSession.ReadModel(model + ".ckpt").Vocabulary.Tokens.Length;
        Assert.InRange(learned, 257, 999);
        // The command repeated as it was: the learned size was compared with --vocab and the resume refused.
        (code, _, err) = CliRunner.Run([.. Train("1000"), "--resume", "--stop-after", "1"]);
        Assert.True(code == 0, err);
        (code, _, err) = CliRunner.Run([.. Train("2000"), "--resume"]);
        Assert.Equal(2, code);
        Assert.Contains("--vocab 1000 (given 2000)", err);
    }

    [Fact]
    public void AnMdsOfAnotherTokenizerFallsBackToTheTextAndBadTokensAreRefused()
    {
        string dir = CliRunner.TempDir();
        string checkpoint = BaseCheckpoint(dir);
        var vocabulary = TrainingSession.ReadModel(checkpoint).Vocabulary;
        // Other tokens than this model's tokenization of the text: sequences.jsonl is used, re-tokenized.
        string build = Build(dir, vocabulary, (_, tokens) => tokens.Reverse().ToArray());
        var (code, _, err) = CliRunner.Run(["train", "--data", build, "--init", checkpoint, "--out", Path.Combine(dir, "a.gguf"), "--steps", "1", "--batch", "2", .. Tiny]);
        Assert.True(code == 0, err);
        Assert.Contains("holds another tokenizer's tokens", err);
        Assert.Contains($"from {Path.Combine(build, "sequences.jsonl")}, in windows of 17 tokens", err);

        // The first sequence matches, a later one holds a token the model does not have: a damaged build.
        build = Build(CliRunner.TempDir(), vocabulary, (seq, tokens) => seq == 5 ? [.. tokens[..^1], vocabulary.Tokens.Length + 7] : tokens);
        (code, _, err) = CliRunner.Run(["train", "--data", build, "--init", checkpoint, "--out", Path.Combine(dir, "b.gguf"), "--steps", "1", "--batch", "2", .. Tiny]);
        Assert.Equal(3, code);
        Assert.Contains($"shard.00000.mds sample 5: token id {vocabulary.Tokens.Length + 7} is outside the model's vocabulary of {vocabulary.Tokens.Length} tokens", err);
    }

    [Fact]
    public void OptionsThatCannotGoTogetherAreOneLineErrors()
    {
        string dir = CliRunner.TempDir();
        string model = Path.Combine(dir, "m.gguf");
        (int Code, string Err) Run(params string[] args) { var (c, _, e) = CliRunner.Run(["train", "--out", model, .. args]); return (c, e); }
        Assert.Contains("--init CHECKPOINT", Run("--data", dir).Err);
        Assert.Contains("--corpus and --data both name training text: give one of them, not both", Run("--data", dir, "--corpus", "x.jsonl", "--init", "c").Err);
        Assert.Contains("--out and one of --corpus or --data are required", Run().Err);
        Assert.Contains("--rope-base must be above 1 and at most 1000000000000", Run("--corpus", "x.jsonl", "--rope-base", "1").Err);
        Assert.Contains("--rope-base must be above 1 and at most 1000000000000", Run("--corpus", "x.jsonl", "--rope-base", "2e12").Err);
        // It was exit 3 after the corpus was read and the vocabulary learned, naming neither option.
        var (batchCode, batchErr) = Run("--corpus", "x.jsonl", "--batch", "3", "--micro-batch", "2");
        Assert.Equal(2, batchCode);
        Assert.Equal("error: --batch 3 must be a multiple of --micro-batch 2", batchErr.Trim());
        Assert.Contains("--batch 8 must be a multiple of --micro-batch 3", Run("--data", dir, "--init", "c", "--micro-batch", "3").Err);
        Assert.Contains("--repeat-spans applies to --corpus", Run("--data", dir, "--init", "c", "--repeat-spans", "0.5").Err);
        Assert.Contains("--rope-base applies to a new run", Run("--corpus", "x.jsonl", "--resume", "--rope-base", "5e5").Err);
        var (code, err) = Run("--data", CliRunner.TempDir(), "--init", "c");
        Assert.Equal(3, code);
        Assert.Contains("c: checkpoint not found", err);
        string folder = CliRunner.TempDir();
        (code, err) = Run("--data", folder, "--init", BaseCheckpoint(dir));
        Assert.Equal(3, code);
        Assert.Contains($"{folder} is not a finished build", err);
    }
}
