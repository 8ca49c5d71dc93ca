using System.Globalization;
using System.Text.RegularExpressions;

namespace EntropyLong.Cli.Tests;

[Collection(CliRunner.Name)]
public class StrictCommandLineTests
{
    // What a user must never see: a .NET type or exception name.
    private static readonly Regex DotNetName = new(@"System\.|Nullable|`1|\b(U?Int(16|32|64)|Double|Single|Boolean|Decimal|String)\b|\w+Exception\b");

    [Theory]
    [InlineData("build --epsilion 0.9", "build has no option --epsilion; did you mean --epsilon?")]
    [InlineData("build --seq-lenn 4096", "build has no option --seq-lenn; did you mean --seq-len?")]
    [InlineData("score --exactt", "score has no option --exactt; did you mean --exact?")]
    [InlineData("index --max-charz 100", "index has no option --max-charz; did you mean --max-chars?")]
    [InlineData("slurm status out --jsn", "slurm status has no option --jsn; did you mean --json?")]
    [InlineData("eval ruler --lenghts 1024", "eval ruler has no option --lenghts; did you mean --lengths?")]
    [InlineData("build --zzz 1", "build has no option --zzz (see build --help)")]
    [InlineData("biuld", "entropylong has no command 'biuld'; did you mean 'build'?")]
    [InlineData("build --alpha abc", "--alpha expects a number between 0 and 100, got 'abc'")]
    [InlineData("build --seed notanumber", "--seed expects a whole number between 0 and 18446744073709551615, got 'notanumber'")]
    [InlineData("build --block 0", "--block must be between 1 and 1000000 (got 0)")]
    [InlineData("build --threads -3", "--threads must be between 0 and 1024 (got -3)")]
    [InlineData("build --threads 99999999999999999999", "--threads expects a whole number between 0 and 1024, got '99999999999999999999'")]
    [InlineData("build --epsilon 1", "--epsilon must be at least 0 and below 1 (got 1)")]
    [InlineData("build --shard-size 5000000000", "--shard-size must be between 1 and 4294967295 (got 5000000000)")]
    [InlineData("train --lr 0", "--lr must be above 0 and at most 10 (got 0)")]
    [InlineData("bench train --ctx 256,abc", "--ctx expects comma-separated whole numbers between 8 and 4194304, got '256,abc'")]
    [InlineData("search -k5", "-k5: a short option is one letter; its value goes after a space (-k 5)")]
    [InlineData("build --exact=abc", "--exact is a switch and takes no value (got 'abc')")]
    [InlineData("build --alpha", "--alpha needs a value: a number between 0 and 100")]
    [InlineData("build extra", "build takes no arguments (got 'extra')")]
    [InlineData("merge a b", "merge takes <OUT>; 'b' is one too many")]
    [InlineData("build -- --alpha 3", "this command takes nothing after --, got: --alpha 3")]
    [InlineData("build --format mds,arrow", "--format: unknown format 'arrow' (the formats are mds, parquet)")]
    [InlineData("build --format ,", "--format needs at least one of mds, parquet")]
    [InlineData("build --match other", "--match applies to the baselines (--method retrieval, random or nextlong)")]
    [InlineData("build --method random --match other --shards 2", "--method random --match applies to unsharded builds: a token budget is not split across shards")]
    [InlineData("build --copy-weight 1", "--copy-weight must be at least 0 and below 1 (got 1)")]
    [InlineData("build --max-chunks-per-anchor -1", "--max-chunks-per-anchor must be between 0 and 10000 (got -1)")]
    [InlineData("build --sequences foo.txt", "--sequences must be one of sequences.jsonl, sequences.jsonl.gz, sequences.jsonl.zst, sequences.jsonl.zstd (got 'foo.txt')")]
    [InlineData("score --ctx 1", "--ctx must be 0 (the model's training context) or at least 3 (got 1)")]
    [InlineData("score --ctx 2", "--ctx must be 0 (the model's training context) or at least 3 (got 2)")]
    [InlineData("build --ctx 2", "--ctx must be 0 (the model's training context) or at least 3 (got 2)")]
    [InlineData("score", "--input is required")]
    [InlineData("build", "--index is required (make one with `entropylong index`)")]
    [InlineData("search --index x", "--query is required")]
    [InlineData("bench links", "--build is required")]
    [InlineData("eval ruler --out x --tasks ,", "--tasks names no task: give task names, comma-separated, or all")]
    [InlineData("train --corpus c --out m.gguf --dim 128", "--dim 128 must split into --heads 6 heads of even size")]
    [InlineData("bench index --vectors 1", "--vectors must be between -k (32) and 5,592,405 at 384 dimensions; 1 is not")]
    [InlineData("build --index x --order random", "--order must be 'shuffle' or 'anchor', not 'random'")]
    [InlineData("build --index x --split foo", "--split must be all, held-out or train, not 'foo'")]
    [InlineData("build --index x --method bogus", "--method must be entropylong, retrieval, random or nextlong, not 'bogus'")]
    [InlineData("build --index x --shards 2 --limit 5", "--limit and --split apply to unsharded builds; split the corpus files instead")]
    [InlineData("eval ruler --out x --tasks nosuchtask", "--tasks: unknown task \"nosuchtask\"; known: niah_single_1, niah_single_2, niah_single_3, niah_multikey_1, niah_multikey_2, niah_multikey_3, niah_multivalue, niah_multiquery, vt, cwe, fwe, qa_1, qa_2")]
    [InlineData("index --corpus x --out y --pooling max", "--pooling must be 'cls' or 'mean', not 'max'")]
    public void MistakesAreUsageErrorsThatSayWhatIsWrong(string commandLine, string message)
    {
        var (code, _, err) = CliRunner.Run(commandLine.Split(' '));
        Assert.Equal(2, code);
        Assert.Equal($"error: {message}", err.Trim());
    }

    /// <summary>Every command's help renders: option descriptions are Spectre markup, where a bare [word] is a style
    /// name and crashes the help (it did for index and bench links).</summary>
    [Fact]
    public void EveryCommandsHelpRenders()
    {
        foreach (var command in CliCommand.App.Leaves())
        {
            var (code, _, err) = CliRunner.Run([.. command.Path, "--help"]);
            Assert.True(code == 0 && err.Trim().Length == 0, $"{string.Join(' ', command.Path)} --help: exit {code}: {err}");
        }
    }

    /// <summary>Every command of the configured app (found by reflection, so a new one is covered), every option:
    /// a misspelt sibling, a value of the wrong kind and values outside the option's declared range are refused
    /// with exit code 2 and a message naming the option; values at the bounds are accepted. Fails for a command
    /// that does not parse strictly and for a numeric option without an <see cref="OptionRangeAttribute"/>.</summary>
    [Fact]
    public void EveryCommandRefusesWhatItDoesNotDefine()
    {
        var leaves = CliCommand.App.Leaves().ToList();
        Assert.Superset(new HashSet<string> { "score", "build", "train", "slurm submit", "bench score", "eval ruler", "eval ruler run", "eval longbench-v2 score" },
            leaves.Select(c => c.Name).ToHashSet());
        var failures = new List<string>();
        foreach (var command in leaves)
        {
            string[] prefix = [.. command.Path, .. command.Arguments.Where(a => a.Attribute.IsRequired).Select(_ => "x")];
            void Refused(string why, string named, params string[] more)
            {
                var (code, err, started) = CliRunner.RunUntilStart([.. prefix, .. more]);
                string line = $"{command.Name} {string.Join(' ', more)}";
                if (started || code != 2) failures.Add($"{line}: {why} should be refused (exit {code}, started {started}): {err.Trim()}");
                else if (!err.Contains(named, StringComparison.Ordinal)) failures.Add($"{line}: the message does not name {named}: {err.Trim()}");
                else if (DotNetName.IsMatch(err) || err.Trim().Contains('\n')) failures.Add($"{line}: not one plain line: {err.Trim()}");
            }
            void Accepted(string value, CliOption option)
            {
                // Settings.Validate() runs before the command starts and may refuse for want of other options.
                var (code, err, started) = CliRunner.RunUntilStart([.. prefix, option.Name, value]);
                var ownCheck = new Regex($@"^error: {Regex.Escape(option.Name)} (must be .* \(got {Regex.Escape(value)}\)|expects .*, got '{Regex.Escape(value)}')$");
                if (!started && (code is not (2 or 3) || ownCheck.IsMatch(err.Trim())))
                    failures.Add($"{command.Name} {option.Name} {value}: in range but refused (exit {code}): {err.Trim()}");
            }

            Refused("an unknown option", "--no-such-option", "--no-such-option");
            foreach (var option in command.Options)
            {
                string name = option.Attribute.LongNames.Count > 0 ? option.Attribute.LongNames[0] : option.Attribute.ShortNames[0];
                string typo = $"--{name[0]}{name}";
                var (code, err, _) = CliRunner.RunUntilStart([.. prefix, typo, "1"]);
                if (code != 2 || !err.Contains($"no option {typo}; did you mean {option.Name}?", StringComparison.Ordinal))
                    failures.Add($"{command.Name} {typo}: should be refused with the suggestion {option.Name} (exit {code}): {err.Trim()}");

                if (option.IsFlag)
                {
                    Refused("a switch with a value", option.Name, option.Name + "=abc");
                    continue;
                }
                bool isList = option.ValueType == typeof(string) && option.Range is not null;
                if (!OptionRangeAttribute.IsNumeric(option.ValueType) && !isList) continue;
                if (option.Range is not { } range)
                {
                    failures.Add($"{command.Name} {option.Name}: a numeric option without [OptionRange]");
                    continue;
                }
                Refused("a value of the wrong kind", option.Name, option.Name, "abc");
                foreach (string value in new[] { "0", "-1", "99999999999999999999", Text(range.Min - 1), Text(range.Max + 1) }
                    .Concat(OptionRangeAttribute.KindOf(option.ValueType) == "a number" ? ["NaN", "1e308"] : []).Distinct())
                    if (!Within(range, value)) Refused($"{value} (outside its range)", option.Name, option.Name, value);
                if (!range.MinExclusive) Accepted(Text(range.Min), option);
                if (!range.MaxExclusive) Accepted(Text(range.Max), option);
            }
        }
        Assert.True(failures.Count == 0, $"{failures.Count} problem(s):\n" + string.Join("\n", failures));
    }

    [Fact]
    public void ArgumentsAfterDoubleDashGoOnlyWhereACommandPassesThemOn()
    {
        string dir = CliRunner.TempDir();
        string[] submit = ["slurm", "submit", "--corpus", Defaults.SampleCorpus, "--index", Path.Combine(dir, "idx"), "--out", Path.Combine(dir, "out"), "--array", "2", "--dry-run", "--"];
        var (code, _, err) = CliRunner.Run([.. submit, "--alpha", "3", "--max-anchors", "4"]);
        Assert.True(code == 0, err);
        Assert.Contains("--no-merge --alpha 3 --max-anchors 4", File.ReadAllText(Path.Combine(dir, "out", "slurm", "build.sbatch")));
        // The build workers would refuse a typo on the cluster; the submission refuses it first.
        (code, _, err) = CliRunner.Run([.. submit, "--epsilion", "0.9"]);
        Assert.Equal(2, code);
        Assert.Equal("error: after --: build has no option --epsilion; did you mean --epsilon?", err.Trim());
        // What submit sets itself: the build scripts got a second --out (the merge merging the first) or extra corpus files.
        foreach (string[] owned in new string[][] { ["--out", "/x"], ["--corpus=c.jsonl"], ["--shards", "3"] })
        {
            (code, _, err) = CliRunner.Run([.. submit, .. owned]);
            Assert.Equal(2, code);
            Assert.Equal($"error: after --: {owned[0].Split('=')[0]} is set by slurm submit from its own options; give it before --", err.Trim());
        }
    }

    [Theory]
    [InlineData("build --out a --limit 3 --out b", "--out is given twice ('a' and 'b'); it takes one value")]
    [InlineData("score --batch=64 --batch 32", "--batch is given twice ('64' and '32'); it takes one value")]
    [InlineData("eval ruler --out a --lengths 1024 --out=b", "--out is given twice ('a' and 'b'); it takes one value")]
    public void AOneValueOptionGivenTwiceIsRefused(string commandLine, string message)
    {
        // The last value silently won.
        var (code, _, err) = CliRunner.Run(commandLine.Split(' '));
        Assert.Equal(2, code);
        Assert.Equal($"error: {message}", err.Trim());
    }

    [Fact]
    public void AListOptionMayRepeat()
    {
        string dir = CliRunner.TempDir();
        var (code, _, err) = CliRunner.Run("slurm", "submit", "--corpus", Defaults.SampleCorpus, "--corpus", Defaults.SampleCorpus, "--index", Path.Combine(dir, "idx"),
            "--out", Path.Combine(dir, "out"), "--dry-run");
        Assert.True(code == 0, err);
    }

    [Fact]
    public void SlurmSubmitRefusesAFolderHoldingAnUnshardedBuild()
    {
        string dir = CliRunner.TempDir(), outDir = Path.Combine(dir, "out");
        Directory.CreateDirectory(outDir);
        File.WriteAllText(Path.Combine(outDir, "stats.json"), "{}");
        var (code, _, err) = CliRunner.Run("slurm", "submit", "--corpus", Defaults.SampleCorpus, "--index", Path.Combine(dir, "idx"), "--out", outDir, "--dry-run");
        Assert.Equal(3, code);
        Assert.Equal($"error: {outDir}: holds the output of a build without --shards; use a new --out folder, or remove that build first", err.Trim());
        Assert.False(Directory.Exists(Path.Combine(outDir, "slurm")));
    }

    [Theory]
    [InlineData("cfg.yaml", "alpha: 2.5\nepsilion: 0.9\n", "cfg.yaml:2: unknown key 'epsilion'; did you mean 'epsilon'?")]
    [InlineData("cfg.json", """{"top-k": 3}""", "cfg.json:1: unknown key 'top-k'; did you mean 'top_k'?")]
    [InlineData("cfg.yaml", "window: 16.5\n", "cfg.yaml:1: window expects a whole number, got 16.5")]
    [InlineData("cfg.json", """{"order": "sideways"}""", "cfg.json:1: order expects one of shuffle, anchor, got \"sideways\"")]
    [InlineData("cfg.yaml", "epsilon: 2\n", "cfg.yaml:1: epsilon must be at least 0 and below 1 (got 2)")]
    [InlineData("cfg.yaml", "near_duplicate: 1.5\n", "cfg.yaml:1: near_duplicate must be between 0 and 1 (got 1.5)")]
    [InlineData("cfg.yaml", "copy_weight: 1\n", "cfg.yaml:1: copy_weight must be at least 0 and below 1 (got 1)")]
    [InlineData("cfg.yaml", "max_chunks_per_anchor: -1\n", "cfg.yaml:1: max_chunks_per_anchor must be between 0 and 10000 (got -1)")]
    [InlineData("cfg.json", """{"alpha": 1000}""", "cfg.json:1: alpha must be between 0 and 100 (got 1000)")]
    [InlineData("cfg.yaml", "window: 999999\n", "cfg.yaml:1: window must be between 0 and 65536 (got 999999)")]
    [InlineData("cfg.json", """{"top_k": 100000}""", "cfg.json:1: top_k must be between 1 and 10000 (got 100000)")]
    [InlineData("cfg.yaml", "max_anchors_per_document: 0\n", "cfg.yaml:1: max_anchors_per_document must be between 1 and 1000000 (got 0)")]
    [InlineData("cfg.json", "[1]", "cfg.json: invalid configuration (the file holds no object of hyperparameters)")]
    [InlineData("cfg.json", """{"alpha": 1.5, "alpha": 3}""", "cfg.json:1: invalid configuration (Duplicate key alpha)")]
    [InlineData("cfg.yaml", "alpha: 1.5\nalpha: 3\n", "cfg.yaml:2: invalid configuration (Duplicate key alpha)")]
    // Errors about a key named the file only; in a file of many keys, the line is where to look.
    [InlineData("cfg.json", "{\n  \"alpha\": 1.5,\n  \"window\": {\"top_k\": 1},\n  \"top_k\": 0\n}", "cfg.json:3: window expects a whole number, got {\"top_k\":1}")]
    [InlineData("cfg.json", "{\n  \"alpha\": 1.5,\n\n  \"alpha\": 3\n}", "cfg.json:4: invalid configuration (Duplicate key alpha)")]
    [InlineData("cfg.yaml", "# hyperparameters\nalpha: 1.5\n\ntop_k: 0\n", "cfg.yaml:4: top_k must be between 1 and 10000 (got 0)")]
    // Both were "ArgumentException: .NET number values such as positive and negative infinity cannot be written as valid JSON", exit 1.
    [InlineData("cfg.yaml", "alpha: NaN\n", "cfg.yaml:1: alpha expects a number, got \"NaN\"")]
    [InlineData("cfg.yaml", "alpha: 1e400\n", "cfg.yaml:1: alpha expects a number, got \"1e400\"")]
    // A YAML syntax error named no line.
    [InlineData("cfg.yaml", "alpha: 2\nwindow: [16\n", "cfg.yaml:3: invalid configuration (While parsing a flow sequence, did not find expected ',' or ']'.)")]
    // Quoted, a YAML scalar is text: it was read as the number 42 and refused.
    [InlineData("cfg.yaml", "separator: \"42\"\nseed: \"7\"\n", "cfg.yaml:2: seed expects a whole number, got \"7\"")]
    public void ConfigFilesNameTheFileAndTheKey(string name, string text, string message)
    {
        string path = Path.Combine(CliRunner.TempDir(), name);
        File.WriteAllText(path, text);
        var (code, _, err) = CliRunner.Run("build", "--config", path, "--index", Path.Combine(CliRunner.TempDir(), "none"));
        Assert.Equal(3, code);
        Assert.Equal($"error: {Path.GetDirectoryName(path)}/{message}", err.Trim());
    }

    /// <summary>A config file's numbers are held to the ranges of the build flags that set the same values.</summary>
    [Fact]
    public void EveryNumericConfigKeyHasTheRangeOfItsFlag()
    {
        var keys = typeof(Core.EntropyLongOptions).GetProperties().Where(p => OptionRangeAttribute.IsNumeric(p.PropertyType))
            .Select(p => System.Text.Json.JsonNamingPolicy.SnakeCaseLower.ConvertName(p.Name)).ToList();
        Assert.Contains("max_anchors_per_document", keys);
        Assert.DoesNotContain(keys, key => ConfigFile.RangeOf(key) is null);
    }

    [Fact]
    public void ConfigFilesKeepEveryKeyAndWholeSeeds()
    {
        string path = Path.Combine(CliRunner.TempDir(), "cfg.yaml");
        File.WriteAllText(path, "alpha: 2.5\nmax_anchors_per_document:\norder: anchor\nseed: 18446744073709551615\nnear_duplicate: 0\nhard_negatives: 3\nseparator: \"42\"\n");
        var options = ConfigFile.Read(path);
        Assert.Equal((2.5, null, Core.ContextOrder.Anchor, ulong.MaxValue), (options.Alpha, options.MaxAnchorsPerDocument, options.Order, options.Seed));
        Assert.Equal((0.0, 3, "42"), (options.NearDuplicate, options.HardNegatives, options.Separator));
    }

    [Fact]
    public void AConfigFileOverridesTheDefaultsItIsReadOverOnlyWhereItStatesAKey()
    {
        string path = Path.Combine(CliRunner.TempDir(), "over.yaml");
        File.WriteAllText(path, "top_k: 32\nword_entropy: false\n");
        var defaults = new Core.EntropyLongOptions { TopK = 8, WordEntropy = true, CopyWeight = 0.5, MaxChunksPerAnchor = 1 };
        var options = ConfigFile.Read(path, defaults);
        Assert.Equal((32, false, 0.5, 1), (options.TopK, options.WordEntropy, options.CopyWeight, options.MaxChunksPerAnchor));
        Assert.Equal(defaults with { TopK = 32, WordEntropy = false }, options);
    }

    [Fact]
    public void BadDecontaminationDataIsAnInputErrorNamingTheLineBeforeAnythingIsWritten()
    {
        string dir = CliRunner.TempDir();
        string eval = Path.Combine(dir, "ruler.jsonl");
        File.WriteAllText(eval, "{\"input\": \"a b c\"}\n{\"input\": \n");
        Directory.CreateDirectory(Path.Combine(dir, "idx"));
        var (code, _, err) = CliRunner.Run("build", "--index", Path.Combine(dir, "idx"), "--out", Path.Combine(dir, "out"), "--decontaminate", eval);
        Assert.Equal(3, code);
        Assert.StartsWith($"error: {eval}:2: not valid JSON", err.Trim());
        Assert.DoesNotContain('\n', err.Trim());
        Assert.False(Directory.Exists(Path.Combine(dir, "out")));
    }

    [Fact]
    public void AnEditedOrDamagedIndexManifestIsOneLineNamingItAndTheKey()
    {
        string dir = CliRunner.TempDir();
        string corpus = Path.Combine(dir, "c.jsonl"), idx = Path.Combine(dir, "idx"), manifest = Path.Combine(idx, "index.json");
        File.WriteAllLines(corpus, Enumerable.Range(0, 6).Select(i => System.Text.Json.JsonSerializer.Serialize(new { id = $"d{i}", text = $"Document {i} is about bread." })));
        var (code, _, err) = CliRunner.Run("index", "--corpus", corpus, "--out", idx);
        Assert.True(code == 0, err);
        string pristine = File.ReadAllText(manifest);
        string Edited(Action<System.Text.Json.Nodes.JsonObject> edit)
        {
            var root = System.Text.Json.Nodes.JsonNode.Parse(pristine)!.AsObject();
            edit(root);
            return root.ToJsonString();
        }
        foreach (var (text, problem) in new[]
        {
            (Edited(m => m.Remove("chunks")), "\"chunks\" is missing"),
            (Edited(m => m["dimension"] = 0), "\"dimension\" is 0, not a whole number of at least 1"),
            (Edited(m => m["dimension"] = "384"), "\"dimension\" is \"384\", not a whole number of at least 1"),
            (Edited(m => m["chunks"] = -1), "\"chunks\" is -1, not a whole number of at least 0"),
            (Edited(m => m["hnsw"]!["expansionSearch"] = -5), "\"hnsw.expansionSearch\" is -5, not a whole number of at least 1"),
            (Edited(m => m["hnsw"] = 5), "\"hnsw\" is 5, not an object"),
            ("", "empty"),
        })
        {
            File.WriteAllText(manifest, text);
            string expected = $"error: {manifest}: {problem}; the file was edited or damaged: restore it, or build the index again in a new folder";
            (code, _, err) = CliRunner.Run("search", "--index", idx, "--query", "bread");
            Assert.Equal(3, code);
            Assert.Equal(expected, err.Trim());
            // A rerun of index says which model it loaded, then refuses the folder.
            (code, _, err) = CliRunner.Run("index", "--corpus", corpus, "--out", idx);
            Assert.Equal(3, code);
            Assert.Equal(expected, err.Trim().Split('\n')[^1]);
        }
        File.WriteAllText(manifest, pristine[..(pristine.Length / 2)]);
        (code, _, err) = CliRunner.Run("search", "--index", idx, "--query", "bread");
        Assert.Equal(3, code);
        Assert.Matches($@"^error: {Regex.Escape(manifest)}:\d+: not an index manifest \(", err.Trim());
        Assert.DoesNotContain('\n', err.Trim());
        Assert.DoesNotMatch(DotNetName, err);
    }

    [Fact]
    public void ABinaryFileGivenAsDecontaminationDataIsRefusedNotReadAsText()
    {
        string dir = CliRunner.TempDir();
        string eval = Path.Combine(dir, "longbench.bin");
        File.WriteAllBytes(eval, [0x50, 0x41, 0x52, 0x31, 0x00, 0x15, 0x04, 0xff, 0x0a]);
        Directory.CreateDirectory(Path.Combine(dir, "idx"));
        var (code, _, err) = CliRunner.Run("build", "--index", Path.Combine(dir, "idx"), "--out", Path.Combine(dir, "out"), "--decontaminate", eval);
        Assert.Equal(3, code);
        Assert.Equal($"error: {eval}:1: not a text file (a NUL byte); evaluation data is JSON lines, JSON, Parquet or UTF-8 text", err.Trim());
        Assert.False(Directory.Exists(Path.Combine(dir, "out")));
    }

    [Theory]
    [InlineData("index")]
    [InlineData("build")]
    [InlineData("eval ruler")]
    [InlineData("report")]
    [InlineData("experiment ablation")]
    public void AnOutputFolderThatIsAFileIsAnInputErrorNamingIt(string command)
    {
        string dir = CliRunner.TempDir(), file = Path.Combine(dir, "out");
        File.WriteAllText(file, "kept");
        // eval ruler wrote "IOException: The file ... already exists" after loading its model.
        string[] args = command switch
        {
            "index" => ["index", "--corpus", Defaults.SampleCorpus, "--out", file],
            "build" => ["build", "--index", dir, "--out", file],
            "eval ruler" => ["eval", "ruler", "--out", file, "--lengths", "1024", "--samples", "1", "--tasks", "vt"],
            "report" => ["report", dir, "--out", file],
            _ => ["experiment", "ablation", "--out", file],
        };
        var (code, _, err) = CliRunner.Run(args);
        Assert.Equal(3, code);
        Assert.Equal($"error: {file}: a file, but --out names a folder", err.Trim());
        Assert.Equal("kept", File.ReadAllText(file));
    }

    [Fact]
    public void ALongBenchOutputThatIsAFolderIsAnInputErrorNamingIt()
    {
        // It wrote "UnauthorizedAccessException: Access to the path ... is denied" once the model had loaded.
        string dir = CliRunner.TempDir(), data = Path.Combine(dir, "lb.json"), folder = Path.Combine(dir, "results");
        File.WriteAllText(data, "[]");
        Directory.CreateDirectory(folder);
        var (code, _, err) = CliRunner.Run("eval", "longbench-v2", "--data", data, "--out", folder);
        Assert.Equal(3, code);
        Assert.Equal($"error: {folder}: a folder, but --out names the file to write", err.Trim());
    }

    [Fact]
    public void AnOutputFileNamedWithATrailingSlashOrInsideAnInputFolderIsRefusedBeforeAnyWork()
    {
        // A trailing slash gave UnauthorizedAccessException (longbench) or DirectoryNotFoundException after training
        // (train); train --data BUILD --out BUILD/sequences.jsonl overwrote the build with the model.
        string dir = CliRunner.TempDir(), data = Path.Combine(dir, "lb.json"), build = Path.Combine(dir, "build");
        File.WriteAllText(data, "[]");
        Directory.CreateDirectory(build);
        File.WriteAllText(Path.Combine(build, "sequences.jsonl"), "kept");
        var cases = new (string[] Args, string Error)[]
        {
            (["eval", "longbench-v2", "--data", data, "--out", dir + "/lb2/"], $"--out {dir}/lb2/ ends in '/', but it names the file to write"),
            (["train", "--data", build, "--init", Defaults.Model, "--out", dir + "/model/"], $"--out {dir}/model/ ends in '/', but it names the file to write"),
            (["train", "--data", build, "--init", Defaults.Model, "--out", Path.Combine(build, "sequences.jsonl")],
                $"--out {Path.Combine(build, "sequences.jsonl")} is inside {build}, which this command reads; writing there could overwrite its files"),
            (["train", "--data", build, "--init", Defaults.Model, "--out", Defaults.Model], $"--out {Defaults.Model} is the input file {Defaults.Model}; writing it would overwrite the input"),
            (["report", build, "--out", Path.Combine(build, "mds")],
                $"--out {Path.Combine(build, "mds")} is inside {Path.Combine(build, "mds")}, which this command reads; writing there could overwrite its files"),
        };
        foreach (var (args, error) in cases)
        {
            var (code, _, err) = CliRunner.Run(args);
            Assert.True(code == 2, string.Join(' ', args) + ": " + err);
            Assert.Equal($"error: {error}", err.Trim());
        }
        Assert.Equal("kept", File.ReadAllText(Path.Combine(build, "sequences.jsonl")));
        Assert.False(Directory.Exists(Path.Combine(dir, "lb2")));
    }

    [Fact]
    public void ABuildIsNotWrittenOverItsCorpusNorOverAReadmeItDidNotWrite()
    {
        // The build replaced the corpus folder's own README.md with its dataset card, and `index --corpus DIR` then read
        // the build's files as corpus.
        string dir = CliRunner.TempDir(), corpus = Path.Combine(dir, "corpus.jsonl"), readme = Path.Combine(dir, "README.md");
        File.WriteAllText(corpus, """{"id": "a", "text": "some text"}""" + "\n");
        File.WriteAllText(readme, "# My corpus\n");
        var (code, _, err) = CliRunner.Run("build", "--corpus", corpus, "--index", dir, "--out", dir);
        Assert.Equal(2, code);
        Assert.Equal($"error: --out {dir} holds the corpus file {corpus}; write the build to another folder", err.Trim());
        string other = CliRunner.TempDir();
        File.WriteAllText(Path.Combine(other, "README.md"), "# Notes\n");
        (code, _, err) = CliRunner.Run("build", "--corpus", corpus, "--index", dir, "--out", other);
        Assert.Equal(3, code);
        Assert.Equal($"error: {Path.Combine(other, "README.md")}: not a build's dataset card, and a build writes its card there; use another --out folder", err.Trim());
        Assert.Equal("# My corpus\n", File.ReadAllText(readme));
        Assert.Equal("# Notes\n", File.ReadAllText(Path.Combine(other, "README.md")));
    }

    [Fact]
    public void BenchContextWithNothingToMeasureSaysSo()
    {
        // It printed a table of zeros and "repeat / first: NaN", exit 0.
        string dir = CliRunner.TempDir(), corpus = Path.Combine(dir, "c.jsonl");
        var ids = Enumerable.Range(0, 100).Select(i => $"d{i}").Where(id => !EntropyLong.Llm.Training.TrainingData.IsHeldOut(id)).Take(3);
        File.WriteAllLines(corpus, ids.Select(id => $$"""{"id": "{{id}}", "text": "a short text"}"""));
        var (code, _, err) = CliRunner.Run("bench", "context", "--corpus", corpus, "--model", Defaults.Model);
        Assert.Equal(3, code);
        Assert.Equal($"error: {corpus}: none of its 3 documents is held out (SHA-256 of the id, bucket 0 of 20); nothing to measure: give --all-documents, or a larger corpus", err.Trim());
    }

    [Fact]
    public void BenchContextPrintsADashForAMeanOfNoTokens()
    {
        // "house" is one token of the default model: no inner tokens, whose mean entropy read 0.0000 and the ratio NaN.
        string corpus = Path.Combine(CliRunner.TempDir(), "c.jsonl");
        File.WriteAllText(corpus, """{"id": "a", "text": "The house was near. The house was old."}""" + "\n");
        string[] args = ["bench", "context", "--corpus", corpus, "--model", Defaults.Model, "--all-documents", "--threads", "2"];
        // The command writes through AnsiConsole, which keeps the stdout of whichever test used it first.
        var (code, stdout, err) = CliRunner.Capture(() =>
        {
            var old = Spectre.Console.AnsiConsole.Console;
            Spectre.Console.AnsiConsole.Console = Spectre.Console.AnsiConsole.Create(new() { Out = new Spectre.Console.AnsiConsoleOutput(Console.Out) });
            try { return Program.Main(args).GetAwaiter().GetResult(); }
            finally { Spectre.Console.AnsiConsole.Console = old; }
        });
        Assert.True(code == 0, err);
        Assert.Matches(@"│ first +│ 1 +│ 1 +│ \d+\.\d{4} +│ 0 +│ - +│", stdout);
        Assert.Matches(@"repeat / first: \d+\.\d{3} \(all tokens\), - \(inner tokens\)", stdout);
        Assert.DoesNotContain("NaN", stdout);
    }

    [Fact]
    public void AFullDiskAnywhereIsOneLineNamingTheFile()
    {
        // Creating a sharded build's task lock on a full disk gave "error: IOException: No space left on device : '…'",
        // exit 1, where a task's own writes said "disk full while writing …". The runtime's exception, simulated:
        // ENOSPC (28) in HResult and the path at the end of the message.
        string lockFile = "/out/tasks/build-0001.lock";
        foreach (var (thrown, expected) in new (Exception, string)[]
                 {
                     (new IOException($"No space left on device : '{lockFile}'", 28), $"disk full while writing {lockFile} (No space left on device)"),
                     // EDQUOT, inside the exception of a worker thread; a message that names no file.
                     (new AggregateException(new IOException("Disk quota exceeded", 122)), "disk full (Disk quota exceeded)"),
                 })
        {
            var (code, _, err) = CliRunner.Capture(() => ErrorReporting.Report(thrown, []));
            Assert.Equal((3, $"error: {expected}\n"), (code, err));
        }
        // Another I/O error is not one.
        var (other, _, otherErr) = CliRunner.Capture(() => ErrorReporting.Report(new IOException($"Input/output error : '{lockFile}'", 5), []));
        Assert.Equal(1, other);
        Assert.DoesNotContain("disk full", otherErr);
    }

    [Fact]
    public void AMergeOnAFullDiskSaysSoAndHowToFinish()
    {
        // It said "the merge failed (No space left on device : '…')": the runtime's words, the remedy a guess.
        string file = "/out dir/mds/shard.00000.mds";
        Assert.Equal("/out dir: the merge failed: disk full while writing /out dir/mds/shard.00000.mds (No space left on device); the shard tasks are kept: " +
                     "free disk space and run `entropylong merge '/out dir'`",
            Commands.MergeCommand.Failed("/out dir", new IOException($"No space left on device : '{file}'", 28)).Message);
        Assert.Equal("/out: the merge failed: Input/output error; the shard tasks are kept: fix the cause and run `entropylong merge /out`",
            Commands.MergeCommand.Failed("/out", new IOException("Input/output error", 5)).Message);
    }

    [Fact]
    public void VersionPrintsThePackageVersionWithTheCommitNotTheFourPartAssemblyVersion()
    {
        // It printed "entropylong 0.1.0.0" for package 0.1.0.
        var project = new DirectoryInfo(AppContext.BaseDirectory);
        while (!File.Exists(Path.Combine(project.FullName, "src", "EntropyLong.Cli", "EntropyLong.Cli.csproj"))) project = project.Parent!;
        string package = Regex.Match(File.ReadAllText(Path.Combine(project.FullName, "src", "EntropyLong.Cli", "EntropyLong.Cli.csproj")), "<Version>(.*?)</Version>").Groups[1].Value;
        var (code, stdout, err) = CliRunner.Run("version");
        Assert.True(code == 0, err);
        Assert.Matches($@"^entropylong {Regex.Escape(package)}(\+[0-9a-f]{{7,40}})?\n$", stdout);
    }

    [Fact]
    public void IndexBuildAndTrainRefuseACorpusWithNoDocumentNamingItBeforeWriting()
    {
        // index wrote an index of 0 chunks (which search then read without complaint) and build an empty dataset, both
        // exit 0; train blamed "the training documents hold 0 tokens" without naming the corpus.
        string dir = CliRunner.TempDir(), corpus = Path.Combine(dir, "empty.jsonl"), index = Path.Combine(dir, "idx");
        File.WriteAllText(corpus, "");
        string[] tiny = ["--steps", "2", "--ctx", "64", "--dim", "32", "--layers", "1", "--heads", "2", "--vocab", "300", "--batch", "2"];
        foreach (var args in new[]
                 {
                     new[] { "index", "--corpus", corpus, "--out", index },
                     ["build", "--corpus", corpus, "--index", dir, "--out", Path.Combine(dir, "out")],
                     ["train", "--corpus", corpus, "--out", Path.Combine(dir, "e.gguf"), .. tiny],
                 })
        {
            var (code, _, err) = CliRunner.Run(args);
            Assert.Equal((3, $"error: {corpus}: the corpus holds no document"), (code, err.Trim()));
        }
        Assert.False(Directory.Exists(index));
        Assert.False(Directory.Exists(Path.Combine(dir, "out")));

        // A corpus too small to train on is named too.
        File.WriteAllText(corpus, """{"id": "a", "text": "a few words"}""" + "\n");
        var (trainCode, _, trainErr) = CliRunner.Run(["train", "--corpus", corpus, "--out", Path.Combine(dir, "e.gguf"), .. tiny]);
        Assert.Equal(3, trainCode);
        Assert.StartsWith($"error: {corpus}: the ", trainErr.Split('\n').Last(line => line.Length > 0));
    }

    [Fact]
    public void BenchVerifyWithNoDocumentSaysTheCorpusHoldsNone()
    {
        // It loaded the models, then blamed --alpha: "the 0 timed documents have nothing to verify".
        string dir = CliRunner.TempDir(), corpus = Path.Combine(dir, "empty.jsonl");
        File.WriteAllText(corpus, "");
        var (code, _, err) = CliRunner.Run("bench", "verify", "--index", dir, "--corpus", corpus, "--docs", "2");
        Assert.Equal((3, $"error: {corpus}: the corpus holds no document"), (code, err.Trim()));
        File.WriteAllText(corpus, "{\"id\": \"a\"}\n");
        (code, _, err) = CliRunner.Run("bench", "verify", "--index", dir, "--corpus", corpus, "--docs", "2");
        Assert.Equal((3, $"error: {corpus}: the corpus holds no document: 1 record skipped (1 missing text); first: {corpus}:1: missing text (no \"text\" field)"), (code, err.Trim()));
    }

    [Fact]
    public void BenchVerifyWithoutAModelReadsTheShippedScorerByWordsAsBuildDoes()
    {
        // Read by tokens, the shipped model's entropies have no tail: alpha 2 placed no anchor, and there was nothing to time.
        string dir = CliRunner.TempDir(), corpus = Path.Combine(dir, "c.jsonl"), index = Path.Combine(dir, "idx");
        using (var sample = new System.IO.Compression.GZipStream(File.OpenRead(Path.Combine(Defaults.Home, "data", "sample", "corpus.jsonl.gz")), System.IO.Compression.CompressionMode.Decompress))
        using (var reader = new StreamReader(sample))
            File.WriteAllLines(corpus, Enumerable.Range(0, 40).Select(_ => reader.ReadLine()!));
        var (code, _, err) = CliRunner.Run("index", "--corpus", corpus, "--out", index);
        Assert.True(code == 0, err);
        string stdout;
        (code, stdout, err) = CliRunner.Run("bench", "verify", "--index", index, "--corpus", corpus, "--docs", "4", "--blocks", "4", "--block", "1",
            "--rounds", "1", "--top-k", "2", "--threads", "2", "--json");
        Assert.True(code == 0, err);
        var result = System.Text.Json.JsonDocument.Parse(stdout).RootElement;
        Assert.True(result.GetProperty("word_entropy").GetBoolean());
        Assert.True(result.GetProperty("anchors").GetInt32() > 0, stdout);
    }

    [Fact]
    public void BenchScoreWithNoDocumentToScoreSaysSo()
    {
        // It printed 0 tokens per round, 0 tokens/s and ratio NaN, exit 0.
        string corpus = Path.Combine(CliRunner.TempDir(), "empty.jsonl");
        File.WriteAllText(corpus, "");
        var (code, _, err) = CliRunner.Run("bench", "score", "--input", corpus, "--rounds", "1", "--threads", "2");
        Assert.Equal(3, code);
        Assert.Equal($"error: {corpus}: no document of 2 tokens or more to score; nothing to time", err.Trim());
    }

    [Fact]
    public void BenchScoreRandomLearnsItsVocabularyFromEachInput()
    {
        // The random model was cached under one name, so a second input silently reused the first input's vocabulary.
        string dir = CliRunner.TempDir(), few = Path.Combine(dir, "few.jsonl"), many = Path.Combine(dir, "many.jsonl");
        File.WriteAllLines(few, Enumerable.Range(0, 3).Select(i => $$"""{"id": "{{i}}", "text": "{{string.Concat(Enumerable.Repeat("abc abd ", 40))}}"}"""));
        File.WriteAllLines(many, Enumerable.Range(0, 3).Select(i =>
            $$"""{"id": "{{i}}", "text": "{{string.Join(' ', Enumerable.Range(0, 60).Select(j => $"word{j} quick brown fox {i}"))}}"}"""));
        int Vocabulary(string input)
        {
            var (code, output, err) = CliRunner.Run("bench", "score", "--random", "--input", input, "--rounds", "1", "--tokens", "64", "--threads", "2", "--json");
            Assert.True(code == 0, err);
            return System.Text.Json.JsonDocument.Parse(output).RootElement.GetProperty("vocab_size").GetInt32();
        }
        int first = Vocabulary(few), second = Vocabulary(many);
        Assert.True(second > first, $"vocabulary {second} learned from the second input, {first} from the first");
        Assert.Equal(first, Vocabulary(few));
    }

    [Fact]
    public void AMissingBuildConfigIsAnInputError()
    {
        string missing = Path.Combine(CliRunner.TempDir(), "nonexist.json");
        var (code, _, err) = CliRunner.Run("experiment", "ablation", "--out", CliRunner.TempDir(), "--build-config", missing, "--quick");
        Assert.Equal(3, code);
        Assert.Equal($"error: {missing}: not found (--build-config)", err.Trim());
    }

    [Fact]
    public void MergingAFolderThatDoesNotExistSaysSo()
    {
        string missing = Path.Combine(CliRunner.TempDir(), "missing");
        var (code, _, err) = CliRunner.Run("merge", missing);
        Assert.Equal(3, code);
        Assert.Equal($"error: {missing}: build folder not found", err.Trim());
    }

    [Fact]
    public void AFileWhereAFolderIsExpectedOrAFolderWhereAFileIsIsNamedAsSuch()
    {
        string dir = CliRunner.TempDir(), file = Path.Combine(dir, "stats.json");
        File.WriteAllText(file, "{}");
        foreach (var (args, message) in new (string[], string)[]
        {
            (["report", file], $"{file}: a file, not a build folder"),
            (["compare", file, dir], $"{file}: a file, not a build folder"),
            (["merge", file], $"{file}: a file, not a build folder"),
            (["bench", "links", "--build", file], $"{file}: a file, not a build folder"),
            (["search", "--index", file, "-q", "query"], $"{file}: a file, not an index folder"),
            (["eval", "longbench-v2", "score", dir], $"{dir}: a folder, not a file"),
        })
        {
            var (code, _, err) = CliRunner.Run(args);
            Assert.True(code == 3, $"{string.Join(' ', args)}: exit {code}, {err}");
            Assert.Equal($"error: {message}", err.Trim());
        }
    }

    private static string Text(decimal value) => value.ToString(CultureInfo.InvariantCulture);

    private static bool Within(OptionRangeAttribute range, string value)
    {
        if (!decimal.TryParse(value, NumberStyles.Float, CultureInfo.InvariantCulture, out decimal v)) return false; // NaN, 1e308
        return (range.MinExclusive ? v > range.Min : v >= range.Min) && (range.MaxExclusive ? v < range.Max : v <= range.Max);
    }
}
