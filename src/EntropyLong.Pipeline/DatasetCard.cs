using System.Globalization;
using System.Text;
using System.Text.Json;
using System.Text.RegularExpressions;
using EntropyLong.Core;
using EntropyLong.Data;
using YamlDotNet.Serialization;

namespace EntropyLong.Pipeline;

/// <summary>OUT/README.md: a Hugging Face dataset card for a finished build. YAML front matter (license, language, size
/// category, task, tags, the files the viewer should load), then what the data is, the configuration, stats.json's
/// counts, the files and their columns, the corpus's provenance and licence, how to load the data, and the paper's
/// citation. Everything comes from the effective configuration (config.json), the stats and the corpus folders' own
/// README.md; nothing from the clock, so the same build gives the same card.</summary>
public static partial class DatasetCard
{
    public const string Citation = """
        @article{jia2025entropylong,
          title   = {{EntropyLong}: Effective Long-Context Training via Predictive Uncertainty},
          author  = {Jia, Junlong and Chen, Ziyang and Wu, Xing and Gao, Chaochen and Lin, Zijia and Zhang, Debing and Hu, Songlin and Guo, Binghui},
          journal = {arXiv preprint arXiv:2510.02330},
          year    = {2025}
        }
        """;

    /// <summary>Writes the card into <paramref name="output"/>'s folder, atomically; call it before stats.json, which
    /// marks the build complete.</summary>
    public static void Write(BuildOutput output, JsonElement configuration, BuildStats stats) =>
        AtomicFile.WriteAllBytes(Path.Combine(output.Directory, BuildFolder.Card), Encoding.UTF8.GetBytes(Render(output, configuration, stats)));

    public static string Render(BuildOutput output, JsonElement configuration, BuildStats stats)
    {
        var options = configuration.GetProperty("options").Deserialize<EntropyLongOptions>(BuildFolder.Json)!;
        var corpus = configuration.GetProperty("corpus").EnumerateArray().Select(e => e.GetString()!).ToList();
        var readmes = corpus.GroupBy(f => Path.GetDirectoryName(Path.GetFullPath(f))!)
            .Select(g => CorpusReadme.Find(g.Key, g.Select(f => Path.GetFileName(f)).ToList())).ToList();
        bool details = File.Exists(Path.Combine(output.Directory, BuildFolder.Details));

        var card = new StringBuilder();
        card.Append("---\n").Append(FrontMatter(output, stats, readmes)).Append("---\n\n");
        card.Append("# EntropyLong long-context training data\n\n");
        card.Append(CultureInfo.InvariantCulture, $"""
            Long-context training sequences built with EntropyLong ([Jia et al., 2025](https://arxiv.org/abs/2510.02330)) by
            `entropylong build` (EntropyLong for .NET). A scoring model marks the tokens of each root document it is most
            unsure about (anchors: entropy above mean + alpha x std of the document); corpus chunks retrieved for each
            anchor are kept only if putting them before the document lowers the entropy at that anchor by more than
            epsilon (relative). Each sample is the verified chunks followed by the whole document, so the document depends
            on text far before it; samples are packed several to a sequence of at most {options.SeqLen:N0} tokens.


            """);
        card.Append(CultureInfo.InvariantCulture, $"**{stats.Sequences:N0} sequences**, {stats.TokensOut:N0} tokens, from {stats.DocumentsUsed:N0} of the " +
            $"{stats.DocumentsRead:N0} root documents read, with {stats.ChunksVerified:N0} verified contexts");
        // A baseline verifies nothing: no mean to state.
        if (stats.ChunksVerified > 0) card.Append(CultureInfo.InvariantCulture, $" (mean relative entropy reduction {stats.MeanDelta:F3})");
        card.Append(".\n\n");

        card.Append("## Configuration\n\n| setting | value |\n| --- | --- |\n");
        foreach (var (setting, value) in Settings(output, configuration, options)) card.Append($"| {Cell(setting)} | {Cell(value)} |\n");
        card.Append("\nThe full configuration, with paths, is in `config.json`.\n\n");

        card.Append("## Counts\n\nFrom `stats.json` (which also holds the time spent per stage):\n\n| counter | value |\n| --- | --- |\n");
        foreach (var (name, value) in Counts(stats)) card.Append($"| {name} | {value} |\n");

        card.Append("\n## Files\n\n");
        card.Append(Files(output, details));
        card.Append("\n## Source corpus\n\n");
        card.Append(Provenance(readmes));
        card.Append("\n## Loading\n\n");
        card.Append(Loading(output));
        card.Append($"\n## Citation\n\n```bibtex\n{Citation}\n```\n");
        return card.ToString();
    }

    /// <summary>Hugging Face's size category for <paramref name="rows"/> rows (here: sequences).</summary>
    public static string SizeCategory(long rows)
    {
        string[] bounds = ["1K", "10K", "100K", "1M", "10M", "100M", "1B", "10B", "100B", "1T"];
        long limit = 1000;
        for (int i = 0; i < bounds.Length; i++, limit *= 10)
            if (rows < limit) return i == 0 ? "n<1K" : $"{bounds[i - 1]}<n<{bounds[i]}";
        return "n>1T";
    }

    private static string FrontMatter(BuildOutput output, BuildStats stats, List<CorpusReadme> readmes)
    {
        // The corpus's licence and languages are known only when every corpus folder's README states them alike.
        var licenses = readmes.Select(r => r.License).Distinct().ToList();
        string license = licenses is [{ } known] ? known : "other";
        var licenseNames = readmes.Select(r => r.LicenseName).Distinct().ToList();
        var languages = readmes.All(r => r.Languages.Count > 0) ? readmes.SelectMany(r => r.Languages).Distinct().ToList() : [];
        var yaml = new Dictionary<string, object>
        {
            ["license"] = license,
        };
        if (license == "other" && licenseNames is [{ } name]) yaml["license_name"] = name;
        if (languages.Count > 0) yaml["language"] = languages;
        yaml["size_categories"] = new[] { SizeCategory(stats.Sequences) };
        yaml["task_categories"] = new[] { "text-generation" };
        yaml["tags"] = new[] { "long-context", "entropylong", "prolong", "mosaicml-streaming" };
        yaml["pretty_name"] = "EntropyLong long-context training data";
        // Pins what the viewer and load_dataset(OUT) read: details.jsonl has another schema.
        yaml["configs"] = new[]
        {
            new Dictionary<string, object>
            {
                ["config_name"] = "default",
                ["data_files"] = new[]
                {
                    new Dictionary<string, object> { ["split"] = "train", ["path"] = output.Parquet ? $"{BuildFolder.Parquet}/*.parquet" : output.SequencesFile },
                },
            },
        };
        string text = new SerializerBuilder().Build().Serialize(yaml);
        return languages.Count > 0 ? text : text + "# language: the corpus README gives none; add its ISO 639-1 codes before publishing\n";
    }

    private static IEnumerable<(string, string)> Settings(BuildOutput output, JsonElement configuration, EntropyLongOptions options)
    {
        string F(double v) => v.ToString(CultureInfo.InvariantCulture);
        string Text(string key) => configuration.TryGetProperty(key, out var v) && v.ValueKind == JsonValueKind.String ? v.GetString()! : "";
        bool Flag(string key) => configuration.TryGetProperty(key, out var v) && v.ValueKind == JsonValueKind.True;
        yield return ("alpha (anchor: entropy > mean + alpha x std)", F(options.Alpha));
        yield return ("epsilon (kept: (H - H') / H > epsilon)", F(options.Epsilon));
        yield return ("window (query: tokens either side of the anchor)", $"{options.Window}");
        yield return ("top_k (candidates per anchor)", $"{options.TopK}");
        yield return ("max anchors per document", options.MaxAnchorsPerDocument is { } cap ? $"{cap}" : "no cap");
        if (options.MinDocumentGain is { } gain) yield return ("kept chunks remove more of the entropy of the rest of the document than", $"{gain:0.###}");
        if (options.MaxChunksPerAnchor is > 0 and var kept) yield return ("kept chunks per anchor (best retrieval rank first), at most", $"{kept}");
        if (options.SkipFirstTokens > 0) yield return ("no anchors in the first tokens", $"{options.SkipFirstTokens}");
        if (options.WordEntropy) yield return ("anchors", "words (entropy summed over a word's tokens)");
        if (options.CopyWeight is > 0 and var w) yield return ("copy mixture (weight 1 - (1 - W)^longest match)", $"W = {F(w)}");
        yield return ("seq_len (tokens per sequence, at most)", $"{options.SeqLen}");
        yield return ("order of the contexts", options.Order == ContextOrder.Shuffle ? "shuffled (seeded)" : "by anchor position");
        yield return ("seed", $"{options.Seed}");
        yield return ("separator", $"`{JsonSerializer.Serialize(options.Separator)}`");
        yield return ("documents without a verified context", options.DropUnverified ? "dropped" : "kept");
        yield return ("scoring model", ModelDescription(configuration, Text("model")) + (Flag("exact") ? ", exact mode" : ""));
        double Number(string key) => configuration.TryGetProperty(key, out var v) && v.ValueKind == JsonValueKind.Number ? v.GetDouble() : double.NaN;
        if (Number("temperature") is var t && !double.IsNaN(t) && t != 1) yield return ("entropy temperature", F(t));
        yield return ("training tokenizer (input_ids)", Text("tokenizer") is "scorer" or "" ? "the scoring model's" : $"`{Path.GetFileName(Text("tokenizer"))}`");
        yield return ("embedder (retrieval)", $"`{Text("embedder")}`");
        yield return ("verification", Flag("naive") ? "each (anchor, candidate) pair alone" :
            $"grouped by chunk, blocks of {(configuration.TryGetProperty("block", out var b) ? b.GetRawText() : "?")} documents");
        switch (Text("split"))
        {
            case "held-out": yield return ("root documents", "only those `entropylong train` holds out"); break;
            case "train": yield return ("root documents", "those `entropylong train` trains on; no context from a held-out document"); break;
        }
        yield return ("position weights", output.PositionWeights ? "written (`position_weighted`)" : "not written");
    }

    private static string ModelDescription(JsonElement configuration, string model)
    {
        var description = new StringBuilder($"`{Path.GetFileName(model)}`");
        if (configuration.TryGetProperty("model_info", out var info))
        {
            string Field(string key) => info.TryGetProperty(key, out var v) ? v.ValueKind == JsonValueKind.Number ? v.GetInt64().ToString("N0", CultureInfo.InvariantCulture) : v.ToString() : "?";
            description.Append($": {Field("name")}, {Field("parameters")} parameters, vocabulary {Field("vocab_size")}, context {Field("context_length")}");
        }
        return description.ToString();
    }

    /// <summary>stats.json's counters as it writes them (snake_case), doubles to 4 decimals; not the seconds.</summary>
    private static IEnumerable<(string, string)> Counts(BuildStats stats)
    {
        using var json = JsonSerializer.SerializeToDocument(stats, BuildFolder.Json);
        foreach (var p in json.RootElement.EnumerateObject())
        {
            if (p.Name == "seconds") continue;
            if (p.Value.ValueKind == JsonValueKind.Object)
                foreach (var reason in p.Value.EnumerateObject()) yield return ($"{p.Name}.{reason.Name}", reason.Value.GetRawText());
            else yield return (p.Name, p.Value.TryGetInt64(out long n) ? $"{n}" : p.Value.GetDouble().ToString("0.####", CultureInfo.InvariantCulture));
        }
    }

    private static string Files(BuildOutput output, bool details)
    {
        var files = new StringBuilder();
        files.Append($"""
            - `{output.SequencesFile}`: one JSON object per packed sequence: `index`, `num_tokens`, `text`, and `samples`, each
              with its `document_id`, its token and character ranges in the sequence, and its `contexts`: the chunk, its source
              document, where it sits (`start_token`, `end_token`), the token of the document it helps predict
              (`anchor_token`, `anchor_text`), and the entropies `h` (without it), `h_prime` (with it) and `delta`.

            """);
        if (output.Mds)
            files.Append($"""
                - `mds/`: MosaicML streaming shards (`index.json`, `shard.NNNNN.mds`) as ProLong reads them: `indices`
                  (`ndarray:uint32`, shape (n, 2)), `input_ids` (`ndarray:uint32`), `length` (`uint64`){(output.PositionWeights ? ", `position_weighted` (`ndarray:uint8`)" : "")}.

                """);
        if (output.Parquet)
            files.Append($"""
                - `parquet/part-NNNNN.parquet`: the same sequences in the same order, one row each: `input_ids`
                  (`list<int32>`), `indices` (`list<list<int32>>`, [start, end) pairs), `num_tokens` (`int32`){(output.PositionWeights ? ", `position_weighted` (`list<uint8>`)" : "")}.

                """);
        if (details)
            files.Append("- `details.jsonl`: every root document read, used or not: its tokens, their entropies, the threshold, and every anchor with its query and judged candidates.\n");
        files.Append("- `stats.json`: the counters above and the time per stage; `config.json`: the effective configuration.\n\n");
        files.Append($"""
            `indices` holds one [start, end) token range per packed sample, and each sample is its verified contexts and its
            document together, so document masking (ProLong attends within each range only) never separates a document from
            its contexts. The ranges tile each sequence from 0 to its end.

            """);
        if (output.PositionWeights)
            files.Append($"""

                `position_weighted` is 1 at the anchor token of every context kept in a sample (the token whose entropy
                the context lowered, `anchor_token` in `{output.SequencesFile}`) and 0 elsewhere, one value per token. The
                EntropyLong authors' ProLong fork reads the column as loss weights, but ignores it under sequence parallelism
                (the paper's setting); without sequence parallelism it either ignores it or, with logit blocks, pairs each
                weight with the next token's prediction and should fail on most lengths (read from the fork's source, not
                run). See `recipes/prolong/README.md` of EntropyLong for .NET before relying on it.

                """);
        return files.ToString();
    }

    private static string Provenance(List<CorpusReadme> readmes)
    {
        var text = new StringBuilder();
        text.Append("Root documents and retrieved chunks come from the corpus the build was given; its licence governs this data.\n");
        foreach (var readme in readmes)
        {
            string files = string.Join(", ", readme.Files.Select(f => $"`{f}`"));
            if (readme.Path is null)
                text.Append($"\n{files}: no README.md beside the corpus files, so nothing is known here about their origin " +
                    "or licence; state both before publishing.\n");
            else if (readme.LicenceSection is { } section)
                text.Append($"\n{files}: the README.md beside them says, under \"{section.Heading}\":\n\n{section.Body}\n");
            else
                text.Append($"\n{files}: the README.md beside them has no licence section; see that file for their origin and licence.\n");
        }
        return text.ToString();
    }

    private static string Loading(BuildOutput output)
    {
        var text = new StringBuilder();
        if (output.Mds)
            text.Append("""
                MDS, with mosaicml-streaming or the ProLong trainer (`--tokenized_mds_train <this folder>/mds@1.0`; see
                `recipes/prolong/` of EntropyLong for .NET for the paper's settings):

                ```python
                from streaming import StreamingDataset
                ds = StreamingDataset(local="mds", shuffle=False)
                sample = ds[0]  # sample["input_ids"], sample["indices"], sample["length"]
                ```


                """);
        text.Append($"""
            With Hugging Face datasets:

            ```python
            from datasets import load_dataset

            """);
        if (output.Parquet)
            text.Append($"tokens = load_dataset(\"parquet\", data_files=\"{BuildFolder.Parquet}/*.parquet\", split=\"train\")  # input_ids, indices, num_tokens\n");
        text.Append($"sequences = load_dataset(\"json\", data_files=\"{output.SequencesFile}\", split=\"train\")  # text, samples, contexts\n```\n");
        return text.ToString();
    }

    private static string Cell(string value) => value.Replace("|", "\\|").Replace("\n", " ");

    /// <summary>What the README.md of a corpus folder says: the YAML front matter's <c>license</c>,
    /// <c>license_name</c> and <c>language</c> (the Hugging Face card convention), and the section whose heading
    /// names the licence. <see cref="Path"/> is null when the folder has no README.md.</summary>
    private sealed record CorpusReadme(string? Path, List<string> Files, string? License, string? LicenseName, List<string> Languages,
        (string Heading, string Body)? LicenceSection)
    {
        public static CorpusReadme Find(string folder, List<string> files)
        {
            string path = System.IO.Path.Combine(folder, "README.md");
            if (!File.Exists(path)) return new(null, files, null, null, [], null);
            string text = File.ReadAllText(path).ReplaceLineEndings("\n");
            var front = FrontMatterBlock().Match(text);
            Dictionary<string, object?> meta = [];
            if (front.Success)
            {
                try { meta = new DeserializerBuilder().Build().Deserialize<Dictionary<string, object?>>(front.Groups[1].Value) ?? []; }
                catch (YamlDotNet.Core.YamlException e) { throw new UserInputException($"{path}: its YAML front matter is not valid ({e.Message})", e); }
            }
            var languages = meta.GetValueOrDefault("language") switch
            {
                string one => [one],
                List<object> many => many.Select(l => $"{l}").ToList(),
                _ => new List<string>(),
            };
            return new(path, files, meta.GetValueOrDefault("license") as string, meta.GetValueOrDefault("license_name") as string, languages,
                Section(front.Success ? text[front.Length..] : text));
        }

        // The first heading that mentions a licence (or license), and its text up to the next heading of its level or above.
        private static (string, string)? Section(string markdown)
        {
            var lines = markdown.Split('\n');
            // Heading level per line, 0 for text; a '#' line inside a code fence is text.
            var levels = new int[lines.Length];
            bool fenced = false;
            for (int i = 0; i < lines.Length; i++)
            {
                if (lines[i].StartsWith("```", StringComparison.Ordinal)) fenced = !fenced;
                else if (!fenced && Heading().Match(lines[i]) is { Success: true } h) levels[i] = h.Groups[1].Length;
            }
            for (int i = 0; i < lines.Length; i++)
            {
                if (levels[i] == 0 || !LicenceWord().IsMatch(lines[i])) continue;
                int end = i + 1;
                while (end < lines.Length && (levels[end] == 0 || levels[end] > levels[i])) end++;
                return (Heading().Match(lines[i]).Groups[2].Value.Trim(), string.Join('\n', lines[(i + 1)..end]).Trim());
            }
            return null;
        }
    }

    [GeneratedRegex(@"\A---\n(.*?)\n---\n", RegexOptions.Singleline)]
    private static partial Regex FrontMatterBlock();

    [GeneratedRegex(@"^(#{1,6})\s+(.*)$")]
    private static partial Regex Heading();

    [GeneratedRegex(@"licen[cs]e", RegexOptions.IgnoreCase)]
    private static partial Regex LicenceWord();
}
