using EntropyLong.Core;
using EntropyLong.Pipeline.Tasks;

namespace EntropyLong.Cli;

/// <summary>What `index --shards` and `build --shards` tell about their tasks, and how a worker ends.</summary>
public static class ShardedTasks
{
    /// <summary>One line per task outcome; failures are collected for <see cref="Finish"/>.</summary>
    public static void Report(string id, TaskOutcome outcome, string? error, List<string> failures)
    {
        switch (outcome)
        {
            case TaskOutcome.Done: Progress.Say($"{id} done"); break;
            case TaskOutcome.AlreadyDone: Progress.Say($"{id} already done, skipped"); break;
            case TaskOutcome.Busy: Progress.Say($"{id} is being run by another worker, skipped"); break;
            default:
                Progress.Say($"{id} failed: {error}");
                failures.Add(error ?? id);
                break;
        }
    }

    /// <summary>Ends a worker: its failures become one error (exit code 3) after every other task had its turn.</summary>
    public static int Finish(List<string> failures, TaskStore tasks, IReadOnlyList<string> all, string what)
    {
        Progress.Say($"{what}: {all.Count(tasks.IsDone)}/{all.Count} tasks complete");
        if (failures.Count > 0)
            throw new UserInputException($"{failures.Count} task(s) failed; re-run the same command to redo only what is missing:\n  " + string.Join("\n  ", failures));
        return 0;
    }
}
