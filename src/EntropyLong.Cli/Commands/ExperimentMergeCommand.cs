using System.ComponentModel;
using System.Text.Json;
using System.Text.Json.Nodes;
using EntropyLong.Core;
using EntropyLong.Eval.Ablation;
using Spectre.Console;
using Spectre.Console.Cli;

namespace EntropyLong.Cli.Commands;

/// <summary>entropylong experiment merge: one table from ablations run with the same settings in different folders
/// (seeds on different machines or in different sessions, an arm added later), with intervals over all their seeds.</summary>
public sealed class ExperimentMergeCommand : Command<ExperimentMergeCommand.Settings>
{
    public sealed class Settings : CommandSettings
    {
        [CommandArgument(0, "<RUNS>"), Description("Finished `experiment ablation` folders, or their ablation.json files")]
        public string[] Runs { get; init; } = [];
        [CommandOption("--out <DIR>"), Description("Where the merged ablation.json, ablation.md and ablation.png go")]
        public string Out { get; init; } = "";

        public override ValidationResult Validate() =>
            Out.Length == 0 ? ValidationResult.Error("--out is required")
            : Runs.Length < 2 ? ValidationResult.Error("give at least two runs to merge")
            : ValidationResult.Success();
    }

    public override int Execute(CommandContext context, Settings s, CancellationToken ct)
    {
        var sources = s.Runs.Select(r => Directory.Exists(r) ? Path.Combine(r, "ablation.json") : r).ToList();
        // Written into a run's folder, the merged table would replace that run's own ablation.json.
        OutputPath.CheckFolder(s.Out, sources.Select(f => Path.GetDirectoryName(Path.GetFullPath(f))!));
        var runs = sources.Select(Read).ToList();
        string dir = Path.GetFullPath(s.Out);
        Directory.CreateDirectory(dir);
        ExperimentAblationCommand.WriteTables(dir, AblationRun.Merge(runs, sources));
        return 0;
    }

    private static AblationRun Read(string path)
    {
        if (!File.Exists(path))
            throw new UserInputException($"{path}: not found (an experiment writes ablation.json when every stage is done)");
        JsonNode? json;
        try
        {
            json = JsonNode.Parse(File.ReadAllBytes(path));
        }
        catch (JsonException e)
        {
            throw new UserInputException($"{JsonErrors.Where(path, e)}: invalid JSON ({JsonErrors.Message(e)})", e);
        }
        return AblationRun.FromJson(json, path);
    }
}
